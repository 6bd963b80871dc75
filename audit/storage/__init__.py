"""The database: calls, transcripts, audits with their findings, disclosures and signals, and the review trail.

This is the only package that imports SQLAlchemy. An SQLite file is the embedded default; a shared deployment
points ``AUDIT_DB_URL`` at PostgreSQL. ``Store`` is the whole interface; its methods live by concern:

- ``schema``: the tables and their migrations (``audit/migrations``);
- ``store``: opening the database, saving audited calls, the reads a batch resumes or re-audits from;
- ``trail``: the hash-chained reviews and exports log, and ``verify_trail``;
- ``users``: the review app's accounts and their sign-in attempts;
- ``queries``: the aggregate and export rows and the review app's reads, all over each call's latest audit.
"""

from audit.storage.schema import (FIRST_REVISION, MIGRATIONS, AuditRow, Base, CallRow, DisclosureRow, ExportRow,
                                  FindingRow, ReviewRow, SignalRow, SignInAttemptRow, StorageError, TranscriptRow,
                                  UserRow, _alembic_config, migrate)
from audit.storage.store import Store, StoredAudit, database_url
from audit.storage.trail import (GENESIS_HASH, REVIEW_EFFECT, REVIEW_VERDICTS, ReviewEffect, TrailCheck, export_hash,
                                 review_hash)

__all__ = [
    "FIRST_REVISION", "GENESIS_HASH", "MIGRATIONS", "REVIEW_EFFECT", "REVIEW_VERDICTS", "AuditRow", "Base", "CallRow",
    "DisclosureRow", "ExportRow", "FindingRow", "ReviewEffect", "ReviewRow", "SignalRow", "SignInAttemptRow",
    "StorageError", "Store", "StoredAudit", "TrailCheck", "TranscriptRow", "UserRow", "_alembic_config", "database_url", "export_hash",
    "migrate", "review_hash",
]
