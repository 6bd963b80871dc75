"""``python -m audit`` is the ``audit`` command."""

from audit.cli import app

app(prog_name="audit")
