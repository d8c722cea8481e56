"""Throughput model: a step-level roofline of continuous-batching LLM serving, calibrated.

One replica (``tp`` GPUs) serves ``batch`` sequences at once. A decode step has two phases run
one after the other in every layer: the matrix multiplies read the weights (for MoE: the experts
the batch touches) and do 2 x active parameters FLOPs per token, taking the longer of the two;
then attention reads every sequence's KV cache and does its own FLOPs (in 16-bit), again the
longer of the two. Element-wise and MoE-routing kernels add their memory traffic; every step also
pays fixed costs that do not shrink with the batch: the scheduler's step overhead, a launch and
synchronisation cost per layer, a routing cost per MoE layer, and a latency per tensor-parallel
all-reduce. These fixed costs are why multi-GPU and MoE replicas decode far slower at low
concurrency than their bandwidth alone suggests.

Prompts are served one of two ways (``EngineLimits.mixed_prefill``): engines with chunked
prefill (vLLM V1, TensorRT-LLM in-flight batching, llama.cpp's server) put prompt chunks into the
decode steps, sharing their weight reads; the others (SGLang by default, vLLM V0) pause decoding
for separate prefill passes. In the steady state a replica produces ``batch`` tokens a step and
admits ``batch / output_tokens`` prompts a step, so

    mixed:     output tokens/s = batch / step(batch decode tokens + batch x input / output prompt tokens)
    separate:  output tokens/s = batch x output / (output x step(batch) + batch x prefill(input))

The batch is bounded by the engine's limits (``max_num_seqs``, the per-step token budget) and by
the KV cache (each running sequence holds ``input + kv_output_share x output`` tokens on
average). Latency targets are percentiles: under Poisson arrivals the number of requests in
flight fluctuates (about ``batch + z sqrt(batch)`` at a quantile) and prompts wait in a queue for
the prefill capacity (an M/M/1 tail), so a p99 target admits a smaller batch than a mean target.

The efficiencies and fixed costs are not constants here: they are fitted to the measured rows
of the store (``costmodel.models.calibration``), efficiencies bounded by 1 of the datasheet peaks, and
the low-high band comes from leave-one-source-out residuals.

``throughput()`` reads what it needs from the store once (``resolve_deployment``), then calls
the pure ``estimate()``.

References: roofline model (Williams, Waterman and Patterson 2009); LLM inference roofline
(LLM-Viewer, Yuan et al. 2024, arXiv:2402.16363); MoE expert coverage 1 - (1 - k/E)^B for
uniform routing; ring all-reduce moves 2 (n - 1)/n of the data (Patarasuk and Yuan 2009);
attention data parallelism as in TensorRT-LLM's PyTorch models and SGLang's DP attention;
chunked prefill (Agrawal et al. 2024, Sarathi-Serve, arXiv:2403.02310); M/M/1 waiting-time tail
P(W > t) = rho exp(-(1 - rho) t / s) (Kleinrock 1975).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, Callable

from costmodel.checks import positive_int
from costmodel.errors import CostmodelError
from costmodel.models.memory import (
    BYTES_PER_GB,
    TP_FRIENDLY_GPU_COUNTS,
    Architecture,
    MemoryBudget,
    activation_workspace_bytes,
    kv_cache_bytes,
    model_weights_bytes,
    moe_workspace_bytes,
    routed_expert_params_b,
)

if TYPE_CHECKING:  # records only: the model reads nothing
    from costmodel import catalog

ACTIVATION_BYTES = 2
"""Bytes of one activation value exchanged by tensor-parallel all-reduces (BF16) [byte]."""
US_PER_S = 1e6
NS_PER_S = 1e9
MS_PER_S = 1e3
ALLREDUCES_PER_LAYER = 2
"""Tensor parallelism all-reduces after attention and after the MLP in every layer."""
ALLREDUCES_PER_LAYER_ATTENTION_DP = 1
"""Attention data parallelism: the MoE all-gather and reduce-scatter move about one all-reduce's data per layer."""
PCIE_GEN4_GB_PER_S = 32
"""GPU-to-GPU bandwidth per direction where the datasheet gives no link: PCIe Gen4 x16 [GB/s]."""
TFLOPS = 1e12
GB_PER_S = 1e9
STATISTICS = ("mean", "p50", "p90", "p95", "p99")
"""Latency statistics a target may bound."""
NORMAL_QUANTILE = {"mean": 0.0, "p50": 0.0, "p90": 1.2816, "p95": 1.6449, "p99": 2.3263}
"""Standard normal quantiles of the latency statistics [1]."""
QUANTILE = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}
"""Probabilities of the percentile statistics [fraction]."""


# ---------------------------------------------------------------------------------------------
# Efficiencies: what the calibration fits


@dataclasses.dataclass(frozen=True)
class Efficiency:
    """Achieved shares of datasheet peaks (each at most 1) and the fixed costs of a decode step."""

    bandwidth_efficiency: float  # achieved / peak memory bandwidth [fraction]
    compute_efficiency: float  # achieved / peak dense tensor throughput in decode matmuls [fraction]
    step_overhead_ms: float  # scheduling, sampling and host time per decode step [ms]
    moe_tile_tokens: float = 0.0  # rows a grouped-GEMM tile pads each touched expert's tokens to [token]
    prefill_compute_efficiency: float = 1.0  # achieved / peak in prefill matmuls [fraction]
    allreduce_latency_us: float = 0.0  # fixed time of one tensor-parallel all-reduce (launch, sync) [us]
    tp_scaling_exponent: float = 0.0  # efficiencies fall as tp^-exponent: smaller per-GPU GEMMs, stragglers [1]
    link_efficiency: float = 1.0  # achieved / peak GPU-to-GPU bandwidth in all-reduces [fraction]
    moe_pair_ns: float = 0.0  # time per (token, routed expert) pair per layer: routing, permute, combine [ns]
    layer_overhead_us: float = 0.0  # fixed time per layer per step: kernel launches and syncs [us]
    moe_layer_overhead_us: float = 0.0  # fixed time per MoE layer per step: routing and grouped-GEMM launches [us]
    moe_bandwidth_efficiency: float = 1.0  # achieved / peak bandwidth reading routed experts, relative to dense weights [fraction]
    fp4_compute_efficiency: float = 1.0  # achieved / peak FP4 tensor throughput, relative to the other formats' [fraction]
    attention_bandwidth_efficiency: float = 1.0  # achieved / peak bandwidth of decode attention reading the KV cache [fraction]
    dequant_compute_efficiency: float = 1.0  # weight-only formats: matmul throughput left after dequantising in the kernel [fraction]
    request_overhead_ms: float = 0.0  # serial host time per request: admission, tokenising, detokenising, freeing [ms]

    def at_tp(self, tp: int) -> Efficiency:
        """These efficiencies for a replica split over ``tp`` GPUs."""
        if tp == 1 or self.tp_scaling_exponent == 0:
            return self
        f = tp ** -self.tp_scaling_exponent
        return dataclasses.replace(self, bandwidth_efficiency=min(self.bandwidth_efficiency * f, 1.0),
                                   compute_efficiency=min(self.compute_efficiency * f, 1.0),
                                   prefill_compute_efficiency=min(self.prefill_compute_efficiency * f, 1.0),
                                   tp_scaling_exponent=0.0)


@dataclasses.dataclass(frozen=True)
class FitParameter:
    """One fitted field of Efficiency: bounds, whether it is fitted in logs, which rows inform it."""

    name: str
    lower: float
    upper: float
    log: bool = True  # fitted as log(value): positive and scale-free
    needs: str = "all"  # "all"; only with rows that have: "moe" MoE, "tp" tensor parallelism, "fp4" FP4 matmuls, "weight-only" dequantised weights
    scale: int = 0  # how a multiplier m applies: +1 value x m capped at 1 (efficiencies), -1 value / m (fixed times), 0 not


FIT_PARAMETERS = (
    FitParameter("bandwidth_efficiency", 0.05, 1.0, scale=+1),
    FitParameter("compute_efficiency", 0.02, 1.0, scale=+1),
    FitParameter("step_overhead_ms", 0.01, 30.0, scale=-1),
    FitParameter("moe_tile_tokens", 1.0, 128.0, needs="moe"),
    FitParameter("prefill_compute_efficiency", 0.02, 1.0, scale=+1),
    FitParameter("allreduce_latency_us", 0.1, 100.0, needs="tp", scale=-1),
    FitParameter("tp_scaling_exponent", 0.0, 0.5, log=False, needs="tp"),
    FitParameter("link_efficiency", 0.05, 1.0, needs="tp", scale=+1),
    FitParameter("moe_pair_ns", 1e-3, 20.0, needs="moe", scale=-1),
    FitParameter("layer_overhead_us", 0.01, 60.0, scale=-1),
    FitParameter("moe_layer_overhead_us", 0.01, 200.0, needs="moe", scale=-1),
    FitParameter("moe_bandwidth_efficiency", 0.05, 1.0, needs="moe", scale=+1),
    FitParameter("fp4_compute_efficiency", 0.05, 1.0, needs="fp4", scale=+1),
    FitParameter("attention_bandwidth_efficiency", 0.05, 1.0, scale=+1),
    FitParameter("dequant_compute_efficiency", 0.05, 1.0, needs="weight-only", scale=+1),
    FitParameter("request_overhead_ms", 0.001, 20.0, scale=-1),
)
"""Every field of Efficiency, all fitted, with physical bounds: efficiencies at most 1 of a datasheet peak; the expert
tile at most 128 rows (the padding a grouped GEMM can waste); a layer's fixed time at most 60 us (about 15 kernels of
4 us launch-and-sync each); an all-reduce's latency at most 100 us (NCCL over PCIe); a (token, expert) pair at most
20 ns (copying a 7,168-wide BF16 hidden state in and out at 1.4 TB/s); a forward pass's host time at most 30 ms."""

EFFICIENCY_SHARES = tuple(p.name for p in FIT_PARAMETERS if p.scale == +1)
"""The fields that are shares of a peak, capped at 1 [fraction]."""


def scaled(eff: Efficiency, multiplier: float) -> Efficiency:
    """Efficiencies times ``multiplier`` (at most 1) and fixed times divided by it: throughput scales by about ``multiplier``."""
    return scaled_split(eff, multiplier, multiplier)


def scaled_split(eff: Efficiency, efficiency_multiplier: float, fixed_multiplier: float) -> Efficiency:
    """Efficiencies times one multiplier (at most 1), fixed times divided by another.

    Engines differ in two ways: how close their kernels get to the datasheet (efficiencies) and
    how much host and launch time a step costs them (fixed times); the calibration scales each.
    """
    values = {}
    for p in FIT_PARAMETERS:
        if p.scale == +1:
            values[p.name] = min(getattr(eff, p.name) * efficiency_multiplier, 1.0)
        elif p.scale == -1:
            values[p.name] = getattr(eff, p.name) / fixed_multiplier
    return dataclasses.replace(eff, **values)


ROOFLINE = Efficiency(1.0, 1.0, 0.0)
"""The plain, uncalibrated roofline: datasheet peaks, no overhead."""


# ---------------------------------------------------------------------------------------------
# A replica and the engine's limits


@dataclasses.dataclass(frozen=True)
class EngineLimits:
    """What bounds an engine's batch and how it schedules prompts (engine defaults or a run's flags)."""

    max_num_seqs: int  # sequences a replica runs at once (vLLM max_num_seqs, TensorRT-LLM max_batch_size) [count]
    max_num_tokens: int  # tokens one forward pass carries: decode tokens plus prompt chunks [token]
    mixed_prefill: bool = True  # prompt chunks ride in decode steps (chunked prefill) rather than separate passes
    kv_output_share: float = 0.5  # KV held per running sequence: input + share x output [fraction]
    recompute_preemption: bool = False  # admits by prompt size and, out of KV blocks, evicts and later recomputes sequences


def recompute_input_tokens(input_tokens: float, output_tokens: float, wanted: float, held: float,
                           limits: EngineLimits) -> float:
    """Prompt tokens a request costs when ``wanted`` requests in flight exceed the ``held`` that fit at full length [token].

    Engines that admit by prompt size (vLLM, SGLang) start more requests than their KV cache can
    finish together; as the sequences grow, the newest are evicted and later prefilled again,
    prompt and generated tokens alike. In a batch that runs in step (fixed lengths) the share
    evicted is output / (input + output) of those admitted beyond what fits at full length, each
    recomputing about input + output / 2 tokens.
    """
    if not limits.recompute_preemption or wanted <= held:
        return input_tokens
    evicted = min(1.0 - held / wanted, output_tokens / (input_tokens + output_tokens))
    return input_tokens + evicted * (input_tokens + output_tokens / 2)


@dataclasses.dataclass(frozen=True)
class Replica:
    """Everything the step-time functions need about one replica (bytes [byte], FLOPs, [byte/s])."""

    tp: int
    weight_bytes: float
    routed_expert_bytes: float
    expert_pick_share: float  # experts_per_token / num_experts; 0 for dense models
    kv_bytes_per_seq: Callable[[float], float]  # context_tokens -> bytes of one sequence's KV cache
    flops_per_token: float  # 2 x active parameters (routed experts included)
    routed_flops_per_token: float  # 2 x active routed-expert parameters; 0 for dense models
    attention_flops_per_token_layer_context: float  # 4 x heads x (absorbed) head dim
    full_attention_layers: int
    window_layers: int
    window_tokens: float  # sliding window; inf when none
    hidden_size: int
    num_layers: int
    bandwidth_bytes_per_s: float  # per GPU
    peak_flops: float  # per GPU, at the weights' compute format (16-bit for weight-only formats)
    attention_peak_flops: float  # per GPU, 16-bit: attention math runs in BF16/FP16 whatever the KV cache stores
    link_bytes_per_s: float  # per GPU, per direction
    expert_pick_count: int = 0  # experts each token is routed to
    activation_bytes_per_token: float = 0.0  # per GPU: what element-wise kernels read and write per token, all layers [byte]
    attention_dp: bool = False  # MoE: attention, dense and shared layers copied on every GPU, routed experts split
    duplicate_weight_bytes: float = 0.0  # weights held (and read each step) more than once across the replica's GPUs [byte]
    moe_layers: int = 0  # layers with routed experts [count]
    pp: int = 1  # pipeline stages, each of tp GPUs holding 1/pp of the layers [count]
    fp4_matmuls: bool = False  # the weight matmuls run on FP4 tensor cores (NVFP4/MXFP4 natively on Blackwell)
    profile_bytes_per_pass_token: float = 0.0  # per GPU: dense activation peak per token of the profiling pass [byte]
    weight_only: bool = False  # weights dequantised to 16 bits inside the matmul (GGUF k-quants, AWQ/GPTQ, FP8 on Ampere)
    prefill_attention_flops_per_token_layer_context: float = 0.0  # prompts' attention, when it differs (MLA); 0: as decode

    @property
    def gpus(self) -> int:
        """GPUs in the replica: tp in each of pp stages [count]."""
        return self.tp * self.pp

    def busy_gpus(self, batch: float) -> float:
        """GPUs working at once: all of them once the batch fills every pipeline stage, else tp per busy stage [count]."""
        return self.tp * min(self.pp, max(batch, 1.0))


def attention_flops_decode(replica: Replica, context_tokens: float) -> float:
    """Attention FLOPs of one decode token at a context (QK and AV over the cached keys) [FLOP]."""
    reach = replica.full_attention_layers * context_tokens + replica.window_layers * min(context_tokens, replica.window_tokens)
    return replica.attention_flops_per_token_layer_context * reach


def attention_flops_prefill(replica: Replica, input_tokens: float) -> float:
    """Attention FLOPs of prefilling a prompt (causal: token i attends to i keys, window-capped) [FLOP]."""
    n, w = input_tokens, replica.window_tokens
    windowed = n * n / 2 if n <= w else w * w / 2 + (n - w) * w
    per = replica.prefill_attention_flops_per_token_layer_context or replica.attention_flops_per_token_layer_context
    return per * (replica.full_attention_layers * n * n / 2 + replica.window_layers * windowed)


def moe_bytes_read(replica: Replica, tokens: float) -> float:
    """Weight bytes one forward pass of ``tokens`` tokens reads on all the replica's GPUs together [byte].

    The dense part (every copy of it, under attention data parallelism) plus the routed experts
    the tokens touch.
    """
    return dense_bytes_read(replica) + routed_bytes_read(replica, tokens)


def dense_bytes_read(replica: Replica) -> float:
    """Bytes of the weights every pass reads whatever its tokens: all but the routed experts, every copy [byte]."""
    return replica.weight_bytes + replica.duplicate_weight_bytes - replica.routed_expert_bytes


def routed_bytes_read(replica: Replica, tokens: float) -> float:
    """Bytes of the routed experts a pass of ``tokens`` tokens touches (uniform routing: 1 - (1 - k/E)^tokens of them) [byte]."""
    if replica.routed_expert_bytes == 0:
        return 0.0
    return replica.routed_expert_bytes * (1.0 - (1.0 - replica.expert_pick_share) ** tokens)


def allreduce_seconds(replica: Replica, tokens: float, eff: Efficiency = ROOFLINE) -> float:
    """Time of the tensor-parallel all-reduces for ``tokens`` tokens through all layers [s].

    Each all-reduce moves 2 (tp - 1) / tp of the activations over the link and costs a fixed
    latency (launch, synchronisation, the stragglers of smaller per-GPU GEMMs). Under attention
    data parallelism only the MoE exchange remains: gathering the tokens to the experts' GPUs and
    reducing them back moves as much as one all-reduce per layer.
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
    pairs = tokens * replica.expert_pick_count * replica.num_layers / replica.busy_gpus(tokens)
    stages = min(replica.pp, max(tokens, 1.0))
    return (tokens * replica.activation_bytes_per_token / (stages * replica.bandwidth_bytes_per_s * eff.bandwidth_efficiency)
            + pairs * eff.moe_pair_ns / NS_PER_S)


def fixed_step_seconds(replica: Replica, eff: Efficiency) -> float:
    """Time a forward pass pays whatever its batch [s]: step overhead, per-layer launches, per-MoE-layer routing.

    (The all-reduce latencies are in ``allreduce_seconds``.)
    """
    return (eff.step_overhead_ms / MS_PER_S + replica.num_layers * eff.layer_overhead_us / US_PER_S
            + replica.moe_layers * eff.moe_layer_overhead_us / US_PER_S)


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


def matmul_format_efficiency(replica: Replica, eff: Efficiency) -> float:
    """Share of the format's tensor peak the weight matmuls keep: FP4 kernels' own efficiency, or what
    dequantising weight-only formats in the kernel leaves (llama.cpp's MMQ, Marlin) [fraction]."""
    if replica.fp4_matmuls:
        return eff.fp4_compute_efficiency
    return eff.dequant_compute_efficiency if replica.weight_only else 1.0


def decode_step_parts(replica: Replica, batch: float, context_tokens: float, eff: Efficiency,
                      prefill_tokens: float = 0.0, prompt_tokens: float = 0.0) -> DecodeStepParts:
    """Memory and compute time of a step's matmul and attention phases [s].

    ``prefill_tokens`` prompt tokens of prompts ``prompt_tokens`` long ride in the step (chunked
    prefill): they share its weight reads, add their matmul FLOPs at the prefill efficiency and
    attend to half their prompt on average.
    """
    eff = eff.at_tp(replica.tp)
    gpus = replica.busy_gpus(batch)  # a pipeline overlaps its stages only with one micro-batch per stage
    bandwidth = gpus * replica.bandwidth_bytes_per_s * eff.bandwidth_efficiency
    matmul_peak = gpus * replica.peak_flops * matmul_format_efficiency(replica, eff)
    attention_peak = gpus * replica.attention_peak_flops
    matmul = batch * decode_matmul_flops_equivalent(replica, batch + prefill_tokens, eff) / (matmul_peak * eff.compute_efficiency)
    attention = batch * attention_flops_decode(replica, context_tokens) / (attention_peak * eff.compute_efficiency)
    if prefill_tokens:
        matmul += prefill_tokens * replica.flops_per_token / (matmul_peak * eff.prefill_compute_efficiency)
        attention += prefill_tokens * attention_flops_decode(replica, prompt_tokens / 2) / (attention_peak * eff.prefill_compute_efficiency)
    return DecodeStepParts(
        # grouped expert GEMMs read their many small matrices slower than dense GEMMs read theirs
        weights_memory_s=(dense_bytes_read(replica) + routed_bytes_read(replica, batch + prefill_tokens) / eff.moe_bandwidth_efficiency)
        / bandwidth,
        matmul_compute_s=matmul,
        # decode attention kernels gather paged KV blocks: their own achieved bandwidth, not the weights'
        kv_memory_s=batch * replica.kv_bytes_per_seq(context_tokens) / (gpus * replica.bandwidth_bytes_per_s * eff.attention_bandwidth_efficiency),
        attention_compute_s=attention,
    )


def expert_gemm_efficiency(tokens_per_expert: float, tile_tokens: float) -> float:
    """Share of an expert GEMM's compute that is real work when its tokens are padded to a tile [fraction].

    Grouped GEMMs run every touched expert in tiles of ``tile_tokens`` rows: an expert that gets
    t < tile tokens in a step still pays a whole tile's FLOPs, t / tile of them useful. Fine-grained
    MoE models (DeepSeek: 256 experts, 8 picked) give each touched expert few tokens and waste most
    of their expert compute; it only costs time where the step is compute-bound.
    """
    if tile_tokens <= 0 or tokens_per_expert >= tile_tokens:
        return 1.0
    return tokens_per_expert / tile_tokens


def decode_matmul_flops_equivalent(replica: Replica, tokens: float, eff: Efficiency) -> float:
    """Weight-matmul FLOPs per decode token in a pass of ``tokens`` tokens, routed-expert FLOPs padded to their tiles [FLOP]."""
    if replica.routed_flops_per_token == 0:
        return replica.flops_per_token
    touched_share = 1.0 - (1.0 - replica.expert_pick_share) ** tokens  # experts a step uses, per layer
    tokens_per_expert = tokens * replica.expert_pick_share / touched_share
    g = expert_gemm_efficiency(tokens_per_expert, eff.moe_tile_tokens)
    return replica.flops_per_token - replica.routed_flops_per_token + replica.routed_flops_per_token / g


def decode_step_seconds(replica: Replica, batch: float, context_tokens: float, eff: Efficiency,
                        prefill_tokens: float = 0.0, prompt_tokens: float = 0.0) -> float:
    """Time of one step of ``batch`` decoding sequences at mean context ``context_tokens``, with prompt chunks [s]."""
    tokens = batch + prefill_tokens
    return (decode_step_parts(replica, batch, context_tokens, eff, prefill_tokens, prompt_tokens).step_s
            + activation_seconds(replica, tokens, eff) + allreduce_seconds(replica, tokens, eff)
            + fixed_step_seconds(replica, eff))


def prefill_seconds(replica: Replica, input_tokens: float, eff: Efficiency, pass_tokens: float | None = None,
                    prompts_in_flight: float | None = None) -> float:
    """Time to prefill one prompt of ``input_tokens`` tokens in a separate pass of ``pass_tokens`` tokens [s].

    Matmuls take the longer of their FLOPs and this prompt's share of the pass's weight reads;
    attention is causal; the pass's fixed costs are shared by the prompts it carries. With
    pipeline stages, ``prompts_in_flight`` prompts keep min(pp, prompts) stages busy at once:
    a lone prompt (llama-bench pp512) walks the stages one after another. None: all stages busy.
    """
    eff = eff.at_tp(replica.tp)
    share = input_tokens / max(pass_tokens or input_tokens, input_tokens)
    gpus = replica.gpus if prompts_in_flight is None else replica.busy_gpus(prompts_in_flight)
    weights = share * moe_bytes_read(replica, pass_tokens or input_tokens) / (gpus * replica.bandwidth_bytes_per_s * eff.bandwidth_efficiency)
    matmul = input_tokens * replica.flops_per_token / (gpus * replica.peak_flops * matmul_format_efficiency(replica, eff)
                                                       * eff.prefill_compute_efficiency)
    attention = attention_flops_prefill(replica, input_tokens) / (gpus * replica.attention_peak_flops * eff.prefill_compute_efficiency)
    return (max(weights, matmul) + attention + activation_seconds(replica, input_tokens, eff)
            + allreduce_seconds(replica, input_tokens, eff) + share * fixed_step_seconds(replica, eff))


@dataclasses.dataclass(frozen=True)
class ReplicaRate:
    """Steady-state rates of one replica at a batch size (means)."""

    output_tokens_per_s: float
    ttft_s: float  # prompt service time: its prefill passes or chunks, without queueing
    tpot_s: float
    decode_step_s: float
    prefill_time_share: float  # share of the replica's time spent on prompts: splits $/M tokens into input and output [fraction]
    prefill_load_share: float  # how busy the prompt capacity is (token budget or prefill passes): drives queueing [fraction]


def replica_rate(replica: Replica, batch: float, input_tokens: float, output_tokens: float, eff: Efficiency,
                 limits: EngineLimits, *, time_share: bool = True) -> ReplicaRate:
    """Output tokens/s, prompt service time and time per output token of one replica [token/s, s].

    ``time_share`` False skips the prompts' share of the time (one step model less: latency searches).
    """
    context = input_tokens + output_tokens / 2
    admit_s = eff.request_overhead_ms / MS_PER_S  # host time each request costs, once
    if limits.mixed_prefill:
        prompt_tokens_per_step = batch * input_tokens / output_tokens
        room = max(limits.max_num_tokens - batch, 1.0)
        # batch / output requests finish (and as many start) each step: their host time rides in it
        step = (decode_step_seconds(replica, batch, context, eff, prompt_tokens_per_step, input_tokens)
                + batch / output_tokens * admit_s)
        bare = decode_step_seconds(replica, batch, context, eff) if time_share else step
        chunks = math.ceil(input_tokens / room)
        return ReplicaRate(
            output_tokens_per_s=batch / step, ttft_s=chunks * step, tpot_s=step, decode_step_s=step,
            prefill_time_share=max(step - bare, 0.0) / step, prefill_load_share=min(prompt_tokens_per_step / room, 1.0),
        )
    step = decode_step_seconds(replica, batch, context, eff)
    pass_tokens = max(float(limits.max_num_tokens), input_tokens)
    prefill = prefill_seconds(replica, input_tokens, eff, pass_tokens, prompts_in_flight=batch) + admit_s
    cycle = output_tokens * step + batch * prefill
    return ReplicaRate(
        output_tokens_per_s=batch * output_tokens / cycle,
        ttft_s=prefill + step,
        tpot_s=step + batch * prefill / output_tokens,
        decode_step_s=step,
        prefill_time_share=batch * prefill / cycle,
        prefill_load_share=batch * prefill / cycle,
    )


DRAIN_GRID_POINTS = 16
"""Batch sizes (log-spaced) at which a finite run's drain is integrated [count]."""


def finite_run_rate(replica: Replica, batch_limit: int, requests: int, input_tokens: float, output_tokens: float,
                    eff: Efficiency, limits: EngineLimits, *, fixed_lengths: bool = False) -> float:
    """Output tokens/s of a finite run of ``requests`` requests, all submitted at once [token/s].

    Spread (dataset) output lengths: while requests wait, the replica runs a full batch; once the
    queue is empty the batch drains as requests finish one by one. With output lengths of mean m
    spread like an exponential (memoryless) distribution, b running requests finish one every
    m / b steps, so draining B of them takes sum_{b=1..B} (m / b) steps at a shrinking batch:
    about m ln B steps. A run of 1,000 ShareGPT prompts that all fit at once spends almost all its
    time draining, at a fraction of the steady-state rate.

    Fixed lengths (``fixed_lengths``): requests run in waves that end together; 128 requests on a
    replica that holds 92 run a wave of 92 and then one of 36, each as long as the full output.

    References: order statistics of exponential lengths (Renyi 1953); the drain of batch runs,
    e.g. vLLM's benchmark_throughput over ShareGPT.
    """
    b_cap = max(min(batch_limit, requests), 1)
    if fixed_lengths:
        waves = [b_cap] * (requests // b_cap) + ([requests % b_cap] if requests % b_cap else [])
        seconds = sum(b * output_tokens / replica_rate(replica, b, input_tokens, output_tokens, eff, limits).output_tokens_per_s
                      for b in waves)
        return requests * output_tokens / seconds
    full = replica_rate(replica, b_cap, input_tokens, output_tokens, eff, limits)
    queued_s = max(requests - b_cap, 0) * output_tokens / full.output_tokens_per_s  # steady phase at the full batch
    # Drain: between b and b' < b running requests pass m ln(b / b') steps; integrate on a log grid.
    context = input_tokens + output_tokens / 2
    grid = sorted({max(round(b_cap ** (k / (DRAIN_GRID_POINTS - 1))), 1) for k in range(DRAIN_GRID_POINTS)})
    drain_s, upper = 0.0, float(b_cap)
    for b in reversed(grid):
        lower = b / math.sqrt(grid[grid.index(b) - 1] / b) if grid.index(b) else 0.5
        steps = output_tokens * math.log(upper / max(lower, 0.5))
        drain_s += steps * decode_step_seconds(replica, b, context, eff)
        upper = lower
    prefill_s = b_cap * prefill_seconds(replica, input_tokens, eff, max(float(limits.max_num_tokens), input_tokens),
                                        prompts_in_flight=b_cap)
    return requests * output_tokens / (queued_s + drain_s + prefill_s)


def finite_rate_run_rate(replica: Replica, batch_limit: int, requests: int, request_rate_per_s: float,
                         input_tokens: float, output_tokens: float, eff: Efficiency, limits: EngineLimits) -> float:
    """Output tokens/s of a run of ``requests`` requests arriving at ``request_rate_per_s``, timed
    from the first arrival to the last completion (vLLM's and SGLang's bench_serving) [token/s].

    Arrivals last (n - 1) / rate seconds; in that time about b = rate x latency(b) requests are in
    flight (Little's law, capped by the batch limit and n), and the run ends one request latency
    after the last arrival -- or, when the rate is above what the replica serves, once the queue
    has been worked off at full batch. 50 requests at 10/s with 2,000-token outputs spend 5 s
    arriving and some 40-90 s finishing: a throughput far below the rate times the output length.
    """
    b_cap = max(min(batch_limit, requests), 1)
    arrival_s = (requests - 1) / request_rate_per_s
    b = float(b_cap)
    for _ in range(30):  # damped fixed point of b = rate x latency(b)
        r = replica_rate(replica, b, input_tokens, output_tokens, eff, limits)
        latency_s = r.ttft_s + output_tokens * r.tpot_s
        nb = min(float(b_cap), max(request_rate_per_s * latency_s, 1.0))
        if abs(nb - b) <= 0.005 * b:
            break
        b = math.sqrt(b * nb)
    capacity = replica_rate(replica, b_cap, input_tokens, output_tokens, eff, limits).output_tokens_per_s
    # requests beyond one full batch wait for capacity; the last batch then takes one latency
    busy_s = max(arrival_s, (requests - b_cap) * output_tokens / capacity)
    return requests * output_tokens / (busy_s + latency_s)


def decode_rate(replica: Replica, batch: float, input_tokens: float, output_tokens: float, eff: Efficiency) -> float:
    """Decode-only output tokens/s of one replica (prompt processing excluded) [token/s]."""
    return batch / decode_step_seconds(replica, batch, input_tokens + output_tokens / 2, eff)


def queue_wait_s(service_s: float, load_share: float, statistic: str) -> float:
    """Time a prompt waits for the prefill capacity at a load, as a statistic [s].

    M/M/1 with utilisation rho and mean service s: mean wait s rho / (1 - rho); the wait exceeds t
    with probability rho exp(-(1 - rho) t / s), so its q-quantile is s ln(rho / (1 - q)) / (1 - rho)
    (0 where rho <= 1 - q). Infinite at rho >= 1.
    """
    rho = load_share
    if rho <= 0:
        return 0.0
    if rho >= 1:
        return math.inf
    if statistic == "mean":
        return service_s * rho / (1 - rho)
    q = QUANTILE[statistic]
    return service_s * math.log(rho / (1 - q)) / (1 - rho) if rho > 1 - q else 0.0


def slot_wait_s(batch: float, capacity: int, service_s: float, statistic: str) -> float:
    """Time an arriving request waits for a free batch slot under Poisson arrivals, as a statistic [s].

    A replica with ``capacity`` slots serving requests of mean lifetime ``service_s`` at a mean
    of ``batch`` in flight is an M/G/c queue with load rho = batch / capacity. The chance of waiting
    is Erlang C, here in the Halfin-Whitt form for many servers, P = 1 / (1 + beta Phi(beta) /
    phi(beta)) with beta = (1 - rho) sqrt(c); a wait is about exponential with mean
    s / (c (1 - rho)). So a p99 TTFT limit keeps a replica some way below its full batch: about
    0.9 of it for MLPerf's 2 s on Llama 2 70B, which is why server runs reach ~0.88 of offline.

    Reference: Halfin and Whitt (1981), Operations Research 29(3).
    """
    if capacity < 1 or batch <= 0:
        return 0.0
    rho = batch / capacity
    if rho >= 1:
        return math.inf
    beta = (1 - rho) * math.sqrt(capacity)
    if beta > 8:  # the chance of waiting is below 1e-15
        return 0.0
    phi = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + math.erf(beta / math.sqrt(2)))
    p_wait = 1.0 / (1.0 + beta * big_phi / phi)
    mean_given_wait = service_s / (capacity * (1 - rho))
    if statistic == "mean":
        return p_wait * mean_given_wait
    q = QUANTILE[statistic]
    return mean_given_wait * math.log(p_wait / (1 - q)) if p_wait > 1 - q else 0.0


@dataclasses.dataclass(frozen=True)
class Latency:
    """TTFT and TPOT of a replica at a batch, as a statistic [s]."""

    ttft_s: float
    tpot_s: float


def latency(replica: Replica, batch: float, input_tokens: float, output_tokens: float, eff: Efficiency,
            limits: EngineLimits, statistic: str = "mean", poisson: bool = True, capacity: int | None = None) -> Latency:
    """TTFT and TPOT at a mean batch, as the mean or a percentile [s].

    Under Poisson arrivals the requests in flight fluctuate about the mean batch (an M/G/infinity
    count, about normal with variance ``batch``, never above ``capacity``), so a percentile of TPOT
    is the TPOT at ``batch + z sqrt(batch)``; TTFT adds the wait for a free slot (``slot_wait_s``)
    and for the prefill capacity (``queue_wait_s``). A closed loop (``poisson=False``: fixed
    concurrency) keeps the batch, but prompts still queue for the prefill capacity.
    """
    z = NORMAL_QUANTILE[statistic]
    high = batch + z * math.sqrt(batch) if poisson else batch
    if capacity:
        high = min(high, capacity)
    rate = replica_rate(replica, high, input_tokens, output_tokens, eff, limits, time_share=False)
    ttft = rate.ttft_s + queue_wait_s(rate.ttft_s, rate.prefill_load_share, statistic)
    if poisson and capacity:
        mean_rate = rate if high == batch else replica_rate(replica, batch, input_tokens, output_tokens, eff, limits, time_share=False)
        lifetime = mean_rate.ttft_s + output_tokens * mean_rate.tpot_s
        ttft += slot_wait_s(batch, capacity, lifetime, statistic)
    return Latency(ttft_s=ttft, tpot_s=rate.tpot_s)


@dataclasses.dataclass(frozen=True)
class LatencyTarget:
    """Latency limits a deployment must meet, each with the statistic it bounds (MLPerf: p99)."""

    ttft_s: float | None = None
    tpot_s: float | None = None
    ttft_statistic: str = "mean"
    tpot_statistic: str = "mean"
    poisson: bool = True  # arrivals are Poisson (open loop); False: a closed loop of fixed concurrency

    @property
    def any(self) -> bool:
        return self.ttft_s is not None or self.tpot_s is not None

    def met(self, replica: Replica, batch: float, input_tokens: float, output_tokens: float, eff: Efficiency,
            limits: EngineLimits, capacity: int | None = None) -> bool:
        """True if a mean batch meets every limit at its statistic, on a replica of ``capacity`` slots."""
        lat = None
        if self.ttft_s is not None:
            lat = latency(replica, batch, input_tokens, output_tokens, eff, limits, self.ttft_statistic, self.poisson, capacity)
            if lat.ttft_s > self.ttft_s:
                return False
        if self.tpot_s is not None:
            if lat is None or self.tpot_statistic != self.ttft_statistic:
                lat = latency(replica, batch, input_tokens, output_tokens, eff, limits, self.tpot_statistic, self.poisson, capacity)
            if lat.tpot_s > self.tpot_s:
                return False
        return True


def best_batch(replica: Replica, batch_limit: int, input_tokens: float, output_tokens: float, eff: Efficiency,
               limits: EngineLimits, target: LatencyTarget | None = None) -> int:
    """Largest batch up to ``batch_limit`` meeting the latency target (0 if none does)."""
    if batch_limit < 1:
        return 0
    if target is None or not target.any:
        return batch_limit

    def ok(b: int) -> bool:
        return target.met(replica, b, input_tokens, output_tokens, eff, limits, capacity=batch_limit)

    if ok(batch_limit):
        return batch_limit
    if not ok(1):
        return 0
    lo, hi = 1, batch_limit  # ok(lo), not ok(hi); TPOT and TTFT grow with the batch
    while hi - lo > max(1, lo * BATCH_SEARCH_TOLERANCE):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


BATCH_SEARCH_TOLERANCE = 0.01
"""The batch search stops within 1% of the largest batch that meets the targets [fraction]."""


# ---------------------------------------------------------------------------------------------
# Building a replica


@dataclasses.dataclass(frozen=True)
class WeightFormat:
    """A weight precision as a GPU runs it: storage bits and the tensor-core peak its matmuls reach."""

    precision_id: str
    bits_per_weight: float
    embedding_bits_per_weight: float
    applies_to: str  # all-linear or moe-experts
    support: str  # native or weight-only (dequantised to 16 bits)
    matmul_peak_tflops: float  # per GPU [TFLOP/s]


def tensor_peak_tflops(gpu: catalog.Gpu, tensor_format: str) -> float | None:
    """Dense tensor throughput of a GPU in a format [TFLOP/s]; None where the datasheet gives none."""
    return {"fp4": gpu.fp4_dense_tflops, "fp8": gpu.fp8_dense_tflops, "int8": gpu.int8_dense_tops}.get(
        tensor_format, gpu.bf16_dense_tflops)


def routed_share_of_active(arch: Architecture) -> float:
    """Share of routed experts among a token's parameters [fraction]; 0 for dense models."""
    return routed_expert_params_b(arch) * (arch.experts_per_token / arch.num_experts) / arch.active_params_b if arch.num_experts else 0.0


def attention_width(arch: Architecture) -> float:
    """Per-token attention FLOPs per context token per layer / 4: heads x (absorbed) head dim [count]."""
    if arch.attention_kind in ("MLA", "MLA+DSA"):
        return arch.num_attention_heads * (arch.mla_kv_lora_rank + arch.mla_qk_rope_head_dim)
    return arch.num_attention_heads * arch.head_dim


def prefill_attention_flops(arch: Architecture) -> float:
    """Prompt attention FLOPs per token per context token per layer, where they differ from decode [FLOP]; else 0.

    MLA decodes in the absorbed form (queries against the 512 + 64-wide latent) but prefills as
    plain multi-head attention over decompressed keys and values (FlashMLA, FlashAttention 3 in
    SGLang and vLLM): QK over the full head dim (128 + 64 rope) and AV over the 128-wide values,
    2 x heads x (192 + 128), about 3.6x fewer FLOPs than the absorbed form for DeepSeek V3.
    """
    if arch.attention_kind in ("MLA", "MLA+DSA"):
        return 2 * arch.num_attention_heads * (2 * arch.head_dim - (arch.mla_qk_rope_head_dim or 0))
    return 0.0


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


def build_replica(arch: Architecture, gpu: catalog.Gpu, tp: int, weights: WeightFormat, kv_bits: float,
                  *, attention_dp: bool = False, pp: int = 1) -> Replica:
    """A replica of ``tp`` GPUs (per pipeline stage, ``pp`` stages) serving ``arch`` with a weight format and KV bits (pure).

    Pipeline parallelism (TensorRT-LLM pp, llama.cpp's default layer split over GPUs) splits the
    layers: memory pools over all tp x pp GPUs, all-reduces stay within a stage, and the stages
    overlap only when the batch has a micro-batch for each (one stream runs them one after the other).

    ``attention_dp`` (MoE models only): attention, dense layers, shared experts and embeddings
    are copied on every GPU, each GPU serving its own sequences, and only the routed experts are
    split (expert parallelism) -- as TensorRT-LLM's and SGLang's attention data parallelism do.
    """
    w_bytes = model_weights_bytes(arch, weights.bits_per_weight, weights.embedding_bits_per_weight, weights.applies_to)
    routed = routed_expert_params_b(arch) * 1e9 * weights.bits_per_weight / 8
    check_attention_dp(arch, attention_dp)
    attention_dp = attention_dp and tp > 1
    copies = kv_replication(arch, tp, attention_dp)
    pick_share = (arch.experts_per_token / arch.num_experts) if arch.num_experts else 0.0
    return Replica(
        tp=tp,
        weight_bytes=w_bytes,
        routed_expert_bytes=routed,
        expert_pick_share=pick_share,
        kv_bytes_per_seq=lambda ctx, _a=arch, _b=kv_bits, _c=copies: _c * kv_cache_bytes(_a, ctx, _b),
        flops_per_token=2 * arch.active_params_b * 1e9,
        routed_flops_per_token=2 * routed_expert_params_b(arch) * 1e9 * pick_share,
        attention_flops_per_token_layer_context=4 * attention_width(arch),
        full_attention_layers=arch.kv_layers - arch.sliding_window_layers,
        window_layers=arch.sliding_window_layers,
        window_tokens=float(arch.sliding_window_tokens) if arch.sliding_window_layers else math.inf,
        hidden_size=arch.hidden_size,
        num_layers=arch.num_layers,
        bandwidth_bytes_per_s=gpu.memory_bandwidth_gb_per_s * GB_PER_S,
        peak_flops=weights.matmul_peak_tflops * TFLOPS,
        # An FP8 KV cache halves the bytes read, but engines dequantize it to 16 bits for the attention
        # math (SGLang issue 10083; vLLM computes in FP8 only with FlashAttention 3).
        attention_peak_flops=gpu.bf16_dense_tflops * TFLOPS,
        link_bytes_per_s=(gpu.interconnect_gb_per_s or PCIE_GEN4_GB_PER_S) * GB_PER_S,
        expert_pick_count=arch.experts_per_token or 0,
        # Under attention data parallelism each GPU runs whole layers for 1/tp of the tokens.
        activation_bytes_per_token=activation_bytes_per_token(arch, 1) / tp if attention_dp else activation_bytes_per_token(arch, tp),
        attention_dp=attention_dp,
        duplicate_weight_bytes=(tp - 1) * (w_bytes - routed) if attention_dp else 0.0,
        moe_layers=arch.num_layers if arch.num_experts else 0,
        pp=pp,
        fp4_matmuls=weights.support == "native" and weights.matmul_peak_tflops == (gpu.fp4_dense_tflops or -1),
        profile_bytes_per_pass_token=activation_workspace_bytes(arch, 1 if attention_dp else tp, 1.0, moe_rows_per_pass=0.0),
        prefill_attention_flops_per_token_layer_context=prefill_attention_flops(arch),
        weight_only=weights.support == "weight-only",
    )


def kv_room_bytes(replica: Replica, gpu: catalog.Gpu, budget: MemoryBudget) -> float:
    """Bytes the KV cache gets on a replica after weights, overhead and the profiling pass's activation
    peak (``memory.activation_workspace_bytes``) [byte]; negative: weights do not fit."""
    resident_gb = (replica.weight_bytes + replica.duplicate_weight_bytes) / BYTES_PER_GB
    # Under attention data parallelism the MoE gathers every rank's tokens of the pass.
    rows = budget.max_num_tokens * (replica.tp if replica.attention_dp else 1)
    workspace_gb = (moe_workspace_bytes(replica.hidden_size, replica.expert_pick_count, rows)
                    + budget.max_num_tokens * replica.profile_bytes_per_pass_token) / BYTES_PER_GB
    return budget.kv_room_gb(gpu.memory_gib, replica.gpus, resident_gb, workspace_gb) * BYTES_PER_GB


def max_batch_for_memory(replica: Replica, gpu: catalog.Gpu, context_tokens: float, budget: MemoryBudget) -> int:
    """Most sequences holding ``context_tokens`` tokens of KV cache that fit beside the weights [count]."""
    room = kv_room_bytes(replica, gpu, budget)
    return max(int(room // replica.kv_bytes_per_seq(context_tokens)), 0)


def held_context_tokens(input_tokens: float, output_tokens: float, limits: EngineLimits) -> float:
    """KV tokens a running sequence holds on average: its prompt and the engine's share of its output [token]."""
    return input_tokens + limits.kv_output_share * output_tokens


def token_budget_batch(max_num_tokens: int, input_tokens: float, output_tokens: float, ranks: int = 1) -> int:
    """Largest steady batch a per-pass token budget sustains [count].

    Every forward pass carries at most ``max_num_tokens`` tokens: one per running sequence plus
    the prompts admitted to replace the finished ones. A batch of B holds if B + (B / output) x
    input <= budget, so B <= budget x output / (input + output); prompt-heavy work (2,048 in, 128
    out: 481 sequences at 8,192 tokens) runs far below the memory limit. Under attention data
    parallelism every GPU (``ranks``) schedules its own passes.
    """
    return int(max_num_tokens * output_tokens / (input_tokens + output_tokens)) * ranks


# ---------------------------------------------------------------------------------------------
# The calibrated estimate: resolved inputs, then a pure computation


@dataclasses.dataclass(frozen=True)
class Calibration:
    """The fitted efficiencies for one (engine, version line, GPU family, model) and the band around them."""

    efficiency: Efficiency  # pooled fit times the multipliers that apply
    multiplier: float  # product of the applied efficiency multipliers [ratio]
    fixed_multiplier: float  # product of the applied fixed-time multipliers (fixed times divided by it) [ratio]
    multipliers: tuple[tuple[str, str, float], ...]  # (level, key, multiplier) applied
    band_low_ratio: float  # measured / predicted at the 5th percentile of leave-one-source-out residuals of the group
    band_high_ratio: float
    band_group: str  # which residuals the band comes from
    sources: int  # publishers whose usable rows measured this engine on this GPU family [count]
    model_sources: int  # publishers whose usable rows measured this model [count]
    fitted_on: str

    @property
    def group(self) -> str:
        applied = ", ".join(f"{level} {key} x{m:.2f}" for level, key, m in self.multipliers)
        return "pooled fit" + (f" ({applied})" if applied else "")


if TYPE_CHECKING:
    Anchor = catalog.MeasuredRun
    """A user's measurement of the deployment asked about (``catalog.MeasuredRun``): estimates are scaled to it."""


@dataclasses.dataclass(frozen=True)
class Deployment:
    """Everything an estimate needs, read from the store once (``resolve_deployment``)."""

    arch: Architecture
    gpu: catalog.Gpu
    weights: WeightFormat
    kv_precision_id: str
    kv_bits: float
    engine_id: str
    engine_version: str
    version_line: str
    limits: EngineLimits
    budget: MemoryBudget
    calibration: Calibration
    anchors: tuple[Anchor, ...] = ()
    caveats: tuple[str, ...] = ()


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
    precision_support: str  # native or weight-only (dequantised to 16-bit matmuls)
    kv_precision_id: str
    engine_id: str
    engine_version: str
    input_tokens: int
    output_tokens: int
    concurrency: int
    output_tokens_per_s: float
    input_tokens_per_s: float
    output_tokens_per_s_low: float
    output_tokens_per_s_high: float
    output_tokens_per_s_per_user: float  # one request's output rate, 1 / TPOT [token/s]
    ttft_ms: float
    tpot_ms: float
    latency_statistic: str  # what ttft_ms and tpot_ms are: mean or a percentile
    bound: str  # "memory" or "compute" (the decode step's limit)
    prefill_time_share: float  # share of GPU time spent on prompts: splits $/M tokens into input and output [fraction]
    max_concurrency_memory: int
    max_num_seqs: int  # the engine's batch limit per replica [count]
    max_num_tokens: int  # the engine's per-step token budget [token]
    calibration_group: str
    bandwidth_efficiency: float
    compute_efficiency: float
    step_overhead_ms: float
    model_multiplier: float  # product of the calibration multipliers applied to the pooled fit [ratio]
    band_group: str
    sources_backing: int  # publishers whose measurements of this engine on this GPU family back the calibration [count]
    measured_rows_for_model: int  # publishers whose usable rows measured this model, on any GPU or engine [count]
    anchored_on: str | None  # measurement_id of the user's own run this estimate is scaled to
    caveat: str | None
    pipeline_parallel: int = 1  # pipeline stages per replica [count]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dataclasses.asdict(self)


def _limits_for(dep: Deployment, replica: Replica, input_tokens: float, output_tokens: float) -> tuple[int, int]:
    """(memory limit, engine limit) on a replica's batch [count]."""
    memory_batch = max_batch_for_memory(replica, dep.gpu, held_context_tokens(input_tokens, output_tokens, dep.limits), dep.budget)
    ranks = replica.tp if replica.attention_dp else 1
    engine_batch = min(dep.limits.max_num_seqs * ranks, max(token_budget_batch(dep.limits.max_num_tokens, input_tokens, output_tokens, ranks), 1))
    return memory_batch, engine_batch


def estimate(dep: Deployment, gpus: int, input_tokens: int, output_tokens: int, *, concurrency: int | None = None,
             target: LatencyTarget | None = None, tensor_parallel: int | None = None,
             attention_dp: bool | None = None, pipeline_parallel: int | None = None) -> ThroughputEstimate:
    """Calibrated sustained throughput of ``gpus`` GPUs from resolved inputs (pure) [token/s].

    ``concurrency`` requests in flight over the deployment (a closed loop): above what memory
    holds, the extra requests queue and the estimate says so. Without it, the batch is the most
    the engine and memory allow, or the most that meets ``target``. ``pipeline_parallel`` stages
    of ``tensor_parallel`` GPUs each make one replica (TensorRT-LLM pp, llama.cpp's layer split).
    """
    arch = dep.arch
    eff = dep.calibration.efficiency
    target = target or LatencyTarget()
    caveats = list(dep.caveats)

    pp = positive_int("pipeline_parallel", pipeline_parallel) if pipeline_parallel is not None else 1
    if gpus % pp:
        raise CostmodelError(f"gpus ({gpus}) must be a multiple of pipeline_parallel ({pp})")

    def one(tp: int, adp: bool) -> ThroughputEstimate:
        replicas = gpus // (tp * pp)
        replica = build_replica(arch, dep.gpu, tp, dep.weights, dep.kv_bits, attention_dp=adp and pp == 1, pp=pp)
        memory_batch, engine_batch = _limits_for(dep, replica, input_tokens, output_tokens)
        if memory_batch < 1:
            raise CostmodelError(f"{arch.model_id} in {dep.weights.precision_id} with {input_tokens + output_tokens}-token sequences "
                                 f"does not fit on {tp * pp} x {dep.gpu.gpu_id} per replica")
        notes = []
        prompt_tokens = float(input_tokens)
        if concurrency is not None:
            want = math.ceil(concurrency / replicas)
            batch = min(want, memory_batch, engine_batch)
            if want > batch:
                held = "memory holds" if batch == memory_batch else "the engine runs"
                notes.append(f"concurrency {concurrency} exceeds what {held} ({batch * replicas} in all): the rest queue")
                if batch == memory_batch and dep.limits.recompute_preemption:
                    prompt_tokens = recompute_input_tokens(input_tokens, output_tokens, want, batch, dep.limits)
                    notes.append(f"{dep.engine_id} evicts and recomputes sequences at this load: "
                                 f"{prompt_tokens / input_tokens - 1:.0%} more prompt work")
        else:
            limit = min(memory_batch, engine_batch)
            batch = best_batch(replica, limit, input_tokens, output_tokens, eff, dep.limits, target)
            if batch == 0:
                lat = latency(replica, 1, input_tokens, output_tokens, eff, dep.limits, target.tpot_statistic, target.poisson)
                raise CostmodelError(
                    f"no batch meets the latency targets: even one request gets TTFT {lat.ttft_s * MS_PER_S:,.0f} ms "
                    f"and TPOT {lat.tpot_s * MS_PER_S:,.1f} ms on {tp} x {dep.gpu.gpu_id}")
        rate = replica_rate(replica, batch, prompt_tokens, output_tokens, eff, dep.limits)
        statistic = target.tpot_statistic if target.tpot_s is not None else target.ttft_statistic
        # Queueing for a slot only exists under open-loop arrivals held to a latency target; at the
        # batch of a closed loop (or the maximum throughput) the latencies are those of the batch itself.
        lat = latency(replica, batch, input_tokens, output_tokens, eff, dep.limits, statistic,
                      target.poisson and target.any and concurrency is None, capacity=min(memory_batch, engine_batch))
        parts = decode_step_parts(replica, batch, input_tokens + output_tokens / 2, eff)
        out = rate.output_tokens_per_s * replicas
        return ThroughputEstimate(
            model_id=arch.model_id, gpu_id=dep.gpu.gpu_id, gpus=gpus, tensor_parallel=tp, attention_dp=replica.attention_dp,
            replicas=replicas, precision_id=dep.weights.precision_id, precision_support=dep.weights.support,
            kv_precision_id=dep.kv_precision_id, engine_id=dep.engine_id, engine_version=dep.engine_version,
            input_tokens=input_tokens, output_tokens=output_tokens, concurrency=int(batch * replicas),
            output_tokens_per_s=out, input_tokens_per_s=out * input_tokens / output_tokens,
            output_tokens_per_s_low=out * dep.calibration.band_low_ratio, output_tokens_per_s_high=out * dep.calibration.band_high_ratio,
            output_tokens_per_s_per_user=1.0 / lat.tpot_s,
            ttft_ms=lat.ttft_s * MS_PER_S, tpot_ms=lat.tpot_s * MS_PER_S, latency_statistic=statistic,
            bound="memory" if parts.memory_s >= parts.compute_s else "compute",
            prefill_time_share=rate.prefill_time_share, max_concurrency_memory=memory_batch * replicas,
            max_num_seqs=dep.limits.max_num_seqs, max_num_tokens=dep.limits.max_num_tokens,
            calibration_group=dep.calibration.group, bandwidth_efficiency=eff.bandwidth_efficiency,
            compute_efficiency=eff.compute_efficiency, step_overhead_ms=eff.step_overhead_ms,
            model_multiplier=dep.calibration.multiplier, band_group=dep.calibration.band_group,
            sources_backing=dep.calibration.sources, measured_rows_for_model=dep.calibration.model_sources,
            anchored_on=None, caveat="; ".join(caveats + notes) or None, pipeline_parallel=pp,
        )

    if tensor_parallel is not None:
        tp = positive_int("tensor_parallel", tensor_parallel)
        if gpus % (tp * pp):
            raise CostmodelError(f"gpus ({gpus}) must be a multiple of tensor_parallel ({tp})"
                                 + (f" x pipeline_parallel ({pp})" if pp > 1 else ""))
        splits = [tp]
    else:  # no tensor parallelism given: try every split of the GPUs into replicas and keep the fastest
        splits = tp_splits(gpus // pp)
    results, errors = [], []
    for tp in splits:
        for adp in attention_dp_layouts(arch, tp, attention_dp):
            try:
                results.append(one(tp, adp))
            except CostmodelError as exc:
                errors.append(exc)
    if results:
        best = max(results, key=lambda e: (e.output_tokens_per_s, -e.tensor_parallel, -e.attention_dp))
        return _anchored(best, dep.anchors)
    if tensor_parallel is not None:
        raise errors[0]
    if all("does not fit on" in str(e) and "per replica" in str(e) for e in errors):
        need = smallest_gpus(dep, input_tokens, output_tokens)
        raise CostmodelError(
            f"{arch.model_id} in {dep.weights.precision_id} with {input_tokens + output_tokens}-token sequences does not fit on "
            f"{gpus} x {dep.gpu.gpu_id}" + (f"; it needs {need} of them" if need else "; it does not fit on 64 of them"))
    raise errors[0]


def smallest_gpus(dep: Deployment, input_tokens: float, output_tokens: float) -> int | None:
    """Fewest GPUs (1, 2, 4, ...) of which one replica holds the weights and one sequence."""
    for count in TP_FRIENDLY_GPU_COUNTS:
        for adp in attention_dp_layouts(dep.arch, count, None):
            replica = build_replica(dep.arch, dep.gpu, count, dep.weights, dep.kv_bits, attention_dp=adp)
            if _limits_for(dep, replica, input_tokens, output_tokens)[0] >= 1:
                return count
    return None


def _anchored(est: ThroughputEstimate, anchors: tuple[Anchor, ...]) -> ThroughputEstimate:
    """Scale an estimate to a user's measurement of the same deployment, where one was imported.

    The closest anchor (same GPU count and split, nearest lengths and concurrency) sets the
    ratio measured / modelled; the band shrinks to the spread the lengths leave.
    """
    same = [a for a in anchors if a.gpus == est.gpus and a.tensor_parallel in (None, est.tensor_parallel)]
    if not same:
        return est

    def distance(a: Anchor) -> float:
        d = abs(math.log(a.input_tokens / est.input_tokens)) + abs(math.log(a.output_tokens / est.output_tokens))
        if a.concurrency:
            d += abs(math.log(a.concurrency / max(est.concurrency, 1)))
        return d

    best = min(same, key=distance)
    if distance(best) > math.log(2):
        return est  # a different workload: the model (calibrated to it) speaks, not the single run
    ratio = best.output_tokens_per_s / est.output_tokens_per_s
    spread = math.exp(distance(best) / 2)
    out = est.output_tokens_per_s * ratio
    return dataclasses.replace(
        est, output_tokens_per_s=out, input_tokens_per_s=est.input_tokens_per_s * ratio,
        output_tokens_per_s_low=out / spread, output_tokens_per_s_high=out * spread, anchored_on=best.measurement_id,
        band_group=f"your measurement {best.measurement_id}",
    )


def parse_statistic(name: str, value: str | None) -> str:
    """A latency statistic: mean, p50 (median), p90, p95 or p99; else an error naming what is accepted."""
    if value is None:
        return "mean"
    low = str(value).strip().lower()
    low = {"median": "p50", "avg": "mean", "average": "mean"}.get(low, low)
    if low not in STATISTICS:
        raise CostmodelError(f"{name} must be one of {', '.join(STATISTICS)} (or median), got {value!r}")
    return low
