"""催收质检 / collection-call auditor: transcribe and audit recorded Mandarin debt-collection calls, offline."""

__version__ = "0.1.0"
