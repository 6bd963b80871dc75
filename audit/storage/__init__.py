"""The database: calls, transcripts, audits with their findings, disclosures and signals, and the review trail.

This is the only package that imports SQLAlchemy. An SQLite file is the embedded default; a shared deployment
points ``AUDIT_DB_URL`` at PostgreSQL. ``Store`` is the whole interface; its methods live by concern:

- ``schema``: the tables and their migrations (``audit/migrations``);
- ``store``: opening the database, saving audited calls, the reads a batch resumes or re-audits from;
- ``trail``: the hash-chained reviews (of findings and call-level items) and exports log, and ``verify_trail``;
- ``results``: each call's result after its reviews (``audit.review_policy``), kept with its audit;
- ``users``: the review app's accounts and their sign-in attempts;
- ``queries``: the aggregate and export rows and the review app's reads, all over each call's latest audit;
- ``qa``: the QA loop's tables: 抽检 draws and verdicts, reviews per rule, QA settings, dial logs and violations.
"""

from audit.storage.qa import SAMPLE_VERDICTS
from audit.storage.schema import (FIRST_REVISION, MIGRATIONS, AuditRow, Base, CallItemRow, CallRow, DisclosureRow,
                                  ExportRow, FindingRow, ReviewRow, SignalRow, SignInAttemptRow, StorageError,
                                  TranscriptRow, UserRow, _alembic_config, migrate)
from audit.storage.store import Store, StoredAudit, database_url
from audit.storage.trail import GENESIS_HASH, TrailCheck, export_hash, review_hash

__all__ = [
    "FIRST_REVISION", "GENESIS_HASH", "MIGRATIONS", "SAMPLE_VERDICTS", "AuditRow", "Base", "CallItemRow", "CallRow",
    "DisclosureRow", "ExportRow", "FindingRow", "ReviewRow", "SignalRow", "SignInAttemptRow", "StorageError", "Store",
    "StoredAudit", "TrailCheck", "TranscriptRow", "UserRow", "_alembic_config", "database_url", "export_hash",
    "migrate", "review_hash",
]
