"""Bad data files stop the build with one clear message (file, line, field) and change nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from costmodel import DataError, store
from costmodel.store import Records, _parse, closest, read_csv_records

from .conftest import sha256


def edit_csv(path: Path, change: Callable[[list[str], list[list[str]]], None]) -> None:
    """Rewrite a CSV file after ``change(header, rows)`` mutates it in place."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    change(header, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_field(column: str, value: str, row: int = 0) -> Callable[[list[str], list[list[str]]], None]:
    def change(header: list[str], rows: list[list[str]]) -> None:
        rows[row][header.index(column)] = value
    return change


def set_where(match_column: str, prefix_or_suffix: str, changes: dict[str, str]) -> Callable[[list[str], list[list[str]]], None]:
    """Change the first row whose ``match_column`` ends with ``prefix_or_suffix``; the line is found by ``line_of``."""
    def change(header: list[str], rows: list[list[str]]) -> None:
        row = next(r for r in rows if r[header.index(match_column)].endswith(prefix_or_suffix))
        for column, value in changes.items():
            row[header.index(column)] = value
    return change


def line_where(name: str, match_column: str, suffix: str) -> Callable[[Path], int]:
    """The file line (header is line 1) of the first row whose ``match_column`` ends with ``suffix``."""
    def line(data: Path) -> int:
        with (data / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return 2 + next(i for i, r in enumerate(rows) if r[match_column].endswith(suffix))
    return line


def set_first_stated(column: str, value: str) -> Callable[[list[str], list[list[str]]], None]:
    """Overwrite ``column`` in the first row where it is not empty."""
    def change(header: list[str], rows: list[list[str]]) -> None:
        next(r for r in rows if r[header.index(column)])[header.index(column)] = value
    return change


def line_first_stated(name: str, column: str) -> Callable[[Path], int]:
    def line(data: Path) -> int:
        with (data / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return 2 + next(i for i, r in enumerate(rows) if r[column])
    return line


def last_line_plus_one(name: str) -> Callable[[Path], int]:
    """The line a row appended to ``name`` lands on."""
    def line(data: Path) -> int:
        with (data / name).open(newline="", encoding="utf-8") as fh:
            return 2 + len(list(csv.DictReader(fh)))
    return line


def drop_column(column: str) -> Callable[[list[str], list[list[str]]], None]:
    def change(header: list[str], rows: list[list[str]]) -> None:
        i = header.index(column)
        del header[i]
        for r in rows:
            del r[i]
    return change


def duplicate_row(row: int = 0) -> Callable[[list[str], list[list[str]]], None]:
    def change(header: list[str], rows: list[list[str]]) -> None:
        rows.append(list(rows[row]))
    return change


CASES = [
    # (id, file, change, field named in the message, line named, words the message must contain)
    ("missing column", "gpu_prices.csv", drop_column("usd_per_gpu_hour"), "usd_per_gpu_hour", 1, "missing column"),
    ("negative price", "gpu_prices.csv", set_field("usd_per_gpu_hour", "-2.5", 3), "usd_per_gpu_hour", 5, "usd_per_gpu_hour >= 0.01"),
    ("zero price", "gpu_prices.csv", set_field("usd_per_gpu_hour", "0"), "usd_per_gpu_hour", 2, "usd_per_gpu_hour >= 0.01"),
    ("absurd price", "gpu_prices.csv", set_field("usd_per_gpu_hour", "1e308"), "usd_per_gpu_hour", 2, "usd_per_gpu_hour <= 100"),
    ("denormal price", "gpu_prices.csv", set_field("usd_per_gpu_hour", "1e-320"), "usd_per_gpu_hour", 2, "usd_per_gpu_hour >= 0.01"),
    ("future observation", "gpu_prices.csv", set_field("observed_on", "9999-12-31"), "observed_on", 2, "is in the future"),
    ("unregistered provider", "gpu_prices.csv", set_field("provider", "acme-gpu"), "provider", 2, "must be a gpu_providers.provider"),
    ("unknown market segment", "gpu_providers.csv", set_field("market_segment", "boutique"), "market_segment", 2,
     "market_segment IN"),
    ("zero purchase price", "gpu_purchase_prices.csv", set_field("usd_per_gpu", "0"), "usd_per_gpu", 2, "usd_per_gpu > 0"),
    ("unknown gpu id", "gpu_prices.csv", set_field("gpu_id", "h100-sxm5x", 1), "gpu_id", 3, "closest known: h100-sxm"),
    ("unknown model id", "throughput_measured.csv", set_field("model_id", "llama-3.1-8bb", 2), "model_id", 4, "closest known: llama-3.1-8b"),
    ("unparseable date", "gpu_prices.csv", set_field("observed_on", "25/09/2026", 0), "observed_on", 2, "ISO date"),
    ("impossible date", "models.csv", set_field("release_date", "2024-02-30", 4), "release_date", 6, "ISO date"),
    ("duplicate key", "gpus.csv", duplicate_row(0), "gpu_id", last_line_plus_one("gpus.csv"), "duplicate key"),
    ("non-numeric number", "models.csv", set_field("total_params_b", "eight", 0), "total_params_b", 2, "not a number"),
    ("non-whole count", "gpu_prices.csv", set_field("gpus_per_instance", "1.5", 0), "gpus_per_instance", 2, "whole number"),
    ("share above 1", "ownership_inputs.csv", lambda h, r: (set_field("value", "1.5", 4)(h, r), set_field("value_high", "1.6", 4)(h, r)),
     "input_id, value, value_high", 6, "_share"),
    ("KV share above 1", "runtime_inputs.csv", set_where("input_id", "kv_held_output_share", {"value": "1.9", "value_high": "1.9"}),
     "input_id, value, value_high", line_where("runtime_inputs.csv", "input_id", "kv_held_output_share"), "_share"),
    ("zero multiplier", "throughput_calibration_multipliers.csv", set_field("multiplier", "0", 1), "multiplier", 3, "multiplier > 0"),
    ("measured row without its load", "throughput_measured.csv", set_field("load_kind", ""), "load_kind", 2, "required"),
    ("measured row without its dataset", "throughput_measured.csv", set_field("dataset", ""), "dataset", 2, "required"),
    ("unknown engine version", "throughput_measured.csv", set_field("engine_version", "0.0.99"), "engine_id, engine_version", 2,
     "not in table engine_versions"),
    ("percentile not accepted", "throughput_measured.csv", set_first_stated("ttft_limit_statistic", "p98"), "ttft_limit_statistic",
     line_first_stated("throughput_measured.csv", "ttft_limit_statistic"), "'mean', 'p50', 'p90', 'p95', 'p99'"),
    ("tokens/s of the wrong kind", "throughput_measured.csv", set_field("tokens_per_s_kind", "tokens-per-dollar"), "tokens_per_s_kind",
     2, "output-per-system"),
    ("empty required field", "sources.csv", set_field("title", "", 2), "title", 4, "required"),
    ("unknown source", "gpus.csv", set_field("source_id", "my-blog", 0), "source_id", 2, "unknown source"),
    ("bad enum", "gpu_prices.csv", set_field("pricing_mode", "monthly", 0), "pricing_mode", 2, "pricing_mode IN"),
    ("unknown column", "engines.csv", lambda h, r: (h.append("colour"), [x.append("red") for x in r]), "colour", 1, "unknown column"),
    ("alias to a missing provider model", "api_model_aliases.csv", set_field("provider_model_id", "gpt-4o-typo", 0),
     "provider, provider_model_id", 2, "not in table api_prices"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_file_stops_build_and_keeps_old_store(case, data_copy: Path, old_store: Path) -> None:
    _, name, change, field, line, words = case
    if callable(line):
        line = line(data_copy)
    edit_csv(data_copy / name, change)
    before = sha256(old_store)
    with pytest.raises(DataError) as info:
        store.build(old_store, data_copy)
    err = info.value
    assert err.file.endswith(name)
    assert err.line == line
    assert err.field == field
    message = str(err)
    assert words in message
    assert f"{name}, line {line}, field {field}:" in message
    assert sha256(old_store) == before
    assert sorted(p.name for p in old_store.parent.iterdir()) == [old_store.name]


def test_empty_file(data_copy: Path, old_store: Path) -> None:
    (data_copy / "gpus.csv").write_text("")
    before = sha256(old_store)
    with pytest.raises(DataError, match=r"gpus\.csv, line 1: file is empty"):
        store.build(old_store, data_copy)
    assert sha256(old_store) == before


def test_truncated_file_is_refused(data_copy: Path, old_store: Path) -> None:
    """A file cut mid-row fails on the short row; one cut at a row boundary fails the row minimum."""
    path = data_copy / "gpu_prices.csv"
    text = path.read_text()
    path.write_text(text[: text.index("\n", 200) + 30])  # header, a row or two, then half a row
    with pytest.raises(DataError, match=r"has \d+ fields, the header has 10"):
        store.build(old_store, data_copy)
    path.write_text("\n".join(text.splitlines()[:20]) + "\n")
    with pytest.raises(DataError, match="only 19 rows loaded, at least 60 expected"):
        store.build(old_store, data_copy)


def test_missing_file(data_copy: Path, old_store: Path) -> None:
    (data_copy / "engines.csv").unlink()
    with pytest.raises(DataError, match=r"engines\.csv: file not found"):
        store.build(old_store, data_copy)


def test_read_csv_records_keeps_line_numbers_across_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('a,b\n1,"two\nlines"\n\n3,4\n')
    records = read_csv_records(path)
    assert records.lines == [2, 5]
    assert records.rows == [["1", "two\nlines"], ["3", "4"]]
    assert isinstance(records, Records)


@pytest.mark.parametrize(
    "raw, dtype, expected",
    [("2.49", "DOUBLE", 2.49), ("8", "INTEGER", 8), ("8.0", "INTEGER", 8), ("2026-09-25", "DATE", None),
     ("TRUE", "BOOLEAN", True), ("no", "BOOLEAN", False), ("text", "VARCHAR", "text")],
)
def test_parse_accepts(raw: str, dtype: str, expected: object) -> None:
    value = _parse(raw, dtype)
    if dtype == "DATE":
        assert value.isoformat() == raw
    else:
        assert value == expected


@pytest.mark.parametrize("raw, dtype", [("nan", "DOUBLE"), ("inf", "DOUBLE"), ("1e", "DOUBLE"), ("2.5", "INTEGER"),
                                         ("maybe", "BOOLEAN"), ("2026-13-01", "DATE")])
def test_parse_refuses(raw: str, dtype: str) -> None:
    with pytest.raises(ValueError):
        _parse(raw, dtype)


def test_closest_prefers_substring_then_similarity() -> None:
    known = ["h100-sxm", "h100-pcie", "h200", "a100-80gb", "l4"]
    assert closest("h100", known)[:2] == ["h100-sxm", "h100-pcie"] or closest("h100", known)[:2] == ["h100-pcie", "h100-sxm"]
    assert "l4" not in closest("h100", known)
    assert closest("zzzz", known) == []
