"""The calibration corpus, leave-one-source-out validation, and `costmodel calibrate` on a private copy.

One full calibration (a pooled fit, then one refit per publisher without that publisher's rows)
runs once for the module on a copy of data/ with a user's benchmark imported: the checkout is
never written. Accuracy is judged out of sample, on leave-one-source-out residuals.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from costmodel.store import paths as _paths
from costmodel import store
from costmodel.models.calibration import FIT_PARAMETERS, calibrate, max_efficiency
from costmodel.models.fitted import stored_fit
from costmodel.outputs.cli import main

from .conftest import DATA

FIXTURE_BENCH = Path(__file__).parent / "fixtures" / "benchmarks" / "vllm_bench_serve.json"

# Regression guards on the leave-one-source-out figures (the targets are 15% and 5%; see the
# README's validation section for where the model stands against them).
MAX_MEDIAN_ABS_ERROR_PCT = 20.0
MAX_SHARE_BEYOND_50 = 0.21
BAND_COVERAGE = (0.80, 0.95)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory):
    """calibrate() on a private data copy with one imported benchmark run; yields (tmp, summary, written, digests)."""
    from costmodel.scenarios.benchmark_import import import_benchmark

    tmp = tmp_path_factory.mktemp("calibrate")
    data = tmp / "data"
    data.mkdir()
    for f in DATA.glob("*.csv"):
        shutil.copy(f, data / f.name)
    env = {_paths.ENV_DB: str(tmp / "s.duckdb"), _paths.ENV_DATA_DIR: str(data), "COSTMODEL_IMPORTS_DIR": str(data / "imports")}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    store.build(tmp / "s.duckdb", data, imports=data / "imports")
    import_benchmark(FIXTURE_BENCH, model="llama-3.1-8b", gpu="h100", gpus=1, engine="vllm", precision="fp8",
                     db_path=tmp / "s.duckdb")
    before = _digest(data)
    try:
        pooled, summary, written = calibrate(data_dir=data, db_path=tmp / "s.duckdb")
    finally:
        mp.undo()  # the other tests see the checkout's store again, without this private refit
    yield tmp, pooled, summary, written, before


def test_corpus_looks_like_real_deployments(db: Path) -> None:
    rows = store.query(
        "SELECT t.*, g.vendor, g.device_class, m.family FROM throughput_measured t JOIN gpus g USING (gpu_id) "
        "JOIN models m USING (model_id) WHERE exclude_reason IS NULL")
    assert rows.height >= 300 and rows["publisher"].n_unique() >= 15
    by_engine = dict(rows.group_by("engine_id").len().iter_rows())
    assert by_engine["vllm"] >= 80 and by_engine["sglang"] >= 30 and by_engine["llama.cpp"] >= 30
    vllm = rows.filter(pl.col("engine_id") == "vllm")
    assert vllm["engine_version"].n_unique() >= 5 and (vllm["settings"] == "default").sum() >= 20
    cpp = rows.filter(pl.col("engine_id") == "llama.cpp")
    assert {"rtx-3090", "rtx-4090"} <= set(cpp["gpu_id"]) and (cpp["device_class"] == "datacenter").any()
    amd = rows.filter(pl.col("vendor") == "AMD")
    assert amd.height >= 30 and set(amd["engine_id"]) & {"vllm", "sglang"}
    assert amd.filter(~pl.col("publisher").str.starts_with("amd"))["publisher"].n_unique() >= 3  # not only AMD's own
    assert rows.filter(pl.col("load_kind") == "latency-limited").height >= 50
    assert rows.filter(pl.col("ttft_limit_statistic") == "p99").height >= 20
    models = set(rows["model_id"])
    assert {"gpt-oss-120b", "qwen3-235b-a22b", "deepseek-r1", "llama-4-maverick"} <= models


def test_unknown_conditions_stay_unknown(db: Path) -> None:
    """An unstated condition is empty, never guessed: rows without a stated KV precision leave it empty."""
    rows = store.query("SELECT kv_precision_id, engine_version, note FROM throughput_measured")
    assert rows["kv_precision_id"].null_count() > 100
    assert (rows["engine_version"] == "unstated").sum() > 20


def test_leave_one_source_out_figures(calibrated) -> None:
    _, _, summary, _, _ = calibrated
    assert summary["rows"] >= 300 and summary["sources"] >= 15
    assert summary["median_abs_error_pct"] <= MAX_MEDIAN_ABS_ERROR_PCT
    assert summary["share_beyond_50_pct"] <= MAX_SHARE_BEYOND_50
    low, high = BAND_COVERAGE
    assert low <= summary["band_coverage_share"] <= high
    # the plain roofline is far worse: the calibration earns its keep out of sample
    assert summary["roofline_median_abs_error_pct"] > 2 * summary["median_abs_error_pct"]


def test_no_fitted_efficiency_exceeds_one(calibrated) -> None:
    tmp, pooled, _, _, _ = calibrated
    for p in FIT_PARAMETERS:
        if p.scale == +1:
            assert 0 < pooled[p.name] <= 1.0, p.name
    assert max_efficiency(stored_fit(db_path=tmp / "s.duckdb")) <= 1.0


def test_calibrate_leaves_the_data_files_alone(calibrated) -> None:
    tmp, _, _, written, before = calibrated
    assert _digest(tmp / "data") == before
    assert all("imports" in str(p) for p in written) and all(p.exists() for p in written)


def test_calibrate_fits_your_own_runs_too(calibrated) -> None:
    tmp, _, summary, written, _ = calibrated
    validation = next(p for p in written if "throughput_validation" in str(p))
    user = [r for r in csv.DictReader(validation.open()) if r["measurement_id"].startswith("user-")]
    # the imported run is a source of its own: predicted by a fit that never saw it
    assert len(user) == 1 and float(user[0]["predicted_tokens_per_s"]) > 0
    # the refit is the calibration in force for that store
    assert store.query("SELECT fit_id FROM throughput_calibration ORDER BY fitted_on DESC, fit_id DESC LIMIT 1",
                       db_path=tmp / "s.duckdb")["fit_id"][0].startswith("user-")


def test_shipped_calibration_matches_a_refit(calibrated) -> None:
    """The committed calibration is what `calibrate --write-data` gives on the committed rows (one
    imported run aside): the saved leave-one-source-out predictions agree with a fresh refit's. A
    stale file (rows or model changed, calibration not rerun) fails here."""
    _, _, _, written, _ = calibrated
    fresh = pl.read_csv(next(p for p in written if "throughput_validation" in str(p)))
    shipped = pl.read_csv(DATA / "throughput_validation.csv")
    both = shipped.join(fresh, on="measurement_id", suffix="_fresh")
    assert both.height == shipped.height  # every shipped row predicted again
    ratio = (both["predicted_tokens_per_s_fresh"] / both["predicted_tokens_per_s"] - 1).abs()
    assert ratio.median() <= 0.03 and ratio.quantile(0.9) <= 0.15


def test_validate_json_on_a_few_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for f in DATA.glob("*.csv"):
        shutil.copy(f, data / f.name)
    keep = ("mlperf-v5.1-dell", "nvidia-trtllm-docs-1.0", "xiongjie-dai", "vllm-team-blog.vllm.ai")
    measured = pl.read_csv(data / "throughput_measured.csv", infer_schema_length=0)
    # usable rows of four publishers; the excluded rows stay (they are never fitted, and the store expects a full file)
    kept = measured.filter(pl.col("publisher").is_in(keep) | pl.col("exclude_reason").is_not_null())
    kept.write_csv(data / "throughput_measured.csv")
    saved = pl.read_csv(data / "throughput_validation.csv", infer_schema_length=0)  # saved predictions of the rows kept
    saved.filter(pl.col("measurement_id").is_in(kept["measurement_id"].to_list())).write_csv(data / "throughput_validation.csv")
    monkeypatch.setenv(_paths.ENV_DB, str(tmp_path / "s.duckdb"))
    monkeypatch.setenv(_paths.ENV_DATA_DIR, str(data))
    monkeypatch.setenv("COSTMODEL_IMPORTS_DIR", str(tmp_path / "imports"))
    assert main(["validate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    loso = out["leave_one_source_out"]
    for key in ("median_abs_error_pct", "max_abs_error_pct", "band_coverage_share", "rows", "sources"):
        assert key in loso
    assert loso["sources"] == len(keep)
    assert set(out["breakdowns"]) == {"engine", "gpu_vendor", "model_family", "run_kind"}
    assert len(out["rows"]) == loso["rows"]


def test_held_out_trtllm_cells(db: Path) -> None:
    """Out of sample: 136 cells of the TensorRT-LLM 1.0 performance tables that are not in the corpus
    (other input/output lengths of the same model-GPU columns; 2 of them match a devguide row).
    Measured when this calibration was committed: median |error| 15.0%, largest 66%, 95% inside the
    band, mean -4%. Guards: median <= 18%, largest <= 70%, band >= 80% (the issue asks >= 80%)."""
    import statistics

    from costmodel import throughput

    errors, inside = [], 0
    with (Path(__file__).parent / "fixtures" / "trtllm_1_0_holdout.csv").open() as fh:
        cells = list(csv.DictReader(fh))
    for c in cells:
        moe = c["model_id"].startswith(("llama-4", "qwen3"))
        gpus = int(c["gpus"])
        precision = {"fp4": "nvfp4"}.get(c["precision_id"], c["precision_id"])  # TensorRT-LLM's FP4 is NVFP4
        est = throughput(c["model_id"], c["gpu_id"], gpus, precision=precision, engine="tensorrt-llm",
                         input_tokens=int(c["input_tokens"]), output_tokens=int(c["output_tokens"]),
                         tensor_parallel=int(c["tensor_parallel"]), attention_dp=True if moe and gpus > 1 else None)
        measured = float(c["output_tokens_per_s"])
        errors.append(abs(est.output_tokens_per_s / measured - 1))
        inside += est.output_tokens_per_s_low <= measured <= est.output_tokens_per_s_high
    assert len(cells) == 136
    assert statistics.median(errors) <= 0.18
    assert max(errors) <= 0.70
    assert inside / len(cells) >= 0.80


def test_no_refusal_of_a_run_that_was_made(db: Path) -> None:
    """Every usable measured run, asked of throughput() with the conditions its source states (GPUs,
    layout, precision, engine release, lengths, concurrency, latency limits), gets an estimate."""
    from costmodel import CostmodelError, throughput

    rows = store.query(
        "SELECT t.*, coalesce(t.input_tokens_mean, d.input_tokens_mean) AS inp, coalesce(t.output_tokens_mean, d.output_tokens_mean) AS out "
        "FROM throughput_measured t JOIN benchmark_datasets d USING (dataset) WHERE exclude_reason IS NULL").to_dicts()
    refused = []
    for r in rows:
        kw: dict = dict(precision=r["weight_precision_id"], kv_precision=r["kv_precision_id"], engine=r["engine_id"],
                        input_tokens=max(round(r["inp"]), 1), output_tokens=max(round(r["out"]), 1))
        if r["engine_version"] != "unstated":
            kw["engine_version"] = r["engine_version"]
        if r["load_kind"] in ("single-stream", "llama-bench"):
            kw["concurrency"] = 1
        elif r["concurrency"]:
            kw["concurrency"] = r["concurrency"]
        if r["pipeline_parallel"]:
            kw["pipeline_parallel"] = r["pipeline_parallel"]
            kw["tensor_parallel"] = r["tensor_parallel"] or r["gpu_count"] // r["pipeline_parallel"]
        elif r["tensor_parallel"]:
            kw["tensor_parallel"] = r["tensor_parallel"]
        for limit in ("ttft", "tpot"):
            if r[f"{limit}_limit_ms"] and "concurrency" not in kw:
                kw[f"{limit}_ms"] = r[f"{limit}_limit_ms"]
                kw[f"{limit}_statistic"] = r[f"{limit}_limit_statistic"] or "mean"
        try:
            est = throughput(r["model_id"], r["gpu_id"], r["gpu_count"], **kw)
            assert est.output_tokens_per_s > 0
        except CostmodelError as exc:
            refused.append(f"{r['measurement_id']}: {exc}")
    assert len(rows) >= 800
    assert refused == []


def test_readme_validation_tables_are_current(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (DATA.parent / "README.md").read_text()
    committed = readme.split("<!-- validation:begin -->\n", 1)[1].split("<!-- validation:end -->", 1)[0]
    assert main(["validate", "--saved", "--markdown"]) == 0
    assert committed.rstrip() == capsys.readouterr().out.rstrip(), \
        "paste `costmodel validate --saved --markdown` into the README's validation section"
