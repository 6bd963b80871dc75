"""The package a compliance team hands to a regulator: what was checked, with which rules, and what was found.

``export_package`` writes, for calls started in a date range: CSV files and one Excel workbook (calls with the machine's
verdict and score beside those after review, findings with quotes, audio times and review status, call-level items
(call time, review reasons) with theirs, disclosures, reviews, per-agent summary after review), ``manifest.json`` (rule-pack, scorecard, model and
code versions, the sha256 of every audio file and of every file in the package, whether personal numbers were
masked, who exported it and when) and a copy of the rule pack itself. Phone, 身份证 and bank-card numbers are masked
by default; unmasking is recorded in the manifest.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from audit import __version__
from audit.aggregate import agent_scorecards
from audit.lexicons import lexicon_dir
from audit.storage import Store

# Long digit runs are personal numbers in a collection call: mobile (11), 身份证 (18, last may be X), bank card
# (16-19). Speech recognition writes them in Arabic or Chinese digits, with spaces or dashes between groups.
_DIGIT = "0-9０-９零〇一二三四五六七八九幺两"
_PERSONAL_NUMBER = re.compile(rf"(?<![{_DIGIT}])[{_DIGIT}](?:[ \-]?[{_DIGIT}]){{9,18}}(?:[ \-]?[XxＸ])?(?![{_DIGIT}])")
MASKED_FIELDS = ("quote", "explanation", "note", "text")


def mask_personal_numbers(text: str | None) -> str | None:
    """Keep the last four digits of every run of 10+ digits (phone, ID card, bank card): 138****5678."""
    if not text:
        return text

    def mask(match: re.Match) -> str:
        number = match.group(0)
        digit_positions = [i for i, char in enumerate(number) if char not in " -"]
        hidden = set(digit_positions[:-4])
        return "".join("*" if i in hidden else char for i, char in enumerate(number))

    return _PERSONAL_NUMBER.sub(mask, text)


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    calls: int
    findings: int
    masked: bool


SHEETS = ("calls", "findings", "call_items", "disclosures", "reviews", "agents")


def export_package(store: Store, out_dir: str | Path, since: str | None = None, until: str | None = None,
                   mask: bool = True, exported_by: str = "") -> ExportResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = store.export_rows(since, until)
    if mask:
        for table in ("findings", "call_items", "disclosures", "reviews"):
            rows[table] = [{k: mask_personal_numbers(v) if k in MASKED_FIELDS else v for k, v in row.items()}
                           for row in rows[table]]
    rows["agents"] = agent_scorecards(**store.aggregate_rows(since=since, until=until)).to_dict("records")

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in SHEETS:
        table = rows[name]
        columns = list(table[0]) if table else []
        with open(out / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(table)
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        for row in table:
            sheet.append([_cell(row[column]) for column in columns])
    workbook.save(out / "audit_package.xlsx")

    profiles = sorted({call["profile"] for call in rows["calls"]})
    for profile in profiles:  # the rules themselves, so the findings can be checked against them
        target = out / "rule_pack" / profile
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(lexicon_dir() / profile, target)
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "exported_by": exported_by,
        "period": {"since": since, "until": until},
        "personal_numbers_masked": mask,
        "code_version": __version__,
        "calls": len(rows["calls"]),
        "findings": len(rows["findings"]),
        "rule_packs": sorted({f"{c['profile']}@{c['rule_pack_version']}" for c in rows["calls"]}),
        "scorecards": sorted({f"{c['scorecard']}@{c['scorecard_version']}" for c in rows["calls"]}),
        "models": sorted({c["model_id"] for c in rows["calls"] if c["model_id"]}),
        "learned_readers": sorted({c["reader_version"] for c in rows["calls"] if c["reader_version"]}),
        "audio": {c["call_id"]: {"file": c["audio_path"], "sha256": c["audio_sha256"]} for c in rows["calls"]},
        "files": {str(p.relative_to(out)): _sha256(p) for p in files},
        "review_trail": store.verify_trail().__dict__,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    store.log_export(exported_by, since, until, mask, len(rows["calls"]), len(rows["findings"]), str(out.resolve()),
                     _sha256(out / "manifest.json"))
    return ExportResult(out, len(rows["calls"]), len(rows["findings"]), mask)


def _cell(value: Any) -> Any:
    """Excel takes numbers, text and booleans; NaN from the summary becomes an empty cell."""
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
