"""Throughput model: a step-level roofline of continuous-batching LLM serving, calibrated.

One replica (``tp`` GPUs) serves ``batch`` sequences at once. A decode step has two phases run
one after the other in every layer: the matrix multiplies read the weights (for MoE: the experts
the batch touches) and do 2 x active parameters FLOPs per token, taking the longer of the two;
then attention reads every sequence's KV cache and does its own FLOPs (in 16-bit), again the
longer of the two. Element-wise and MoE-routing kernels add their memory traffic and a time per
(token, expert) pair; tensor parallelism adds all-reduces (attention data parallelism, for MoE,
only the expert exchange) and a fixed per-step overhead. Prefill is compute-bound. Over a
request's life a replica spends ``output_tokens`` decode steps and the prefill of ``batch``
prompts, so

    output tokens/s per replica = batch x output_tokens / (output_tokens x step + batch x prefill)

The efficiencies and the overhead are not constants here: they are fitted to the measured rows
of the store (``costmodel.calibration``) per engine and GPU family, and the low-high band comes
from the leave-one-out residuals of that fit.

References: roofline model (Williams, Waterman and Patterson 2009); LLM inference roofline
(LLM-Viewer, Yuan et al. 2024, arXiv:2402.16363); MoE expert coverage 1 - (1 - k/E)^B for
uniform routing; ring all-reduce moves 2 (n - 1)/n of the data (Patarasuk and Yuan 2009);
attention data parallelism as in TensorRT-LLM's PyTorch models (attention, dense and shared
layers with tp_size 1 under enable_attention_dp) and SGLang's DP attention.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any

from . import catalog, store
from .checks import positive, positive_int
from .errors import CostmodelError
from .memory import (
    BYTES_PER_GB,
    TP_FRIENDLY_GPU_COUNTS,
    Architecture,
    MemoryBudget,
    default_kv_precision,
    kv_cache_bytes,
    moe_workspace_bytes,
    precision_bits,
    runtime_input,
    weights_bytes,
)

ACTIVATION_BYTES = 2
"""Bytes of one activation value exchanged by tensor-parallel all-reduces (BF16) [byte]."""
US_PER_S = 1e6
ALLREDUCES_PER_LAYER = 2
"""Tensor parallelism all-reduces after attention and after the MLP in every layer."""
ALLREDUCES_PER_LAYER_ATTENTION_DP = 1
"""Attention data parallelism: the MoE all-gather and reduce-scatter move about one all-reduce's data per layer."""
PCIE_GEN4_GB_PER_S = 32
"""GPU-to-GPU bandwidth per direction where the datasheet gives no link: PCIe Gen4 x16 [GB/s]."""
TFLOPS = 1e12
GB_PER_S = 1e9
MS_PER_S = 1e3


@dataclasses.dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of datasheet peaks, and the fixed time per decode step."""

    bandwidth_efficiency: float  # achieved / peak memory bandwidth [fraction]
    compute_efficiency: float  # achieved / peak dense tensor throughput [fraction]
    step_overhead_ms: float  # scheduling and launch time per decode step [ms]
    moe_half_tokens: float = 0.0  # tokens per expert per step at which expert GEMMs reach half their efficiency [token]
    prefill_compute_efficiency: float | None = None  # achieved / peak in prefill; None: as in decode [fraction]
    allreduce_latency_us: float = 10.0  # fixed time of one tensor-parallel all-reduce (launch, sync) [us]
    tp_scaling_exponent: float = 0.0  # efficiencies fall as tp^-exponent: smaller per-GPU GEMMs, stragglers [1]
    link_efficiency: float = 1.0  # achieved / peak GPU-to-GPU bandwidth in all-reduces (NCCL bus bandwidth) [fraction]
    moe_pair_ns: float = 0.0  # time per (token, routed expert) pair per layer: routing, permute, combine [ns]

    def at_tp(self, tp: int) -> Efficiency:
        """These efficiencies for a replica split over ``tp`` GPUs."""
        if tp == 1 or self.tp_scaling_exponent == 0:
            return self
        f = tp ** -self.tp_scaling_exponent
        return dataclasses.replace(self, bandwidth_efficiency=self.bandwidth_efficiency * f,
                                   compute_efficiency=self.compute_efficiency * f,
                                   prefill_compute_efficiency=self.prefill_efficiency * f, tp_scaling_exponent=0.0)

    @property
    def prefill_efficiency(self) -> float:
        """Compute efficiency of prefill (large matrix multiplies) [fraction]."""
        return self.compute_efficiency if self.prefill_compute_efficiency is None else self.prefill_compute_efficiency


@dataclasses.dataclass(frozen=True)
class FitParameter:
    """One fitted field of Efficiency: bounds, whether it is fitted in logs, which rows inform it."""

    name: str
    lower: float
    upper: float
    log: bool = True  # fitted as log(value): positive and scale-free
    needs: str = "all"  # "all"; "moe": only fitted when MoE rows are present; "tp": only with tensor-parallel rows
    scale: int = 0  # how a group multiplier m applies: +1 value x m (efficiencies), -1 value / m (fixed times), 0 not


FIT_PARAMETERS = (
    FitParameter("bandwidth_efficiency", 0.05, 1.5, scale=+1),
    FitParameter("compute_efficiency", 0.02, 1.5, scale=+1),
    FitParameter("step_overhead_ms", 0.01, 100.0, scale=-1),
    FitParameter("moe_half_tokens", 1.0, 1e5, needs="moe"),
    FitParameter("prefill_compute_efficiency", 0.02, 1.5, scale=+1),
    FitParameter("allreduce_latency_us", 0.1, 1e4, needs="tp", scale=-1),
    FitParameter("tp_scaling_exponent", -0.5, 1.0, log=False, needs="tp"),
    FitParameter("link_efficiency", 0.1, 1.0, needs="tp", scale=+1),
    FitParameter("moe_pair_ns", 1e-3, 1e4, needs="moe", scale=-1),
)
"""Every field of Efficiency, all fitted, with its bounds and how a group multiplier applies."""


def scaled(eff: Efficiency, multiplier: float) -> Efficiency:
    """Efficiencies times ``multiplier`` and fixed times divided by it: throughput scales by about ``multiplier``."""
    return dataclasses.replace(eff, **{p.name: getattr(eff, p.name) * multiplier ** p.scale
                                       for p in FIT_PARAMETERS if p.scale})


ROOFLINE = Efficiency(1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
"""The plain, uncalibrated roofline: datasheet peaks, no overhead."""


@dataclasses.dataclass(frozen=True)
class Replica:
    """Everything the step-time functions need about one replica (bytes [byte], FLOPs, [byte/s])."""

    tp: int
    weight_bytes: float
    routed_expert_bytes: float
    expert_pick_share: float  # experts_per_token / num_experts; 0 for dense models
    kv_bytes_per_seq: Any  # callable(context_tokens) -> bytes of one sequence's KV cache
    flops_per_token: float  # 2 x active parameters (routed experts included)
    routed_flops_per_token: float  # 2 x active routed-expert parameters; 0 for dense models
    attention_flops_per_token_layer_context: float  # 4 x heads x (absorbed) head dim
    full_attention_layers: int
    window_layers: int
    window_tokens: float  # sliding window; inf when none
    hidden_size: int
    num_layers: int
    bandwidth_bytes_per_s: float  # per GPU
    peak_flops: float  # per GPU, at the weights' precision
    attention_peak_flops: float  # per GPU, 16-bit: attention math runs in BF16/FP16 whatever the KV cache stores
    link_bytes_per_s: float  # per GPU, per direction
    expert_pick_count: int = 0  # experts each token is routed to
    activation_bytes_per_token: float = 0.0  # per GPU: what element-wise kernels read and write per token, all layers [byte]
    attention_dp: bool = False  # MoE: attention, dense and shared layers copied on every GPU, routed experts split
    duplicate_weight_bytes: float = 0.0  # weights held (and read each step) more than once across the replica's GPUs [byte]


def attention_flops_decode(replica: Replica, context_tokens: float) -> float:
    """Attention FLOPs of one decode token at a context (QK and AV over the cached keys) [FLOP]."""
    reach = replica.full_attention_layers * context_tokens + replica.window_layers * min(context_tokens, replica.window_tokens)
    return replica.attention_flops_per_token_layer_context * reach


def attention_flops_prefill(replica: Replica, input_tokens: float) -> float:
    """Attention FLOPs of prefilling a prompt (causal: token i attends to i keys, window-capped) [FLOP]."""
    n, w = input_tokens, replica.window_tokens
    windowed = n * n / 2 if n <= w else w * w / 2 + (n - w) * w
    return replica.attention_flops_per_token_layer_context * (replica.full_attention_layers * n * n / 2 + replica.window_layers * windowed)


def moe_bytes_read(replica: Replica, batch: float) -> float:
    """Weight bytes one decode step reads on all the replica's GPUs together [byte].

    The dense part (every copy of it, under attention data parallelism) plus the routed experts
    the batch touches.
    """
    if replica.routed_expert_bytes == 0:
        return replica.weight_bytes + replica.duplicate_weight_bytes
    touched = 1.0 - (1.0 - replica.expert_pick_share) ** batch
    return replica.weight_bytes + replica.duplicate_weight_bytes - replica.routed_expert_bytes * (1.0 - touched)


def allreduce_seconds(replica: Replica, tokens: float, eff: Efficiency = ROOFLINE) -> float:
    """Time of the tensor-parallel all-reduces for ``tokens`` tokens through all layers [s].

    Each all-reduce moves 2 (tp - 1) / tp of the activations over the link and costs a fixed
    latency (fitted: launch, synchronisation and the stragglers of smaller per-GPU GEMMs). Under
    attention data parallelism only the MoE exchange remains: gathering the tokens to the
    experts' GPUs and reducing them back moves as much as one all-reduce per layer.
    """
    if replica.tp == 1:
        return 0.0
    data = tokens * replica.hidden_size * ACTIVATION_BYTES * 2 * (replica.tp - 1) / replica.tp
    latency = eff.allreduce_latency_us / US_PER_S
    per_layer = ALLREDUCES_PER_LAYER_ATTENTION_DP if replica.attention_dp else ALLREDUCES_PER_LAYER
    return replica.num_layers * per_layer * (data / (replica.link_bytes_per_s * eff.link_efficiency) + latency)


def activation_bytes_per_token(arch: Architecture, tp: int) -> float:
    """Bytes the memory-bound element-wise kernels of one token read and write on each GPU, all layers [byte].

    Between the matrix multiplies a fused engine still runs, per layer: RMSNorm (read and write
    the hidden state, 2h), attention reading queries and writing its output (2q), the residual
    add fused with the next norm (4h) and the gated activation (read 2i, write i: 3i). A MoE layer
    instead runs the gated activation of every expert the token visits (3(k + shared)i) and
    permutes the token to its k experts and back (2h + 2kh). Hidden-state work (norms,
    residuals, MoE permutation) repeats on every tensor-parallel GPU; the rest is split.
    """
    h = arch.hidden_size
    q = arch.num_attention_heads * arch.head_dim
    i = arch.intermediate_size or 4 * h
    if arch.num_experts and arch.experts_per_token:
        k = arch.experts_per_token
        replicated = 6 * h + 2 * h + 2 * k * h
        split = 2 * q + 3 * (k + arch.shared_experts) * i
    else:
        replicated = 6 * h
        split = 2 * q + 3 * i
    return arch.num_layers * ACTIVATION_BYTES * (replicated + split / tp)


def activation_seconds(replica: Replica, tokens: float, eff: Efficiency) -> float:
    """Time of the element-wise and MoE routing kernels for ``tokens`` tokens [s].

    Bytes over achieved bandwidth, plus for MoE models a fitted time per (token, routed expert)
    pair in every layer (top-k selection, permuting tokens to their experts and combining the
    results): a model routing each token to 8 experts pays it 8 times, one routing to 1 once.
    """
    eff = eff.at_tp(replica.tp)
    pairs = tokens * replica.expert_pick_count * replica.num_layers / replica.tp
    return (tokens * replica.activation_bytes_per_token / (replica.bandwidth_bytes_per_s * eff.bandwidth_efficiency)
            + pairs * eff.moe_pair_ns / 1e9)


@dataclasses.dataclass(frozen=True)
class DecodeStepParts:
    """The two phases of a decode step, each with its memory and compute time [s].

    The matrix multiplies read the weights and are compute-bound at large batches; the attention
    kernels read every sequence's KV cache and stay memory-bound. They run one after the other
    in every layer, so each phase takes the longer of its own memory and compute time and the
    step takes their sum (not one max over all bytes and all FLOPs, which would let KV reads
    hide behind weight matmuls).
    """

    weights_memory_s: float
    matmul_compute_s: float
    kv_memory_s: float
    attention_compute_s: float

    @property
    def memory_s(self) -> float:
        return self.weights_memory_s + self.kv_memory_s

    @property
    def compute_s(self) -> float:
        return self.matmul_compute_s + self.attention_compute_s

    @property
    def step_s(self) -> float:
        return max(self.weights_memory_s, self.matmul_compute_s) + max(self.kv_memory_s, self.attention_compute_s)


def decode_step_parts(replica: Replica, batch: float, context_tokens: float, eff: Efficiency) -> DecodeStepParts:
    """Memory and compute time of a decode step's matmul and attention phases [s]."""
    eff = eff.at_tp(replica.tp)
    bandwidth = replica.tp * replica.bandwidth_bytes_per_s * eff.bandwidth_efficiency
    return DecodeStepParts(
        weights_memory_s=moe_bytes_read(replica, batch) / bandwidth,
        matmul_compute_s=batch * decode_matmul_flops_equivalent(replica, batch, eff) / (replica.tp * replica.peak_flops * eff.compute_efficiency),
        kv_memory_s=batch * replica.kv_bytes_per_seq(context_tokens) / bandwidth,
        attention_compute_s=batch * attention_flops_decode(replica, context_tokens) / (replica.tp * replica.attention_peak_flops * eff.compute_efficiency),
    )


def expert_gemm_efficiency(tokens_per_expert: float, half_tokens: float) -> float:
    """Share of peak an expert GEMM reaches with ``tokens_per_expert`` rows: t / (t + half) [fraction].

    Each expert a decode step touches costs a fixed ``half`` tokens' worth of compute besides its
    real tokens (launch, tile and load-imbalance waste of grouped GEMMs). Fine-grained MoE models
    (DeepSeek: 256 experts, 8 picked) give each touched expert few tokens, so they run far below
    peak; coarse ones (Mixtral: 8 experts, 2 picked) much less so.
    """
    return tokens_per_expert / (tokens_per_expert + half_tokens) if half_tokens > 0 else 1.0


def decode_matmul_flops_equivalent(replica: Replica, batch: float, eff: Efficiency) -> float:
    """Weight-matmul FLOPs per decode token, routed-expert FLOPs inflated by their GEMM efficiency [FLOP]."""
    if replica.routed_flops_per_token == 0:
        return replica.flops_per_token
    touched_share = 1.0 - (1.0 - replica.expert_pick_share) ** batch  # experts a step uses, per layer
    tokens_per_expert = batch * replica.expert_pick_share / touched_share
    g = expert_gemm_efficiency(tokens_per_expert, eff.moe_half_tokens)
    return replica.flops_per_token - replica.routed_flops_per_token + replica.routed_flops_per_token / g


def decode_step_seconds(replica: Replica, batch: float, context_tokens: float, eff: Efficiency) -> float:
    """Time of one decode step of ``batch`` sequences at mean context ``context_tokens`` [s]."""
    return (decode_step_parts(replica, batch, context_tokens, eff).step_s + activation_seconds(replica, batch, eff) + allreduce_seconds(replica, batch, eff)
            + eff.step_overhead_ms / MS_PER_S)


def prefill_seconds(replica: Replica, input_tokens: float, eff: Efficiency) -> float:
    """Time to prefill one prompt of ``input_tokens`` tokens (compute-bound, causal attention) [s]."""
    eff = eff.at_tp(replica.tp)
    matmul = input_tokens * replica.flops_per_token / (replica.tp * replica.peak_flops * eff.prefill_efficiency)
    attention = attention_flops_prefill(replica, input_tokens) / (replica.tp * replica.attention_peak_flops * eff.prefill_efficiency)
    return matmul + attention + activation_seconds(replica, input_tokens, eff) + allreduce_seconds(replica, input_tokens, eff)


@dataclasses.dataclass(frozen=True)
class ReplicaRate:
    """Steady-state rates of one replica at a batch size."""

    output_tokens_per_s: float
    ttft_s: float
    tpot_s: float
    decode_step_s: float
    prefill_time_share: float  # share of the replica's time spent prefilling prompts [fraction]


def replica_rate(replica: Replica, batch: int, input_tokens: float, output_tokens: float, eff: Efficiency) -> ReplicaRate:
    """Output tokens/s, time to first token and time per output token of one replica [token/s, s]."""
    step = decode_step_seconds(replica, batch, input_tokens + output_tokens / 2, eff)
    prefill = prefill_seconds(replica, input_tokens, eff)
    cycle = output_tokens * step + batch * prefill
    return ReplicaRate(
        output_tokens_per_s=batch * output_tokens / cycle,
        ttft_s=prefill + step,
        tpot_s=step + batch * prefill / output_tokens,
        decode_step_s=step,
        prefill_time_share=batch * prefill / cycle,
    )


def decode_rate(replica: Replica, batch: int, input_tokens: float, output_tokens: float, eff: Efficiency) -> float:
    """Decode-only output tokens/s of one replica (prompt processing excluded) [token/s]."""
    return batch / decode_step_seconds(replica, batch, input_tokens + output_tokens / 2, eff)


# ---------------------------------------------------------------------------------------------
# Building a replica from the catalog


def peak_tflops(gpu: catalog.Gpu, precision_id: str) -> float:
    """Dense tensor throughput the precision's matrix multiplies run at [TFLOP/s].

    FP8 and FP4 use their own tensor cores where the GPU has them; INT8 uses INT8 tensor
    cores (W8A8); weight-only formats (int4 AWQ/GPTQ, GGUF) compute in 16-bit.
    """
    if precision_id == "fp4":
        return gpu.fp4_dense_tflops or gpu.fp8_dense_tflops or gpu.bf16_dense_tflops
    if precision_id == "fp8":
        return gpu.fp8_dense_tflops or gpu.bf16_dense_tflops
    if precision_id == "int8":
        return gpu.int8_dense_tops or gpu.bf16_dense_tflops
    return gpu.bf16_dense_tflops


def routed_expert_params_b(arch: Architecture) -> float:
    """Parameters in routed experts [billion], from total = dense + routed and active = dense + routed x k/E."""
    if not arch.num_experts or not arch.experts_per_token:
        return 0.0
    share = arch.experts_per_token / arch.num_experts
    return (arch.total_params_b - arch.active_params_b) / (1.0 - share)


def attention_width(arch: Architecture) -> float:
    """Per-token attention FLOPs per context token per layer / 4: heads x (absorbed) head dim [count]."""
    if arch.attention_kind in ("MLA", "MLA+DSA"):
        return arch.num_attention_heads * (arch.mla_kv_lora_rank + arch.mla_qk_rope_head_dim)
    return arch.num_attention_heads * arch.head_dim


def kv_replication(arch: Architecture, tp: int, attention_dp: bool = False) -> float:
    """How many times a replica of ``tp`` GPUs stores each KV byte [ratio >= 1].

    Tensor parallelism splits the KV heads over the GPUs; with fewer KV heads than GPUs each
    GPU still keeps at least one head, so heads are copied (Qwen3 235B: 4 KV heads on 8 GPUs,
    2 copies). MLA's compressed latent is shared by all heads and cannot be split: every GPU
    keeps all of it (tp copies). Attention data parallelism keeps each sequence on one GPU.
    """
    if tp == 1 or attention_dp:
        return 1.0
    if arch.attention_kind in ("MLA", "MLA+DSA"):
        return float(tp)
    heads = arch.num_kv_heads
    return math.ceil(heads / tp) * tp / heads


def tp_splits(gpus: int) -> list[int]:
    """Replica sizes (1, 2, 4, ...) that divide ``gpus`` evenly [count]."""
    return [c for c in TP_FRIENDLY_GPU_COUNTS if c <= gpus and gpus % c == 0]


def check_attention_dp(arch: Architecture, attention_dp: bool | None) -> None:
    """Refuse attention data parallelism for a dense model: it only differs from replicas where experts are split."""
    if attention_dp and not arch.num_experts:
        raise CostmodelError(f"attention data parallelism (attention_dp) applies to MoE models; {arch.model_id} is dense "
                             f"(serve it as tensor_parallel=1 replicas instead)")


def attention_dp_layouts(arch: Architecture, tp: int, attention_dp: bool | None) -> list[bool]:
    """The attention_dp values to try for a replica of ``tp`` GPUs: the one given, else both for MoE models.

    On one GPU the two layouts are the same replica, so only ``False`` is tried.
    """
    check_attention_dp(arch, attention_dp)
    if tp == 1:
        return [False]
    if attention_dp is not None:
        return [attention_dp]
    return [False, True] if arch.num_experts else [False]


def build_replica(arch: Architecture, gpu: catalog.Gpu, tp: int, precision_id: str, kv_precision_id: str,
                  *, attention_dp: bool = False, db_path: Path | None = None) -> Replica:
    """A replica of ``tp`` GPUs serving ``arch`` at a weight and KV precision.

    ``attention_dp`` (MoE models only): attention, dense layers, shared experts and embeddings
    are copied on every GPU, each GPU serving its own sequences, and only the routed experts are
    split (expert parallelism) -- as TensorRT-LLM's and SGLang's attention data parallelism do.
    """
    bits, emb_bits = precision_bits(precision_id, db_path=db_path)
    kv_bits = precision_bits(kv_precision_id, db_path=db_path)[0]
    w_bytes = weights_bytes(arch.total_params_b, arch.embedding_params_b, bits, emb_bits)
    routed = routed_expert_params_b(arch) * 1e9 * bits / 8
    check_attention_dp(arch, attention_dp)
    attention_dp = attention_dp and tp > 1
    copies = kv_replication(arch, tp, attention_dp)
    return Replica(
        tp=tp,
        weight_bytes=w_bytes,
        routed_expert_bytes=routed,
        expert_pick_share=(arch.experts_per_token / arch.num_experts) if arch.num_experts else 0.0,
        kv_bytes_per_seq=lambda ctx, _a=arch, _b=kv_bits, _c=copies: _c * kv_cache_bytes(_a, ctx, _b),
        flops_per_token=2 * arch.active_params_b * 1e9,
        routed_flops_per_token=2 * routed_expert_params_b(arch) * 1e9 * ((arch.experts_per_token / arch.num_experts) if arch.num_experts else 0.0),
        attention_flops_per_token_layer_context=4 * attention_width(arch),
        full_attention_layers=arch.kv_layers - arch.sliding_window_layers,
        window_layers=arch.sliding_window_layers,
        window_tokens=float(arch.sliding_window_tokens) if arch.sliding_window_layers else math.inf,
        hidden_size=arch.hidden_size,
        num_layers=arch.num_layers,
        bandwidth_bytes_per_s=gpu.memory_bandwidth_gb_per_s * GB_PER_S,
        peak_flops=peak_tflops(gpu, precision_id) * TFLOPS,
        # An FP8 KV cache halves the bytes read, but engines dequantize it to 16 bits for the attention
        # math (SGLang issue 10083; vLLM computes in FP8 only with FlashAttention 3).
        attention_peak_flops=peak_tflops(gpu, "bf16") * TFLOPS,
        link_bytes_per_s=(gpu.interconnect_gb_per_s or PCIE_GEN4_GB_PER_S) * GB_PER_S,
        expert_pick_count=arch.experts_per_token or 0,
        # Under attention data parallelism each GPU runs whole layers for 1/tp of the tokens.
        activation_bytes_per_token=activation_bytes_per_token(arch, 1) / tp if attention_dp else activation_bytes_per_token(arch, tp),
        attention_dp=attention_dp,
        duplicate_weight_bytes=(tp - 1) * (w_bytes - routed) if attention_dp else 0.0,
    )


def max_batch_for_memory(replica: Replica, gpu: catalog.Gpu, context_tokens: float, budget: MemoryBudget) -> int:
    """Most sequences of ``context_tokens`` whose KV cache fits beside the weights, by the engine's budget [count]."""
    resident_gb = (replica.weight_bytes + replica.duplicate_weight_bytes) / BYTES_PER_GB
    # Under attention data parallelism the MoE gathers every rank's tokens of the pass.
    rows = budget.max_num_tokens * (replica.tp if replica.attention_dp else 1)
    workspace_gb = moe_workspace_bytes(replica.hidden_size, replica.expert_pick_count, rows) / BYTES_PER_GB
    room = budget.kv_room_gb(gpu.memory_gib, replica.tp, resident_gb, workspace_gb) * BYTES_PER_GB
    return max(int(room // replica.kv_bytes_per_seq(context_tokens)), 0)


def token_budget_batch(replica: Replica, max_num_tokens: int, input_tokens: float, output_tokens: float) -> int:
    """Largest steady batch a per-pass token budget sustains [count].

    Every forward pass carries at most ``max_num_tokens`` tokens: one per running sequence plus
    the prompts admitted to replace the finished ones. A batch of B holds if B + (B / output) x
    input <= budget, so B <= budget x output / (input + output); prompt-heavy work (2,048 in, 128
    out: 481 sequences at 8,192 tokens) runs far below the memory limit. Under attention data
    parallelism every GPU schedules its own passes.
    """
    ranks = replica.tp if replica.attention_dp else 1
    return int(max_num_tokens * output_tokens / (input_tokens + output_tokens)) * ranks


def smallest_tp(arch: Architecture, gpu: catalog.Gpu, gpus: int, precision_id: str, kv_precision_id: str,
                context_tokens: float, budget: MemoryBudget, *, db_path: Path | None = None) -> int | None:
    """Fewest GPUs per replica (1, 2, 4, ...) dividing ``gpus`` that hold the weights and one sequence."""
    for tp in tp_splits(gpus):
        replica = build_replica(arch, gpu, tp, precision_id, kv_precision_id, db_path=db_path)
        if max_batch_for_memory(replica, gpu, context_tokens, budget) >= 1:
            return tp
    return None


# ---------------------------------------------------------------------------------------------
# Batch size: what memory allows, what the engine allows, what latency targets allow


def best_batch(replica: Replica, batch_limit: int, input_tokens: float, output_tokens: float, eff: Efficiency,
               ttft_s: float | None = None, tpot_s: float | None = None) -> int:
    """Largest batch up to ``batch_limit`` whose TTFT and TPOT meet the targets (0 if none does)."""
    if batch_limit < 1:
        return 0

    def ok(b: int) -> bool:
        rate = replica_rate(replica, b, input_tokens, output_tokens, eff)
        return (ttft_s is None or rate.ttft_s <= ttft_s) and (tpot_s is None or rate.tpot_s <= tpot_s)

    if ok(batch_limit):
        return batch_limit
    if not ok(1):
        return 0
    lo, hi = 1, batch_limit  # ok(lo), not ok(hi); TPOT and TTFT grow with the batch
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


# ---------------------------------------------------------------------------------------------
# The calibrated estimate


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Fitted efficiencies of one (engine, GPU family) group and the error band [ratios]."""

    engine_id: str
    gpu_family: str
    efficiency: Efficiency
    band_low_ratio: float  # measured / predicted at the low quantile of leave-one-out residuals
    band_high_ratio: float
    rows_used: int
    fitted_on: str


def calibration_for(engine_id: str, gpu_family: str, *, db_path: Path | None = None) -> Calibration:
    """The fitted calibration of a group, falling back to the engine's, then the global fit."""
    return _calibration_for(engine_id, gpu_family, str(db_path or ""))


@functools.lru_cache(maxsize=256)
def _calibration_for(engine_id: str, gpu_family: str, db_key: str) -> Calibration:
    db_path = Path(db_key) if db_key else None
    frame = store.query(
        "SELECT * FROM throughput_calibration WHERE (engine_id, gpu_family) IN ((?, ?), (?, 'all'), ('all', 'all')) "
        "ORDER BY (engine_id = 'all'), (gpu_family = 'all'), fitted_on DESC LIMIT 1",
        [engine_id, gpu_family, engine_id],
        db_path=db_path,
    )
    if frame.height == 0:
        raise CostmodelError("the store has no throughput calibration; run `costmodel calibrate`")
    r = frame.row(0, named=True)
    return Calibration(
        engine_id=r["engine_id"], gpu_family=r["gpu_family"],
        efficiency=Efficiency(**{f.name: r[f.name] for f in dataclasses.fields(Efficiency)}),
        band_low_ratio=r["band_low_ratio"], band_high_ratio=r["band_high_ratio"],
        rows_used=r["rows_used"], fitted_on=str(r["fitted_on"]),
    )


@dataclasses.dataclass(frozen=True)
class ThroughputEstimate:
    """Sustained throughput of a deployment of ``gpus`` GPUs (all rates for the whole deployment)."""

    model_id: str
    gpu_id: str
    gpus: int
    tensor_parallel: int
    attention_dp: bool  # MoE: attention and dense layers data-parallel, routed experts split over the replica
    replicas: int
    precision_id: str
    kv_precision_id: str
    engine_id: str
    input_tokens: int
    output_tokens: int
    concurrency: int
    output_tokens_per_s: float
    input_tokens_per_s: float
    output_tokens_per_s_low: float
    output_tokens_per_s_high: float
    ttft_ms: float
    tpot_ms: float
    bound: str  # "memory" or "compute" (the decode step's limit)
    prefill_time_share: float  # share of GPU time spent on prompts: splits $/M tokens into input and output [fraction]
    max_concurrency_memory: int
    calibration_group: str
    bandwidth_efficiency: float
    compute_efficiency: float
    step_overhead_ms: float
    model_multiplier: float  # fitted (engine, model) factor on top of the engine and GPU-family calibration [ratio]
    measured_rows_for_model: int  # usable calibration rows that measured this model, on any GPU or engine [count]
    caveat: str | None  # set when no measurement of this model backs the calibration

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dataclasses.asdict(self)


def throughput(
    model: str,
    gpu: str,
    gpus: int = 1,
    *,
    precision: str = "bf16",
    kv_precision: str | None = None,
    engine: str = "vllm",
    input_tokens: int = 1000,
    output_tokens: int = 250,
    concurrency: int | None = None,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    tensor_parallel: int | None = None,
    attention_dp: bool | None = None,
    db_path: Path | None = None,
) -> ThroughputEstimate:
    """Calibrated sustained throughput of ``gpus`` GPUs serving a model [token/s].

    Parameters
    ----------
    model, gpu : ids or aliases
    gpus : GPUs in the deployment [count]; split into replicas of ``tensor_parallel`` GPUs
    precision, kv_precision : weight and KV-cache precision ids (KV default: bf16)
    engine : engine id whose calibration and batch limit apply
    input_tokens, output_tokens : mean prompt and output length per request [token]
    concurrency : requests in flight across the deployment [count]; default: the largest batch
        that fits in memory (capped by the engine's batch limit), or that meets the latency targets
    tpot_ms, ttft_ms : latency targets: time per output token and time to first token [ms]
    tensor_parallel : GPUs per replica; default: the split (1, 2, 4, ...) that serves the most tokens/s
    attention_dp : MoE models only: copy attention and dense layers on every GPU of a replica and
        split only the routed experts (TensorRT-LLM/SGLang attention data parallelism); default:
        whichever layout serves more
    """
    gpus = positive_int("gpus", gpus)
    input_tokens = positive_int("input_tokens", input_tokens)
    output_tokens = positive_int("output_tokens", output_tokens)
    model_row = catalog.get_model(model, db_path=db_path)
    arch = Architecture.from_model(model_row)
    device = catalog.get_gpu(gpu, db_path=db_path)
    precision_id = catalog.resolve_precision_id(precision, db_path=db_path)
    kv_id = catalog.resolve_precision_id(kv_precision or default_kv_precision(precision_id), db_path=db_path)
    engine_id = _resolve_engine(engine, db_path=db_path)
    if input_tokens + output_tokens > arch.context_tokens:
        raise CostmodelError(
            f"input_tokens + output_tokens = {input_tokens + output_tokens} exceeds {arch.model_id}'s context of {arch.context_tokens} tokens"
        )
    budget = MemoryBudget.for_engine(engine_id, db_path=db_path)
    engine_batch_limit = int(runtime_input("max_batch_sequences", engine_id, db_path=db_path))
    context = input_tokens + output_tokens
    cal = calibration_for(engine_id, device.gpu_family, db_path=db_path)
    per_model = model_multiplier(engine_id, arch.model_id, db_path=db_path)
    if concurrency is not None:
        concurrency = positive_int("concurrency", concurrency)
    ttft_s = None if ttft_ms is None else positive("ttft_ms", ttft_ms) / MS_PER_S
    tpot_s = None if tpot_ms is None else positive("tpot_ms", tpot_ms) / MS_PER_S

    measured, excluded = measured_rows(arch.model_id, db_path=db_path)
    caveat = None if measured else (
        f"no usable throughput measurement of {arch.model_id}: the estimate carries the calibration over from other models"
        + (f" ({excluded} measurement(s) of it are excluded; `costmodel validate` shows the model's error on them)" if excluded else "")
    )
    check_attention_dp(arch, attention_dp)

    def estimate(tp: int, adp: bool) -> ThroughputEstimate:
        replicas = gpus // tp
        replica = build_replica(arch, device, tp, precision_id, kv_id, attention_dp=adp, db_path=db_path)
        memory_batch = max_batch_for_memory(replica, device, context, budget)
        if memory_batch < 1:
            raise CostmodelError(f"{arch.model_id} in {precision_id} with {context}-token sequences does not fit on "
                                 f"{tp} x {device.gpu_id} per replica")
        eff = scaled(cal.efficiency, per_model)
        if concurrency is not None:
            batch = math.ceil(concurrency / replicas)
            if batch > memory_batch:
                raise CostmodelError(
                    f"concurrency {concurrency} does not fit: each of the {replicas} replica(s) of {tp} x {device.gpu_id} "
                    f"holds at most {memory_batch} sequences of {context} tokens in memory ({memory_batch * replicas} in all)"
                )
        else:
            limit = min(memory_batch, engine_batch_limit, token_budget_batch(replica, budget.max_num_tokens, input_tokens, output_tokens))
            batch = best_batch(replica, max(limit, 1), input_tokens, output_tokens, eff, ttft_s, tpot_s)
            if batch == 0:
                rate1 = replica_rate(replica, 1, input_tokens, output_tokens, eff)
                raise CostmodelError(
                    f"no batch meets the latency targets: even one request gets TTFT {rate1.ttft_s * MS_PER_S:.0f} ms "
                    f"and TPOT {rate1.tpot_s * MS_PER_S:.1f} ms on {tp} x {device.gpu_id}"
                )
        rate = replica_rate(replica, batch, input_tokens, output_tokens, eff)
        parts = decode_step_parts(replica, batch, input_tokens + output_tokens / 2, eff)
        out = rate.output_tokens_per_s * replicas
        return ThroughputEstimate(
            model_id=arch.model_id, gpu_id=device.gpu_id, gpus=gpus, tensor_parallel=tp,
            attention_dp=replica.attention_dp, replicas=replicas,
            precision_id=precision_id, kv_precision_id=kv_id, engine_id=engine_id,
            input_tokens=input_tokens, output_tokens=output_tokens, concurrency=batch * replicas,
            output_tokens_per_s=out, input_tokens_per_s=out * input_tokens / output_tokens,
            output_tokens_per_s_low=out * cal.band_low_ratio, output_tokens_per_s_high=out * cal.band_high_ratio,
            ttft_ms=rate.ttft_s * MS_PER_S, tpot_ms=rate.tpot_s * MS_PER_S,
            bound="memory" if parts.memory_s >= parts.compute_s else "compute",
            prefill_time_share=rate.prefill_time_share,
            max_concurrency_memory=memory_batch * replicas,
            calibration_group=f"{cal.engine_id}/{cal.gpu_family}" + (f" x {arch.model_id} {per_model:.2f}" if per_model != 1.0 else ""),
            bandwidth_efficiency=eff.bandwidth_efficiency, compute_efficiency=eff.compute_efficiency,
            step_overhead_ms=eff.step_overhead_ms,
            model_multiplier=per_model, measured_rows_for_model=measured, caveat=caveat,
        )

    if tensor_parallel is not None:
        tp = positive_int("tensor_parallel", tensor_parallel)
        if gpus % tp:
            raise CostmodelError(f"gpus ({gpus}) must be a multiple of tensor_parallel ({tp})")
        splits = [tp]
    else:  # no tensor parallelism given: try every split of the GPUs into replicas and keep the fastest
        splits = tp_splits(gpus)
    results, errors = [], []
    for tp in splits:
        for adp in attention_dp_layouts(arch, tp, attention_dp):
            try:
                results.append(estimate(tp, adp))
            except CostmodelError as exc:
                errors.append(exc)
    if results:
        return max(results, key=lambda e: (e.output_tokens_per_s, -e.tensor_parallel, -e.attention_dp))
    if tensor_parallel is not None:
        raise errors[0]
    if all("does not fit on" in str(e) and "per replica" in str(e) for e in errors):
        need = next((c for c in TP_FRIENDLY_GPU_COUNTS
                     if smallest_tp(arch, device, c, precision_id, kv_id, context, budget, db_path=db_path)), None)
        raise CostmodelError(
            f"{arch.model_id} in {precision_id} with {context}-token sequences does not fit on {gpus} x {device.gpu_id}"
            + (f"; it needs {need} of them" if need else "; it does not fit on 64 of them")
        )
    raise errors[0]


def model_multiplier(engine_id: str, model_id: str, *, db_path: Path | None = None) -> float:
    """The fitted (engine, model) throughput multiplier; 1 where the engine has no measured row of the model [ratio]."""
    return _model_multiplier(engine_id, model_id, str(db_path or ""))


@functools.lru_cache(maxsize=256)
def _model_multiplier(engine_id: str, model_id: str, db_key: str) -> float:
    frame = store.query(
        "SELECT multiplier FROM throughput_model_calibration WHERE engine_id = ? AND model_id = ? ORDER BY fitted_on DESC LIMIT 1",
        [engine_id, model_id], db_path=Path(db_key) if db_key else None,
    )
    return float(frame["multiplier"][0]) if frame.height else 1.0


def measured_rows(model_id: str, *, db_path: Path | None = None) -> tuple[int, int]:
    """(usable, excluded) rows of throughput_measured for a model [count]."""
    return _measured_rows(model_id, str(db_path or ""))


@functools.lru_cache(maxsize=256)
def _measured_rows(model_id: str, db_key: str) -> tuple[int, int]:
    frame = store.query(
        "SELECT count(*) FILTER (WHERE exclude_reason IS NULL) AS usable, count(*) FILTER (WHERE exclude_reason IS NOT NULL) AS excluded "
        "FROM throughput_measured WHERE model_id = ?",
        [model_id], db_path=Path(db_key) if db_key else None,
    )
    return int(frame["usable"][0]), int(frame["excluded"][0])


def _resolve_engine(engine: str, *, db_path: Path | None = None) -> str:
    known = _engine_ids(str(db_path or ""))
    low = engine.strip().lower()
    if low in known:
        return low
    from .errors import UnknownIdError

    raise UnknownIdError("engine", engine, store.closest(low, list(known)))


@functools.lru_cache(maxsize=8)
def _engine_ids(db_key: str) -> tuple[str, ...]:
    return tuple(store.query("SELECT engine_id FROM engines ORDER BY 1", db_path=Path(db_key) if db_key else None)["engine_id"].to_list())
