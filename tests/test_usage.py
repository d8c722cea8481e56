"""Usage logs to workload: hand-computed profile, two ibis backends, formats, awkward logs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from costmodel import CostmodelError
from costmodel.outputs.cli import main
from costmodel.models.cost import HOURS_PER_MONTH
from costmodel.scenarios.usage import profile

T0 = dt.datetime(2026, 10, 1, 10, 0)


@pytest.fixture()
def log(tmp_path: Path) -> pl.DataFrame:
    """Five requests over two hours, deliberately out of time order, two models."""
    return pl.DataFrame({
        "timestamp": [T0 + dt.timedelta(minutes=m) for m in (90, 0, 30, 120, 45)],
        "model": ["a", "a", "b", "a", "b"],
        "input_tokens": [1000, 200, 400, 600, 800],
        "output_tokens": [100, 50, 150, 250, 50],
        "cached_input_tokens": [500, 0, None, 100, 0],
    })


def write(frame: pl.DataFrame, tmp: Path, fmt: str) -> Path:
    path = tmp / f"log.{fmt}"
    {"parquet": frame.write_parquet, "csv": frame.write_csv, "jsonl": frame.write_ndjson}[fmt](path)
    return path


@pytest.mark.parametrize("backend", [None, "polars://"], ids=["duckdb", "polars"])
@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_profile_by_hand(log: pl.DataFrame, tmp_path: Path, backend: str | None, fmt: str) -> None:
    profiles = {p.model: p for p in profile(write(log, tmp_path, fmt), backend=backend)}
    everything = profiles["all"]
    # 3,000 input + 600 output tokens over 2 hours (10:00 to 12:00)
    assert everything.requests == 5 and everything.hours_observed == 2
    assert everything.tokens_per_month == pytest.approx(3600 / 2 * HOURS_PER_MONTH)
    assert everything.input_share == pytest.approx(3000 / 3600)
    assert everything.cached_input_share == pytest.approx(600 / 3000)  # a missing cached count is 0
    assert everything.input_tokens_mean == pytest.approx(600)
    # hourly totals: 10h 1,650 (200+50, 400+150, 800+50), 11h 1,100, 12h 850; mean hour 3,600 / 2
    assert everything.peak_to_mean == pytest.approx(1650 / 1800)
    assert sum(everything.hourly_profile) == pytest.approx(1.0)
    assert everything.hourly_profile[10] == pytest.approx(1650 / 3600)
    assert profiles["a"].requests == 3 and profiles["b"].output_tokens_mean == pytest.approx(100)


def test_backends_agree_on_a_bigger_log(tmp_path: Path) -> None:
    n = 5000
    frame = pl.DataFrame({
        "ts": [T0 + dt.timedelta(seconds=(i * 7919) % (3 * 86400)) for i in range(n)],
        "llm": [f"m{i % 3}" for i in range(n)],
        "prompt": [(i * 31) % 2000 + 1 for i in range(n)], "completion": [(i * 17) % 500 + 1 for i in range(n)],
    })
    path = write(frame, tmp_path, "parquet")
    cols = {"timestamp": "ts", "model": "llm", "input_tokens": "prompt", "output_tokens": "completion"}
    a = profile(path, columns=cols)
    b = profile(path, columns=cols, backend="polars://")
    assert [p.model for p in a] == [p.model for p in b] == ["all", "m0", "m1", "m2"]
    for x, y in zip(a, b):
        for field in ("requests", "tokens_per_month", "input_share", "peak_to_mean", "input_tokens_mean", "output_tokens_mean"):
            assert getattr(x, field) == pytest.approx(getattr(y, field)), field
        assert x.input_tokens_p95 == pytest.approx(y.input_tokens_p95, rel=0.01)


def test_awkward_logs(log: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(CostmodelError, match=r"missing input_tokens \(column 'prompt_tokens'\)"):
        profile(write(log, tmp_path, "parquet"), columns={"input_tokens": "prompt_tokens"})
    broken = log.with_columns(pl.when(pl.col("model") == "b").then(None).otherwise(pl.col("output_tokens")).alias("output_tokens"))
    with pytest.raises(CostmodelError, match="2 of 5 rows have no input or output token count"):
        profile(write(broken, tmp_path, "parquet"))
    with pytest.raises(CostmodelError, match="has no rows"):
        profile(write(log.head(0), tmp_path, "parquet"))
    with pytest.raises(CostmodelError, match="unknown format '.xlsx'"):
        (tmp_path / "log.xlsx").write_text("x")
        profile(tmp_path / "log.xlsx")
    with pytest.raises(CostmodelError, match="not found"):
        profile(tmp_path / "nowhere.parquet")


def test_workload_feeds_crossover(log: pl.DataFrame, tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(log, tmp_path, "parquet")
    assert main(["workload", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["model"] == "all" and len(rows[0]["hourly_profile"]) == 24
    assert main(["crossover", "--model", "llama-3.1-8b", "--gpu", "h100", "--gpu-usd-per-hour", "2", "--output-tokens-per-s", "1000",
                 "--api-input-usd-per-mtok", "1", "--api-output-usd-per-mtok", "1", "--workload-from", str(path),
                 "--log-model", "a", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["assumptions"]["tokens_per_month"] == pytest.approx((1800 + 400) / 2 * HOURS_PER_MONTH)
    assert main(["crossover", "--model", "llama-3.1-8b", "--gpu", "h100", "--workload-from", str(path), "--log-model", "zz",
                 "--api", "together/llama-3.1-8b"]) == 1
    assert "has no model 'zz'; it has a, b" in capsys.readouterr().err
