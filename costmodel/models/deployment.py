"""A deployment read from the store once, then estimated: the entry points of the throughput and memory models.

``resolve_deployment`` reads everything an estimate needs (model, GPU, precision support, the engine
release's defaults, the calibration in force, the user's own measurements) through the catalog;
``throughput.estimate`` then computes from that typed ``Deployment`` alone. ``throughput()`` does both.
``memory()`` looks a model, its precisions, an engine's memory budget and a GPU up, then calls the
pure ``memory.estimate_memory``. The models themselves (``memory``, ``throughput``, ``cost``) read nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from costmodel import catalog, store
from costmodel.checks import positive, positive_int
from costmodel.errors import CostmodelError
from costmodel.models.fitted import calibration_for
from costmodel.models.memory import Architecture, MemoryBudget, MemoryEstimate, default_kv_precision, estimate_memory
from costmodel.models.throughput import (
    MS_PER_S,
    Calibration,
    Deployment,
    EngineLimits,
    LatencyTarget,
    ThroughputEstimate,
    WeightFormat,
    check_attention_dp,
    estimate,
    parse_statistic,
    tensor_peak_tflops,
)


def runtime_input(input_id: str, scope: str | None = None, *, version: str | None = None, gpu: catalog.Gpu | None = None,
                  context_tokens: int | None = None, db_path: Path | None = None) -> float:
    """A runtime_inputs value for an engine release on a GPU and model context (falling back to scope 'all');
    see ``catalog.runtime_value``."""
    return catalog.runtime_value(input_id, scope or "all", version, gpu, context_tokens=context_tokens, db_path=db_path).value


def memory_budget(engine_id: str, version: str | None = None, gpu: catalog.Gpu | None = None, *,
                  context_tokens: int | None = None, db_path: Path | None = None) -> MemoryBudget:
    """An engine's memory budget from runtime_inputs for a release, a GPU and a model's maximum context
    (falling back to scope 'all'). A token budget of 0 (vLLM V0) is the model's context."""
    def value(input_id: str) -> float:
        return runtime_input(input_id, engine_id, version=version, gpu=gpu, context_tokens=context_tokens, db_path=db_path)

    tokens = int(value("max_num_tokens")) or int(context_tokens or 8192)
    return MemoryBudget(value("memory_usable_share"), value("runtime_overhead_gb_per_gpu"), value("kv_cache_free_memory_share"),
                        tokens)


def memory(
    model: str,
    precision: str | None = None,
    *,
    kv_precision: str | None = None,
    context_tokens: int | None = None,
    concurrency: int = 1,
    gpu: str | None = None,
    gpus: int = 1,
    engine: str = "vllm",
    db_path: Path | None = None,
) -> MemoryEstimate:
    """Memory to serve ``concurrency`` sequences of ``context_tokens`` tokens, and the fit on a GPU.

    Looks the inputs up by id, then ``memory.estimate_memory`` computes (see there for the pooling of GPUs).

    Parameters
    ----------
    model : model id or alias
    precision : weight precision id or alias (bf16, fp8, awq, nvfp4, mxfp4, q4_k_m, ...); default: the model's
        release precision (models.release_precision_id: mxfp4 for gpt-oss, fp8 for DeepSeek V3/R1)
    kv_precision : KV-cache precision id; default: bf16 (fp16 for fp16 and GGUF weights)
    context_tokens : tokens per sequence, prompt plus output [token]; default min(8192, model context)
    concurrency : sequences held at once [count]
    gpu, gpus : GPU id or alias and how many of it [count]; adds fits, min_gpus, max_concurrency
    engine : engine whose memory budget applies (runtime_inputs: usable share, overhead, KV free fraction)
    """
    record = catalog.get_model(model, db_path=db_path)
    arch = Architecture.from_model(record)
    weights = catalog.get_precision(precision or record.release_precision_id, db_path=db_path)
    engine_id = catalog.resolve_engine_id(engine, db_path=db_path)
    kv = catalog.get_precision(kv_precision or default_kv_precision(weights.precision_id), db_path=db_path)
    device = catalog.get_gpu(gpu, db_path=db_path) if gpu is not None else None
    budget = memory_budget(engine_id, gpu=device, context_tokens=arch.context_tokens, db_path=db_path)
    return estimate_memory(arch, weights, kv, engine_id, budget, context_tokens=context_tokens, concurrency=concurrency,
                           device=device, gpus=gpus)


def throughput(
    model: str,
    gpu: str,
    gpus: int = 1,
    *,
    precision: str | None = None,
    kv_precision: str | None = None,
    engine: str = "vllm",
    engine_version: str | None = None,
    input_tokens: int = 1000,
    output_tokens: int = 250,
    concurrency: int | None = None,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    tpot_statistic: str | None = None,
    ttft_statistic: str | None = None,
    tensor_parallel: int | None = None,
    pipeline_parallel: int | None = None,
    attention_dp: bool | None = None,
    max_num_seqs: int | None = None,
    max_num_tokens: int | None = None,
    estimator: str = "roofline",
    db_path: Path | None = None,
) -> ThroughputEstimate:
    """Calibrated sustained throughput of ``gpus`` GPUs serving a model [token/s].

    Parameters
    ----------
    model, gpu : ids or aliases
    gpus : GPUs in the deployment [count]; split into replicas of ``tensor_parallel`` GPUs
    precision : weight precision id or alias; default: the model's release precision (models.release_precision_id)
    kv_precision : KV-cache precision (default: 16-bit)
    engine, engine_version : engine id and release (default: the newest release the store knows); the
        release's scheduler defaults (runtime_inputs) and the calibration of its version line apply
    input_tokens, output_tokens : mean prompt and output length per request [token]
    concurrency : requests in flight across the deployment (closed loop) [count]; default: the largest batch
        the engine and memory allow, or that meets the latency targets
    tpot_ms, ttft_ms : latency targets: time per output token and time to first token [ms]
    tpot_statistic, ttft_statistic : what a target bounds: mean (default), p50, p90, p95 or p99 (MLPerf: p99)
    tensor_parallel : GPUs per pipeline stage; default: the split (1, 2, 4, ...) that serves the most tokens/s
    pipeline_parallel : pipeline stages per replica (default 1); a replica is tensor_parallel x pipeline_parallel GPUs
    attention_dp : MoE models only: copy attention and dense layers on every GPU of a replica and
        split only the routed experts (TensorRT-LLM/SGLang attention data parallelism); default:
        whichever layout serves more
    max_num_seqs, max_num_tokens : override the engine's batch limit [sequences] and per-step token budget [token]
    estimator : roofline (this model), aiconfigurator (NVIDIA's measured op tables, optional package), or auto
        (per GPU family and engine, whichever validated better out of sample)
    """
    gpus = positive_int("gpus", gpus)
    input_tokens = positive_int("input_tokens", input_tokens)
    output_tokens = positive_int("output_tokens", output_tokens)
    if concurrency is not None:
        concurrency = positive_int("concurrency", concurrency)
    target = LatencyTarget(
        ttft_s=None if ttft_ms is None else positive("ttft_ms", ttft_ms) / MS_PER_S,
        tpot_s=None if tpot_ms is None else positive("tpot_ms", tpot_ms) / MS_PER_S,
        ttft_statistic=parse_statistic("ttft_statistic", ttft_statistic),
        tpot_statistic=parse_statistic("tpot_statistic", tpot_statistic),
    )
    dep = resolve_deployment(model, gpu, precision=precision, kv_precision=kv_precision, engine=engine,
                             engine_version=engine_version, max_num_seqs=max_num_seqs, max_num_tokens=max_num_tokens,
                             db_path=db_path)
    if input_tokens + output_tokens > dep.arch.context_tokens:
        raise CostmodelError(f"input_tokens + output_tokens = {input_tokens + output_tokens} exceeds {dep.arch.model_id}'s "
                             f"context of {dep.arch.context_tokens} tokens")
    check_attention_dp(dep.arch, attention_dp)
    if estimator not in ESTIMATORS:
        raise CostmodelError(f"estimator must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    roofline = estimate(dep, gpus, input_tokens, output_tokens, concurrency=concurrency, target=target,
                        tensor_parallel=tensor_parallel, attention_dp=attention_dp, pipeline_parallel=pipeline_parallel)
    if estimator == "roofline":
        return roofline
    from costmodel.models import estimators

    return estimators.second_opinion(estimator, dep, roofline, target, db_path=db_path)


ESTIMATORS = ("roofline", "aiconfigurator", "auto")
"""Throughput estimators: this calibrated roofline, NVIDIA's aiconfigurator-core, or the better one per GPU family and engine."""


def resolve_deployment(model: str, gpu: str, *, precision: str | None = None, kv_precision: str | None = None,
                       engine: str = "vllm", engine_version: str | None = None, max_num_seqs: int | None = None,
                       max_num_tokens: int | None = None, calibration: Calibration | None = None,
                       db_path: Path | None = None) -> Deployment:
    """Read everything an estimate needs from the store, once: model, GPU, precision support, engine
    defaults for the release and GPU, calibration and band, and the user's own measurements.
    Remembered per store build (``store.cached``) unless a calibration is given (validation refits)."""
    if calibration is None:
        return _resolve_deployment_cached(model, gpu, precision, kv_precision, engine, engine_version, max_num_seqs,
                                          max_num_tokens, db_path)
    return _resolve_deployment(model, gpu, precision=precision, kv_precision=kv_precision, engine=engine,
                               engine_version=engine_version, max_num_seqs=max_num_seqs, max_num_tokens=max_num_tokens,
                               calibration=calibration, db_path=db_path)


@store.cached(maxsize=8192)
def _resolve_deployment_cached(model: str, gpu: str, precision: str | None, kv_precision: str | None, engine: str,
                               engine_version: str | None, max_num_seqs: int | None, max_num_tokens: int | None,
                               db_path: Path | None) -> Deployment:
    return _resolve_deployment(model, gpu, precision=precision, kv_precision=kv_precision, engine=engine,
                               engine_version=engine_version, max_num_seqs=max_num_seqs, max_num_tokens=max_num_tokens,
                               db_path=db_path)


def _resolve_deployment(model: str, gpu: str, *, precision: str | None = None, kv_precision: str | None = None,
                        engine: str = "vllm", engine_version: str | None = None, max_num_seqs: int | None = None,
                        max_num_tokens: int | None = None, calibration: Calibration | None = None,
                        db_path: Path | None = None) -> Deployment:
    record = catalog.get_model(model, db_path=db_path)
    arch = Architecture.from_model(record)
    device = catalog.get_gpu(gpu, db_path=db_path)
    engine_id = catalog.resolve_engine_id(engine, db_path=db_path)
    release = catalog.engine_version(engine_id, engine_version, db_path=db_path)
    weights, caveats = weight_format(record, device, engine_id, precision, db_path=db_path)
    version = release.engine_version

    def value(input_id: str) -> float:
        return runtime_input(input_id, engine_id, version=version, gpu=device, context_tokens=arch.context_tokens, db_path=db_path)

    kv = catalog.get_precision(kv_precision or default_kv_precision(weights.precision_id, bool(value("fp8_kv_with_quantized_weights"))),
                               db_path=db_path)

    seqs = positive_int("max_num_seqs", max_num_seqs) if max_num_seqs is not None else int(value("max_batch_sequences"))
    # A budget of 0 (vLLM V0 without chunked prefill) means the model's context: a prompt always fits one pass.
    tokens = positive_int("max_num_tokens", max_num_tokens) if max_num_tokens is not None else (int(value("max_num_tokens")) or arch.context_tokens)
    limits = EngineLimits(max_num_seqs=seqs, max_num_tokens=tokens, mixed_prefill=bool(value("mixed_prefill")),
                          kv_output_share=value("kv_held_output_share"), recompute_preemption=bool(value("recompute_preemption")))
    budget = dataclasses.replace(memory_budget(engine_id, version, device, context_tokens=arch.context_tokens, db_path=db_path),
                                 max_num_tokens=tokens)
    cal = calibration or calibration_for(engine_id, release.version_line, device, arch.model_id, db_path=db_path)
    if cal.model_sources == 0:
        caveats.append(f"no usable throughput measurement of {arch.model_id}: the calibration is carried over from other models")
    if cal.sources < 2:
        caveats.append(f"{'one publisher has' if cal.sources == 1 else 'no publisher has'} measured {engine_id} on "
                       f"{device.gpu_family} GPUs: the band is wide")
    anchors = catalog.user_measurements(arch.model_id, device.gpu_id, weights.precision_id, engine_id, db_path=db_path)
    return Deployment(arch=arch, gpu=device, weights=weights, kv_precision_id=kv.precision_id, kv_bits=kv.bits_per_weight,
                      engine_id=engine_id, engine_version=version, version_line=release.version_line, limits=limits,
                      budget=budget, calibration=cal, anchors=anchors, caveats=tuple(caveats))


def weight_format(record: catalog.Model, gpu: catalog.Gpu, engine_id: str, precision: str | None = None, *,
                  db_path: Path | None = None) -> tuple[WeightFormat, list[str]]:
    """How ``engine_id`` runs a weight precision on ``gpu`` (default: the model's release precision).

    Native: the matmuls run on the GPU's tensor cores of that format. Weight-only: the weights stay
    small in memory but are dequantised to 16 bits and multiplied there (vLLM's Marlin kernels
    for FP8 on Ampere, MXFP4 on Hopper). Unsupported: an error naming the source and what runs.
    """
    p = catalog.get_precision(precision or record.release_precision_id, db_path=db_path)
    caveats: list[str] = []
    if p.tensor_format == "none":
        support = "weight-only"
    else:
        row = catalog.precision_support(engine_id, gpu.gpu_family, p.precision_id, db_path=db_path)
        if row is None:
            raise CostmodelError(f"no precision_support row says how {engine_id} runs {p.precision_id} on {gpu.gpu_family} GPUs "
                                 f"({gpu.gpu_id}); add one to data/precision_support.csv")
        support = row.support
        if support == "unsupported":
            runs = catalog.supported_precisions(engine_id, gpu.gpu_family, db_path=db_path)
            raise CostmodelError(f"{engine_id} does not run {p.precision_id} weights on {gpu.gpu_id} ({gpu.gpu_family}): "
                                 f"{row.note} [{row.source_id}]; it runs: {', '.join(runs)}")
        if support == "weight-only":
            caveats.append(f"{p.precision_id} is not native on {gpu.gpu_family}: {engine_id} dequantises the weights to 16 bits "
                           f"({row.note}), so the matmuls run at 16-bit speed")
    peak = tensor_peak_tflops(gpu, p.tensor_format) if support == "native" else None
    return WeightFormat(p.precision_id, p.bits_per_weight, p.embedding_bits_per_weight, p.applies_to, support,
                        peak or gpu.bf16_dense_tflops), caveats
