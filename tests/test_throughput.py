"""Throughput model: pure step-time functions by hand, the calibrated estimate, validation targets."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from costmodel import CostmodelError, UnknownIdError, throughput
from costmodel.calibration import validate
from costmodel.cli import main
from costmodel.throughput import (
    ROOFLINE,
    Efficiency,
    Replica,
    activation_bytes_per_token,
    activation_seconds,
    allreduce_seconds,
    build_replica,
    decode_step_parts,
    decode_step_seconds,
    kv_replication,
    token_budget_batch,
    expert_gemm_efficiency,
    moe_bytes_read,
    prefill_seconds,
    replica_rate,
)

from .conftest import DATA


def toy(**kw) -> Replica:
    """A dense 10 GB / 5 GFLOP-per-token model on a 1 TB/s, 100 TFLOP/s GPU; KV 1 MB per sequence."""
    base = dict(
        tp=1, weight_bytes=10e9, routed_expert_bytes=0.0, expert_pick_share=0.0, kv_bytes_per_seq=lambda ctx: 1e6,
        flops_per_token=5e9, routed_flops_per_token=0.0, attention_flops_per_token_layer_context=0.0,
        full_attention_layers=0, window_layers=0, window_tokens=math.inf, hidden_size=4096, num_layers=32,
        bandwidth_bytes_per_s=1e12, peak_flops=100e12, attention_peak_flops=100e12, link_bytes_per_s=450e9,
    )
    base.update(kw)
    return Replica(**base)


def test_decode_step_is_the_slower_of_memory_and_compute() -> None:
    r = toy()
    # batch 1: read 10 GB + 1 MB at 1 TB/s = 10.001 ms; compute 5 GFLOP at 100 TFLOP/s = 0.05 ms
    assert decode_step_seconds(r, 1, 100, ROOFLINE) == pytest.approx(10.001e-3)
    # batch 1000: matmuls compute-bound (5 TFLOP -> 50 ms beside 10 ms of weights), then the
    # attention phase reads 1000 x 1 MB of KV cache (1 ms): the phases add up to 51 ms
    assert decode_step_seconds(r, 1000, 100, ROOFLINE) == pytest.approx(51e-3)
    eff = Efficiency(0.5, 0.5, 2.0)
    assert decode_step_seconds(r, 1, 100, eff) == pytest.approx(20.002e-3 + 2e-3)


def test_kv_reads_do_not_hide_behind_compute_bound_matmuls() -> None:
    r = toy(kv_bytes_per_seq=lambda ctx: 100e6)  # 100 MB of KV cache per sequence
    parts = decode_step_parts(r, 1000, 100, ROOFLINE)
    assert parts.weights_memory_s == pytest.approx(10e-3) and parts.matmul_compute_s == pytest.approx(50e-3)
    assert parts.kv_memory_s == pytest.approx(100e-3) and parts.attention_compute_s == 0.0
    # one max over everything would give max(110, 50) = 110 ms; the phases run one after the other
    assert decode_step_seconds(r, 1000, 100, ROOFLINE) == pytest.approx(50e-3 + 100e-3)


def test_activation_bytes_by_hand(db: Path) -> None:
    from costmodel.catalog import get_model
    from costmodel.memory import Architecture

    llama = Architecture.from_model(get_model("llama-3.1-8b"))  # h 4096, q 32 x 128, FFN 14336, 32 layers
    assert activation_bytes_per_token(llama, 1) == 32 * 2 * (6 * 4096 + 2 * 4096 + 3 * 14336)  # 4,849,664
    # tensor parallelism splits the query and FFN work; norms and residuals repeat on every GPU
    assert activation_bytes_per_token(llama, 2) == 32 * 2 * (6 * 4096 + (2 * 4096 + 3 * 14336) / 2)
    mixtral = Architecture.from_model(get_model("mixtral-8x7b"))  # 2 of 8 experts of FFN 14336
    moe = 6 * 4096 + 2 * 4096 + 2 * 2 * 4096 + 2 * 4096 + 3 * 2 * 14336
    assert activation_bytes_per_token(mixtral, 1) == 32 * 2 * moe  # 9,175,040


def test_activation_and_moe_routing_time() -> None:
    r = toy(activation_bytes_per_token=2e6, expert_pick_count=8, tp=2)
    eff = Efficiency(0.5, 1.0, 0.0, moe_pair_ns=10.0)
    # 1000 tokens x 2 MB at 0.5 TB/s = 4 ms; 1000 x 8 experts x 32 layers / 2 GPUs x 10 ns = 1.28 ms
    assert activation_seconds(r, 1000, eff) == pytest.approx(4e-3 + 1.28e-3)
    assert activation_seconds(toy(), 1000, eff) == 0.0


def test_kv_replication_under_tensor_parallelism(db: Path) -> None:
    from costmodel.catalog import get_model
    from costmodel.memory import Architecture

    qwen = Architecture.from_model(get_model("qwen3-235b-a22b"))  # 4 KV heads
    assert [kv_replication(qwen, tp) for tp in (1, 2, 4, 8)] == [1.0, 1.0, 1.0, 2.0]  # 8 GPUs keep one head each
    assert kv_replication(qwen, 8, attention_dp=True) == 1.0
    r1 = Architecture.from_model(get_model("deepseek-r1"))  # MLA: one latent for all heads, copied on every GPU
    assert kv_replication(r1, 4) == 4.0 and kv_replication(r1, 8, attention_dp=True) == 1.0
    llama = Architecture.from_model(get_model("llama-3.1-8b"))
    assert kv_replication(llama, 8) == 1.0


def test_attention_dp_copies_the_dense_part(db: Path) -> None:
    from costmodel.catalog import get_gpu, get_model
    from costmodel.memory import Architecture

    arch = Architecture.from_model(get_model("llama-4-maverick"))
    gpu = get_gpu("h100")
    tp8 = build_replica(arch, gpu, 8, "fp8", "bf16")
    adp = build_replica(arch, gpu, 8, "fp8", "bf16", attention_dp=True)
    dense = adp.weight_bytes - adp.routed_expert_bytes
    assert tp8.duplicate_weight_bytes == 0 and adp.duplicate_weight_bytes == pytest.approx(7 * dense)
    assert 10e9 < dense < 20e9  # Maverick: about 14 B parameters outside the routed experts, FP8
    # with every expert touched a step reads all weights, the dense part once per GPU
    assert moe_bytes_read(adp, 1e6) == pytest.approx(adp.weight_bytes + 7 * dense)
    assert adp.kv_bytes_per_seq(1000) == tp8.kv_bytes_per_seq(1000)  # 8 KV heads on 8 GPUs: no copies either way
    with pytest.raises(CostmodelError, match="dense"):
        build_replica(Architecture.from_model(get_model("llama-3.1-8b")), gpu, 2, "fp8", "bf16", attention_dp=True)


def test_attention_dp_in_the_estimate(db: Path) -> None:
    kw = dict(precision="fp4", kv_precision="fp8", engine="tensorrt-llm", input_tokens=1000, output_tokens=1000)
    tp = throughput("deepseek-r1", "b200", 8, tensor_parallel=8, attention_dp=False, **kw)
    dp = throughput("deepseek-r1", "b200", 8, tensor_parallel=8, attention_dp=True, **kw)
    assert not tp.attention_dp and dp.attention_dp
    # MLA's latent is copied on all 8 GPUs under plain tensor parallelism: about 8x fewer sequences fit
    assert tp.max_concurrency_memory < dp.max_concurrency_memory / 4
    best = throughput("deepseek-r1", "b200", 8, **kw)
    assert best.output_tokens_per_s >= max(tp.output_tokens_per_s, dp.output_tokens_per_s) * (1 - 1e-9)
    with pytest.raises(CostmodelError, match="MoE"):
        throughput("llama-3.1-8b", "h100", 2, attention_dp=True)


def test_estimate_says_when_no_measurement_backs_the_model(db: Path) -> None:
    measured = throughput("llama-3.1-8b", "h100", 1, precision="fp8")
    assert measured.measured_rows_for_model >= 5 and measured.caveat is None
    # both DeepSeek-R1 measurements are excluded: the estimate says so instead of looking checked
    r1 = throughput("deepseek-r1", "b200", 8, precision="fp4", kv_precision="fp8", engine="tensorrt-llm")
    assert r1.measured_rows_for_model == 0
    assert "no usable throughput measurement of deepseek-r1" in r1.caveat and "excluded" in r1.caveat
    assert "no usable" in throughput("qwen-2.5-7b", "h100", 1).caveat


def test_token_budget_caps_prompt_heavy_batches() -> None:
    # B + B x input / output <= budget: 8192 x 128 / (2048 + 128) = 481.9, so 481 sequences
    assert token_budget_batch(toy(), 8192, 2048, 128) == 481
    assert token_budget_batch(toy(), 8192, 128, 2048) == 7710
    # attention data parallelism: every GPU schedules its own passes
    assert token_budget_batch(toy(tp=8, attention_dp=True), 8192, 2048, 128) == 8 * 481


def test_model_multipliers_shrink_towards_one() -> None:
    from costmodel.calibration import SHRINKAGE_ROWS, shrunk_multipliers

    class Row:
        def __init__(self, key: str, r: float) -> None:
            self.key, self.r = key, r

    rows = [Row("a", math.log(0.5)), Row("a", math.log(0.5)), Row("a", math.log(0.5)), Row("b", math.log(2.0))]
    m = shrunk_multipliers(rows, lambda x: [x.key], lambda x: x.r)
    # three rows at half the prediction: exp(3 log 0.5 / (3 + 1)); one row at twice: exp(log 2 / 2)
    assert SHRINKAGE_ROWS == 1.0
    assert m["a"] == pytest.approx(0.5 ** 0.75) and m["b"] == pytest.approx(2.0 ** 0.5)


def test_estimate_applies_the_model_multiplier(db: Path) -> None:
    from costmodel.throughput import model_multiplier

    kw = dict(precision="fp8", engine="tensorrt-llm", input_tokens=2048, output_tokens=128, tensor_parallel=8, attention_dp=True)
    m = model_multiplier("tensorrt-llm", "qwen3-235b-a22b")
    assert 0.5 < m < 0.95  # TensorRT-LLM 1.0 runs Qwen3 235B below the pooled physics on every GPU measured
    est = throughput("qwen3-235b-a22b", "h200", 8, **kw)
    assert est.model_multiplier == m and "qwen3-235b-a22b" in est.calibration_group
    # a model the engine never ran keeps the engine and GPU-family calibration alone
    assert model_multiplier("tensorrt-llm", "qwen-2.5-7b") == 1.0
    assert throughput("qwen-2.5-7b", "h100", 1, engine="tensorrt-llm").model_multiplier == 1.0


def test_link_efficiency_slows_all_reduce() -> None:
    r = toy(tp=2)
    full = allreduce_seconds(r, 100, Efficiency(1.0, 1.0, 0.0, allreduce_latency_us=0.0))
    half = allreduce_seconds(r, 100, Efficiency(1.0, 1.0, 0.0, allreduce_latency_us=0.0, link_efficiency=0.5))
    assert half == pytest.approx(2 * full)


def test_fit_parameters_are_the_efficiency_fields() -> None:
    import dataclasses

    from costmodel.calibration import FIT_PARAMETERS, scaled

    assert [p.name for p in FIT_PARAMETERS] == [f.name for f in dataclasses.fields(Efficiency)]
    eff = Efficiency(0.5, 0.4, 2.0, 50.0, 0.6, 10.0, 0.1, 0.8, 20.0)
    twice = scaled(eff, 2.0)
    for p in FIT_PARAMETERS:
        assert getattr(twice, p.name) == pytest.approx(getattr(eff, p.name) * 2.0 ** p.scale), p.name


def test_prefill_and_replica_rate_by_hand() -> None:
    r = toy()
    assert prefill_seconds(r, 1000, ROOFLINE) == pytest.approx(1000 * 5e9 / 100e12)  # 50 ms
    rate = replica_rate(r, 10, 1000, 100, ROOFLINE)
    step = (10e9 + 10 * 1e6) / 1e12  # 10.01 ms, memory-bound
    cycle = 100 * step + 10 * 0.05
    assert rate.output_tokens_per_s == pytest.approx(10 * 100 / cycle)
    assert rate.tpot_s == pytest.approx(step + 10 * 0.05 / 100)
    assert rate.ttft_s == pytest.approx(0.05 + step)


def test_moe_reads_only_touched_experts() -> None:
    r = toy(routed_expert_bytes=8e9, expert_pick_share=2 / 8)
    assert moe_bytes_read(r, 1) == pytest.approx(2e9 + 8e9 * 0.25)
    assert moe_bytes_read(r, 1000) == pytest.approx(10e9)  # every expert touched
    assert expert_gemm_efficiency(64, 64) == 0.5
    assert expert_gemm_efficiency(64, 0) == 1.0


def test_tensor_parallel_all_reduce() -> None:
    eff = Efficiency(1.0, 1.0, 0.0, allreduce_latency_us=10.0)
    assert allreduce_seconds(toy(tp=1), 100, eff) == 0.0
    r = toy(tp=2)
    data = 100 * 4096 * 2 * 2 * (2 - 1) / 2  # tokens x hidden x 2 bytes, ring all-reduce moves 2(n-1)/n
    assert allreduce_seconds(r, 100, eff) == pytest.approx(32 * 2 * (data / 450e9 + 10e-6))
    assert allreduce_seconds(r, 100, ROOFLINE) == pytest.approx(32 * 2 * data / 450e9)


def test_tensor_parallel_scales_efficiency() -> None:
    eff = Efficiency(0.8, 0.4, 1.0, tp_scaling_exponent=0.5)
    at4 = eff.at_tp(4)
    assert at4.bandwidth_efficiency == pytest.approx(0.4) and at4.compute_efficiency == pytest.approx(0.2)
    assert eff.at_tp(1) is eff


def test_throughput_estimate_keys_and_band(db: Path) -> None:
    est = throughput("llama-3.1-8b", "h100", 1, precision="fp8", input_tokens=1000, output_tokens=250)
    d = est.to_dict()
    for key in ("output_tokens_per_s", "input_tokens_per_s", "concurrency", "ttft_ms", "tpot_ms",
                "output_tokens_per_s_low", "output_tokens_per_s_high"):
        assert key in d
    assert est.output_tokens_per_s_low < est.output_tokens_per_s < est.output_tokens_per_s_high
    assert est.input_tokens_per_s == pytest.approx(est.output_tokens_per_s * 4)


def test_more_gpus_serve_more(db: Path) -> None:
    one = throughput("llama-3.1-8b", "h100", 1)
    eight = throughput("llama-3.1-8b", "h100", 8)
    assert eight.output_tokens_per_s == pytest.approx(8 * one.output_tokens_per_s, rel=0.01)


def test_latency_target_lowers_the_batch(db: Path) -> None:
    free = throughput("llama-3.1-70b", "h100", 4, precision="fp8")
    tight = throughput("llama-3.1-70b", "h100", 4, precision="fp8", tpot_ms=30)
    assert tight.tpot_ms <= 30 < free.tpot_ms
    assert tight.concurrency < free.concurrency
    assert tight.output_tokens_per_s < free.output_tokens_per_s


def test_published_figure_within_band(db: Path) -> None:
    """TensorRT-LLM 1.0 performance overview, one H200, Llama 3.1 8B FP8, 2,048 in / 128 out (fixed lengths):
    3,538 output tokens/s. (An MLPerf figure would rest on an assumed prompt length.)"""
    est = throughput("llama-3.1-8b", "h200", 1, precision="fp8", engine="tensorrt-llm", input_tokens=2048, output_tokens=128)
    assert est.output_tokens_per_s_low <= 3_538 <= est.output_tokens_per_s_high
    assert est.output_tokens_per_s == pytest.approx(3_538, rel=0.15)  # the calibrated figure itself within 15%


def test_gemma_3_4b_on_raspberry_pi_5(db: Path) -> None:
    """The seed's Pi 5 claim, with a tokens/s estimate: a few tokens/s (Llama 3.2 3B measures 4.6)."""
    est = throughput("gemma-3-4b", "raspberry-pi-5-8gb", precision="q4_k_m", engine="llama.cpp",
                     input_tokens=100, output_tokens=200)
    assert est.concurrency == 1
    assert 2 <= est.output_tokens_per_s <= 8
    assert est.bound == "memory"


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(model="llama-3.1-9b", gpu="h100"), UnknownIdError, "llama-3.1-8b"),
        (dict(model="llama-3.1-8b", gpu="h1000"), UnknownIdError, "closest known"),
        (dict(model="llama-3.1-8b", gpu="h100", precision="fp7"), UnknownIdError, "fp8"),
        (dict(model="llama-3.1-8b", gpu="h100", engine="vllmm"), UnknownIdError, "vllm"),
        (dict(model="llama-3.1-8b", gpu="h100", input_tokens=0), CostmodelError, "input_tokens must be a positive"),
        (dict(model="llama-3.1-8b", gpu="h100", output_tokens=-1), CostmodelError, "output_tokens must be a positive"),
        (dict(model="llama-3.1-8b", gpu="h100", gpus=0), CostmodelError, "gpus must be a positive"),
        (dict(model="llama-3.1-8b", gpu="h100", concurrency=100_000), CostmodelError, "concurrency 100000 does not fit"),
        (dict(model="llama-3.1-405b", gpu="l4"), CostmodelError, "does not fit on 1 x l4"),
        (dict(model="llama-3.1-8b", gpu="h100", tpot_ms=0.5), CostmodelError, "no batch meets the latency targets"),
        (dict(model="llama-3.1-8b", gpu="h100", gpus=3, tensor_parallel=2), CostmodelError, "multiple of tensor_parallel"),
    ],
)
def test_throughput_bad_inputs(db: Path, kwargs: dict, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        throughput(**kwargs)


def test_throughput_cli_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["throughput", "--model", "llama-3.1-8b", "--gpu", "L40S", "--gpus", "2", "--precision", "fp8",
                 "--input-tokens", "500", "--output-tokens", "200", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gpus"] == 2 and out["output_tokens_per_s_low"] <= out["output_tokens_per_s"]


def test_throughput_cli_attention_dp(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["throughput", "--model", "qwen3-235b-a22b", "--gpu", "h200", "--gpus", "8", "--precision", "fp8",
            "--engine", "tensorrt-llm", "--tensor-parallel", "8", "--input-tokens", "1000", "--output-tokens", "1000", "--json"]
    assert main(base + ["--attention-dp"]) == 0
    on = json.loads(capsys.readouterr().out)
    assert main(base + ["--no-attention-dp"]) == 0
    off = json.loads(capsys.readouterr().out)
    assert on["attention_dp"] is True and off["attention_dp"] is False
    # 4 KV heads on 8 GPUs are copied twice under plain tensor parallelism: fewer sequences fit
    assert off["max_concurrency_memory"] < on["max_concurrency_memory"]
    assert main(["throughput", "--model", "llama-3.1-8b", "--gpu", "h100", "--gpus", "2", "--attention-dp"]) == 2
    assert "MoE" in capsys.readouterr().err


@pytest.fixture(scope="module")
def loo() -> tuple:
    return validate()


def test_validation_median_and_band(db: Path, loo: tuple) -> None:
    """Issue targets met: leave-one-out median |error| <= 15%; the band covers >= 80% of rows."""
    frame, summary, excluded = loo
    assert summary["rows"] >= 100
    assert summary["median_abs_error_pct"] <= 15
    assert summary["band_coverage_share"] >= 0.80
    # the calibrated model is far closer than the plain roofline it starts from
    assert summary["roofline_median_abs_error_pct"] > 3 * summary["median_abs_error_pct"]
    assert all(len(reason) > 80 for reason in excluded["exclude_reason"])
    # excluded rows stay visible: the fit's prediction beside each measured figure
    assert excluded["predicted_tokens_per_s"].drop_nulls().len() >= excluded.height - 1


def test_validation_no_row_beyond_40_pct(db: Path, loo: tuple) -> None:
    """Issue target: no usable row beyond 40% in leave-one-out (excluded rows carry their reason, checked above)."""
    frame, summary, _ = loo
    assert summary["max_abs_error_pct"] <= 40, frame.filter(frame["error_pct"].abs() > 40)["measurement_id"].to_list()


def test_leave_one_out_reports_progress(db: Path) -> None:
    from costmodel.calibration import leave_one_out, setup_rows

    setups = [s for s in setup_rows() if s.engine_id == "llama.cpp"]  # a few rows: one refit each
    calls: list[tuple[int, int]] = []
    leave_one_out(setups, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, len(setups)) for i in range(1, len(setups) + 1)]


def test_validate_cli_json(db: Path, capsys: pytest.CaptureFixture[str], loo: tuple) -> None:
    assert main(["validate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["rows"] == loo[1]["rows"]
    row = out["rows"][0]
    assert {"measured_tokens_per_s", "predicted_tokens_per_s", "roofline_tokens_per_s", "error_pct"} <= set(row)


@pytest.mark.slow
def test_calibration_refit_reproduces_the_committed_file(tmp_path: Path) -> None:
    """`costmodel calibrate` is one command; refitting the committed data gives the committed numbers."""
    import csv
    import datetime as dt

    from costmodel import catalog
    from costmodel.calibration import calibrate

    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.duckdb*"))
    with (DATA / "throughput_calibration.csv").open() as fh:
        committed = list(csv.DictReader(fh))
    catalog.clear_cache()
    try:
        calibrate(fitted_on=dt.date.fromisoformat(committed[0]["fitted_on"]), data_dir=data, db_path=tmp_path / "s.duckdb")
    finally:
        catalog.clear_cache()
    with (data / "throughput_calibration.csv").open() as fh:
        refit = list(csv.DictReader(fh))
    assert [(r["engine_id"], r["gpu_family"]) for r in refit] == [(r["engine_id"], r["gpu_family"]) for r in committed]
    numeric = ["bandwidth_efficiency", "compute_efficiency", "step_overhead_ms", "moe_half_tokens",
               "prefill_compute_efficiency", "band_low_ratio", "band_high_ratio"]
    for new, old in zip(refit, committed):
        for col in numeric:
            assert float(new[col]) == pytest.approx(float(old[col]), rel=1e-3), (new["engine_id"], new["gpu_family"], col)
        assert new["measurement_ids"] == old["measurement_ids"]
    with (DATA / "throughput_model_calibration.csv").open() as fh:
        committed_models = list(csv.DictReader(fh))
    with (data / "throughput_model_calibration.csv").open() as fh:
        refit_models = list(csv.DictReader(fh))
    assert [(r["engine_id"], r["model_id"], r["measurement_ids"]) for r in refit_models] == \
        [(r["engine_id"], r["model_id"], r["measurement_ids"]) for r in committed_models]
    for new, old in zip(refit_models, committed_models):
        assert float(new["multiplier"]) == pytest.approx(float(old["multiplier"]), rel=1e-3), new["model_id"]


def test_deepseek_r1_exclusion_rests_on_a_decisive_prompt_length(db: Path) -> None:
    """The MLPerf DeepSeek-R1 offline row is excluded because its unpublished mean prompt decides the
    prediction: across the prompts the benchmark allows (300 to 3,000 of its 3,136-token cap) the
    model's figure for the run must move by more than the 40% the issue tolerates."""
    import dataclasses

    from costmodel import calibration

    full = calibration.fit(calibration.setup_rows())
    row = next(s for s in calibration.setup_rows(include_excluded=True)
               if s.measurement_id == "mlperf51-nvidia-8xb200-deepseek-r1-offline")
    assert row.exclude_reason and "prompt length unknown and decisive" in row.exclude_reason
    eff = full.efficiency_for_row(row)
    short, long = (calibration.predict(dataclasses.replace(row, input_tokens=n), eff) / row.measured_tokens_per_s
                   for n in (300, 3000))
    assert short - long > 0.6 and long < 1.4 < short


def test_held_out_trtllm_cells(db: Path) -> None:
    """Out of sample: 136 cells of the TensorRT-LLM 1.0 tables the calibration never saw (other
    input/output lengths of the same 18 model-GPU columns). Measured at commit time: median |error|
    10.9%, largest 36%, 79% inside the band. Tolerances: median <= 15% and nothing beyond 50%
    (the issue's 15% and a margin over its 40% for rows no fit has seen), band >= 70%."""
    import csv
    import statistics

    errors, inside = [], 0
    with (Path(__file__).parent / "fixtures" / "trtllm_1_0_holdout.csv").open() as fh:
        cells = list(csv.DictReader(fh))
    for c in cells:
        moe = c["model_id"].startswith(("llama-4", "qwen3"))
        gpus = int(c["gpus"])
        est = throughput(c["model_id"], c["gpu_id"], gpus, precision=c["precision_id"], engine="tensorrt-llm",
                         input_tokens=int(c["input_tokens"]), output_tokens=int(c["output_tokens"]),
                         tensor_parallel=int(c["tensor_parallel"]), attention_dp=True if moe and gpus > 1 else None)
        measured = float(c["output_tokens_per_s"])
        errors.append(abs(est.output_tokens_per_s / measured - 1))
        inside += est.output_tokens_per_s_low <= measured <= est.output_tokens_per_s_high
    assert len(cells) == 136
    assert statistics.median(errors) <= 0.15
    assert max(errors) <= 0.50
    assert inside / len(cells) >= 0.70
