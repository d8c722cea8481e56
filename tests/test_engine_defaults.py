"""Engines as they run by default, precisions the hardware runs, and one default precision everywhere.

Each expected value is read from the engine's own code at the release named (the source rows of
runtime_inputs and precision_support cite file and line); the test checks the store resolves the
row that applies for a release, GPU and model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from costmodel import CostmodelError, catalog, store, throughput
from costmodel.models.deployment import memory, memory_budget


def value(input_id: str, engine: str, version: str | None, gpu: str, context_tokens: int | None = 131072) -> float:
    return catalog.runtime_value(input_id, engine, version, catalog.get_gpu(gpu), context_tokens=context_tokens).value


@pytest.mark.parametrize(
    "engine, version, gpu, expected, where",
    [
        ("vllm", "0.6.3", "h100", 256, "vllm/engine/arg_utils.py v0.6.3: max_num_seqs 256"),
        ("vllm", "0.8.2", "l40s", 1024, "V1 0.8.0-0.8.3: 1024 on any GPU"),
        ("vllm", "0.8.4", "l40s", 256, "V1 0.8.4: 1024 only when the device name contains h100/h200"),
        ("vllm", "0.8.4", "h100", 1024, "V1 0.8.4: h100 in the device name"),
        ("vllm", "0.10.0", "h200", 1024, "from 0.8.5: 1024 on GPUs of >= 70 GiB"),
        ("vllm", "0.10.0", "a100-80gb", 256, "from 0.9.0: not on A100 whatever its memory"),
        ("vllm", None, "l4", 256, "newest: 256 under 70 GiB"),
        ("tensorrt-llm", "1.0", "h100", 2048, "tensorrt_llm/llmapi/llm_args.py: max_batch_size 2048"),
        ("llama.cpp", "b3000", "rtx-4090", 1, "llama-server: one slot before -np auto (PR 16736)"),
        ("llama.cpp", None, "rtx-4090", 4, "llama-server -np auto: 4 slots from b7079"),
        ("ollama", "0.3.0", "rtx-4090", 4, "envconfig OLLAMA_NUM_PARALLEL auto: 4 (v0.2.0-v0.6.6)"),
        ("ollama", "0.12.0", "rtx-4090", 1, "OLLAMA_NUM_PARALLEL 1 from v0.10.0"),
    ],
)
def test_batch_limit_by_release_and_gpu(db: Path, engine: str, version: str | None, gpu: str, expected: int, where: str) -> None:
    assert value("max_batch_sequences", engine, version, gpu) == expected, where


@pytest.mark.parametrize(
    "version, gpu, context, tokens, mixed, where",
    [
        ("0.6.3", "h100", 8192, 0, 0, "V0: chunked prefill off below a 32K context; budget = the model context (config.py)"),
        ("0.6.3", "h100", 131072, 512, 1, "V0 0.5.3-0.6.4: chunked prefill on above 32K, max_num_batched_tokens 512"),
        ("0.7.3", "h100", 131072, 2048, 1, "V0 from 0.6.5: 2048 with chunked prefill"),
        ("0.8.5", "h100", 131072, 8192, 1, "V1 OpenAI server: 8192 on >= 70 GiB"),
        ("0.10.0", "a100-80gb", 131072, 2048, 1, "V1 from 0.9.0: A100s keep 2048"),
    ],
)
def test_vllm_token_budget_and_chunked_prefill(db: Path, version: str, gpu: str, context: int, tokens: int, mixed: int,
                                               where: str) -> None:
    assert value("max_num_tokens", "vllm", version, gpu, context) == tokens, where
    assert value("mixed_prefill", "vllm", version, gpu, context) == mixed, where


def test_memory_shares_by_engine(db: Path) -> None:
    assert memory_budget("vllm", "0.6.3").usable_share == 0.9  # gpu_memory_utilization 0.90
    assert memory_budget("vllm", "0.20.0").usable_share == 0.92  # 0.92 from 0.20.0 (config/cache.py)
    assert memory_budget("sglang").usable_share == 0.88  # mem_fraction_static on one GPU
    trt = memory_budget("tensorrt-llm")
    assert (trt.usable_share, trt.kv_free_share) == (1.0, 0.9)  # free_gpu_memory_fraction 0.9 of what is left
    # llama.cpp on a discrete GPU has no cap; on a unified-memory edge device the OS keeps a share
    assert memory_budget("llama.cpp", gpu=catalog.get_gpu("l40s")).usable_share > 0.9
    assert memory_budget("llama.cpp", gpu=catalog.get_gpu("raspberry-pi-5-8gb")).usable_share == 0.8


def test_llama_cpp_runs_70b_q4_on_one_l40s(db: Path) -> None:
    """People run Llama 3.1 70B Q4_K_M (about 42 GB) on one 48 GB L40S with llama.cpp (xiongjie-dai's
    GPU-Benchmarks-on-LLM-Inference table measures it); a 90% cap would refuse it."""
    m = memory("llama-3.1-70b", "q4_k_m", gpu="l40s", engine="llama.cpp", context_tokens=2048)
    assert m.fits
    est = throughput("llama-3.1-70b", "l40s", 1, precision="q4_k_m", engine="llama.cpp", input_tokens=512, output_tokens=128)
    assert est.output_tokens_per_s > 0


def test_every_engine_default_row_is_sourced(db: Path) -> None:
    rows = store.query("SELECT r.input_id, r.scope, r.source_id, s.url_or_citation AS url FROM runtime_inputs r "
                       "JOIN sources s USING (source_id) "
                       "WHERE r.scope IN ('vllm', 'sglang', 'tensorrt-llm', 'llama.cpp', 'ollama')")
    assert rows.height >= 40
    unsourced = rows.filter(rows["source_id"] == "assumption")
    # what an engine does by default is read from its code; only device-side guesses stay assumptions
    assert set(unsourced["input_id"].to_list()) <= {"memory_usable_share", "runtime_overhead_gb_per_gpu", "kv_held_output_share"}
    cited = rows.filter(rows["source_id"] != "assumption")["url"]
    assert (cited.str.starts_with("https://") | (cited.str.len_chars() >= 20)).all()  # a link or a full citation
    assert cited.str.starts_with("https://").mean() > 0.9


# --- precisions the hardware runs ---------------------------------------------------------------

@pytest.mark.parametrize(
    "gpu, precision, engine, support",
    [
        ("h100", "fp8", "vllm", "native"),  # Hopper FP8 tensor cores
        ("l40s", "fp8", "vllm", "native"),  # Ada FP8
        ("mi300x", "fp8", "vllm", "native"),  # CDNA3 FP8
        ("b200", "nvfp4", "tensorrt-llm", "native"),  # Blackwell FP4
        ("a100-80gb", "fp8", "vllm", "weight-only"),  # Ampere: Marlin FP8 weight-only kernels, 16-bit math
        ("h100", "mxfp4", "vllm", "weight-only"),  # gpt-oss on Hopper: MXFP4 experts dequantised
        ("h100", "awq", "vllm", "weight-only"),  # AWQ int4: Marlin
        ("rtx-4090", "q4_k_m", "llama.cpp", "weight-only"),  # GGUF k-quants: MMQ dequantises in the kernel
    ],
)
def test_precision_support_by_architecture(db: Path, gpu: str, precision: str, engine: str, support: str) -> None:
    est = throughput("gpt-oss-120b" if precision == "mxfp4" else "llama-3.1-8b", gpu, 1, precision=precision, engine=engine,
                     input_tokens=500, output_tokens=100)
    assert est.precision_support == support
    if precision in ("fp8", "mxfp4") and support == "weight-only":  # native elsewhere: the estimate says so
        assert est.caveat and "not native" in est.caveat


@pytest.mark.parametrize("gpu", ["t4", "v100"])
def test_fp8_is_refused_on_turing_and_volta(db: Path, gpu: str) -> None:
    with pytest.raises(CostmodelError, match=f"does not run fp8 weights on {gpu}") as info:
        throughput("llama-3.1-8b", gpu, 1, precision="fp8")
    assert "bf16" in str(info.value)  # the message says what does run


def test_fp4_is_native_only_on_blackwell_and_mi355x(db: Path) -> None:
    rows = store.query("SELECT DISTINCT gpu_family FROM precision_support WHERE precision_id IN ('nvfp4', 'mxfp4') "
                       "AND support = 'native'")["gpu_family"].to_list()
    assert set(rows) <= {"blackwell", "blackwell-rtx", "cdna4"} and "blackwell" in rows


# --- one default precision everywhere --------------------------------------------------------------

@pytest.mark.parametrize("model, release", [("llama-3.1-8b", "bf16"), ("gpt-oss-120b", "mxfp4"), ("deepseek-r1", "fp8"),
                                            ("deepseek-v3", "fp8")])
def test_release_precision_is_the_default(db: Path, model: str, release: str) -> None:
    assert catalog.get_model(model).release_precision_id == release
    assert memory(model).precision_id == release


def test_gpt_oss_120b_fits_one_80_gb_gpu_in_its_release_precision(db: Path) -> None:
    m = memory("gpt-oss-120b", gpu="h100", context_tokens=8192)
    assert m.precision_id == "mxfp4" and m.fits and m.min_gpus == 1
    assert throughput("gpt-oss-120b", "h100", 1).precision_id == "mxfp4"


def test_throughput_crossover_and_reports_agree_on_defaults(db: Path) -> None:
    """The same question gets the same answer from the API, the crossover and the report notebook."""
    from costmodel.outputs import reports
    from costmodel.scenarios import ApiOption, SelfHostOption, Workload, crossover

    w = Workload(tokens_per_month=2e9, input_tokens_per_request=1000, output_tokens_per_request=250)
    result = crossover(w, SelfHostOption(model="llama-3.1-70b", gpu="h100", gpus_per_replica=4),
                       ApiOption.parse("together/llama-3.1-70b"))
    direct = throughput("llama-3.1-70b", "h100", 4, input_tokens=1000, output_tokens=250)
    a = result.to_dict()["assumptions"]
    assert direct.precision_id == "bf16" and "(bf16," in a["self_host"]
    assert a["output_tokens_per_s_per_replica"] == pytest.approx(direct.output_tokens_per_s, rel=0.02)
    for name in ("crossover", "sensitivity", "model_selection"):
        spec = reports.parameters(name)
        if "precision" in spec:
            assert spec["precision"]["default"] is None, f"{name} notebook must default to the release precision"
