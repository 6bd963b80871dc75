"""批量质检 Batch audit: upload recordings (and a metadata CSV) or pick a folder on the server; the main job runs
call by call with a progress bar, each call stored as soon as it is done, and the results join the review queue."""

from datetime import datetime
from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages.i18n import t
from audit.audio import AUDIO_EXTENSIONS
from audit.errors import AuditError
from audit.pipeline import collect_inputs, run_batch
from audit.reviewapp.locations import data_dir, max_upload_bytes
from audit.reviewapp.uploads import batch_roots, folder_label, resolve_server_folder, save_uploads, server_folders

account = common.signed_in("batch")
admin = account.role == "admin"
if st.session_state.pop("batch_go_queue", False):
    st.switch_page("app_pages/review_queue.py")
st.title(t("batch.title"))
data_folder = data_dir()


def run(paths: list[Path], metadata: Path | None) -> None:
    """Collect the recordings, then transcribe, audit and store them one by one, showing each as it finishes."""
    try:
        inputs = collect_inputs(paths, metadata)
    except AuditError as error:
        st.error(str(error))
        return
    for problem in inputs.problems:
        st.warning(t("batch.problem", problem=problem))
    if not inputs.audio_paths:
        st.error(t("batch.no_audio"))
        return
    total, done = len(inputs.audio_paths), []
    bar = st.progress(0.0, text=t("batch.loading"))
    with st.spinner(t("batch.loading")):
        engines = common.transcriber(), common.auditor()

    def on_call_done(outcome) -> None:
        done.append(outcome)
        bar.progress(len(done) / total, text=t("batch.progress", done=len(done), total=total, call=outcome.call_id))

    out_dir = data_folder / "batches" / f"{datetime.now():%Y%m%d-%H%M%S}"
    report = run_batch(inputs, *engines, common.store(), out_dir, on_call_done=on_call_done)
    common.refresh()
    failed = len(report.failed)
    (st.warning if failed else st.success)(t("batch.done", ok=len(report.outcomes) - failed, failed=failed))
    st.dataframe([{t("col.call_id"): o.call_id, "file": Path(o.audio_path).name,
                   t("col.verdict"): t("batch.outcome_resumed") if getattr(o, "resumed", False)
                   else t("batch.outcome_ok") if o.ok else t("batch.error"),
                   t("col.duration"): round(o.duration_s, 1), t("batch.error"): o.error or ""}
                  for o in report.outcomes], hide_index=True, key="batch_outcomes")
    done_ids = tuple(o.call_id for o in report.outcomes if o.ok)
    st.button(t("go.queue"), key="batch_to_queue", icon=":material/fact_check:", on_click=open_queue,
              args=(out_dir.name, done_ids))


def open_queue(batch: str, call_ids: tuple[str, ...]) -> None:
    """Filter the queue to this batch's calls, and go there on the rerun this click starts (the batch's results
    are not drawn again, so the button is not there to be read)."""
    st.session_state["queue_batch"] = (batch, call_ids)
    st.session_state["batch_go_queue"] = True


upload_tab, folder_tab = st.tabs([t("batch.upload"), t("batch.folder")])
with upload_tab:
    types = sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS)
    limit_mb = max_upload_bytes() // (1024 * 1024)
    files = st.file_uploader(t("batch.files", types=" ".join(types), mb=limit_mb), type=types,
                             accept_multiple_files=True, key="batch_files")
    metadata_file = st.file_uploader(t("batch.metadata"), type=["csv"], key="batch_metadata")
    if st.button(t("batch.run_upload"), key="batch_run_upload", type="primary"):
        if not files:
            st.error(t("batch.no_files"))
        else:
            # every file is checked again here (size, type by content): the browser's filter is only a convenience
            batch = save_uploads([(f.name, f.getvalue()) for f in files],
                                 (metadata_file.name, metadata_file.getvalue()) if metadata_file else None,
                                 data_folder)
            for problem in batch.problems:
                st.error(t("batch.refused", problem=problem))
            if batch.audio:  # where the server keeps them is an admin's business only
                st.info(t("batch.stored", n=len(batch.audio), folder=batch.folder) if admin
                        else t("batch.stored_user", n=len(batch.audio)))
                run(list(batch.audio), batch.metadata)

with folder_tab:
    roots = batch_roots(data_folder)
    # an admin sees and may type the server's paths; anyone else picks a folder named within its allowed root
    st.caption(t("batch.roots", roots=", ".join(str(r) for r in roots)) if admin else t("batch.roots_user"))
    folders = server_folders(roots)
    picked = st.selectbox(t("batch.pick_folder"), folders, format_func=str if admin else folder_label(roots),
                          key="batch_folder_pick", placeholder=t("batch.no_folders"), index=0 if folders else None)
    typed = st.text_input(t("batch.folder_path"), key="batch_folder_path") if admin else ""
    if st.button(t("batch.run_folder"), key="batch_run_folder", type="primary"):
        try:
            folder = resolve_server_folder(typed.strip() or picked or "", roots)
        except ValueError as error:
            st.error(str(error))
        else:
            run([folder], None)
