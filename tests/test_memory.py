"""Memory model: hand-computed values, the seed article's VRAM claims, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costmodel import CostmodelError, UnknownIdError, get_model, memory
from costmodel.outputs.cli import main
from costmodel.models.deployment import memory_budget
from costmodel.models.memory import GIB_BYTES, Architecture, MemoryBudget, kv_cache_bytes, weights_bytes

GB = 1e9


def arch(model_id: str) -> Architecture:
    return Architecture.from_model(get_model(model_id))


def test_llama_3_1_8b_kv_cache_bf16(db: Path) -> None:
    # 2 (K and V) x 32 layers x 8 KV heads x 128 head dim x 2 bytes
    assert kv_cache_bytes(arch("llama-3.1-8b"), 1, 16) == 2 * 32 * 8 * 128 * 2 == 131_072
    est = memory("llama-3.1-8b", "bf16", context_tokens=8192, concurrency=4)
    assert est.kv_cache_bytes_per_token == 131_072
    assert est.kv_cache_gb == pytest.approx(4 * 8192 * 131_072 / GB)


def test_kv_precision_halves_the_cache(db: Path) -> None:
    bf16 = memory("llama-3.1-70b", "fp8", kv_precision="bf16", context_tokens=4096)
    fp8 = memory("llama-3.1-70b", "fp8", kv_precision="fp8", context_tokens=4096)
    assert fp8.kv_cache_bytes_per_token == pytest.approx(bf16.kv_cache_bytes_per_token / 2)
    assert bf16.kv_cache_bytes_per_token == 2 * 80 * 8 * 128 * 2


def test_sliding_window_caps_mistral_7b(db: Path) -> None:
    a = arch("mistral-7b")  # every layer windowed at 4096 tokens
    per_token = 2 * 32 * 8 * 128 * 2
    assert kv_cache_bytes(a, 2048, 16) == 2048 * per_token
    assert kv_cache_bytes(a, 8192, 16) == 4096 * per_token  # the rolling buffer stops growing
    assert kv_cache_bytes(arch("mistral-7b-v0.3"), 8192, 16) == 8192 * per_token  # v0.3 has no window


def test_gemma_3_27b_local_global_layers(db: Path) -> None:
    # 62 layers: 52 sliding (1024 tokens) + 10 global; 16 KV heads x 128 dims x 2 bytes x 2 (K, V)
    per_layer_token = 2 * 16 * 128 * 2
    expected = per_layer_token * (10 * 131_072 + 52 * 1024)
    assert kv_cache_bytes(arch("gemma-3-27b"), 131_072, 16) == expected
    naive = per_layer_token * 62 * 131_072
    assert expected < naive / 5  # the interleave saves more than 5x at full context


def test_deepseek_mla_latent_cache(db: Path) -> None:
    # MLA caches (kv_lora_rank 512 + rope 64) per layer: 576 x 2 bytes x 61 layers
    assert kv_cache_bytes(arch("deepseek-v3"), 1, 16) == 576 * 2 * 61 == 70_272
    # a GQA-style formula with the nominal 128 heads x 192 dims would be 40x larger
    assert 2 * 128 * 192 * 2 * 61 / 70_272 > 40


def test_weights_hand_computed(db: Path) -> None:
    assert memory("llama-3.1-8b", "bf16").weights_gb == pytest.approx(8.03 * 2)
    emb = 2 * 128_256 * 4096 / 1e9  # untied embedding + LM head, kept in 16 bits
    expected = ((8.03 - emb) * 4.156 + emb * 16) / 8
    assert memory("llama-3.1-8b", "int4").weights_gb == pytest.approx(expected)
    assert weights_bytes(10, 0, 4.5, 16) == pytest.approx(10e9 * 4.5 / 8)
    # MoE keeps every expert resident: Mixtral's weights follow its 46.7B total, not 12.9B active
    assert memory("mixtral-8x7b", "bf16").weights_gb == pytest.approx(46.7 * 2)


# The seed article's memory claims, each with the computed figure (GB = 1e9 bytes; GPUs in GiB).

def test_seed_llama_3_1_8b_bf16_fits_rtx_4090(db: Path) -> None:
    est = memory("llama-3.1-8b", "bf16", gpu="RTX 4090", context_tokens=8192)
    assert est.fits and est.weights_gb == pytest.approx(16.06)
    # vLLM's gpu_memory_utilization default: 0.92 from 0.20.0 (config/cache.py), the newest engine build by default
    assert est.usable_gb == pytest.approx(24 * GIB_BYTES / GB * 0.92)
    assert 3 <= est.max_concurrency <= 8  # holds, with room for only a few 8K-token conversations


def test_seed_llama_3_1_8b_int4_fits_16_gb(db: Path) -> None:
    est = memory("llama-3.1-8b", "int4", gpu="t4", context_tokens=8192)
    assert est.fits and est.weights_gb < 6


def test_seed_mistral_7b_vram(db: Path) -> None:
    assert memory("mistral-7b", "bf16").weights_gb == pytest.approx(14, rel=0.05)  # seed: 14 GB
    int4 = memory("mistral-7b", "int4", context_tokens=4096)  # int4 = AWQ
    assert int4.weights_gb == pytest.approx(4.15, abs=0.05)
    # seed: 5 GB with cache and overhead. Weights and a 4K cache (32 layers x 8 KV heads x 128 x 2 x 2 bytes
    # = 128 KiB a token) make 4.69 GB: the claim holds for those; vLLM adds its runtime (1.5 GB) and the
    # activations of a 2,048-token pass (2 x hidden + 3 x FFN values of 2 bytes a token) on top
    assert int4.kv_cache_gb == pytest.approx(4096 * 131072 / 1e9)
    assert int4.weights_gb + int4.kv_cache_gb == pytest.approx(5.0, rel=0.10)
    assert int4.overhead_gb == pytest.approx(1.5 + 2048 * (2 * 4096 + 3 * 14336) * 2 / 1e9)


def test_seed_mixtral_vram(db: Path) -> None:
    assert memory("mixtral-8x7b", "bf16").weights_gb == pytest.approx(90, rel=0.05)  # seed: 90 GB -> 93.4
    int4 = memory("mixtral-8x7b", "int4", gpu="rtx-4090")
    assert int4.weights_gb > 24  # seed: 24 GB INT4 -> 24.6 GB of weights alone
    assert not int4.fits and int4.min_gpus == 2


def test_seed_405b_bf16_does_not_fit_8x_a100(db: Path) -> None:
    est = memory("llama-3.1-405b", "bf16", gpu="A100-80GB", gpus=8)
    assert est.weights_gb == pytest.approx(811.7, rel=0.001)
    assert est.weights_gb > 8 * 80 * GIB_BYTES / GB  # the weights alone exceed 8 x 80 GiB
    assert not est.fits and est.min_gpus == 16 and est.max_concurrency == 0


def test_seed_gemma_3_4b_int4_on_raspberry_pi_5(db: Path) -> None:
    est = memory("gemma-3-4b", "q4_k_m", gpu="raspberry-pi-5-8gb", engine="llama.cpp", context_tokens=4096)
    assert est.fits and est.total_gb < 4


def test_min_gpus_and_max_concurrency_agree(db: Path) -> None:
    est = memory("llama-3.1-70b", "bf16", gpu="h100", gpus=1, context_tokens=4096)
    assert not est.fits and est.min_gpus == 2
    two = memory("llama-3.1-70b", "bf16", gpu="h100", gpus=2, context_tokens=4096, concurrency=1)
    assert two.fits and two.max_concurrency >= 1
    over = memory("llama-3.1-70b", "bf16", gpu="h100", gpus=2, context_tokens=4096, concurrency=two.max_concurrency + 1)
    assert not over.fits


def test_memory_budget_by_engine_rule() -> None:
    h100 = 80 * GIB_BYTES / GB  # 85.9 GB
    # vLLM: everything inside 90% of the device; the KV cache gets what weights and runtime leave
    vllm = MemoryBudget(usable_share=0.9, overhead_gb_per_gpu=1.5)
    assert vllm.kv_room_gb(80, 1, 50.0) == pytest.approx(0.9 * h100 - 50 - 1.5)
    # TensorRT-LLM: 90% of what is free after the weights and runtime are loaded
    trt = MemoryBudget(usable_share=1.0, overhead_gb_per_gpu=1.0, kv_free_share=0.9)
    assert trt.kv_room_gb(80, 1, 50.0) == pytest.approx(0.9 * (h100 - 50 - 1))
    assert trt.kv_room_gb(80, 2, 50.0) == pytest.approx(0.9 * (2 * h100 - 50 - 2))
    # weights that do not fit stay negative and are not scaled towards zero
    assert trt.kv_room_gb(80, 1, 100.0) == pytest.approx(h100 - 100 - 1)


def test_moe_workspace_comes_off_the_kv_budget() -> None:
    from costmodel.models.memory import moe_workspace_bytes

    # Qwen3 235B under attention DP on 8 GPUs: 8 x 8192 tokens x top-8 rows, an input and an output
    # row of 4096 BF16 values each = 8 GiB per GPU
    assert moe_workspace_bytes(4096, 8, 8 * 8192) == 8 * 2**30
    assert moe_workspace_bytes(4096, 0, 8192) == 0  # dense models expand nothing
    trt = MemoryBudget(usable_share=1.0, overhead_gb_per_gpu=1.0, kv_free_share=0.9)
    h100 = 80 * GIB_BYTES / GB
    assert trt.kv_room_gb(80, 1, 37.6, 8.6) == pytest.approx(0.9 * (h100 - 37.6 - 1.0 - 8.6))


def test_engine_budget_from_the_store(db: Path) -> None:
    trt = memory_budget("tensorrt-llm")
    vllm = memory_budget("vllm")
    assert (trt.usable_share, trt.kv_free_share) == (1.0, 0.9)
    assert (vllm.usable_share, vllm.kv_free_share) == (0.92, 1.0)  # newest vLLM default
    assert memory_budget("vllm", "0.8.5").usable_share == 0.9  # before 0.20.0
    # a model that fills most of the card leaves TensorRT-LLM more room than vLLM's 90% cap
    assert trt.kv_room_gb(80, 1, 70.0) > vllm.kv_room_gb(80, 1, 70.0)
    assert memory("llama-3.1-70b", "fp8", gpu="h100", engine="tensorrt-llm", context_tokens=4096).max_concurrency > \
        memory("llama-3.1-70b", "fp8", gpu="h100", engine="vllm", context_tokens=4096).max_concurrency


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(model="llama-3.1-9b"), UnknownIdError, "closest known: llama-3.1-8b"),
        (dict(model="llama-3.1-8b", precision="int3"), UnknownIdError, "closest known: awq"),
        (dict(model="llama-3.1-8b", gpu="h100x"), UnknownIdError, "h100-sxm"),
        (dict(model="llama-3.1-8b", context_tokens=0), CostmodelError, "context_tokens must be a positive"),
        (dict(model="llama-3.1-8b", context_tokens=-5), CostmodelError, "context_tokens must be a positive"),
        (dict(model="llama-3.1-8b", concurrency=0), CostmodelError, "concurrency must be a positive"),
        (dict(model="llama-3.1-8b", concurrency=1.5), CostmodelError, "whole number"),
        (dict(model="llama-3.1-8b", context_tokens=200_000), CostmodelError, "maximum context of 131072"),
        (dict(model="gpt-4o"), CostmodelError, "proprietary API model"),
    ],
)
def test_memory_bad_inputs(db: Path, kwargs: dict, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        memory(**kwargs)


def test_memory_cli_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100", "--gpus", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("weights_gb", "kv_cache_bytes_per_token", "kv_cache_gb", "overhead_gb", "total_gb", "fits", "min_gpus",
                "max_concurrency"):
        assert key in out
    assert out["kv_cache_bytes_per_token"] == 131_072
    assert main(["memory", "--model", "llama-3.1-8b", "--context-tokens", "0"]) == 1
    assert "context_tokens must be a positive" in capsys.readouterr().err


def test_the_memory_model_computes_from_typed_inputs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """estimate_memory reads nothing (any store read here fails) and gives the hand-computed sizes."""
    from types import SimpleNamespace

    from costmodel import store
    from costmodel.models.memory import estimate_memory

    def no_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("the memory model read the store")

    monkeypatch.setattr(store, "query", no_reads)
    monkeypatch.setattr(store, "connect", no_reads)
    toy = Architecture(model_id="toy-8b", total_params_b=8.0, active_params_b=8.0, num_layers=32, kv_layers=32,
                       sliding_window_layers=0, sliding_window_tokens=None, hidden_size=4096, num_attention_heads=32,
                       num_kv_heads=8, head_dim=128, vocab_size=128_000, context_tokens=131_072, attention_kind="GQA",
                       mla_kv_lora_rank=None, mla_qk_rope_head_dim=None, num_experts=None, experts_per_token=None,
                       tie_embeddings=False, intermediate_size=14336)
    bf16 = SimpleNamespace(precision_id="bf16", bits_per_weight=16.0, embedding_bits_per_weight=16.0, applies_to="all-linear")
    fp8 = SimpleNamespace(precision_id="fp8", bits_per_weight=8.0, embedding_bits_per_weight=16.0, applies_to="all-linear")
    budget = MemoryBudget(usable_share=0.9, overhead_gb_per_gpu=1.0, kv_free_share=1.0, max_num_tokens=8192)
    gpu = SimpleNamespace(gpu_id="toy-80g", memory_gib=80.0)
    est = estimate_memory(toy, fp8, bf16, "vllm", budget, context_tokens=4096, concurrency=10, device=gpu, gpus=1)
    embedding_b = 2 * 128_000 * 4096 / 1e9  # untied: embedding and LM head, at 16 bits
    assert est.weights_gb == pytest.approx((8.0 - embedding_b) * 1 + embedding_b * 2)  # 8-bit body: 1 byte a weight
    assert est.kv_cache_bytes_per_token == 2 * 32 * 8 * 128 * 2  # K and V, 32 layers, 8 heads of 128, 2 bytes: 131,072
    assert est.kv_cache_gb == pytest.approx(10 * 4096 * 131_072 / 1e9)  # 5.37 GB
    room_gb = 0.9 * 80 * GIB_BYTES / 1e9 - est.weights_gb - est.overhead_gb  # 77.3 GB usable less weights and runtime
    assert est.fits and est.max_concurrency == int(room_gb * 1e9 // (4096 * 131_072))
    assert est.overhead_gb >= 1.0 and est.total_gb == pytest.approx(est.weights_gb + est.kv_cache_gb + est.overhead_gb)
    with pytest.raises(CostmodelError, match="exceeds toy-8b's maximum context of 131072"):
        estimate_memory(toy, fp8, bf16, "vllm", budget, context_tokens=200_000)
