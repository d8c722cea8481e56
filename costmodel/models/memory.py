"""Memory model: weights, KV cache and runtime overhead, and whether a model fits on N GPUs.

Pure functions of numbers and typed records: nothing here reads the store. ``estimate_memory``
takes a model's ``Architecture``, its weight and KV precisions, an engine's ``MemoryBudget`` and
a GPU; ``costmodel.models.deployment.memory()`` looks those up by id and calls it. Sizes in GB
are 1e9 bytes; GPU memory is marketed in GiB (an "80GB" H100 holds 80 GiB = 85.9 GB), converted
with ``GIB_BYTES``.

References: KV cache per token = 2 (K and V) x layers x KV heads x head dim x bytes
(grouped-query attention: Ainslie et al. 2023, arXiv:2305.13245); MLA caches one latent of
``kv_lora_rank + qk_rope_head_dim`` per layer (DeepSeek-V2, arXiv:2405.04434); sliding-window
layers keep at most the window (Mistral 7B, arXiv:2310.06825; Gemma 3 report).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from costmodel.checks import positive_int
from costmodel.errors import CostmodelError

if TYPE_CHECKING:  # records only: the model reads nothing
    from costmodel import catalog

BYTES_PER_GB = 1e9
GIB_BYTES = 2**30
BITS_PER_BYTE = 8
SIXTEEN_BITS = 16
"""Bits of a weight left in BF16/FP16 by a quantiser [bit]."""
MOE_ACTIVATION_BYTES = 2
"""Bytes of one value in the MoE kernels' expanded rows (BF16 activations) [byte]."""
DSA_INDEXER_BYTES_PER_TOKEN_LAYER = 132
"""DeepSeek V3.2 sparse-attention indexer key cache: 128 FP8 values + an FP32 scale per layer [byte]."""
TP_FRIENDLY_GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64)
"""GPU counts tried for ``min_gpus``: tensor parallelism needs the heads to split evenly."""
DEFAULT_CONTEXT_TOKENS = 8192
"""Context per sequence when none is given [token] (capped at the model's maximum)."""


@dataclasses.dataclass(frozen=True)
class Architecture:
    """What the memory and throughput models need of a model (counts, [billion] parameters)."""

    model_id: str
    total_params_b: float
    active_params_b: float
    num_layers: int
    kv_layers: int
    sliding_window_layers: int
    sliding_window_tokens: int | None
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    context_tokens: int
    attention_kind: str
    mla_kv_lora_rank: int | None
    mla_qk_rope_head_dim: int | None
    num_experts: int | None
    experts_per_token: int | None
    tie_embeddings: bool
    intermediate_size: int | None = None  # FFN width; for MoE models one expert's [count]
    shared_experts: int = 0  # experts every token passes through besides the routed ones [count]

    @property
    def embedding_params_b(self) -> float:
        """Token embedding plus LM head (once when tied) [billion]."""
        copies = 1 if self.tie_embeddings else 2
        return copies * self.vocab_size * self.hidden_size / 1e9

    @classmethod
    def from_model(cls, model: catalog.Model) -> Architecture:
        """Architecture of a catalog model; a proprietary model has none."""
        if not model.open_weights:
            raise CostmodelError(f"model {model.model_id!r} is a proprietary API model: it has no weights to self-host")
        return cls(
            model_id=model.model_id,
            total_params_b=model.total_params_b,
            active_params_b=model.active_params_b or model.total_params_b,
            num_layers=model.num_layers,
            kv_layers=model.kv_layers,
            sliding_window_layers=model.sliding_window_layers or 0,
            sliding_window_tokens=model.sliding_window_tokens,
            hidden_size=model.hidden_size,
            num_attention_heads=model.num_attention_heads,
            num_kv_heads=model.num_kv_heads,
            head_dim=model.head_dim,
            vocab_size=model.vocab_size,
            context_tokens=model.context_tokens,
            attention_kind=model.attention_kind,
            mla_kv_lora_rank=model.mla_kv_lora_rank,
            mla_qk_rope_head_dim=model.mla_qk_rope_head_dim,
            num_experts=model.num_experts,
            experts_per_token=model.experts_per_token,
            tie_embeddings=bool(model.tie_embeddings),
            intermediate_size=model.intermediate_size,
            shared_experts=model.shared_experts or 0,
        )


# ---------------------------------------------------------------------------------------------
# Pure functions


def weights_bytes(total_params_b: float, embedding_params_b: float, bits_per_weight: float,
                  embedding_bits_per_weight: float) -> float:
    """Bytes of the weights [byte].

    total_params_b : all parameters, every expert included (MoE keeps all experts resident) [billion]
    embedding_params_b : embedding and LM head, stored at ``embedding_bits_per_weight`` [billion]
    bits_per_weight : effective bits of the other weights, scales included [bit]
    """
    body = max(total_params_b - embedding_params_b, 0.0)
    return (body * bits_per_weight + embedding_params_b * embedding_bits_per_weight) * 1e9 / BITS_PER_BYTE


def routed_expert_params_b(arch: Architecture) -> float:
    """Parameters in routed experts [billion], from total = dense + routed and active = dense + routed x k/E."""
    if not arch.num_experts or not arch.experts_per_token:
        return 0.0
    share = arch.experts_per_token / arch.num_experts
    return (arch.total_params_b - arch.active_params_b) / (1.0 - share)


def model_weights_bytes(arch: Architecture, bits_per_weight: float, embedding_bits_per_weight: float,
                        applies_to: str = "all-linear") -> float:
    """Bytes of a model's weights at a precision [byte].

    ``applies_to`` 'moe-experts' (gpt-oss MXFP4): only the routed experts are stored at
    ``bits_per_weight``; attention, router, shared layers stay at 16 bits. A dense model has no
    experts, so there the precision covers every linear layer.
    """
    if applies_to == "moe-experts" and arch.num_experts:
        routed = routed_expert_params_b(arch)
        rest = max(arch.total_params_b - routed - arch.embedding_params_b, 0.0)
        return (routed * bits_per_weight + rest * SIXTEEN_BITS + arch.embedding_params_b * embedding_bits_per_weight) * 1e9 / BITS_PER_BYTE
    return weights_bytes(arch.total_params_b, arch.embedding_params_b, bits_per_weight, embedding_bits_per_weight)


def kv_bytes_per_token_per_layer(arch: Architecture, kv_bits: float) -> float:
    """KV-cache bytes one token adds in one attention layer [byte].

    GQA/MHA: 2 x KV heads x head dim x bytes. MLA: (kv_lora_rank + qk_rope_head_dim) x bytes, plus
    the DSA indexer's key cache for MLA+DSA.
    """
    if arch.attention_kind in ("MLA", "MLA+DSA"):
        per = (arch.mla_kv_lora_rank + arch.mla_qk_rope_head_dim) * kv_bits / BITS_PER_BYTE
        if arch.attention_kind == "MLA+DSA":
            per += DSA_INDEXER_BYTES_PER_TOKEN_LAYER
        return per
    return 2 * arch.num_kv_heads * arch.head_dim * kv_bits / BITS_PER_BYTE


def kv_cache_bytes(arch: Architecture, context_tokens: float, kv_bits: float) -> float:
    """KV-cache bytes of one sequence of ``context_tokens`` tokens [byte].

    Full-attention layers hold every token; sliding-window (or chunked) layers hold at most
    ``sliding_window_tokens``.
    """
    per_layer = kv_bytes_per_token_per_layer(arch, kv_bits)
    full_layers = arch.kv_layers - arch.sliding_window_layers
    windowed = min(context_tokens, arch.sliding_window_tokens) if arch.sliding_window_layers else 0
    return per_layer * (full_layers * context_tokens + arch.sliding_window_layers * windowed)


def moe_workspace_bytes(hidden_size: int, experts_per_token: int, rows_per_pass: float) -> float:
    """Bytes of one GPU's fused-MoE buffers, sized for the engine's largest forward pass [byte].

    Fused MoE kernels expand every token of the pass into ``experts_per_token`` rows and keep an
    input and an output row of the hidden size for each (TensorRT-LLM sizes its workspace by
    experts_per_token x all rows, not by the rows its local experts get). The engine measures this
    peak before sizing the KV cache, so it comes off the KV budget. ``rows_per_pass``: tokens one
    GPU's MoE sees in that pass (under attention data parallelism, every rank's tokens).
    """
    return rows_per_pass * experts_per_token * 2 * hidden_size * MOE_ACTIVATION_BYTES


def activation_workspace_bytes(arch: Architecture, tp: int, rows_per_pass: float, moe_rows_per_pass: float | None = None) -> float:
    """Bytes of one GPU's activation peak in the engine's profiling pass of ``rows_per_pass`` tokens [byte].

    Engines run one forward pass of their largest batch before sizing the KV cache and keep its
    peak free. Alive at the FFN's peak: the hidden state and the residual (2 x hidden), the
    gate-and-up output and its activation (3 x FFN width / tp) for dense layers, in 16 bits; for
    MoE layers the fused kernels' expanded rows (``moe_workspace_bytes``, over ``moe_rows_per_pass``,
    default the same rows). vLLM V0 profiles a whole model context (131,072 tokens for Llama 3.1):
    about 13 GB per GPU for 405B on 8 GPUs, which is why its KV cache was far smaller than V1's.
    """
    hidden = 2 * arch.hidden_size
    if arch.num_experts:
        rows = rows_per_pass if moe_rows_per_pass is None else moe_rows_per_pass
        return rows_per_pass * hidden * MOE_ACTIVATION_BYTES + moe_workspace_bytes(arch.hidden_size, arch.experts_per_token or 0, rows)
    ffn = 3 * (arch.intermediate_size or 4 * arch.hidden_size) / max(tp, 1)
    return rows_per_pass * (hidden + ffn) * MOE_ACTIVATION_BYTES


def usable_gb(memory_gib: float, gpus: int, memory_usable_share: float) -> float:
    """Memory the engine may use across ``gpus`` devices [GB]."""
    return gpus * memory_gib * GIB_BYTES / BYTES_PER_GB * memory_usable_share


@dataclasses.dataclass(frozen=True)
class MemoryBudget:
    """How an engine shares device memory between weights, its runtime and the KV cache.

    Engines budget the KV cache two ways. vLLM and SGLang cap everything at a share of total
    memory (``gpu_memory_utilization`` 0.9) and give the KV cache what the weights and runtime
    leave of it. TensorRT-LLM gives the KV cache a fraction (``free_gpu_memory_fraction``, 0.9 by
    default) of the memory that is free after the weights and runtime are loaded. Both are
    ``kv_free_share x (usable_share x memory - weights - overhead)``: vLLM with a fraction of 1,
    TensorRT-LLM with a usable share of 1.
    """

    usable_share: float  # share of device memory the engine may use [fraction]
    overhead_gb_per_gpu: float  # CUDA context, workspaces, activations [GB]
    kv_free_share: float = 1.0  # share of the memory left after weights and overhead given to the KV cache [fraction]
    max_num_tokens: int = 8192  # tokens one forward pass may carry; sizes the activation buffers [token]

    def usable_gb(self, memory_gib: float, gpus: int) -> float:
        """Memory the engine may use across ``gpus`` devices [GB]."""
        return usable_gb(memory_gib, gpus, self.usable_share)

    def kv_room_gb(self, memory_gib: float, gpus: int, resident_weights_gb: float, workspace_gb_per_gpu: float = 0.0) -> float:
        """Memory the KV cache gets on ``gpus`` devices holding ``resident_weights_gb`` of weights [GB]; negative: weights do not fit.

        ``workspace_gb_per_gpu``: activation buffers the engine measures in its profiling pass
        besides the fixed overhead (the MoE buffers of ``moe_workspace_bytes``).
        """
        left = self.usable_gb(memory_gib, gpus) - resident_weights_gb - (self.overhead_gb_per_gpu + workspace_gb_per_gpu) * gpus
        return left * self.kv_free_share if left > 0 else left


QUANTIZED_FLOAT_WEIGHTS = ("fp8", "nvfp4", "mxfp4")
"""Weight precisions whose checkpoints (ModelOpt) may carry an FP8 KV cache setting."""


def default_kv_precision(precision_id: str, fp8_kv_with_quantized_weights: bool = False) -> str:
    """KV-cache precision an engine uses by default: the activation dtype (fp16 for fp16 and GGUF models,
    else bf16), or FP8 where the engine takes it from a quantised checkpoint (TensorRT-LLM with ModelOpt)."""
    if fp8_kv_with_quantized_weights and precision_id in QUANTIZED_FLOAT_WEIGHTS:
        return "fp8"
    return "fp16" if precision_id == "fp16" or is_gguf(precision_id) else "bf16"


def is_gguf(precision_id: str) -> bool:
    """True for llama.cpp's GGUF block formats (q4_0, q4_k_m, q6_k, q8_0, ...), whose engines keep an FP16 KV cache."""
    return precision_id.startswith("q") and precision_id[1:2].isdigit()


# ---------------------------------------------------------------------------------------------
# The estimate


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """Memory needed to serve a model, and whether it fits a GPU deployment (sizes in GB = 1e9 byte)."""

    model_id: str
    precision_id: str
    kv_precision_id: str
    engine_id: str
    context_tokens: int
    concurrency: int
    weights_gb: float
    kv_cache_bytes_per_token: float
    kv_cache_gb: float
    overhead_gb: float
    total_gb: float
    gpu_id: str | None = None
    gpus: int | None = None
    usable_gb: float | None = None
    fits: bool | None = None
    min_gpus: int | None = None
    max_concurrency: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dataclasses.asdict(self)


def estimate_memory(arch: Architecture, weights: catalog.Precision, kv: catalog.Precision, engine_id: str,
                    budget: MemoryBudget, *, context_tokens: int | None = None, concurrency: int = 1,
                    device: catalog.Gpu | None = None, gpus: int = 1) -> MemoryEstimate:
    """Memory to serve ``concurrency`` sequences of ``context_tokens`` tokens, and the fit on ``gpus`` of ``device``.

    The GPUs are treated as one pool: weights and KV cache spread evenly. How a deployment splits
    them (tensor parallelism copying KV heads when GPUs outnumber them, all of MLA's latent on
    every GPU; attention data parallelism copying the dense layers) is in the throughput model,
    whose ``max_concurrency_memory`` is per layout.

    Parameters
    ----------
    arch : the model's architecture
    weights, kv : weight and KV-cache precision records (bits per weight; the weights' embedding bits and scope)
    engine_id : the engine whose ``budget`` applies (usable share, overhead, KV free fraction, token budget)
    context_tokens : tokens per sequence, prompt plus output [token]; default min(8192, model context)
    concurrency : sequences held at once [count]
    device, gpus : the GPU record and how many of it [count]; adds fits, min_gpus, max_concurrency
    """
    if context_tokens is None:
        context_tokens = min(DEFAULT_CONTEXT_TOKENS, arch.context_tokens)
    context_tokens = positive_int("context_tokens", context_tokens)
    concurrency = positive_int("concurrency", concurrency)
    gpus = positive_int("gpus", gpus)
    if context_tokens > arch.context_tokens:
        raise CostmodelError(
            f"context_tokens {context_tokens} exceeds {arch.model_id}'s maximum context of {arch.context_tokens} tokens"
        )
    weights_gb = model_weights_bytes(arch, weights.bits_per_weight, weights.embedding_bits_per_weight, weights.applies_to) / BYTES_PER_GB
    per_seq = kv_cache_bytes(arch, context_tokens, kv.bits_per_weight)
    kv_gb = concurrency * per_seq / BYTES_PER_GB
    n = gpus if device is not None else 1
    workspace_gb = activation_workspace_bytes(arch, n, budget.max_num_tokens) / BYTES_PER_GB
    overhead_gb = (budget.overhead_gb_per_gpu + workspace_gb) * n
    estimate = dict(
        model_id=arch.model_id, precision_id=weights.precision_id, kv_precision_id=kv.precision_id, engine_id=engine_id,
        context_tokens=int(context_tokens), concurrency=int(concurrency), weights_gb=weights_gb,
        kv_cache_bytes_per_token=per_seq / context_tokens, kv_cache_gb=kv_gb, overhead_gb=overhead_gb,
        total_gb=weights_gb + kv_gb + overhead_gb,
    )
    if device is None:
        return MemoryEstimate(**estimate)

    def room(count: int) -> float:
        return budget.kv_room_gb(device.memory_gib, count, weights_gb, workspace_gb)

    min_gpus = next((c for c in TP_FRIENDLY_GPU_COUNTS if room(c) >= kv_gb), None)
    free = room(gpus)
    return MemoryEstimate(
        **estimate,
        gpu_id=device.gpu_id,
        gpus=int(gpus),
        usable_gb=budget.usable_gb(device.memory_gib, gpus),
        fits=free >= kv_gb,
        min_gpus=min_gpus,
        max_concurrency=max(int(free * BYTES_PER_GB // per_seq), 0),
    )
