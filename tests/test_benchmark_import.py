"""costmodel import benchmark: vLLM, GuideLLM and inference-perf result files as measured throughput rows.

The fixtures (tests/fixtures/benchmarks, see its README) are hand-written in the tools' own layouts;
every figure checked below is worked out by hand from their numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

import costmodel
from costmodel import DataError, store
from costmodel.models import calibration
from costmodel.scenarios.benchmark_import import DATASET, import_benchmark

from .conftest import DATA, sha256

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"
VLLM = FIXTURES / "vllm_bench_serve.json"
VLLM_APPEND = FIXTURES / "vllm_bench_serve_append.jsonl"
GUIDELLM = FIXTURES / "guidellm_report.json"
INFERENCE_PERF = FIXTURES / "inference_perf_summary.json"
CONSTANT_CONFIG = ("load:\n  type: constant\n  stages:\n  - rate: 8\n    duration: 60\n"
                   "server:\n  type: vllm\n  model_name: meta-llama/Meta-Llama-3-8B-Instruct\n  base_url: http://0.0.0.0:8000\n")

LLAMA_H100 = dict(model="meta-llama/Llama-3.1-8B-Instruct", gpu="H100", gpus=1, engine="vllm")
QWEN_A100 = dict(model="qwen-2.5-7b", gpu="A100-SXM4-80GB", gpus=1, engine="vllm")
LLAMA3_H100 = dict(model="llama-3-8b", gpu="h100-sxm", gpus=1, engine="vllm")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def rows(prefix: str) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM throughput_measured WHERE starts_with(measurement_id, ?) ORDER BY measurement_id",
                       [prefix]).to_dicts()


def write(tmp: Path, name: str, data: Any, *, indent: int | None = None) -> Path:
    path = tmp / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=indent))
    return path


def load(path: Path) -> Any:
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------------------------
# vLLM


def test_vllm_save_result_becomes_one_row(fresh: Path) -> None:
    report = import_benchmark(VLLM, **LLAMA_H100, precision="fp8")
    assert (report.kind, report.table, report.rows_read, report.rows_added, report.rows_already_present) == (
        "benchmark", "throughput_measured", 1, 1, 0)
    (row,) = rows(f"user-{digest(VLLM)}-")
    assert row["measurement_id"] == f"user-{digest(VLLM)}-1"
    assert row["publisher"] == "user-vllm-bench-serve"
    assert (row["model_id"], row["gpu_id"], row["gpu_count"], row["tensor_parallel"], row["engine_id"]) == (
        "llama-3.1-8b", "h100-sxm", 1, 1, "vllm")
    assert (row["weight_precision_id"], row["kv_precision_id"], row["precision_certain"]) == ("fp8", None, True)
    assert (row["engine_version"], row["settings"], row["dataset"]) == ("unstated", "unknown", DATASET)
    # --max-concurrency 16 -> a closed loop of 16, whatever the (infinite) request rate
    assert (row["load_kind"], row["concurrency"], row["request_rate_per_s"]) == ("fixed-concurrency", 16, None)
    assert row["input_tokens_mean"] == 65536 / 64 == 1024.0
    assert row["output_tokens_mean"] == 15872 / 64 == 248.0
    assert (row["num_prompts"], row["length_distribution"]) == (64, "dataset")
    assert (row["measured_ttft_ms"], row["measured_tpot_ms"], row["measured_latency_statistic"]) == (52.5, 7.8, "mean")
    assert (row["tokens_per_s"], row["tokens_per_s_kind"]) == (1984.0, "output-per-system")
    assert row["observed_on"] == dt.date(2026, 11, 15)  # the file's "date": "20261115-093012"
    assert row["source_id"] == f"user-benchmark-{digest(VLLM)}" and row["exclude_reason"] is None
    assert "vllm_bench_serve.json" in row["note"] and "vLLM >= 0.20" in row["note"] and "gpu=H100" in row["note"]
    source = store.query("SELECT * FROM sources WHERE source_id = ?", [row["source_id"]]).to_dicts()[0]
    assert source["title"] == "your benchmark: vllm_bench_serve.json"
    assert source["url_or_citation"] == str(VLLM.resolve()) and Path(source["url_or_citation"]).is_absolute()
    assert (source["licence"], source["retrieved_on"]) == ("your data", dt.date.today())
    assert "vLLM" in source["note"]
    assert len(report.files_written) == 2  # one CSV for the source row, one for the measurement


def test_vllm_append_result_gives_one_row_per_line(fresh: Path) -> None:
    report = import_benchmark(VLLM_APPEND, **LLAMA_H100, engine_version="0.10.0", tensor_parallel=1)
    assert (report.rows_read, report.rows_added) == (2, 2)
    first, second = rows(f"user-{digest(VLLM_APPEND)}-")
    assert first["measurement_id"].endswith("-1") and second["measurement_id"].endswith("-2")
    # line 1: request_rate 4.0, no max_concurrency -> open loop at 4 requests/s
    assert (first["load_kind"], first["request_rate_per_s"], first["concurrency"]) == ("request-rate", 4.0, None)
    assert first["tokens_per_s"] == 489.48 and "line 1" in first["note"]
    # line 2: request_rate "inf", no max_concurrency -> all 200 requests at once
    assert (second["load_kind"], second["request_rate_per_s"], second["concurrency"]) == ("offline", None, None)
    assert second["tokens_per_s"] == 2666.7 and second["measured_ttft_ms"] == 2400.0 and second["measured_tpot_ms"] == 28.0
    for row in (first, second):
        assert (row["input_tokens_mean"], row["output_tokens_mean"], row["num_prompts"]) == (102400 / 200, 25600 / 200, 200)
        assert row["engine_version"] == "0.10.0" and row["observed_on"] == dt.date(2026, 11, 16)
        # no --precision: the model's release precision, flagged as uncertain
        assert (row["weight_precision_id"], row["precision_certain"]) == ("bf16", False)
        assert row["publisher"] == "user-vllm-bench-serve-append"
        assert "vLLM 0.9-0.11" in row["note"]


def test_vllm_finite_rate_with_concurrency_keeps_both_and_detailed_lengths_say_fixed(fresh: Path) -> None:
    data = load(VLLM) | {"request_rate": 10.0, "input_lens": [1024] * 64, "output_lens": [248] * 64}
    path = write(fresh, "run.json", data)
    import_benchmark(path, **LLAMA_H100)
    (row,) = rows(f"user-{digest(path)}-")
    assert (row["load_kind"], row["concurrency"], row["request_rate_per_s"]) == ("fixed-concurrency", 16, 10.0)
    assert row["length_distribution"] == "fixed"  # --save-detailed lengths, all equal


def test_format_is_read_from_the_content_not_the_name(fresh: Path) -> None:
    path = write(fresh, "vllm-infqps-concurrency16.txt", GUIDELLM.read_text())
    report = import_benchmark(path, **QWEN_A100)
    assert report.rows_added == 2 and "GuideLLM 0.7.3" in rows(f"user-{digest(path)}-")[0]["note"]


# ---------------------------------------------------------------------------------------------
# GuideLLM


def test_guidellm_sweep_gives_one_row_per_benchmark(fresh: Path) -> None:
    report = import_benchmark(GUIDELLM, **QWEN_A100, observed_on=None)
    assert (report.rows_read, report.rows_added) == (2, 2)
    sync, thr = rows(f"user-{digest(GUIDELLM)}-")
    assert (sync["model_id"], sync["gpu_id"], sync["weight_precision_id"]) == ("qwen-2.5-7b", "a100-80gb", "bf16")
    # benchmarks[0]: synchronous -> one request at a time
    assert (sync["load_kind"], sync["concurrency"], sync["num_prompts"]) == ("single-stream", 1, 20)
    assert (sync["input_tokens_mean"], sync["output_tokens_mean"]) == (10240 / 20, 2560 / 20)
    assert sync["tokens_per_s"] == 72.7  # output_tokens_per_second.successful.mean
    # TPOT is inter_token_latency_ms (13.67), not time_per_output_token_ms (13.75, which includes the TTFT)
    assert (sync["measured_ttft_ms"], sync["measured_tpot_ms"]) == (24.0, 13.67)
    # benchmarks[1]: throughput -> offline; the figure is GuideLLM's mean rate, not 51200 tokens / 17.4 s
    assert (thr["load_kind"], thr["concurrency"], thr["request_rate_per_s"], thr["num_prompts"]) == ("offline", None, None, 400)
    assert (thr["tokens_per_s"], thr["measured_ttft_ms"], thr["measured_tpot_ms"]) == (2950.0, 1850.0, 38.5)
    assert (thr["input_tokens_mean"], thr["output_tokens_mean"]) == (204800 / 400, 51200 / 400)
    for row in (sync, thr):
        assert row["length_distribution"] == "fixed"  # every prompt 512 and every output 128 tokens (min == max)
        assert row["observed_on"] == dt.date(2026, 11, 20)  # start_time 1795168800 = 2026-11-20 10:00 UTC
        assert row["publisher"] == "user-guidellm-report" and "GuideLLM 0.7.3" in row["note"]
        assert row["tokens_per_s_kind"] == "output-per-system" and row["measured_latency_statistic"] == "mean"


@pytest.mark.parametrize(
    "strategy, load_kind, concurrency, rate",
    [({"type_": "concurrent", "worker_count": None, "max_concurrency": None, "streams": 8, "rampup_duration": 0.0},
      "fixed-concurrency", 8, None),
     ({"type_": "constant", "worker_count": None, "max_concurrency": None, "rate": 5.0}, "request-rate", None, 5.0),
     ({"type_": "poisson", "worker_count": None, "max_concurrency": None, "rate": 2.5, "random_seed": 42},
      "request-rate", None, 2.5),
     ({"type_": "throughput", "worker_count": None, "max_concurrency": 64, "rampup_duration": 0.0}, "offline", 64, None)],
)
def test_guidellm_strategies(fresh: Path, strategy: dict, load_kind: str, concurrency: int | None, rate: float | None) -> None:
    data = load(GUIDELLM)
    data["benchmarks"][1]["config"]["strategy"] = strategy
    path = write(fresh, "benchmarks.json", data)
    import_benchmark(path, **QWEN_A100, observed_on=dt.date(2026, 11, 21))
    row = rows(f"user-{digest(path)}-")[1]
    assert (row["load_kind"], row["concurrency"], row["request_rate_per_s"]) == (load_kind, concurrency, rate)
    assert row["observed_on"] == dt.date(2026, 11, 21)  # given: wins over the file's own date


# ---------------------------------------------------------------------------------------------
# inference-perf


def _inference_perf_run_folder(tmp: Path, config: str | None = CONSTANT_CONFIG, name: str = "summary_lifecycle_metrics.json",
                               data: Any = None) -> Path:
    folder = tmp / "reports-20261118-140000"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data if data is not None else load(INFERENCE_PERF), indent=2))
    if config is not None:
        (folder / "config.yaml").write_text(config)
    return path


def test_inference_perf_summary_with_its_config(fresh: Path) -> None:
    path = _inference_perf_run_folder(fresh)
    report = import_benchmark(path, **LLAMA3_H100)
    assert report.rows_added == 1
    (row,) = rows(f"user-{digest(path)}-")
    # config.yaml: load.type constant, one stage at 8 requests/s
    assert (row["load_kind"], row["request_rate_per_s"], row["concurrency"]) == ("request-rate", 8.0, None)
    assert row["input_tokens_mean"] == pytest.approx(98736 / 480) == 205.7  # prompt_tokens.total / successes.count
    assert row["output_tokens_mean"] == 57600 / 480 == 120.0
    assert row["num_prompts"] == 480  # the 2 failed requests are not counted
    # seconds in the file, ms in the store; TPOT is time_per_output_token, not inter_token_latency (median 41 us)
    assert row["measured_ttft_ms"] == pytest.approx(41.2) and row["measured_tpot_ms"] == pytest.approx(11.8)
    assert row["tokens_per_s"] == 940.8
    assert row["length_distribution"] == "dataset"  # prompts 188-231 tokens
    assert row["observed_on"] == dt.date.today()  # an inference-perf report carries no date
    assert "inference-perf, report layout of 0.6" in row["note"] and "2 failed" in row["note"]


@pytest.mark.parametrize(
    "load_summary, load_kind, concurrency, rate",
    [({"send_duration": 59.7, "requested_rate": 8.0, "achieved_rate": 8.03}, "request-rate", None, 8.0),
     ({"send_duration": 59.7, "requested_rate": 0.0, "achieved_rate": 7.9, "concurrency": 32}, "fixed-concurrency", 32, None)],
)
def test_inference_perf_stage_file_states_its_load(fresh: Path, load_summary: dict, load_kind: str,
                                                   concurrency: int | None, rate: float | None) -> None:
    data = load(INFERENCE_PERF)
    data["load_summary"].update(load_summary)
    path = _inference_perf_run_folder(fresh, config=None, name="stage_0_lifecycle_metrics.json", data=data)
    import_benchmark(path, **LLAMA3_H100)
    (row,) = rows(f"user-{digest(path)}-")
    assert (row["load_kind"], row["concurrency"], row["request_rate_per_s"]) == (load_kind, concurrency, rate)
    assert "stage 0" in row["note"]


def test_inference_perf_older_layout_uses_mean_lengths(fresh: Path) -> None:
    data = load(INFERENCE_PERF)
    for key in ("prompt_tokens", "output_tokens", "request_size_bytes", "image", "video", "audio", "token_count_mismatches"):
        del data["successes"][key]
    del data["benchmark_time_seconds"]
    data["load_summary"].update(requested_rate=8.0)
    path = _inference_perf_run_folder(fresh, config=None, name="stage_0_lifecycle_metrics.json", data=data)
    import_benchmark(path, **LLAMA3_H100)
    (row,) = rows(f"user-{digest(path)}-")
    assert (row["input_tokens_mean"], row["output_tokens_mean"]) == (205.7, 120.0)  # prompt_len.mean, output_len.mean
    assert "report layout of 0.2-0.4" in row["note"]


# ---------------------------------------------------------------------------------------------
# Idempotency, and what calibrate and the estimates make of an import


def test_same_file_twice_adds_nothing_and_survives_a_rebuild(fresh: Path) -> None:
    first = import_benchmark(GUIDELLM, **QWEN_A100)
    assert first.rows_added == 2
    second = import_benchmark(GUIDELLM, **QWEN_A100)
    assert (second.rows_added, second.rows_already_present, second.files_written) == (0, 2, [])
    count = lambda: store.query("SELECT count(*) AS n FROM throughput_measured WHERE starts_with(publisher, 'user-')")["n"][0]  # noqa: E731
    assert count() == 2
    # under another source id the rows are still the same rows: nothing added, not even a source row
    third = import_benchmark(GUIDELLM, **QWEN_A100, source_id="my-guidellm-sweep")
    assert (third.rows_added, third.files_written) == (0, [])
    assert store.query("SELECT count(*) AS n FROM sources WHERE source_id = 'my-guidellm-sweep'")["n"][0] == 0
    store.build(fresh / "s.duckdb", DATA, imports=fresh / "imports")  # the import files are loaded again
    assert count() == 2


def test_same_file_as_another_deployment_is_refused(fresh: Path) -> None:
    import_benchmark(VLLM, **LLAMA_H100, precision="fp8")
    before = sha256(fresh / "s.duckdb")
    with pytest.raises(DataError, match=r"field --gpu: this file was imported before as user-[0-9a-f]{12}-1 with gpu_id "
                                        r"'h100-sxm', now 'a100-80gb'") as info:
        import_benchmark(VLLM, **(LLAMA_H100 | {"gpu": "a100-80gb"}), precision="fp8")
    assert info.value.file == str(VLLM)
    assert sha256(fresh / "s.duckdb") == before


def test_given_source_id_and_kv_precision(fresh: Path) -> None:
    import_benchmark(VLLM, **LLAMA_H100, precision="fp8", kv_precision="fp8", source_id="our-h100-box-2026-11")
    (row,) = rows(f"user-{digest(VLLM)}-")
    assert (row["source_id"], row["kv_precision_id"], row["precision_certain"]) == ("our-h100-box-2026-11", "fp8", True)
    assert store.query("SELECT title FROM sources WHERE source_id = 'our-h100-box-2026-11'")["title"].to_list() == [
        "your benchmark: vllm_bench_serve.json"]


def test_calibrate_sets_the_imported_rows_up(fresh: Path) -> None:
    import_benchmark(VLLM, **LLAMA_H100, precision="fp8")
    import_benchmark(GUIDELLM, **QWEN_A100)
    setups = {s.measurement_id: s for s in calibration.setup_rows()}
    ids = [r["measurement_id"] for r in rows("user-")]
    assert len(ids) == 3 and all(i in setups for i in ids)
    vllm_setup = setups[f"user-{digest(VLLM)}-1"]
    assert (vllm_setup.load_kind, vllm_setup.concurrency_per_replica, vllm_setup.measured_tokens_per_s) == ("fixed-concurrency", 16, 1984.0)


def test_estimate_of_the_same_deployment_is_anchored_on_the_import(fresh: Path) -> None:
    ask = dict(precision="fp8", engine="vllm", input_tokens=1024, output_tokens=248, concurrency=16)
    assert costmodel.throughput("llama-3.1-8b", "h100-sxm", 1, **ask).anchored_on is None
    import_benchmark(VLLM, **LLAMA_H100, precision="fp8")
    est = costmodel.throughput("llama-3.1-8b", "h100-sxm", 1, **ask)
    assert est.anchored_on == f"user-{digest(VLLM)}-1"
    assert est.output_tokens_per_s == pytest.approx(1984.0)  # same lengths and concurrency: the measurement itself
    # another precision is another deployment: not anchored
    assert costmodel.throughput("llama-3.1-8b", "h100-sxm", 1, **(ask | {"precision": "bf16"})).anchored_on is None


# ---------------------------------------------------------------------------------------------
# Bad input: one DataError naming the file and what is wrong; the store and the imports folder untouched


def _vllm_edit(**changes: Any) -> Any:
    data = load(VLLM)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


def _guidellm_edit(edit) -> Any:
    data = load(GUIDELLM)
    edit(data)
    return data


def _ip_without(*paths: str) -> Any:
    """The inference-perf fixture as a stage file (it states its rate) without some fields."""
    data = load(INFERENCE_PERF)
    for path in paths:
        *parents, last = path.split(".")
        node = data
        for p in parents:
            node = node[p]
        del node[last]
    data["load_summary"]["requested_rate"] = 8.0
    return data


BAD_FILES = [
    ("truncated.json", None, r"truncated\.json, line 1: not valid JSON \(.*truncated\?\)"),
    ("other_format.json", None, r"PyTorch OSS benchmark records .*accepted: vLLM .*GuideLLM .*inference-perf"),
    ("config.json", {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 32},
     r"line 1: a JSON object of none of the three benchmark formats; accepted: vLLM `vllm bench serve --save-result`"),
    ("list.json", [1, 2, 3], r"a JSON list of none of the three benchmark formats"),
    ("empty.json", "", r"line 1: file is empty"),
    ("zero.json", _vllm_edit(completed=0), r"field completed: 0 completed requests"),
    ("no_throughput.json", _vllm_edit(output_throughput=...), r"field output_throughput: missing"),
    ("no_tokens.json", _vllm_edit(total_output_tokens=...), r"field total_output_tokens: missing"),
    ("negative.json", _vllm_edit(total_input_tokens=-65536), r"field total_input_tokens: -65536 is negative"),
    ("text.json", _vllm_edit(output_throughput="fast"), r"field output_throughput: 'fast' is not a number"),
    ("bool.json", _vllm_edit(completed=True), r"field completed: True is not a number"),
    ("bad_rate.json", _vllm_edit(max_concurrency=None, request_rate="soon"), r"field request_rate: 'soon' is not a number"),
    ("bad_date.json", _vllm_edit(date="yesterday"), r"field date: 'yesterday' is not a date of the form YYYYmmdd-HHMMSS"),
    ("ramp.json", _vllm_edit(ramp_up_strategy="linear"), r"field ramp_up_strategy: 'linear': a ramp-up run"),
    ("g_zero.json", _guidellm_edit(lambda d: d["benchmarks"][1]["metrics"]["request_totals"].update(successful=0)),
     r"field benchmarks\[1\]\.metrics\.request_totals\.successful: 0 completed requests"),
    ("g_no_rate.json", _guidellm_edit(lambda d: d["benchmarks"][0]["metrics"].pop("output_tokens_per_second")),
     r"field benchmarks\[0\]\.metrics\.output_tokens_per_second\.successful\.mean: missing"),
    ("g_no_tokens.json", _guidellm_edit(lambda d: d["benchmarks"][0]["metrics"].pop("prompt_token_count")),
     r"field benchmarks\[0\]\.metrics\.prompt_token_count\.successful\.total_sum: missing"),
    ("g_negative.json", _guidellm_edit(lambda d: d["benchmarks"][1]["metrics"]["time_to_first_token_ms"]["successful"].update(mean=-3.0)),
     r"field benchmarks\[1\]\.metrics\.time_to_first_token_ms\.successful\.mean: -3\.0 is negative"),
    ("g_trace.json", _guidellm_edit(lambda d: d["benchmarks"][1]["config"].update(strategy={"type_": "trace", "time_scale": 1.0})),
     r"field benchmarks\[1\]\.config\.strategy\.type_: 'trace': a replayed trace"),
    ("g_empty.json", _guidellm_edit(lambda d: d.update(benchmarks=[])), r"field benchmarks: is empty"),
    ("stage_0_lifecycle_metrics.json", _ip_without("successes.throughput.output_tokens_per_sec"),
     r"field successes\.throughput\.output_tokens_per_sec: missing"),
    ("stage_1_lifecycle_metrics.json", _ip_without("successes.output_tokens", "successes.output_len"),
     r"field successes\.output_len\.mean: missing"),
]


@pytest.mark.parametrize("name, content, words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_stop_with_one_error_and_change_nothing(fresh: Path, name: str, content: Any, words: str) -> None:
    path = FIXTURES / name if content is None else write(fresh, name, content)
    kwargs = LLAMA3_H100 if name.startswith("stage_") else QWEN_A100 if name.startswith("g_") else LLAMA_H100
    before = sha256(fresh / "s.duckdb")
    with pytest.raises(DataError) as info:
        import_benchmark(path, **kwargs)
    assert re.search(words, str(info.value)), str(info.value)
    assert str(info.value).startswith(str(path)) and info.value.file == str(path)
    assert sha256(fresh / "s.duckdb") == before and not (fresh / "imports").exists()
    assert rows("user-") == []


def test_truncated_json_lines_name_the_line(fresh: Path) -> None:
    text = VLLM_APPEND.read_text()
    path = write(fresh, "runs.jsonl", text[: len(text) - 60])
    with pytest.raises(DataError, match=r"runs\.jsonl, line 2: not valid JSON .*one object per line"):
        import_benchmark(path, **LLAMA_H100)
    path = write(fresh, "mixed.jsonl", text + json.dumps({"benchmarks": []}) + "\n")
    with pytest.raises(DataError, match=r"mixed\.jsonl, line 3: JSON lines are read as vLLM --append-result runs"):
        import_benchmark(path, **LLAMA_H100)
    assert rows("user-") == [] and not (fresh / "imports").exists()


def test_not_utf8_folder_and_missing_file(fresh: Path) -> None:
    before = sha256(fresh / "s.duckdb")
    path = fresh / "latin1.json"
    path.write_bytes(VLLM.read_bytes().replace(b'"openai-chat"', b'"openai-\xe9chat"', 1))
    with pytest.raises(DataError, match=r"latin1\.json, line 1: is not UTF-8 text \(byte 0xe9 at offset \d+\)"):
        import_benchmark(path, **LLAMA_H100)
    with pytest.raises(DataError, match=r"benchmarks: is a folder, not a file"):
        import_benchmark(FIXTURES, **LLAMA_H100)
    with pytest.raises(DataError, match=r"nothing\.json: file not found"):
        import_benchmark(fresh / "nothing.json", **LLAMA_H100)
    assert sha256(fresh / "s.duckdb") == before and not (fresh / "imports").exists()


def test_summary_without_a_load_point(fresh: Path) -> None:
    before = sha256(fresh / "s.duckdb")
    with pytest.raises(DataError, match=r"inference_perf_summary\.json, line 3, field load_summary: states no load point .*"
                                        r"import the stage_<i>_lifecycle_metrics\.json files"):
        import_benchmark(INFERENCE_PERF, **LLAMA3_H100)
    sweep = CONSTANT_CONFIG.replace("  - rate: 8\n    duration: 60\n", "  - rate: 4\n    duration: 60\n  - rate: 8\n    duration: 60\n")
    path = _inference_perf_run_folder(fresh, config=sweep)
    with pytest.raises(DataError, match=r"config\.yaml, field load\.stages: 2 stages: the summary mixes the load points"):
        import_benchmark(path, **LLAMA3_H100)
    path = _inference_perf_run_folder(fresh, config=CONSTANT_CONFIG.replace("type: constant", "type: trace_replay"))
    with pytest.raises(DataError, match=r"field load\.type: 'trace_replay'"):
        import_benchmark(path, **LLAMA3_H100)
    path = _inference_perf_run_folder(fresh, config="load: [unclosed\n")
    with pytest.raises(DataError, match=r"config\.yaml, line \d+: not valid YAML"):
        import_benchmark(path, **LLAMA3_H100)
    assert sha256(fresh / "s.duckdb") == before and not (fresh / "imports").exists()


@pytest.mark.parametrize(
    "changes, words",
    [({"model": "llama-9-zillion"}, r"field --model: unknown model 'llama-9-zillion'"),
     ({"gpu": "h900"}, r"field --gpu: unknown GPU 'h900'; closest known"),
     ({"engine": "vllmx"}, r"field --engine: unknown engine 'vllmx'"),
     ({"precision": "fp7"}, r"field --precision: unknown precision 'fp7'"),
     ({"kv_precision": "fp7"}, r"field --kv-precision: unknown precision 'fp7'"),
     ({"engine_version": "9.9.9"}, r"field --engine-version: unknown vllm version '9.9.9'"),
     ({"gpus": 0}, r"field --gpus: 0 is not a positive whole number"),
     ({"gpus": 4, "tensor_parallel": 3}, r"field --tensor-parallel: 3 does not divide the 4 GPUs"),
     ({"source_id": "My Run"}, r"field --source-id: 'My Run'"),
     ({"model": "qwen-2.5-7b"}, r"field model_id: the file benchmarked 'meta-llama/Llama-3.1-8B-Instruct' \(llama-3.1-8b\), "
                                r"not --model qwen-2.5-7b"),
     ({"model": "llama-3.1-70b"}, r"field model_id: the file benchmarked"),
     ],
)
def test_bad_deployment_arguments(fresh: Path, changes: dict, words: str) -> None:
    before = sha256(fresh / "s.duckdb")
    with pytest.raises(DataError, match=words) as info:
        import_benchmark(VLLM, **(LLAMA_H100 | changes))
    assert info.value.file == str(VLLM)
    assert sha256(fresh / "s.duckdb") == before and not (fresh / "imports").exists()


def test_a_run_the_model_cannot_set_up_is_refused(fresh: Path) -> None:
    """70B in BF16 (about 141 GB of weights) on one 80 GB H100: calibrate could not use the row, so it is not imported."""
    data = load(INFERENCE_PERF)
    data["load_summary"].update(requested_rate=8.0)
    path = _inference_perf_run_folder(fresh, config=None, name="stage_0_lifecycle_metrics.json", data=data)
    before = sha256(fresh / "s.duckdb")
    with pytest.raises(DataError, match=r"field --gpus: run 1: the throughput model cannot set this run up \(.*does not fit"):
        import_benchmark(path, model="llama-3.1-70b", gpu="h100", gpus=1, engine="vllm", precision="bf16")
    assert sha256(fresh / "s.duckdb") == before and not (fresh / "imports").exists()
