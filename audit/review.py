"""What the review app (app.py, app_pages/) does, without Streamlit: queue filters and paging, the dialogue with its
highlighted findings, the disclosure checklist, coaching sheets, the rule pack's "try a sentence", uploads for a batch,
and the export as one zip.

The pages only lay these out; everything here is plain Python over the rows ``audit.storage.Store`` returns, so it is
tested without a browser. Like the rest of ``audit/`` it knows nothing of the app. Who may see and do what is
``audit.accounts``; the helpers under "access" below apply it to the app's reads (a team lead's filters, the verdicts
a role may file, the users table).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from audit import accounts, review_policy, settings
from audit.audio import AUDIO_EXTENSIONS
from audit.metadata import MAX_CSV_BYTES
from audit.models import SEVERITIES, UNSAFE_FILE_CHARS, Turn
from audit.review_policy import counts_against_agent, effective_severity
from audit.rulepack import DISCLOSURES, RulePack

REVIEW_STATUSES = ("unreviewed", "reviewed", "nothing_to_review", "all")
PAGE_SIZES = (25, 50, 100)


# -- where things are ------------------------------------------------------------------------------------------------

def database_location() -> str:
    """What the app hands to ``Store``: ``AUDIT_DB_URL`` wins inside Store itself; else ``AUDIT_DB``; else the file the
    main job writes."""
    return settings.db_path()


def data_dir() -> Path:
    return settings.data_dir()


def max_upload_bytes() -> int:
    return int(settings.max_upload_mb() * 1024 * 1024)


# -- access -----------------------------------------------------------------------------------------------------------

def scope_options(options: dict[str, Any], team: str | None) -> dict[str, Any]:
    """The filter options a team-scoped account is offered: its own team and that team's agents only (None = all)."""
    if team is None:
        return options
    return {**options, "teams": [team], "agents": [a for a in options.get("agents", []) if a.get("team") == team]}


def scoped_teams(chosen: Iterable[str], team: str | None) -> tuple[str, ...]:
    """The teams a read is filtered to: what was chosen, or -- for a team-scoped account -- its team, whatever was
    chosen (a widget's value in the session state can be edited; this cannot)."""
    return (team,) if team is not None else tuple(chosen)


# what each verdict needs: a team lead files an agent's appeal; deciding anything is a reviewer's (or admin's) job
VERDICT_PERMISSION = {"upheld": "review", "dismissed": "review", "severity_changed": "review", "appeal": "appeal",
                      "appeal_upheld": "review", "appeal_rejected": "review"}


def verdicts_for(account: accounts.Account | None, call_level: bool = False) -> list[str]:
    """The review verdicts this account may file on a finding (or a call-level item), in the trail's order
    (``audit.review_policy.REVIEW_VERDICTS`` / ``ITEM_VERDICTS``)."""
    allowed = review_policy.ITEM_VERDICTS if call_level else review_policy.REVIEW_VERDICTS
    return [verdict for verdict in allowed if accounts.allowed(account, VERDICT_PERMISSION[verdict])]


def within_calls(findings: Iterable[dict[str, Any]], call_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Only the findings of these calls (a coaching sheet limited to the calls on the page: a team lead's team)."""
    allowed = set(call_ids)
    return [f for f in findings if f["call_id"] in allowed]


def user_table(store) -> list[dict[str, Any]]:
    """Every account as the users page lists it, never with its password hash."""
    return [{"username": row.username, "display_name": row.display_name, "role": row.role, "team": row.team or "",
             "enabled": not row.disabled, "created_at": (row.created_at or "")[:10]} for row in store.users()]


def has_accounts(store) -> bool:
    return bool(store.users())


# -- the queue --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; empty means 'any'. Dates are inclusive (YYYY-MM-DD) and compare with the call's own
    local date as written in ``started_at`` (an undated call: the day it was stored). ``call_ids``: only these calls
    (one batch). ``review_status`` ``unreviewed``: every call not yet closed (``audit.review_policy``)."""

    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    review_status: str = "unreviewed"
    call_ids: tuple[str, ...] = ()
    sampled_only: bool = False  # 抽检 calls only

    def __post_init__(self):
        if self.review_status not in REVIEW_STATUSES:
            raise ValueError(f"review_status '{self.review_status}' is not one of {', '.join(REVIEW_STATUSES)}")

    def store_kwargs(self) -> dict[str, Any]:
        return {"categories": self.categories, "severities": self.severities, "agent_ids": self.agent_ids,
                "teams": self.teams, "verdicts": self.verdicts, "since": _day(self.since), "until": _day(self.until),
                "review_status": self.review_status, "call_ids": self.call_ids, "sampled_only": self.sampled_only}


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int  # 1-based, after clamping to the pages there are
    page_size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when there are none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-max(0, total) // max(1, page_size)))


def queue_page(store, filters: QueueFilters, page: int = 1, page_size: int = 50) -> QueuePage:
    """One page of flagged calls, worst first; a page past the end shows the last page rather than nothing."""
    page_size = max(1, int(page_size))
    page = max(1, int(page))
    rows, total = store.queue_page(limit=page_size, offset=(page - 1) * page_size, **filters.store_kwargs())
    if not rows and total and page > page_count(total, page_size):
        page = page_count(total, page_size)
        rows, total = store.queue_page(limit=page_size, offset=(page - 1) * page_size, **filters.store_kwargs())
    return QueuePage(tuple(rows), total, page, page_size)


def severity_of_rank(rank: int | None) -> str | None:
    """The queue's ``worst`` column back to a word (3 = no finding)."""
    return SEVERITIES[rank] if rank is not None and 0 <= rank < len(SEVERITIES) else None


def review_progress(row: dict[str, Any]) -> str:
    """'2/3': the items (findings and call-level items) of a queue row a person has closed, or '-' when it has none."""
    return f"{row['reviewed']}/{row['items']}" if row.get("items") else "-"


# -- one call ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Piece:
    """A run of a turn's text and the findings (by id) that cover it; no ids = plain text."""

    text: str
    finding_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DialogueTurn:
    index: int
    speaker: str
    text: str
    start_s: float | None
    end_s: float | None
    pieces: tuple[Piece, ...]
    finding_ids: tuple[int, ...] = ()
    speaker_source: str = ""


def finding_span(text: str, finding: dict[str, Any]) -> tuple[int, int] | None:
    """Where a finding's quote is in its turn: its offsets when they still point at the quote, else the first place
    the quote occurs (a transcript re-normalised since), else None (shown beside the turn, not inside it)."""
    start, end, quote = finding.get("char_start"), finding.get("char_end"), finding.get("quote") or ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if not quote or text[start:end] == quote:
            return start, end
    if quote and quote in text:
        start = text.index(quote)
        return start, start + len(quote)
    return None


def split_pieces(text: str, spans: Iterable[tuple[int, int, int]]) -> tuple[Piece, ...]:
    """Cut a turn at every finding boundary; each piece carries the ids of the findings covering it (overlapping
    findings give a piece with several ids)."""
    spans = [(start, end, fid) for start, end, fid in spans if 0 <= start < end <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for left, right in zip(cuts, cuts[1:]):
        ids = tuple(fid for start, end, fid in spans if start <= left and right <= end)
        if pieces and pieces[-1].finding_ids == ids:  # merge neighbours with the same cover
            pieces[-1] = Piece(pieces[-1].text + text[left:right], ids)
        else:
            pieces.append(Piece(text[left:right], ids))
    return tuple(pieces) or (Piece(text),)


def build_dialogue(transcript: dict[str, Any] | None, findings: list[dict[str, Any]]) -> list[DialogueTurn]:
    """The transcript as turns with each finding's quote marked where it was said. Segments are the auditor's turns
    one to one (``audit.auditor.turns_from_transcript``), so a finding's ``turn`` indexes ``segments``."""
    if not transcript:
        return []
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for finding in findings:
        by_turn.setdefault(finding["turn"], []).append(finding)
    turns = []
    for index, segment in enumerate(transcript.get("segments", [])):
        text = segment.get("text", "")
        spans, ids = [], []
        for finding in by_turn.get(index, []):
            ids.append(finding["finding_id"])
            span = finding_span(text, finding)
            if span:
                spans.append((*span, finding["finding_id"]))
        turns.append(DialogueTurn(index, segment.get("speaker", "unknown"), text, segment.get("start_s"),
                                  segment.get("end_s"), split_pieces(text, spans), tuple(ids),
                                  segment.get("speaker_source", "")))
    return turns


def disclosure_checklist(audit_line: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mandatory disclosure with its status and where it was said, in the order a call should make them."""
    evidence = {row["disclosure"]: row for row in audit_line.get("disclosure_evidence", [])}
    statuses = audit_line.get("disclosures", {})
    order = [d for d in DISCLOSURES if d in evidence or d in statuses]
    order += sorted((set(evidence) | set(statuses)) - set(order))  # any a newer rule pack adds, once each
    rows = []
    for disclosure in order:
        row = evidence.get(disclosure, {})
        rows.append({"disclosure": disclosure, "status": row.get("status", statuses.get(disclosure)),
                     "turn": row.get("turn"), "quote": row.get("quote"), "start_s": row.get("start_s"),
                     "rule_id": row.get("rule_id"), "explanation": row.get("explanation", "")})
    return rows


def latest_review(finding: dict[str, Any]) -> dict[str, Any] | None:
    reviews = finding.get("reviews") or []
    return reviews[-1] if reviews else None


def clock(seconds: float | None) -> str:
    """Audio time as m:ss (or h:mm:ss), as a player shows it."""
    if seconds is None:
        return ""
    whole = int(max(0.0, float(seconds)))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def player_start(seconds: float | None, lead_s: float = 0.5) -> int:
    """Where the player starts for a finding: a moment before the words, whole seconds (the player's unit)."""
    return max(0, int(float(seconds or 0.0) - lead_s))


AUDIO_MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
              ".opus": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/mp4", ".aac": "audio/aac"}


def audio_mime(path: str | Path) -> str:
    """The MIME type a browser needs to play the file (Opus travels in an Ogg container)."""
    return AUDIO_MIME.get(Path(path).suffix.lower(), "audio/wav")


# -- findings by week (overview) --------------------------------------------------------------------------------------

def week_start(day: str) -> str | None:
    """Monday of the ISO week of a YYYY-MM-DD date (as audit.aggregate.weekly_trend counts weeks)."""
    try:
        value = date.fromisoformat(str(day)[:10])
    except ValueError:
        return None
    return (value - timedelta(days=value.weekday())).isoformat()


def findings_by_week(by_day: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold the store's findings-per-day-and-category into weeks; oldest week first."""
    weeks: dict[tuple[str, str], int] = {}
    for row in by_day:
        week = week_start(row["day"])
        if week:
            weeks[(week, row["category"])] = weeks.get((week, row["category"]), 0) + int(row["findings"])
    return [{"week_start": week, "category": category, "findings": n}
            for (week, category), n in sorted(weeks.items())]


# -- coaching sheet (agents) ------------------------------------------------------------------------------------------

COACHING_COLUMNS = ("category", "severity", "call_id", "date", "time", "quote", "rule_id", "explanation", "link")


def coaching_sheet(findings: Iterable[dict[str, Any]], call_link: str = "call?call_id={call_id}"
                   ) -> list[dict[str, Any]]:
    """The agent's own words that count against them, grouped by category (most frequent first), newest call first
    within a category, each with a link to the call (``call_link`` is formatted with the call id)."""
    counted = [f for f in findings if counts_against_agent(f)]
    frequency: dict[str, int] = {}
    for finding in counted:
        frequency[finding["category"]] = frequency.get(finding["category"], 0) + 1
    counted.sort(key=lambda f: f.get("turn", 0))
    counted.sort(key=lambda f: f.get("started_at") or "", reverse=True)  # stable sorts: newest call first ...
    counted.sort(key=lambda f: (-frequency[f["category"]], f["category"]))  # ... within the commonest category first
    return [{"category": f["category"],
             "severity": effective_severity(f),
             "call_id": f["call_id"], "date": (f.get("started_at") or "")[:10], "time": clock(f.get("start_s")),
             "quote": f["quote"], "rule_id": f["rule_id"], "explanation": f.get("explanation", ""),
             "link": call_link.format(call_id=f["call_id"])} for f in counted]


def agent_breakdown(scorecard: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """One agent's row of ``audit.aggregate.agent_scorecards`` (as a dict) as two lists: counted findings per category
    (most first, zeros left out) and disclosure compliance per disclosure (None where nothing was judged)."""
    findings = [(key.removeprefix("findings_"), int(value)) for key, value in scorecard.items()
                if key.startswith("findings_") and value]
    findings.sort(key=lambda item: -item[1])
    disclosures = [(key.removeprefix("disclosure_"), None if value is None or value != value else float(value))
                   for key, value in scorecard.items() if key.startswith("disclosure_")]
    order = {d: i for i, d in enumerate(DISCLOSURES)}
    disclosures.sort(key=lambda item: order.get(item[0], len(order)))
    return {"findings": findings, "disclosures": disclosures}


def rows_to_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> bytes:
    """CSV with a BOM so Excel on Chinese Windows opens the UTF-8 correctly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


# -- the rule pack ----------------------------------------------------------------------------------------------------

def rule_pack_tables(pack: RulePack) -> dict[str, list[dict[str, Any]]]:
    """The rule pack as tables to browse: categories, conduct rules, disclosures, customer signals."""
    rules = [{"rule_id": r.id, "category": r.category, "severity": r.severity, "description": r.description,
              "terms": "、".join(r.terms), "patterns": "  |  ".join(p.pattern for p in r.patterns),
              "token_patterns": len(r.token_patterns), "exceptions": "  |  ".join(p.pattern for p in r.exceptions),
              "legal_basis": "；".join(r.basis)} for r in pack.conduct_rules]
    counts: dict[str, int] = {}
    for rule in pack.conduct_rules:
        counts[rule.category] = counts.get(rule.category, 0) + 1
    return {
        "categories": [{"category": c.id, "severity": c.severity, "description_zh": c.description_zh,
                        "description": c.description, "rules": counts.get(c.id, 0), "legal_basis": "；".join(c.basis)}
                       for c in pack.categories.values()],
        "rules": rules,
        "disclosures": [{"rule_id": d.id, "disclosure": d.disclosure, "window": d.window + (f" ({d.n})" if d.n > 1
                                                                                             else ""),
                         "description": d.description, "patterns": "  |  ".join(p.pattern for p in d.patterns),
                         "legal_basis": "；".join(d.basis)} for d in pack.disclosures],
        "signals": [{"rule_id": s.id, "signal": s.signal, "description": s.description,
                     "patterns": "  |  ".join(p.pattern for p in s.patterns)} for s in pack.signals],
    }


@dataclass(frozen=True)
class Trial:
    """What the rules make of one sentence: findings (with the term or pattern that fired), customer signals, and
    how the sentence was read (homophones of lexicon words rewritten: 于七 -> 逾期)."""

    text: str
    speaker: str
    findings: tuple[dict[str, Any], ...]
    signals: tuple[dict[str, Any], ...]
    reading: str
    homophones: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def try_sentence(auditor, text: str, speaker: str = "agent") -> Trial:
    """Audit one sentence as a one-turn call by ``speaker``: the same engine, precedence and scope rules as a call."""
    text = text.strip()
    if speaker not in ("agent", "customer", "unknown"):
        raise ValueError(f"speaker '{speaker}' is not agent, customer or unknown")
    if not text:
        return Trial(text, speaker, (), (), "")
    turns = (Turn(speaker, text),)
    audit = auditor.audit("try", turns)
    analyzed = auditor.view(turns).turns[0].analyzed
    return Trial(text, speaker, tuple(f.to_dict() for f in audit.findings), tuple(s.to_dict() for s in audit.signals),
                 analyzed.canonical, tuple((h.heard, h.term) for h in analyzed.homophones))


# -- uploads for a batch ----------------------------------------------------------------------------------------------

MAX_NAME_CHARS = 120

# What the first bytes of each accepted audio type look like: the extension alone is a claim, not a check.
_MAGIC = {
    ".wav": lambda head: head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE",
    ".mp3": lambda head: head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    ".ogg": lambda head: head[:4] == b"OggS",
    ".oga": lambda head: head[:4] == b"OggS",
    ".opus": lambda head: head[:4] == b"OggS",
    ".flac": lambda head: head[:4] == b"fLaC" or (head[:3] == b"ID3"),
    ".m4a": lambda head: head[4:8] == b"ftyp",
    ".aac": lambda head: head[:4] == b"ADIF" or head[:3] == b"ID3" or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0),
}


def sanitize_name(name: str, fallback: str = "upload") -> str:
    """A file name safe to create under the data directory: no folders (either slash), no leading dots, no control
    or shell characters, at most 120 characters (the extension kept); Chinese letters stay as they are."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", str(name)))[-1]
    base = UNSAFE_FILE_CHARS.sub("_", base).strip("._ ")
    if not base:
        return fallback
    stem, dot, suffix = base.rpartition(".")
    if dot and len(suffix) <= 8:
        stem = stem.strip("._ ") or fallback
        keep = MAX_NAME_CHARS - len(suffix) - 1
        return f"{stem[:keep]}.{suffix.lower()}"
    return base[:MAX_NAME_CHARS]


def check_upload(name: str, head: bytes, size: int, kind: str = "audio", limit_bytes: int | None = None
                 ) -> str | None:
    """Why an uploaded file is refused, or None: size limit, type by extension, and type by its first bytes."""
    limit = limit_bytes if limit_bytes is not None else (max_upload_bytes() if kind == "audio" else MAX_CSV_BYTES)
    if size <= 0:
        return f"{name}: empty file"
    if size > limit:
        return f"{name}: {size / 1024 / 1024:.1f} MB is over the {limit / 1024 / 1024:.0f} MB limit"
    suffix = Path(sanitize_name(name)).suffix.lower()
    if kind == "metadata":
        if suffix != ".csv":
            return f"{name}: the metadata must be a .csv file"
        if b"\x00" in head:
            return f"{name}: not a text (CSV) file"
        return None
    if suffix not in AUDIO_EXTENSIONS:
        accepted = ", ".join(sorted(AUDIO_EXTENSIONS))
        return f"{name}: '{suffix or '(no extension)'}' is not an accepted audio type ({accepted})"
    if not _MAGIC[suffix](head[:16]):
        return f"{name}: the content is not {suffix[1:].upper()} audio"
    return None


@dataclass(frozen=True)
class UploadBatch:
    folder: Path
    audio: tuple[Path, ...]
    metadata: Path | None
    problems: tuple[str, ...]


def save_uploads(files: Iterable[tuple[str, bytes]], metadata: tuple[str, bytes] | None = None,
                 root: str | Path | None = None, limit_bytes: int | None = None) -> UploadBatch:
    """Check and store uploaded recordings (and a metadata CSV) in a new folder of their own under
    ``<data dir>/uploads/``; refused files are named in ``problems`` and not written."""
    folder = Path(root or data_dir()) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=False)
    saved, problems, taken = [], [], set()
    for name, data in files:
        problem = check_upload(name, data[:16], len(data), "audio", limit_bytes)
        if problem:
            problems.append(problem)
            continue
        target = folder / _unique(sanitize_name(name), taken)
        target.write_bytes(data)
        saved.append(target)
    metadata_path = None
    if metadata is not None:
        name, data = metadata
        problem = check_upload(name, data[:4096], len(data), "metadata")
        if problem:
            problems.append(problem)
        else:
            # metadata.csv beside the audio: its `file` column names the uploaded files relative to this folder
            metadata_path = folder / "metadata.csv"
            metadata_path.write_bytes(data)
    return UploadBatch(folder, tuple(saved), metadata_path, tuple(problems))


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}"
    taken.add(candidate.lower())
    return candidate


def batch_roots(root: str | Path | None = None) -> list[Path]:
    """Folders on the server a batch may be taken from: the data directory, plus ``AUDIT_BATCH_ROOTS`` (paths joined
    by the OS path separator) -- the app never reads recordings from anywhere else."""
    roots = [Path(root or data_dir())]
    roots += settings.batch_roots()
    return [r.resolve() for r in roots]


def resolve_server_folder(path: str | Path, roots: Iterable[Path]) -> Path:
    """The folder, resolved, if it lies inside one of ``roots``; ValueError naming the problem otherwise."""
    folder = Path(path).expanduser().resolve()
    roots = list(roots)
    if not any(folder == r or folder.is_relative_to(r) for r in roots):
        raise ValueError(f"{path} is outside the folders batches may come from ({', '.join(map(str, roots))}); "
                         "set AUDIT_BATCH_ROOTS to allow another")
    if not folder.is_dir():
        raise ValueError(f"{path} is not a folder")
    return folder


def server_folders(roots: Iterable[Path], max_depth: int = 3, limit: int = 200) -> list[Path]:
    """Folders under the roots that hold recordings (directly), nearest first; bounded so a huge tree stays quick."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        queue = [(root, 0)]
        while queue and len(found) < limit:
            folder, depth = queue.pop(0)
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            if any(e.is_file() and e.suffix.lower() in AUDIO_EXTENSIONS for e in entries):
                found.append(folder)
            if depth < max_depth:
                queue.extend((e, depth + 1) for e in entries if e.is_dir() and not e.name.startswith("."))
    return found


# -- export -----------------------------------------------------------------------------------------------------------

def zip_folder(folder: str | Path) -> bytes:
    """The package folder as one zip (paths relative to it), for a download."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, str(path.relative_to(folder)))
    return buffer.getvalue()


def export_zip(store, since: str | None, until: str | None, mask: bool, exported_by: str,
               root: str | Path | None = None) -> tuple[str, bytes, Any]:
    """Write the regulator's package under ``<data dir>/exports/`` (kept: the manifest's hashes refer to it) and return
    (zip file name, zip bytes, ExportResult)."""
    from audit.export import export_package

    stamp = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    period = f"{_day(since) or 'start'}_{_day(until) or 'now'}"
    folder = Path(root or data_dir()) / "exports" / f"audit_package_{period}_{stamp}"
    result = export_package(store, folder, _day(since), _day(until), mask=mask, exported_by=exported_by)
    return f"{folder.name}.zip", zip_folder(result.folder), result


def _day(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat()[:10] if isinstance(value, (date, datetime)) else str(value)[:10]
