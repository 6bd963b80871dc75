"""The shared-deployment path: the same Store against a real PostgreSQL server, started here on a loopback port.

`.ci/run` installs Debian's postgresql package; on a developer machine without it these tests are skipped, but in CI
(CI=true) a missing server is a failure, so the PostgreSQL path can never silently go untested.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from audit.aggregate import agent_scorecards, agent_scorecards_from_totals
from audit.auditor import Auditor
from audit.scan import audit_to_line
from audit.storage import Store


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs it with scripts/system-packages.sh")
        pytest.skip("PostgreSQL server not installed (Debian: apt-get install postgresql)")
    # initdb refuses to run as root: run the server as the postgres account the Debian package creates.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="audit-pg-"))
    data = home / "data"
    if as_user:
        shutil.chown(home, "postgres")
    port = _free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-o",
                    f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_sample_audits_store_review_and_aggregate_the_same_on_postgresql_as_on_sqlite(postgres_url, tmp_path,
                                                                                        seeded_db, sample_transcripts):
    auditor = Auditor()
    audits = {call_id: auditor.audit_transcript(t) for call_id, t in sample_transcripts.items()}
    shutil.copy(seeded_db, tmp_path / "audit.db")  # the same audits, saved once into SQLite
    stores = {"postgresql": Store(postgres_url), "sqlite": Store(tmp_path / "audit.db")}
    for name, store in stores.items():
        for _ in range(2 if name == "postgresql" else 1):  # ingesting again duplicates nothing
            for call_id, transcript in sample_transcripts.items():
                store.save(transcript, audits[call_id], audit_to_line(audits[call_id]))
        finding = store.findings("c04_violence_threat")[0]
        store.add_review(finding.id, "质检-李", "dismissed", "示例")
        store.add_review(finding.id, "坐席-刘洋", "appeal", "申诉")
    postgres, sqlite = stores["postgresql"], stores["sqlite"]
    assert postgres.counts() == sqlite.counts() and postgres.counts()["calls"] == len(sample_transcripts)
    assert postgres.verify_trail().ok and postgres.verify_trail().reviews == 2
    tables = {name: agent_scorecards(**store.aggregate_rows()).to_dict("records") for name, store in stores.items()}
    assert tables["postgresql"] == tables["sqlite"]
    # the agents page's and the overview's figures, counted by each database
    assert all(agent_scorecards_from_totals(store.scorecard_totals()).to_dict("records") == tables["sqlite"]
               for store in stores.values())
    overviews = {name: store.overview() for name, store in stores.items()}
    for figures in overviews.values():
        for agent in figures["worst_agents"]:  # an average in each database's floating point
            agent["mean_score"] = round(agent["mean_score"], 6)
    assert overviews["postgresql"] == overviews["sqlite"]


def test_an_edited_review_is_detected_on_postgresql(postgres_url, sample_transcripts):
    from sqlalchemy import text

    store = Store(postgres_url)  # saving again is idempotent, so this holds whether or not the test above ran
    transcript = sample_transcripts["c05_insults"]
    audit = Auditor().audit_transcript(transcript)
    store.save(transcript, audit, audit_to_line(audit))
    review = store.add_review(store.findings("c05_insults")[0].id, "质检-李", "upheld")
    assert store.verify_trail().ok
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE reviews SET note = '改过' WHERE id = {review.id}"))
    check = store.verify_trail()
    assert not check.ok and "edited" in check.problem


def test_migrations_record_their_version_on_postgresql(postgres_url):
    from sqlalchemy import text

    store = Store(postgres_url)
    with store.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    newest = sorted(p.stem for p in (Path(__file__).parents[1] / "audit" / "migrations" / "versions").glob("0*.py"))[-1]
    assert version in (newest, newest[:4])  # "0004" for 0004_learned_reader.py, or the whole name
