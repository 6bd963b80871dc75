"""A built wheel is the whole product: a non-editable install (a container, a Ray worker) audits like this checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return next(out.glob("*.whl"))


def test_the_wheel_carries_the_rule_pack_the_scorecards_and_the_readers_weights(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"audit/packdata/{path.relative_to(ROOT).as_posix()}"
               for folder in ("lexicons", "scorecards", "plans") for path in (ROOT / folder).rglob("*.yaml")}
    assert shipped and shipped <= names
    assert {"audit/reader_model/reader.json", "audit/reader_model/reader.npz", "audit/reader.py"} <= names
    assert not any(name.startswith(("tests/", "corpus/", "samples/")) for name in names)


def test_a_fresh_install_of_the_wheel_audits_a_call(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies come from this environment (no network in CI for a second install); the package itself
    # only from the wheel, which is what is under test.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    call = {"call_id": "wheel_1", "turns": [
        {"speaker": "agent", "text": "您好，我是安和商务的催收员小王，工号3301，本次通话录音。请问是张伟本人吗？"},
        {"speaker": "customer", "text": "是我。"},
        {"speaker": "agent", "text": "你这个老赖，再不还钱，明天我们就去你单位闹，让你同事都知道你欠钱不还。"}]}
    (tmp_path / "in.jsonl").write_text(json.dumps(call, ensure_ascii=False) + "\n", encoding="utf-8")
    run = subprocess.run([str(python), "-m", "audit", "scan", "in.jsonl", "--out", "out.jsonl"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    audit = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert {"third_party_disclosure", "insult"} <= {finding["category"] for finding in audit["findings"]}
    where = subprocess.run([str(python), "-c", "import audit.lexicons as l; print(l.lexicon_dir())"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "packdata" in where and str(ROOT) not in where
