"""Bad request logs: each gives one line naming the file, line (or row) and column and what is accepted.

Run through the CLI, so the exit status (1, or 2 for a bad command-line value) and the absence of a
traceback or "internal error" are checked too; both in-process backends where the case applies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costmodel.outputs.cli import main

HEADER = "timestamp,model,input_tokens,output_tokens"
GOOD = "2026-01-13 10:00:00,a,100,10"
BACKENDS = ["duckdb", "polars"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["workload", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def error_line(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 1) -> str:
    code, out, err = run(capsys, *argv)
    assert code == status, (code, out, err)
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("costmodel: error: ")
    return err.strip()


def csv(tmp_path: Path, *lines: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_header_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER)), "--backend", backend)
    assert "log.csv has no rows" in line and "one row per request with timestamp, model, input_tokens" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_in_a_token_column(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER, GOOD, "2026-01-13 11:00:00,a,abc,10")), "--backend", backend)
    assert "log.csv, line 3, column input_tokens: 'abc' is not a whole number" in line
    assert "token counts are whole numbers from 0 to 1,000,000,000" in line


def test_text_beyond_duckdbs_type_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DuckDB guesses the column's type from its first rows; text after them fails mid-scan, still as one line."""
    rows = [GOOD] * 30000 + ["2026-01-13 11:00:00,a,lots,10"]
    line = error_line(capsys, str(csv(tmp_path, HEADER, *rows)))
    assert "log.csv, line 30002, column input_tokens: 'lots' is not a whole number" in line


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", ["yesterday", "13/01/2026 10:00", "01/02/2026 10:00", "01-02-2026 10:00:00"])
def test_unparseable_and_day_first_times(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str, value: str) -> None:
    """Day-first and month-first dates are refused, even where DuckDB's sniffer would guess one (01-02-2026)."""
    line = error_line(capsys, str(csv(tmp_path, HEADER, GOOD, f"{value},a,100,10")), "--backend", backend)
    assert f"log.csv, line 3, column timestamp: {value} is not a time (1 of 2 rows)" in line
    assert "times are ISO 8601" in line and "--timestamp-format" in line


def test_json_lines_times_are_not_guessed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"timestamp": "01-02-2026 10:00:00", "model": "a", "input_tokens": 1, "output_tokens": 1}) + "\n")
    assert "log.jsonl, line 1, column timestamp: 01-02-2026 10:00:00 is not a time" in error_line(capsys, str(path))


@pytest.mark.parametrize("backend", BACKENDS)
def test_day_first_with_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    path = csv(tmp_path, HEADER, "13/01/2026 10:00,a,100,10", "14/01/2026 10:00,a,300,30")
    code, out, err = run(capsys, str(path), "--backend", backend, "--timestamp-format", "%d/%m/%Y %H:%M", "--json")
    assert code == 0, err
    everything = json.loads(out)[0]
    assert everything["hours_observed"] == 24  # 13 January 10:00 to 14 January 10:00
    assert everything["input_tokens_mean"] == 200
    line = error_line(capsys, str(csv(tmp_path, HEADER, "2026-01-13 10:00,a,1,1")), "--timestamp-format", "%d/%m/%Y %H:%M")
    assert "column timestamp: '2026-01-13 10:00' does not match --timestamp-format '%d/%m/%Y %H:%M'" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_malformed_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    path = tmp_path / "log.jsonl"
    good = json.dumps({"timestamp": "2026-01-13T10:00:00", "model": "a", "input_tokens": 1, "output_tokens": 1})
    path.write_text(good + "\n" + good + "\n" + good[:-5] + "\n" + good + "\n")
    line = error_line(capsys, str(path), "--backend", backend)
    assert "log.jsonl, line 3: malformed JSON" in line and "one JSON object per line" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_bytes_that_are_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(f"{HEADER}\n{GOOD}\n2026-01-13 10:00:00,caf\xe9,1,1\n".encode("latin-1"))
    line = error_line(capsys, str(path), "--backend", backend)
    assert "log.csv, line 3: bytes that are not UTF-8; logs are read as UTF-8" in line and "iconv" in line
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"timestamp": "2026-01-13T10:00:00", "model": "caf\xe9", "input_tokens": 1, "output_tokens": 1}\n')
    assert "log.jsonl, line 1: bytes that are not UTF-8" in error_line(capsys, str(path), "--backend", backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", ["9223372036854775807", "99999999999999999999"])
def test_integers_near_int64s_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str, value: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER, f"2026-01-13 10:00:00,a,{value},10", GOOD)), "--backend", backend)
    assert "log.csv" in line and "token counts are whole numbers from 0 to 1,000,000,000" in line
    if not (backend == "polars" and len(value) > 19):  # polars has no 128-bit integers to show the row
        assert f"line 2, column input_tokens: {value} is above the largest accepted count (1 of 2 rows)" in line


def test_a_folder_in_place_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "logs.csv").mkdir()
    line = error_line(capsys, str(tmp_path / "logs.csv"))
    assert "logs.csv is a folder; give one file: Parquet, CSV or JSON lines" in line


@pytest.mark.parametrize("backend", ["spark", "foo://host/db", "sqlite"])
def test_unknown_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER, GOOD)), "--backend", backend, status=2)
    assert f"--backend {backend!r} is not a backend; accepted: duckdb (the default), polars, pyspark" in line
    assert "ibis connection URL" in line


def test_a_table_the_backend_does_not_have(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = error_line(capsys, "--backend", f"duckdb://{tmp_path / 'lake.ddb'}", "--table", "requests")
    assert "--table 'requests': not found in backend duckdb" in line
    assert "give a request log file or --table" in error_line(capsys, status=2)


def test_a_table_the_backend_has(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    db = tmp_path / "lake.ddb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE requests AS SELECT TIMESTAMP '2026-01-13 10:00' + INTERVAL (i) HOUR AS timestamp, "
                    "'m' AS model, 100 * (i + 1) AS input_tokens, 10 AS output_tokens FROM range(3) t(i)")
    code, out, err = run(capsys, "--backend", f"duckdb://{db}", "--table", "requests", "--json")
    assert code == 0, err
    everything = json.loads(out)[0]
    assert everything["requests"] == 3 and everything["input_tokens_mean"] == 200 and everything["hours_observed"] == 2


# Wrong inputs that used to be accepted


@pytest.mark.parametrize("backend", BACKENDS)
def test_negative_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER, GOOD, "2026-01-13 11:00:00,a,100,-328")), "--backend", backend)
    assert "log.csv, line 3, column output_tokens: -328 is negative (1 of 2 rows)" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_cached_above_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str) -> None:
    path = csv(tmp_path, HEADER + ",cached_input_tokens", GOOD + ",50", "2026-01-13 11:00:00,a,100,10,2500")
    line = error_line(capsys, str(path), "--backend", backend)
    assert "log.csv, line 3, column cached_input_tokens: 2500 cached tokens above the row's 100 input tokens (1 of 2 rows)" in line


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value, what", [("NaN", "NaN is not a token count"), ("12.5", "12.5 is not a whole number")])
def test_nan_and_fractional_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str, value: str, what: str) -> None:
    line = error_line(capsys, str(csv(tmp_path, HEADER, GOOD, f"2026-01-13 11:00:00,a,{value},10")), "--backend", backend, "--json")
    assert f"log.csv, line 3, column input_tokens: {what} (1 of 2 rows)" in line


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str, fmt: str) -> None:
    path = tmp_path / f"log.{fmt}"
    if fmt == "csv":
        body = f"{HEADER}\n{GOOD}\n2026-01-13 11:00:00,a,300,30\n"
    else:
        body = "".join(json.dumps({"timestamp": f"2026-01-13T{h}:00:00", "model": "a", "input_tokens": i, "output_tokens": o}) + "\n"
                       for h, i, o in ((10, 100, 10), (11, 300, 30)))
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    code, out, err = run(capsys, str(path), "--backend", backend, "--json")
    assert code == 0, err
    everything = json.loads(out)[0]
    assert everything["requests"] == 2 and everything["input_tokens_mean"] == 200 and everything["output_tokens_mean"] == 20
