"""导出 Export (admins only): the regulator's package (audit.export) for a date range, zipped for download; personal
numbers masked unless unticked; the export is logged in the hash-chained exports table under the signed-in admin."""

import streamlit as st

from app_pages import common
from app_pages.i18n import t
from audit.reviewapp.exports import export_zip

account = common.signed_in("export")
st.title(t("export.title"))
st.markdown(t("export.intro"))
location = common.db_location()
options = common.filter_options(location)
if common.is_empty(options):
    common.getting_started()
    st.stop()

since, until = common.date_range(options, "export_dates")
mask = st.checkbox(t("export.mask"), value=True, key="export_mask")
if not mask:
    st.warning(t("export.unmasked_warning"))
st.caption(t("export.by", who=account.label))
if st.button(t("export.build"), key="export_build", type="primary"):
    name, data, result = export_zip(common.store(), since, until, mask, account.label)
    common.refresh()
    st.session_state["export_ready"] = (name, data, result.calls, result.findings, str(result.folder))
ready = st.session_state.get("export_ready")
if ready:
    name, data, calls, findings, folder = ready
    st.success(t("export.summary", calls=calls, findings=findings, folder=folder))
    st.download_button(t("export.download", name=name), data, file_name=name, mime="application/zip",
                       key="export_download")
