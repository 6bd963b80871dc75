from pathlib import Path

import pytest

from audit.errors import MetadataError
from audit.metadata import load_metadata

HEADER = "call_id,file,agent_id,agent_name,team,started_at,debtor_tz,channel_layout\n"


def write_csv(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "metadata.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_valid_row_is_read_with_file_resolved_beside_the_csv(tmp_path):
    path = write_csv(tmp_path, "c1,a/c1.opus,A1,王芳,一组,2026-11-03T10:15:00+08:00,Asia/Shanghai,stereo_agent_right\n")
    table = load_metadata(path)
    record = table.by_call_id["c1"]
    assert record.agent_name == "王芳"
    assert record.channel_layout == "stereo_agent_right"
    assert Path(record.file) == tmp_path / "a" / "c1.opus"
    assert table.for_file(tmp_path / "a" / "c1.opus") == record
    assert table.problems == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",c1.opus,A1,王芳,一组,,,\n", "'call_id' is empty"),
        ("c1,,A1,王芳,一组,,,\n", "'file' is empty"),
    ],
)
def test_bad_row_is_skipped_with_its_row_number_and_problem(tmp_path, row, message):
    path = write_csv(tmp_path, "ok1,ok1.opus,A1,王芳,一组,,,\n" + row)
    table = load_metadata(path)
    assert list(table.by_call_id) == ["ok1"]
    assert len(table.problems) == 1
    assert f"{path}, row 3: " in table.problems[0] and message in table.problems[0]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ("2026-13-45T10:00:00+08:00,Asia/Shanghai,mono", "started_at", "not an ISO 8601"),
        ("2026-11-03T10:00:00,Asia/Shanghai,mono", "started_at", "has no UTC offset"),
        ("2026-11-03T10:00:00+08:00,Mars/Olympus,mono", "debtor_tz", "neither an IANA time zone nor a UTC offset"),
        ("2026-11-03T10:00:00+08:00,+15:00,mono", "debtor_tz", "neither an IANA time zone nor a UTC offset"),
        ("2026-11-03T10:00:00+08:00,Asia/Shanghai,quad", "channel_layout", "'quad' is not one of"),
    ],
)
def test_one_bad_value_drops_only_that_field_with_its_row_and_column(tmp_path, values, field, message):
    path = write_csv(tmp_path, f"c1,c1.opus,A1,王芳,一组,{values}\n")
    table = load_metadata(path)
    record = table.by_call_id["c1"]
    [problem] = table.problems
    assert problem.startswith(f"{path}, row 2, field {field}: ") and message in problem
    assert getattr(record, field) is None
    assert (record.agent_id, record.team) == ("A1", "一组")
    kept = {"started_at", "debtor_tz", "channel_layout"} - {field}
    assert all(getattr(record, name) is not None for name in kept)


@pytest.mark.parametrize(("written", "stored"), [("+08:00", "+08:00"), ("+0800", "+08:00"), ("UTC+8", "+08:00"),
                                                 ("-05:30", "-05:30"), ("Asia/Shanghai", "Asia/Shanghai")])
def test_debtor_tz_may_be_a_utc_offset_as_crms_export_it(tmp_path, written, stored):
    table = load_metadata(write_csv(tmp_path, f"c1,c1.opus,A1,王芳,一组,2026-11-03T22:40:00+08:00,{written},mono\n"))
    assert table.problems == [] and table.by_call_id["c1"].debtor_tz == stored


def test_duplicate_call_id_keeps_the_first_row(tmp_path):
    table = load_metadata(write_csv(tmp_path, "c1,a.opus,,,,,,\nc1,b.opus,,,,,,\n"))
    assert Path(table.by_call_id["c1"].file).name == "a.opus"
    assert "row 3" in table.problems[0] and "already used" in table.problems[0]


def test_gbk_csv_from_chinese_excel_is_read_with_a_note(tmp_path):
    table = load_metadata(write_csv(tmp_path, "c1,c1.opus,A1,王芳,催收一组,,,\n", encoding="gbk"))
    assert table.by_call_id["c1"].team == "催收一组"
    assert "GB18030" in table.problems[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"id,path\nc1,a.wav\n", r"header lacks column\(s\) call_id, file"), (b"\xff\xfe\x00\xd8" * 10, "neither UTF-8")],
)
def test_unusable_csv_is_an_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "meta.csv"
    path.write_bytes(content)
    with pytest.raises(MetadataError, match=message) as caught:
        load_metadata(path)
    assert str(path) in str(caught.value)


def test_missing_csv_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(MetadataError, match="cannot read metadata CSV"):
        load_metadata(tmp_path / "absent.csv")
