"""The same ibis code profiles a request log on Spark (the ibis PySpark backend, local mode) as on DuckDB.

Counts must be equal exactly; means, shares and p95s to a relative 1e-9. The p95s are computed by
costmodel from exact per-length counts on every backend, so no backend's own percentile algorithm
(Spark's percentile_approx, DuckDB's quantile_cont) is involved; they are also checked against
DuckDB's quantile_cont run directly. Skips, saying why, only when pyspark or Java is missing (CI
installs both). One small Spark session (local[1], no UI, one shuffle partition) serves the module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from costmodel.outputs.cli import main
from costmodel.scenarios.usage import profile

REQUIRED = os.environ.get("COSTMODEL_REQUIRE_SPARK") == "1"
"""Set by .ci/run: CI must run this test, so a missing pyspark or Java fails it instead of skipping it."""
if REQUIRED:
    import pyspark  # noqa: F401  (an ImportError here fails CI: the dev extra must bring pyspark)

    assert shutil.which("java") or os.environ.get("JAVA_HOME"), "CI needs a Java runtime for the Spark test (.ci/run installs one)"
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'costmodel[spark]')")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java runtime (java not on PATH, JAVA_HOME unset): Spark cannot start", allow_module_level=True)

T0 = dt.datetime(2026, 10, 1, 0, 0)
FIELDS = ("tokens_per_month", "input_share", "cached_input_share", "input_tokens_mean", "input_tokens_p95",
          "output_tokens_mean", "output_tokens_p95", "peak_to_mean")


@pytest.fixture(scope="module")
def spark():
    import ibis
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("costmodel-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "512m").getOrCreate())
    yield ibis.pyspark.connect(session)
    session.stop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """3,000 requests over three days for three models, out of time order, some cached counts missing."""
    n = 3000
    frame = pl.DataFrame({
        "timestamp": [T0 + dt.timedelta(seconds=(i * 7919) % (3 * 86400)) for i in range(n)],
        "model": [f"m{i % 3}" for i in range(n)],
        "input_tokens": [(i * 31) % 2000 + 1 for i in range(n)],
        "output_tokens": [(i * 17) % 500 + 1 for i in range(n)],
        "cached_input_tokens": [None if i % 7 == 0 else ((i * 31) % 2000 + 1) // (i % 4 + 1) for i in range(n)],
    })
    folder = tmp_path_factory.mktemp("spark-logs")
    paths = {"parquet": folder / "log.parquet", "csv": folder / "log.csv", "jsonl": folder / "log.jsonl"}
    frame.write_parquet(paths["parquet"])
    frame.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%d %H:%M:%S")).write_csv(paths["csv"])
    frame.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_ndjson(paths["jsonl"])
    return paths


def assert_same(spark_profiles, duckdb_profiles) -> None:
    assert [p.model for p in spark_profiles] == [p.model for p in duckdb_profiles] == ["all", "m0", "m1", "m2"]
    for s, d in zip(spark_profiles, duckdb_profiles):
        assert s.requests == d.requests and s.hours_observed == d.hours_observed
        for field in FIELDS:
            assert getattr(s, field) == pytest.approx(getattr(d, field), rel=1e-9, abs=0), (s.model, field)
        assert s.hourly_profile == pytest.approx(d.hourly_profile, rel=1e-9, abs=0)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_spark_equals_duckdb(spark, logs: dict[str, Path], fmt: str) -> None:
    on_spark = profile(logs[fmt], backend=spark)
    on_duckdb = profile(logs[fmt])
    assert on_spark[0].requests == 3000 and sum(p.requests for p in on_spark[1:]) == 3000
    assert_same(on_spark, on_duckdb)


def test_percentiles_match_duckdbs_quantile_cont(spark, logs: dict[str, Path]) -> None:
    import duckdb

    on_spark = {p.model: p for p in profile(logs["parquet"], backend=spark)}
    sql = ("SELECT coalesce(model, 'all'), quantile_cont(input_tokens, 0.95), quantile_cont(output_tokens, 0.95), "
           f"sum(coalesce(cached_input_tokens, 0)) / sum(input_tokens) FROM read_parquet('{logs['parquet']}') "
           "GROUP BY GROUPING SETS ((model), ())")
    for model, p95_in, p95_out, cached in duckdb.sql(sql).fetchall():
        assert on_spark[model].input_tokens_p95 == pytest.approx(p95_in, rel=1e-9)
        assert on_spark[model].output_tokens_p95 == pytest.approx(p95_out, rel=1e-9)
        assert on_spark[model].cached_input_share == pytest.approx(cached, rel=1e-9)


def test_spark_table_and_url(spark, logs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A table already in Spark (--table), and the pyspark:// URL of the CLI (it joins the running session)."""
    spark._session.read.parquet(str(logs["parquet"])).createOrReplaceTempView("requests")
    assert_same(profile(table="requests", backend=spark), profile(logs["parquet"]))
    url = "pyspark://?spark.master=local[1]&spark.ui.enabled=false&spark.sql.shuffle.partitions=1"
    assert main(["workload", "--backend", url, "--table", "requests", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["requests"] for r in rows] == [p.requests for p in profile(logs["parquet"])]


def test_bad_rows_on_spark(spark, tmp_path: Path) -> None:
    from costmodel import CostmodelError

    path = tmp_path / "log.csv"
    path.write_text("timestamp,model,input_tokens,output_tokens\n2026-01-13 10:00:00,a,100,10\n2026-01-13 11:00:00,a,-5,10\n")
    with pytest.raises(CostmodelError, match=r"log\.csv, line 3, column input_tokens: -5 is negative \(1 of 2 rows\); token counts"):
        profile(path, backend=spark)
    path = tmp_path / "log.jsonl"
    good = json.dumps({"timestamp": "2026-01-13T10:00:00", "model": "a", "input_tokens": 1, "output_tokens": 1})
    path.write_text(good + "\n" + good[:-5] + "\n")
    with pytest.raises(CostmodelError, match=r"log\.jsonl, line 2: malformed JSON .*one JSON object per line"):
        profile(path, backend=spark)
