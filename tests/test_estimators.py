"""The optional aiconfigurator-core estimator (costmodel.models.estimators): figures, errors, laziness, coverage."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time

import pytest

from costmodel.models import estimators
from costmodel.errors import CostmodelError

LLAMA_8B = dict(hf_repo="meta-llama/Llama-3.1-8B", model_id="llama-3.1-8b")
DEMO = dict(gpus=1, tensor_parallel=1, input_tokens=1024, output_tokens=256, batch=64, precision_id="fp8",
            kv_precision_id="fp8", is_moe=False)
# /work/scratch/aic_demo.py, aggregated (in-flight batching) mode, Llama 3.1 8B FP8 on 1 x H100 SXM, TRT-LLM 1.3.0rc20,
# 1024 in / 256 out, concurrency 64, one prompt per step: ttft 86.292 ms, tpot 10.792 ms, 5838.887 tokens/s/gpu
# (aiconfigurator counts the osl - 1 decoded tokens; all 256 output tokens make 5838.887 x 256 / 255 = 5861.8).
DEMO_TOKENS_PER_S_PER_GPU = 5839.0
DEMO_TTFT_MS = 86.292
DEMO_TPOT_MS = 10.792


def llama(gpu_id: str = "h100-sxm", engine_id: str = "tensorrt-llm", **overrides):
    return estimators.aiconfigurator_estimate(LLAMA_8B["hf_repo"], LLAMA_8B["model_id"], gpu_id, engine_id,
                                              **{**DEMO, **overrides})


@pytest.fixture()
def aic():
    return pytest.importorskip("aiconfigurator_core")


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every socket connection or DNS look-up fails and is recorded."""
    calls: list = []

    def connect(self, address):
        calls.append(address)
        raise OSError(f"network blocked by the test: {address}")

    def getaddrinfo(host, *args, **kwargs):
        calls.append(("getaddrinfo", host))
        raise socket.gaierror("DNS blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# ---------------------------------------------------------------------------------------------
# (a) the demo's figure


def test_llama_8b_fp8_h100_trtllm_matches_the_demo(aic, no_network):
    got = llama()
    assert got["system"] == "h100_sxm" and got["backend"] == "trtllm" and got["backend_version"] == "1.3.0rc20"
    assert got["model"] == "meta-llama/Meta-Llama-3.1-8B"  # our repo name mapped to the bundled spelling
    assert (got["gemm"], got["kvcache"], got["fmha"]) == ("fp8", "fp8", "fp8")  # what the demo ran
    assert got["output_tokens_per_s"] == pytest.approx(DEMO_TOKENS_PER_S_PER_GPU, rel=0.15)
    assert got["ttft_ms"] == pytest.approx(DEMO_TTFT_MS, rel=0.30)
    assert got["tpot_ms"] == pytest.approx(DEMO_TPOT_MS, rel=0.15)
    assert not got["oom"]
    assert no_network == []


def test_the_figure_checks_by_hand_with_littles_law(aic):
    """64 requests in flight, each done after ttft + 255 tpot: 64 x 256 tokens per request latency."""
    got = llama()
    request_latency_s = (got["ttft_ms"] + (DEMO["output_tokens"] - 1) * got["tpot_ms"]) / 1000
    assert got["output_tokens_per_s"] == pytest.approx(DEMO["batch"] * DEMO["output_tokens"] / request_latency_s, rel=0.05)


def test_replicas_multiply_and_later_calls_are_cached(aic):
    llama()  # warm: loads the tables once
    start = time.perf_counter()
    one = llama()
    assert time.perf_counter() - start < 0.2
    two = llama(gpus=2)
    assert two["output_tokens_per_s"] == pytest.approx(2 * one["output_tokens_per_s"])
    assert two["tpot_ms"] == one["tpot_ms"]


def test_results_are_not_shared_between_models_or_gpus(aic):
    """aiconfigurator's backends memoise run_agg by lengths and batch only; each (model, database) gets its own."""
    h100, b200 = llama(), llama("b200")
    qwen = estimators.aiconfigurator_estimate("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b", "h100-sxm", "tensorrt-llm",
                                              **{**DEMO, "is_moe": True})
    assert b200["output_tokens_per_s"] > 1.2 * h100["output_tokens_per_s"]
    assert qwen["tpot_ms"] != h100["tpot_ms"] and qwen["moe"] is not None


# ---------------------------------------------------------------------------------------------
# (b) what is not covered, in one line naming what is


def test_uncovered_gpu_lists_the_covered_ones(aic):
    with pytest.raises(CostmodelError) as err:
        llama("mi300x", "vllm")
    message = str(err.value)
    assert "mi300x" in message and "\n" not in message
    for gpu_id in estimators.AIC_SYSTEMS:
        assert gpu_id in message


def test_unbundled_model_lists_the_bundled_ones_without_downloading(aic, no_network):
    with pytest.raises(CostmodelError) as err:
        estimators.aiconfigurator_estimate("mistralai/Mistral-7B-v0.1", "mistral-7b", "h100-sxm", "vllm",
                                           **{**DEMO, "precision_id": "bf16", "kv_precision_id": "bf16"})
    message = str(err.value)
    assert "mistral-7b" in message and "never downloads" in message and "\n" not in message
    assert "meta-llama/Meta-Llama-3.1-8B" in message and "Qwen/Qwen3-30B-A3B" in message
    assert no_network == []


def test_uncovered_engine_and_precisions(aic):
    with pytest.raises(CostmodelError, match=r"llama\.cpp; it covers engines: sglang, tensorrt-llm, vllm"):
        llama(engine_id="llama.cpp")
    with pytest.raises(CostmodelError, match=r"nvfp4 weights on h100-sxm \(h100_sxm has no FP4 tensor cores\); "
                                             r"on h100-sxm it covers: .*fp8"):
        llama(precision_id="nvfp4")
    with pytest.raises(CostmodelError, match="no quant mode for q4_k_m weights; it covers precisions: .*bf16"):
        llama(precision_id="q4_k_m")
    with pytest.raises(CostmodelError, match="MoE experts only"):
        llama(precision_id="mxfp4")


def test_aiconfigurator_errors_are_wrapped_in_one_line(aic):
    # vLLM 0.14.0 on A100 has BF16 GEMM tables only.
    with pytest.raises(CostmodelError) as err:
        llama("a100-80gb", "vllm", precision_id="awq", kv_precision_id="bf16")
    message = str(err.value)
    assert message.startswith("aiconfigurator could not estimate llama-3.1-8b on 1 x a100-80gb with vllm: ")
    assert "int4_wo" in message and "bfloat16" in message and "\n" not in message


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "aiconfigurator_core", None)  # import now raises ImportError
    with pytest.raises(CostmodelError, match=r"^aiconfigurator-core is not installed: pip install 'costmodel\[aiconfigurator\]' "
                                             r"or pip install aiconfigurator-core$"):
        llama()


# ---------------------------------------------------------------------------------------------
# (c) lazy import


def test_import_costmodel_does_not_import_aiconfigurator():
    code = ("import sys, costmodel, costmodel.models.estimators, costmodel.models.throughput; "
            "print('aiconfigurator_core' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# (d) covers()


def test_covers(aic):
    assert estimators.covers("meta-llama/Llama-3.1-8B", "h100-sxm", "tensorrt-llm", "fp8")
    assert estimators.covers("Qwen/Qwen3-30B-A3B", "h200", "vllm", "bf16")
    assert estimators.covers("meta-llama/Llama-3.1-8B", "b200", "sglang", "nvfp4")
    assert estimators.covers("openai/gpt-oss-120b", "h100-sxm", "vllm", "mxfp4")
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "mi300x", "vllm", "fp8")  # GPU
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "h100-pcie", "vllm", "fp8")  # no tables for it in 0.12
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "h100-sxm", "llama.cpp", "fp8")  # engine
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "h100-sxm", "vllm", "nvfp4")  # no FP4 tensor cores
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "a100-80gb", "vllm", "fp8")  # no FP8 tensor cores
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "h100-sxm", "vllm", "q4_k_m")  # precision
    assert not estimators.covers("mistralai/Mistral-7B-v0.1", "h100-sxm", "vllm", "bf16")  # not bundled
    assert not estimators.covers(None, "h100-sxm", "vllm", "bf16")  # an API model


def test_covers_is_false_without_the_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(estimators, "installed", lambda: False)
    assert not estimators.covers("meta-llama/Llama-3.1-8B", "h100-sxm", "tensorrt-llm", "fp8")


def test_bundled_spellings(aic):
    assert estimators.bundled_model_id("meta-llama/Llama-3.1-70B") == "meta-llama/Meta-Llama-3.1-70B"
    assert estimators.bundled_model_id("qwen/qwen3-8b") == "Qwen/Qwen3-8B"
    assert estimators.bundled_model_id("meta-llama/Llama-3.3-70B-Instruct") is None


# ---------------------------------------------------------------------------------------------
# Through throughput(estimator=...)


def _llama_throughput(estimator: str):
    from costmodel import throughput

    return throughput("llama-3.1-8b", "h100-sxm", 1, precision="fp8", kv_precision="fp8", engine="tensorrt-llm",
                      input_tokens=1024, output_tokens=256, concurrency=64, estimator=estimator)


def test_throughput_with_the_aiconfigurator_estimator(aic, db):
    roofline, got = _llama_throughput("roofline"), _llama_throughput("aiconfigurator")
    ratio = got.output_tokens_per_s / roofline.output_tokens_per_s
    assert got.output_tokens_per_s == pytest.approx(DEMO_TOKENS_PER_S_PER_GPU, rel=0.15)
    assert got.input_tokens_per_s == pytest.approx(roofline.input_tokens_per_s * ratio)
    assert got.output_tokens_per_s_low == pytest.approx(roofline.output_tokens_per_s_low * ratio)
    assert got.output_tokens_per_s_high == pytest.approx(roofline.output_tokens_per_s_high * ratio)
    assert got.output_tokens_per_s_per_user == pytest.approx(1000 / got.tpot_ms)
    assert (got.tensor_parallel, got.concurrency) == (roofline.tensor_parallel, roofline.concurrency)
    assert got.caveat.endswith("estimated by NVIDIA aiconfigurator-core 0.12.0 (trtllm 1.3.0rc20 op tables for h100_sxm) "
                               "at the roofline's batch of 64 per replica")


def test_auto_choice_reads_the_store(db):
    from costmodel import store

    rows = store.query("SELECT estimator FROM throughput_estimator_choice WHERE gpu_family = 'hopper' AND "
                       "engine_id = 'tensorrt-llm' ORDER BY fitted_on DESC LIMIT 1")
    assert estimators.auto_choice("hopper", "tensorrt-llm") == (rows["estimator"][0] if rows.height else "roofline")
    assert estimators.auto_choice("no-such-family", "vllm") == "roofline"  # no row


def test_auto_keeps_the_roofline_unless_the_store_chose_aiconfigurator(aic, db, monkeypatch: pytest.MonkeyPatch):
    roofline = _llama_throughput("roofline")
    monkeypatch.setattr(estimators, "auto_choice", lambda family, engine, db_path=None: "roofline")
    assert _llama_throughput("auto") == roofline
    monkeypatch.setattr(estimators, "auto_choice", lambda family, engine, db_path=None: "aiconfigurator")
    assert _llama_throughput("auto") == _llama_throughput("aiconfigurator")
    monkeypatch.setattr(estimators, "covers", lambda *args: False)
    assert _llama_throughput("auto") == roofline


def test_auto_falls_back_to_the_roofline_when_aiconfigurator_fails(aic, db, monkeypatch: pytest.MonkeyPatch):
    def fails(*args, **kwargs):
        raise CostmodelError("aiconfigurator could not estimate it: no table")

    roofline = _llama_throughput("roofline")
    monkeypatch.setattr(estimators, "auto_choice", lambda family, engine, db_path=None: "aiconfigurator")
    monkeypatch.setattr(estimators, "aiconfigurator_estimate", fails)
    got = _llama_throughput("auto")
    assert dataclasses.replace(got, caveat=roofline.caveat) == roofline
    assert "auto chose aiconfigurator but it failed" in got.caveat
