"""The regulator's package (``audit.export``) built from the app, kept under the data directory and zipped for a
download."""

from __future__ import annotations

import io
import secrets
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.reviewapp.locations import data_dir
from audit.reviewapp.queue import iso_day


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
    period = f"{iso_day(since) or 'start'}_{iso_day(until) or 'now'}"
    folder = Path(root or data_dir()) / "exports" / f"audit_package_{period}_{stamp}"
    result = export_package(store, folder, iso_day(since), iso_day(until), mask=mask, exported_by=exported_by)
    return f"{folder.name}.zip", zip_folder(result.folder), result
