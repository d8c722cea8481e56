"""Calibrating the throughput model to measured rows, and validating it out of sample.

The fit has two levels. First the pooled parameters (``FIT_PARAMETERS``: efficiencies, each at
most 1 of its datasheet peak, and fixed costs) minimise the weighted squared log error over
every usable row of ``throughput_measured``; each publisher's rows weigh 1/sqrt(rows) each, so a
table of 60 cells counts like about 8 independent runs, not 60. Then hierarchical multipliers
(``LEVELS``: engine, engine version line, engine on a GPU family, model) are fitted by
alternating shrunk means of the residuals: each is the mean over *publishers* of their mean log
residual, shrunk towards 1 with ``SHRINKAGE_SOURCES`` pseudo-publishers at 1, and kept only where
at least ``MIN_SOURCES`` publishers back it (no multiplier rests on a single source). A
multiplier scales efficiencies up (never past 1) and fixed times down.

Validation is leave-one-source-out: every publisher's rows are predicted by a fit that never saw
that publisher. Its residuals also give the low-high band, grouped by engine and GPU vendor and
widened where few publishers back a group (``band_ratios``).

``costmodel calibrate`` stores a new fit as the user's calibration (beside the user's imports,
outside the tracked files) and rebuilds the store; ``--write-data`` rewrites the shipped files
``data/throughput_calibration*.csv`` instead. ``costmodel validate`` reports leave-one-source-out
and leave-one-out errors beside the plain roofline.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from costmodel.store import paths as _paths
from costmodel import catalog, store
from costmodel.errors import CostmodelError, StoreError
from costmodel.models.fitted import PARAMETER_NAMES, BAND_MIN_SOURCES, KINDS, LEVELS, Fit, Multiplier, latest_fit_id
from costmodel.models.memory import Architecture, default_kv_precision
from costmodel.models.throughput import (
    FIT_PARAMETERS,
    ROOFLINE,
    Efficiency,
    EngineLimits,
    FitParameter,
    LatencyTarget,
    Replica,
    attention_dp_layouts,
    best_batch,
    build_replica,
    decode_step_seconds,
    finite_rate_run_rate,
    finite_run_rate,
    held_context_tokens,
    latency,
    max_batch_for_memory,
    prefill_seconds,
    recompute_input_tokens,
    replica_rate,
    scaled_split,
    token_budget_batch,
    tp_splits,
)
from costmodel.models.deployment import memory_budget, runtime_input, weight_format

ELASTICITY_STEP = 1.05
"""Multiplier step at which each row's sensitivity to a multiplier is measured [ratio]."""
SHRINKAGE_SOURCES = 1.0
"""Pseudo-publishers at multiplier 1 added to each multiplier's mean over publishers (empirical-Bayes shrinkage)."""
MIN_SOURCES = 2
"""Publishers a multiplier needs; with fewer it stays 1 (no multiplier from a single source)."""
BACKFIT_ROUNDS = 4
"""Rounds of alternating the levels' multipliers."""
BAND_QUANTILES = (0.05, 0.95)
"""Quantiles of the leave-one-source-out log residuals that bound the low-high band."""
ROOFLINE_OFF = {"moe_tile_tokens": 0.0, "allreduce_latency_us": 0.0, "tp_scaling_exponent": 0.0, "link_efficiency": 1.0,
                "moe_pair_ns": 0.0, "moe_layer_overhead_us": 0.0, "moe_bandwidth_efficiency": 1.0, "fp4_compute_efficiency": 1.0,
                "dequant_compute_efficiency": 1.0}
"""Values of parameters a fit cannot inform (no MoE rows, no tensor-parallel rows): their effects off."""
START = Efficiency(bandwidth_efficiency=0.7, compute_efficiency=0.5, step_overhead_ms=2.0, moe_tile_tokens=50.0,
                   prefill_compute_efficiency=0.5, allreduce_latency_us=10.0, tp_scaling_exponent=0.05,
                   link_efficiency=0.6, moe_pair_ns=5.0, layer_overhead_us=5.0, moe_layer_overhead_us=20.0,
                   moe_bandwidth_efficiency=0.7, fp4_compute_efficiency=0.7, attention_bandwidth_efficiency=0.6,
                   dequant_compute_efficiency=0.7, request_overhead_ms=0.5)
"""Starting point of the pooled fit."""
CALIBRATION_SOURCE_ID = "throughput-calibration-fit"
SHIPPED_FIT = "shipped"
"""fit_id of the calibration committed in data/; a user's refit gets user-<time>."""
KINDS_OF_RUN = {"offline": "offline maximum", "fixed-concurrency": "fixed concurrency", "request-rate": "fixed concurrency",
                "latency-limited": "latency-limited", "single-stream": "single stream", "llama-bench": "single stream"}
"""Kind of run each load_kind counts as in the validation tables."""


@dataclasses.dataclass(frozen=True)
class RowSetup:
    """A measured row resolved to a replica and the conditions to predict it under."""

    measurement_id: str
    publisher: str
    engine_id: str
    version_line: str
    gpu_family: str
    vendor: str
    model_id: str
    model_family: str
    measured_tokens_per_s: float
    kind: str
    load_kind: str
    replica: Replica
    replicas: int
    gpu_count: int
    input_tokens: float
    output_tokens: float
    limits: EngineLimits
    batch_limit: int  # memory and engine limit per replica
    concurrency_per_replica: int | None
    wanted_per_replica: int | None  # requests the run kept in flight or submitted at once, per replica
    request_rate_per_s: float | None
    num_prompts: int | None  # requests of a finite run (offline, fixed concurrency or request rate); None: steady state
    target: LatencyTarget | None
    exclude_reason: str | None
    fixed_lengths: bool = False  # every request has the same input and output length (random --range-ratio 1)
    precision_id: str = ""  # weight precision as run
    kv_precision_id: str = ""
    hf_repo: str | None = None  # the model's Hugging Face repository (what aiconfigurator knows models by)
    gpu_id: str = ""

    def key(self, level: str) -> str:
        """The row's key at a multiplier level."""
        return {"engine": self.engine_id, "engine-line": f"{self.engine_id}/{self.version_line}",
                "engine-gpu-family": f"{self.engine_id}/{self.gpu_family}", "model": self.model_id}[level]

    @property
    def run_kind(self) -> str:
        return KINDS_OF_RUN[self.load_kind]

    @property
    def is_moe(self) -> bool:
        return self.replica.routed_flops_per_token > 0


def _row_limits(r: dict[str, Any], gpu: catalog.Gpu, version: str, tuned: bool, context_tokens: int,
                db_path: Path | None) -> EngineLimits:
    """The scheduler limits a measured run had: its stated flags, else its engine release's defaults.

    Tuned benchmark suites (MLPerf) that state no batch limit ran far above the defaults: they use
    the ``tuned-benchmark`` scope of max_batch_sequences.
    """
    def value(input_id: str, scope: str) -> float:
        return runtime_input(input_id, scope, version=version, gpu=gpu, context_tokens=context_tokens, db_path=db_path)

    engine = r["engine_id"]
    seqs = r["max_num_seqs"] or int(value("max_batch_sequences", "tuned-benchmark" if tuned else engine))
    tokens = r["max_num_batched_tokens"] or int(value("max_num_tokens", engine)) or context_tokens
    mixed = bool(value("mixed_prefill", engine))
    if r["chunked_prefill"] is not None:
        mixed = bool(r["chunked_prefill"])
    share = value("kv_held_output_share", engine)
    if r["length_distribution"] == "fixed":
        share = 1.0  # equal lengths run in step: every running sequence reaches its full length together
    return EngineLimits(max_num_seqs=int(seqs), max_num_tokens=int(tokens), mixed_prefill=mixed, kv_output_share=share,
                        recompute_preemption=bool(value("recompute_preemption", engine)))


def setup_rows(*, include_excluded: bool = False, db_path: Path | None = None,
               errors: list[str] | None = None) -> list[RowSetup]:
    """Resolve every measured row (by default only those without an exclude_reason).

    A usable row the model cannot set up (a precision the GPU does not run, weights that do not
    fit) is an error in the data; with ``errors`` given, the messages are collected there instead.
    """
    rows = store.query(
        "SELECT t.*, d.input_tokens_mean AS dataset_input, d.output_tokens_mean AS dataset_output, d.tuned_batch, "
        "g.gpu_family, g.vendor, m.family AS model_family, coalesce(v.version_line, 'unstated') AS version_line "
        "FROM throughput_measured t JOIN benchmark_datasets d USING (dataset) JOIN gpus g USING (gpu_id) "
        "JOIN models m USING (model_id) LEFT JOIN engine_versions v USING (engine_id, engine_version) "
        "ORDER BY measurement_id",
        db_path=db_path,
    ).to_dicts()
    setups = []
    for r in rows:
        if r["exclude_reason"] and not include_excluded:
            continue
        try:
            setup = _setup_row(r, db_path)
        except StoreError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        if setup is not None:
            setups.append(setup)
    return setups


def _setup_row(r: dict[str, Any], db_path: Path | None) -> RowSetup | None:
    record = catalog.get_model(r["model_id"], db_path=db_path)
    arch = Architecture.from_model(record)
    gpu = catalog.get_gpu(r["gpu_id"], db_path=db_path)
    try:
        weights, _ = weight_format(record, gpu, r["engine_id"], r["weight_precision_id"], db_path=db_path)
    except CostmodelError as exc:
        if r["exclude_reason"]:
            return None
        raise StoreError(f"throughput_measured {r['measurement_id']}: {exc}") from None
    fp8_kv = bool(runtime_input("fp8_kv_with_quantized_weights", r["engine_id"], version=r["engine_version"], gpu=gpu,
                                context_tokens=arch.context_tokens, db_path=db_path))
    kv = catalog.get_precision(r["kv_precision_id"] or default_kv_precision(weights.precision_id, fp8_kv), db_path=db_path)
    inp = r["input_tokens_mean"] or r["dataset_input"]
    out = r["output_tokens_mean"] or r["dataset_output"]
    if not inp or not out:
        if r["exclude_reason"]:
            return None
        raise StoreError(f"throughput_measured {r['measurement_id']}: neither the row nor its dataset states the "
                         f"{'input' if not inp else 'output'} length; exclude the row (exclude_reason) or state it")
    version = r["engine_version"]
    limits = _row_limits(r, gpu, version, bool(r["tuned_batch"]) and r["settings"] != "default", arch.context_tokens, db_path)
    budget = dataclasses.replace(memory_budget(r["engine_id"], version, gpu, context_tokens=arch.context_tokens, db_path=db_path),
                                 max_num_tokens=limits.max_num_tokens)
    if r["gpu_memory_utilization_share"]:
        budget = dataclasses.replace(budget, usable_share=r["gpu_memory_utilization_share"])
    target = None
    if r["ttft_limit_ms"] or r["tpot_limit_ms"]:
        target = LatencyTarget(
            ttft_s=r["ttft_limit_ms"] / 1e3 if r["ttft_limit_ms"] else None,
            tpot_s=r["tpot_limit_ms"] / 1e3 if r["tpot_limit_ms"] else None,
            ttft_statistic=r["ttft_limit_statistic"] or "mean", tpot_statistic=r["tpot_limit_statistic"] or "mean",
            poisson=r["load_kind"] in ("latency-limited", "request-rate"))
    common = dict(
        measurement_id=r["measurement_id"], publisher=r["publisher"], engine_id=r["engine_id"], version_line=r["version_line"],
        gpu_family=r["gpu_family"], vendor=r["vendor"].lower(), model_id=r["model_id"], model_family=r["model_family"],
        measured_tokens_per_s=r["tokens_per_s"], kind=r["tokens_per_s_kind"], load_kind=r["load_kind"],
        gpu_count=r["gpu_count"], input_tokens=inp, output_tokens=out, limits=limits,
        request_rate_per_s=r["request_rate_per_s"], target=target, exclude_reason=r["exclude_reason"],
        num_prompts=r["num_prompts"] if r["load_kind"] in ("offline", "fixed-concurrency", "request-rate") else None,
        fixed_lengths=r["length_distribution"] == "fixed",
        precision_id=weights.precision_id, kv_precision_id=kv.precision_id, hf_repo=record.hf_repo, gpu_id=r["gpu_id"],
    )
    single = r["load_kind"] in ("single-stream", "llama-bench")
    candidates = []
    pp = r["pipeline_parallel"] or 1
    splits = [r["tensor_parallel"]] if r["tensor_parallel"] else [t for t in tp_splits(r["gpu_count"] // pp)]
    for tp, adp in ((tp, adp) for tp in splits for adp in attention_dp_layouts(arch, tp * pp, r["attention_dp"])):
        replica = build_replica(arch, gpu, tp, weights, kv.bits_per_weight, attention_dp=adp and pp == 1, pp=pp)
        memory_limit = max_batch_for_memory(replica, gpu, held_context_tokens(inp, out, limits), budget)
        if memory_limit < 1:
            continue
        replicas = 1 if single else max(r["gpu_count"] // (tp * pp), 1)
        ranks = tp if replica.attention_dp else 1
        engine_limit = min(limits.max_num_seqs * ranks, max(token_budget_batch(limits.max_num_tokens, inp, out, ranks), 1))
        conc = None
        if r["concurrency"]:
            conc = max(math.ceil(r["concurrency"] / replicas), 1)
        wanted = conc or (math.ceil(r["num_prompts"] / replicas) if r["num_prompts"] and r["load_kind"] == "offline" else None)
        candidates.append(RowSetup(replica=replica, replicas=replicas, batch_limit=min(memory_limit, engine_limit),
                                   concurrency_per_replica=conc, wanted_per_replica=wanted, **common))
    if not candidates:
        if r["exclude_reason"]:
            return None  # an excluded row whose stated GPUs cannot hold the model
        raise StoreError(f"throughput_measured {r['measurement_id']}: {r['model_id']} in {weights.precision_id} does not fit "
                         f"{r['gpu_count']} x {r['gpu_id']} under {r['engine_id']}'s memory rules, yet the source ran it")
    # Where the row does not state its tensor parallelism or layout, assume the submitter used the fastest.
    return max(candidates, key=lambda c: predict(c, START))


def row_batch(setup: RowSetup, eff: Efficiency) -> int:
    """Sequences a replica ran at once in a measured run: 1 for a single stream, the clients (within the
    batch limit), the largest batch meeting the run's latency limits, else the batch limit [count]."""
    if setup.load_kind in ("single-stream", "llama-bench"):
        return 1
    if setup.concurrency_per_replica is not None:
        return min(setup.concurrency_per_replica, setup.batch_limit)
    if setup.target is not None:
        return max(best_batch(setup.replica, setup.batch_limit, setup.input_tokens, setup.output_tokens, eff,
                              setup.limits, setup.target), 1)
    return setup.batch_limit


def predict(setup: RowSetup, eff: Efficiency) -> float:
    """The model's figure for a measured row, in the row's own kind of tokens/s."""
    r, inp, out, lim = setup.replica, setup.input_tokens, setup.output_tokens, setup.limits
    prompt = inp  # the run's prompt length (inp may grow below with recomputed preempted prompts)
    if setup.load_kind == "llama-bench":
        if setup.kind == "prefill-per-system":
            return inp / prefill_seconds(r, inp, eff, max(float(lim.max_num_tokens), inp), prompts_in_flight=1)
        return 1.0 / decode_step_seconds(r, 1, (inp or 0) + out / 2, eff)
    batch = row_batch(setup, eff)
    finite = setup.num_prompts and setup.kind in ("output-per-system", "output-per-gpu", "total-per-system", "total-per-gpu")
    per_replica = max(setup.num_prompts // setup.replicas, 1) if finite else 0
    if setup.wanted_per_replica and setup.wanted_per_replica > batch and not (finite and setup.fixed_lengths):
        inp = recompute_input_tokens(inp, out, setup.wanted_per_replica, batch, lim)
    rate = replica_rate(r, batch, inp, out, eff, lim)
    if finite and setup.load_kind == "request-rate" and setup.request_rate_per_s:
        rate = dataclasses.replace(rate, output_tokens_per_s=finite_rate_run_rate(
            r, setup.batch_limit, per_replica, setup.request_rate_per_s / setup.replicas, inp, out, eff, lim))
    elif finite and (setup.fixed_lengths or setup.load_kind == "offline" or (setup.concurrency_per_replica or 0) >= per_replica):
        # every request submitted at once (offline, or as many clients as requests): waves or a drain
        rate = dataclasses.replace(rate, output_tokens_per_s=finite_run_rate(r, batch, per_replica, inp, out, eff, lim,
                                                                             fixed_lengths=setup.fixed_lengths))
    elif finite:
        # clients keep the batch full until the last requests: a drain of one batch at the end
        steady_s = max(per_replica - batch, 0) * out / rate.output_tokens_per_s
        tail = finite_run_rate(r, batch, batch, inp, out, eff, lim)
        rate = dataclasses.replace(rate, output_tokens_per_s=per_replica * out / (steady_s + batch * out / tail))
    if setup.kind == "decode-per-stream":
        return 1.0 / rate.decode_step_s
    if setup.kind == "output-per-user":
        return 1.0 / latency(r, batch, inp, out, eff, lim, "mean", poisson=False).tpot_s
    system = rate.output_tokens_per_s * setup.replicas
    if setup.request_rate_per_s and not finite:
        system = min(system, setup.request_rate_per_s * out)
    if setup.kind == "output-per-gpu":
        return system / setup.gpu_count
    if setup.kind == "total-per-system":
        return system * (prompt + out) / out
    if setup.kind == "total-per-gpu":
        return system * (prompt + out) / out / setup.gpu_count
    return system


def _log_residual(setup: RowSetup, eff: Efficiency) -> float:
    return math.log(setup.measured_tokens_per_s / predict(setup, eff))


def source_weights(setups: list[RowSetup]) -> list[float]:
    """Weight of each row in the pooled fit: 1/sqrt(rows of its publisher), so big tables do not drown small sources."""
    counts: dict[str, int] = defaultdict(int)
    for s in setups:
        counts[s.publisher] += 1
    return [1.0 / math.sqrt(counts[s.publisher]) for s in setups]


def fit_pooled(setups: list[RowSetup], start: Efficiency = START, *, max_nfev: int | None = None,
               multipliers: dict[str, tuple[float, float]] | None = None) -> Efficiency:
    """Pooled parameters minimising the weighted robust log error over ``setups`` (trust-region least squares).

    In two stages: the shared physics (bandwidth, compute, fixed costs, links) on the dense models'
    rows, then the MoE parameters (expert tile, routing costs) on the MoE rows with the shared
    physics held, so that what MoE kernels lack cannot bend the physics every dense row shares.
    ``multipliers`` (per measurement_id: efficiency and fixed-time multipliers) scale each row as
    the hierarchical fit does.
    """
    dense = [s for s in setups if not s.is_moe]
    moe = [s for s in setups if s.is_moe]
    if not dense or not moe:
        return _least_squares(setups, start, [p for p in FIT_PARAMETERS if p.needs != "moe" or moe], max_nfev, multipliers)
    shared = _least_squares(dense, start, [p for p in FIT_PARAMETERS if p.needs != "moe"], max_nfev, multipliers)
    return _least_squares(moe, shared, [p for p in FIT_PARAMETERS if p.needs == "moe"], max_nfev, multipliers)


def _least_squares(setups: list[RowSetup], start: Efficiency, params: list[FitParameter], max_nfev: int | None,
                   multipliers: dict[str, tuple[float, float]] | None) -> Efficiency:
    """``params`` fitted from ``start`` (the others held) to ``setups``; parameters no row informs are switched off."""
    from scipy.optimize import least_squares

    present = {"all": True, "moe": any(s.is_moe for s in setups), "tp": any(s.replica.tp > 1 for s in setups),
               "fp4": any(s.replica.fp4_matmuls for s in setups), "weight-only": any(s.replica.weight_only for s in setups)}
    fitted = [p for p in params if present[p.needs]]
    held = {p.name: getattr(start, p.name) for p in FIT_PARAMETERS if p not in fitted}
    for need in ("tp", "fp4", "weight-only"):
        if not present[need]:
            held.update({p.name: ROOFLINE_OFF[p.name] for p in FIT_PARAMETERS if p.needs == need and p.name not in [f.name for f in fitted]})
    weights = [math.sqrt(w) for w in source_weights(setups)]

    def unpack(x: Any) -> Efficiency:
        values = {p.name: math.exp(v) if p.log else float(v) for p, v in zip(fitted, x)}
        return Efficiency(**(held | values))

    def residuals(x: Any) -> list[float]:
        eff = unpack(x)
        if not multipliers:
            return [w * _log_residual(s, eff) for s, w in zip(setups, weights)]
        return [w * _log_residual(s, scaled_split(eff, *multipliers.get(s.measurement_id, (1.0, 1.0)))) for s, w in zip(setups, weights)]

    def scale(p: FitParameter, v: float) -> float:
        return math.log(v) if p.log else v

    if not fitted:
        return unpack([])
    lower = [scale(p, p.lower) for p in fitted]
    upper = [scale(p, p.upper) for p in fitted]
    x0 = [min(max(scale(p, getattr(start, p.name) or getattr(START, p.name)), lo + 1e-6), hi - 1e-6)
          for p, lo, hi in zip(fitted, lower, upper)]
    result = least_squares(residuals, x0, bounds=(lower, upper), method="trf", x_scale=1.0, xtol=1e-5, ftol=1e-6,
                           max_nfev=max_nfev, loss="soft_l1", f_scale=ROBUST_SCALE)
    return unpack(result.x)


def row_keys(setup: RowSetup) -> dict[str, str]:
    return {lv: setup.key(lv) for lv in LEVELS}


def shrunk_multipliers(setups: list[RowSetup], level: str, kind: str, residual: Callable[[RowSetup], float],
                       elasticity: Callable[[RowSetup], float]) -> dict[tuple[str, str, str], Multiplier]:
    """Per key of a level: a multiplier of one kind from the rows' residuals and their sensitivity to it.

    Each publisher's estimate is its elasticity-weighted regression sum(e r) / sum(e^2) (log
    multiplier), clipped to +-SOURCE_RESIDUAL_CLIP; the key's is the mean over publishers shrunk
    towards 0 with SHRINKAGE_SOURCES pseudo-publishers, kept only with MIN_SOURCES publishers.
    Rows the multiplier barely moves (a fixed-time multiplier on compute-bound rows) say little.
    """
    by_key: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    ids: dict[str, list[str]] = defaultdict(list)
    for s in setups:
        key = s.key(level)
        by_key[key][s.publisher].append((residual(s), elasticity(s)))
        ids[key].append(s.measurement_id)
    out = {}
    for key, per_source in by_key.items():
        estimates = []
        for pairs in per_source.values():
            see = sum(e * e for _, e in pairs)
            if see < MIN_ELASTICITY ** 2 * len(pairs):
                continue  # this publisher's rows do not depend on the multiplier
            estimates.append(max(min(sum(r * e for r, e in pairs) / see, SOURCE_RESIDUAL_CLIP), -SOURCE_RESIDUAL_CLIP))
        if len(estimates) < MIN_SOURCES:
            continue
        value = math.exp(sum(estimates) / (len(estimates) + SHRINKAGE_SOURCES))
        out[(level, kind, key)] = Multiplier(level, key, value, len(estimates), len(ids[key]), tuple(ids[key]), kind)
    return out


MIN_ELASTICITY = 0.05
"""Rows whose log prediction moves less than this per log unit of a multiplier do not inform it."""
ROBUST_SCALE = 0.25
"""Log residual beyond which the pooled fit's loss grows linearly rather than quadratically (soft L1): a row
off by more than ~30% (an unstated slow build, a checkpoint without fast kernels) cannot drag the shared physics."""
SOURCE_RESIDUAL_CLIP = 0.7
"""A publisher's mean log residual counts at most this much (a factor of 2) towards a multiplier [log ratio]."""
LOSO_NFEV = 4
"""Trust-region iterations (each about 12 evaluations of every row) a leave-one-source-out refit may spend, warm-started
from the full fit: removing one publisher moves it little."""
FIT_ROUNDS = 3
"""Rounds of alternating the pooled fit (given the multipliers) and the multipliers (given the pooled fit)."""


def fit(setups: list[RowSetup], start: Efficiency = START, *, max_nfev: int | None = None, rounds: int = FIT_ROUNDS) -> Fit:
    """Pooled fit and hierarchical multipliers, estimated in turn so that neither absorbs the other's effect.

    A model or engine slower than the physics everywhere (DeepSeek-R1 in early-2025 engines) goes
    into its multiplier rather than bending the pooled parameters that every other row shares.
    """
    mults: dict[tuple[str, str, str], Multiplier] = {}
    pooled = start
    for _ in range(rounds):
        current = Fit(pooled, mults)
        splits = {s.measurement_id: current.multiplier_for(row_keys(s))[:2] for s in setups}
        pooled = fit_pooled(setups, pooled, max_nfev=max_nfev, multipliers=splits)
        mults = fit_multipliers(setups, pooled, mults)
    return Fit(pooled, mults)


def fit_multipliers(setups: list[RowSetup], pooled: Efficiency,
                    start: dict[tuple[str, str, str], Multiplier] | None = None) -> dict[tuple[str, str, str], Multiplier]:
    """The hierarchical multipliers given the pooled fit: backfitting each (level, kind) on the others' residuals."""
    mults = dict(start or {})
    for _ in range(BACKFIT_ROUNDS):
        f = Fit(pooled, mults)
        base = {}
        elasticity = {"efficiency": {}, "fixed": {}}
        for s in setups:
            m_eff, m_fix, _ = f.multiplier_for(row_keys(s))
            p0 = predict(s, scaled_split(pooled, m_eff, m_fix))
            base[s.measurement_id] = math.log(s.measured_tokens_per_s / p0)
            step = math.log(ELASTICITY_STEP)
            elasticity["efficiency"][s.measurement_id] = math.log(predict(s, scaled_split(pooled, m_eff * ELASTICITY_STEP, m_fix)) / p0) / step
            elasticity["fixed"][s.measurement_id] = math.log(predict(s, scaled_split(pooled, m_eff, m_fix * ELASTICITY_STEP)) / p0) / step
        for level in LEVELS:
            for kind in KINDS[level]:
                old = {k: v for k, v in mults.items() if k[:2] == (level, kind)}

                def residual(s: RowSetup, _old=old, _kind=kind, _level=level) -> float:
                    # add back this level's own current multiplier: it is being re-estimated
                    m = _old.get((_level, _kind, s.key(_level)))
                    return base[s.measurement_id] + (math.log(m.value) * elasticity[_kind][s.measurement_id] if m else 0.0)

                fitted = shrunk_multipliers(setups, level, kind, residual, lambda s, _k=kind: elasticity[_k][s.measurement_id])
                mults = {k: v for k, v in mults.items() if k[:2] != (level, kind)} | fitted
                for s in setups:
                    before = old.get((level, kind, s.key(level)))
                    after = fitted.get((level, kind, s.key(level)))
                    delta = (math.log(after.value) if after else 0.0) - (math.log(before.value) if before else 0.0)
                    base[s.measurement_id] -= delta * elasticity[kind][s.measurement_id]
    return mults


# ---------------------------------------------------------------------------------------------
# Out-of-sample validation and the band


def _prediction_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(records).with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        roofline_error_pct=(pl.col("roofline_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        log_residual=(pl.col("measured_tokens_per_s") / pl.col("predicted_tokens_per_s")).log(),
    )


def _record(s: RowSetup, f: Fit) -> dict[str, Any]:
    return {
        "measurement_id": s.measurement_id, "publisher": s.publisher, "engine_id": s.engine_id, "gpu_family": s.gpu_family,
        "gpu_vendor": s.vendor, "model_family": s.model_family, "run_kind": s.run_kind, "kind": s.kind,
        "measured_tokens_per_s": s.measured_tokens_per_s, "predicted_tokens_per_s": predict(s, f.efficiency_for_row(s)),
        "roofline_tokens_per_s": predict(s, ROOFLINE),
    }


_POOL_STATE: dict[str, Any] = {}
"""What forked leave-one-source-out workers read: the rows and the full fit (set before the fork)."""


def _loso_one(publisher: str) -> list[dict[str, Any]]:
    setups, full = _POOL_STATE["setups"], _POOL_STATE["full"]
    others = [s for s in setups if s.publisher != publisher]
    f = fit(others, start=full.pooled, max_nfev=LOSO_NFEV, rounds=1)
    return [_record(s, f) for s in setups if s.publisher == publisher]


def aiconfigurator_prediction(s: RowSetup, f: Fit) -> float | None:
    """aiconfigurator-core's figure for a measured row in the row's kind of tokens/s, at the batch the
    roofline finds for it; None where aiconfigurator does not cover the row (GPU, engine, model,
    precision, a pipeline or a single-stream llama.cpp run) or fails on it.

    aiconfigurator models steady state: finite runs get no drain or wave correction, as a user of
    aiconfigurator would get.
    """
    from costmodel.models import estimators

    if s.load_kind == "llama-bench" or s.replica.pp > 1 or s.output_tokens < 2:
        return None
    if not estimators.covers(s.hf_repo, s.gpu_id, s.engine_id, s.precision_id):
        return None
    batch = row_batch(s, f.efficiency_for_row(s))
    try:
        got = estimators.aiconfigurator_estimate(
            s.hf_repo, s.model_id, s.gpu_id, s.engine_id, gpus=s.replica.gpus, tensor_parallel=s.replica.tp,
            input_tokens=max(round(s.input_tokens), 1), output_tokens=max(round(s.output_tokens), 2), batch=batch,
            precision_id=s.precision_id, kv_precision_id=s.kv_precision_id, is_moe=s.is_moe,
            attention_dp=s.replica.attention_dp, ctx_tokens=min(max(round(s.input_tokens), 1), s.limits.max_num_tokens))
    except CostmodelError:
        return None
    per_replica = got["output_tokens_per_s"]
    if s.kind in ("decode-per-stream", "output-per-user"):
        return 1000.0 / got["tpot_ms"]
    if s.kind == "prefill-per-system":
        return None
    system = per_replica * s.replicas
    if s.request_rate_per_s:
        system = min(system, s.request_rate_per_s * s.output_tokens)
    total = (s.input_tokens + s.output_tokens) / s.output_tokens
    return {"output-per-system": system, "output-per-gpu": system / s.gpu_count, "total-per-system": system * total,
            "total-per-gpu": system * total / s.gpu_count}.get(s.kind)


def with_aiconfigurator(frame: pl.DataFrame, setups: list[RowSetup], f: Fit,
                        progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
    """``frame`` (one row per measurement) with aiconfigurator_tokens_per_s and aiconfigurator_error_pct;
    unchanged when aiconfigurator-core is not installed."""
    from costmodel.models import estimators

    if not estimators.installed():
        return frame
    by_id = {}
    for i, s in enumerate(setups):
        by_id[s.measurement_id] = aiconfigurator_prediction(s, f)
        if progress:
            progress(i + 1, len(setups))
    return frame.with_columns(
        aiconfigurator_tokens_per_s=pl.Series([by_id.get(m) for m in frame["measurement_id"]], dtype=pl.Float64),
    ).with_columns(aiconfigurator_error_pct=(pl.col("aiconfigurator_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100)


def leave_one_source_out(setups: list[RowSetup], full: Fit | None = None,
                         progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> pl.DataFrame:
    """Predict every publisher's rows from a fit to the other publishers' rows.

    Returns one row per measurement with measured, predicted, roofline, their % errors, and the
    band from the other publishers' residuals (``band_ratios``), with ``in_band``. The refits run
    in ``workers`` forked processes (default: the machine's cores).
    """
    full = full or fit(setups)
    publishers = sorted({s.publisher for s in setups})
    workers = workers or os.cpu_count() or 1
    _POOL_STATE.update(setups=setups, full=full)
    records: list[dict[str, Any]] = []
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(min(workers, len(publishers))) as pool:
                for i, part in enumerate(pool.imap_unordered(_loso_one, publishers)):
                    records.extend(part)
                    if progress:
                        progress(i + 1, len(publishers))
        else:
            for i, pub in enumerate(publishers):
                records.extend(_loso_one(pub))
                if progress:
                    progress(i + 1, len(publishers))
    finally:
        _POOL_STATE.clear()
    frame = _prediction_frame(records).sort("measurement_id")
    return with_bands(frame, frame, exclude_own_source=True)


def leave_one_out(setups: list[RowSetup], full: Fit | None = None,
                  progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
    """Predict each row from a fit to all the others (in-sample neighbours: an optimistic check)."""
    full = full or fit(setups)
    records = []
    for i, s in enumerate(setups):
        f = fit(setups[:i] + setups[i + 1:], start=full.pooled, max_nfev=20)
        records.append(_record(s, f))
        if progress:
            progress(i + 1, len(setups))
    return _prediction_frame(records)


BAND_GROUPS = (("engine-gpu-vendor", ("engine_id", "gpu_vendor")), ("engine", ("engine_id",)), ("gpu-vendor", ("gpu_vendor",)))
"""Groupings of residuals tried for a band, most specific first; 'all' is the last resort."""


def _quantiles(values: list[float]) -> tuple[float, float]:
    s = pl.Series(values, dtype=pl.Float64)
    return float(s.quantile(BAND_QUANTILES[0], "linear")), float(s.quantile(BAND_QUANTILES[1], "linear"))


def band_ratios(residuals: pl.DataFrame, engine_id: str, gpu_vendor: str, *, exclude_publisher: str | None = None,
                evidence_sources: int | None = None) -> tuple[float, float, str, int]:
    """(low ratio, high ratio, group, publishers) of the band for an engine on a GPU vendor.

    The band is the 5th-95th percentile of leave-one-source-out log residuals of the most specific
    group (engine and GPU vendor, else engine, else vendor, else all) that ``BAND_MIN_SOURCES``
    publishers back, widened by (1 + 1/n) for n publishers behind the estimate's own engine and
    vendor: an engine or GPU that one source measured gets a band twice as wide.
    """
    pool = residuals if exclude_publisher is None else residuals.filter(pl.col("publisher") != exclude_publisher)
    values = {"engine_id": engine_id, "gpu_vendor": gpu_vendor}
    chosen, name = pool, "all"
    for group, cols in BAND_GROUPS:
        sub = pool.filter(pl.all_horizontal([pl.col(c) == values[c] for c in cols]))
        if sub["publisher"].n_unique() >= BAND_MIN_SOURCES:
            chosen, name = sub, f"{group} {'/'.join(values[c] for c in cols)}"
            break
    own = pool.filter((pl.col("engine_id") == engine_id) & (pl.col("gpu_vendor") == gpu_vendor))["publisher"].n_unique()
    n = own if evidence_sources is None else evidence_sources
    low, high = _quantiles(chosen["log_residual"].to_list())
    widen = 1.0 + 1.0 / max(n, 1)
    return math.exp(min(low, 0.0) * widen), math.exp(max(high, 0.0) * widen), name, n


def with_bands(frame: pl.DataFrame, residuals: pl.DataFrame, *, exclude_own_source: bool) -> pl.DataFrame:
    """Add each row's band (from the other publishers' residuals) and whether the measurement falls in it."""
    lows, highs, groups = [], [], []
    for r in frame.iter_rows(named=True):
        low, high, group, _ = band_ratios(residuals, r["engine_id"], r["gpu_vendor"],
                                          exclude_publisher=r["publisher"] if exclude_own_source else None)
        lows.append(low)
        highs.append(high)
        groups.append(group)
    return frame.with_columns(
        predicted_low_tokens_per_s=pl.col("predicted_tokens_per_s") * pl.Series(lows),
        predicted_high_tokens_per_s=pl.col("predicted_tokens_per_s") * pl.Series(highs),
        band_group=pl.Series(groups),
    ).with_columns(
        in_band=(pl.col("measured_tokens_per_s") >= pl.col("predicted_low_tokens_per_s"))
        & (pl.col("measured_tokens_per_s") <= pl.col("predicted_high_tokens_per_s")),
    )


def summarise(frame: pl.DataFrame) -> dict[str, Any]:
    """Median and largest absolute % error, share beyond 50%, band coverage, rows and publishers."""
    err = frame["error_pct"].abs()
    out = {
        "rows": frame.height,
        "sources": frame["publisher"].n_unique(),
        "median_abs_error_pct": float(err.median()),
        "max_abs_error_pct": float(err.max()),
        "mean_error_pct": float(frame["error_pct"].mean()),
        "share_beyond_50_pct": float((err > 50).mean()),
        "roofline_median_abs_error_pct": float(frame["roofline_error_pct"].abs().median()),
    }
    if "in_band" in frame.columns:
        out["band_coverage_share"] = float(frame["in_band"].mean())
    return out


BREAKDOWNS = (("engine", "engine_id"), ("gpu_vendor", "gpu_vendor"), ("model_family", "model_family"), ("run_kind", "run_kind"))
"""Columns the validation tables break the errors down by."""


def breakdown(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Errors per value of a column: rows, publishers, median and largest |error|, share beyond 50%, band coverage."""
    return (frame.group_by(column).agg(
        rows=pl.len(), sources=pl.col("publisher").n_unique(),
        median_abs_error_pct=pl.col("error_pct").abs().median(), max_abs_error_pct=pl.col("error_pct").abs().max(),
        mean_error_pct=pl.col("error_pct").mean(),
        share_beyond_50_pct=(pl.col("error_pct").abs() > 50).mean(), band_coverage_share=pl.col("in_band").mean(),
    ).sort(["rows", column], descending=[True, False]))


# ---------------------------------------------------------------------------------------------
# Storing and reading the calibration


POOLED_COLUMNS = ["fit_id", *PARAMETER_NAMES, "rows_used", "sources_used", "fitted_on", "source_id", "observed_on", "note"]
MULTIPLIER_COLUMNS = ["fit_id", "level", "kind", "key", "multiplier", "sources_used", "rows_used", "measurement_ids", "source_id",
                      "observed_on", "note"]
BAND_COLUMNS = ["fit_id", "group_kind", "group_key", "band_low_log", "band_high_log", "sources_used", "rows_used",
                "source_id", "observed_on", "note"]
VALIDATION_COLUMNS = ["fit_id", "measurement_id", "predicted_tokens_per_s", "predicted_low_tokens_per_s",
                      "predicted_high_tokens_per_s", "roofline_tokens_per_s", "aiconfigurator_tokens_per_s", "band_group",
                      "source_id", "observed_on"]
CHOICE_COLUMNS = ["fit_id", "gpu_family", "engine_id", "estimator", "rows_compared", "sources_compared", "roofline_median_abs_error_pct",
                  "aiconfigurator_median_abs_error_pct", "fitted_on", "source_id", "observed_on", "note"]
CALIBRATION_TABLES = ("throughput_calibration", "throughput_calibration_multipliers", "throughput_calibration_bands",
                      "throughput_validation", "throughput_estimator_choice")


def calibration_files(setups: list[RowSetup], full: Fit, loso: pl.DataFrame, fit_id: str,
                      fitted_on: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Rows of the three calibration tables for a fit and its leave-one-source-out residuals."""
    day = fitted_on.isoformat()
    pooled = {"fit_id": fit_id, **{n: round(getattr(full.pooled, n), 6) for n in PARAMETER_NAMES},
              "rows_used": len(setups), "sources_used": len({s.publisher for s in setups}), "fitted_on": day,
              "source_id": CALIBRATION_SOURCE_ID, "observed_on": day,
              "note": "pooled fit over every usable row, each publisher's rows weighted 1/sqrt(rows)"}
    mults = [{
        "fit_id": fit_id, "level": m.level, "kind": m.kind, "key": m.key, "multiplier": round(m.value, 6), "sources_used": m.sources,
        "rows_used": m.rows, "measurement_ids": " ".join(m.measurement_ids), "source_id": CALIBRATION_SOURCE_ID,
        "observed_on": day,
        "note": (f"mean over {m.sources} publishers of their elasticity-weighted log residual, shrunk with "
                 f"{SHRINKAGE_SOURCES:g} pseudo-publisher at 1"),
    } for _, m in sorted(full.multipliers.items())]
    bands = []
    groups: list[tuple[str, pl.DataFrame]] = [("all/all", loso)]
    for kind, cols in BAND_GROUPS:
        for key, sub in loso.group_by(list(cols), maintain_order=True):
            groups.append((f"{kind}/{'/'.join(str(k) for k in key)}", sub))
    for name, sub in groups:
        kind, key = name.split("/", 1)
        low, high = _quantiles(sub["log_residual"].to_list())
        bands.append({"fit_id": fit_id, "group_kind": kind, "group_key": key, "band_low_log": round(min(low, 0.0), 6),
                      "band_high_log": round(max(high, 0.0), 6), "sources_used": sub["publisher"].n_unique(),
                      "rows_used": sub.height, "source_id": CALIBRATION_SOURCE_ID, "observed_on": day,
                      "note": f"{BAND_QUANTILES[0]:.0%}-{BAND_QUANTILES[1]:.0%} of leave-one-source-out log residuals"})
    validation = [{
        "fit_id": fit_id, "measurement_id": r["measurement_id"], "predicted_tokens_per_s": round(r["predicted_tokens_per_s"], 4),
        "predicted_low_tokens_per_s": round(r["predicted_low_tokens_per_s"], 4),
        "predicted_high_tokens_per_s": round(r["predicted_high_tokens_per_s"], 4),
        "roofline_tokens_per_s": round(r["roofline_tokens_per_s"], 4),
        "aiconfigurator_tokens_per_s": (round(r["aiconfigurator_tokens_per_s"], 4)
                                        if r.get("aiconfigurator_tokens_per_s") is not None else None),
        "band_group": r["band_group"], "source_id": CALIBRATION_SOURCE_ID, "observed_on": day,
    } for r in loso.sort("measurement_id").iter_rows(named=True)]
    choice = [{"fit_id": fit_id, **c, "fitted_on": day, "source_id": CALIBRATION_SOURCE_ID, "observed_on": day}
              for c in estimator_choice(loso)]
    return {"throughput_calibration": [pooled], "throughput_calibration_multipliers": mults,
            "throughput_calibration_bands": bands, "throughput_validation": validation, "throughput_estimator_choice": choice}


def _csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


_COLUMNS = {"throughput_calibration": POOLED_COLUMNS, "throughput_calibration_multipliers": MULTIPLIER_COLUMNS,
            "throughput_calibration_bands": BAND_COLUMNS, "throughput_validation": VALIDATION_COLUMNS,
            "throughput_estimator_choice": CHOICE_COLUMNS}


ESTIMATOR_MIN_ROWS = 5
"""Rows a (GPU family, engine) needs in common before aiconfigurator can be chosen for it."""


def estimator_comparison(loso: pl.DataFrame) -> list[dict[str, Any]]:
    """Both estimators on the rows aiconfigurator covers: the roofline's leave-one-source-out errors and
    aiconfigurator's (never fitted to these rows). Empty when aiconfigurator-core is not installed."""
    if "aiconfigurator_tokens_per_s" not in loso.columns:
        return []
    both = loso.filter(pl.col("aiconfigurator_tokens_per_s").is_not_null())
    if both.height == 0:
        return []
    out = []
    for name, col, band in (("roofline (leave-one-source-out)", "error_pct", True), ("aiconfigurator", "aiconfigurator_error_pct", False)):
        err = both[col]
        out.append({"estimator": name, "rows": both.height, "sources": both["publisher"].n_unique(),
                    "median_abs_error_pct": float(err.abs().median()), "max_abs_error_pct": float(err.abs().max()),
                    "mean_error_pct": float(err.mean()), "share_beyond_50_pct": float((err.abs() > 50).mean()),
                    "band_coverage_share": float(both["in_band"].mean()) if band and "in_band" in both.columns else None})
    return out


ESTIMATOR_MIN_SOURCES = 2
"""Publishers a (GPU family, engine) needs in common before aiconfigurator can be chosen for it."""


def estimator_choice(loso: pl.DataFrame) -> list[dict[str, Any]]:
    """Per (GPU family, engine) with aiconfigurator predictions: the estimator with the lower median |error|."""
    if "aiconfigurator_tokens_per_s" not in loso.columns:
        return []
    both = loso.filter(pl.col("aiconfigurator_tokens_per_s").is_not_null()).with_columns(
        aic_err=(pl.col("aiconfigurator_tokens_per_s") / pl.col("measured_tokens_per_s") - 1).abs() * 100)
    out = []
    for (family, engine), g in both.group_by(["gpu_family", "engine_id"], maintain_order=True):
        if g.height < ESTIMATOR_MIN_ROWS:
            continue
        roof, aic = float(g["error_pct"].abs().median()), float(g["aic_err"].median())
        better = aic < roof and g["publisher"].n_unique() >= ESTIMATOR_MIN_SOURCES
        out.append({"gpu_family": family, "engine_id": engine, "estimator": "aiconfigurator" if better else "roofline",
                    "rows_compared": g.height, "sources_compared": g["publisher"].n_unique(),
                    "roofline_median_abs_error_pct": round(roof, 3), "aiconfigurator_median_abs_error_pct": round(aic, 3),
                    "note": f"median |error| on the {g.height} rows both cover: roofline {roof:.1f}% (leave-one-source-out), "
                            f"aiconfigurator {aic:.1f}%"})
    return sorted(out, key=lambda c: (c["gpu_family"], c["engine_id"]))


def write_calibration(files: dict[str, list[dict[str, Any]]], targets: dict[str, Path]) -> None:
    """Write the calibration tables to their files: all to temporary names first, then renamed together."""
    temps = {}
    for table, rows in files.items():
        path = targets[table]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        tmp.write_text(_csv_text(_COLUMNS[table], rows), encoding="utf-8")
        temps[table] = tmp
    for table, tmp in temps.items():
        os.replace(tmp, targets[table])


# ---------------------------------------------------------------------------------------------
# Commands


def calibrate(*, write_data: bool = False, fitted_on: dt.date | None = None, data_dir: Path | None = None,
              db_path: Path | None = None,
              progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], dict[str, Any], list[Path]]:
    """Refit the calibration to every usable measured row (your imported benchmarks included) and rebuild the store.

    By default the fit is saved as your calibration beside your imports (``imports_dir()``,
    untracked), so a checkout stays clean; ``write_data`` rewrites the shipped files in ``data/``.
    Returns the pooled fit's row, the leave-one-source-out summary and the files written.
    """
    fitted_on = fitted_on or dt.date.today()
    data_dir = Path(data_dir) if data_dir else _paths.data_dir()
    setups = setup_rows(db_path=db_path)
    full = fit(setups)
    loso = with_aiconfigurator(leave_one_source_out(setups, full, progress), setups, full)
    if write_data:
        fit_id = SHIPPED_FIT
        targets = {t: data_dir / f"{t}.csv" for t in CALIBRATION_TABLES}
    else:
        fit_id = "user-" + dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        imports = data_dir / "imports" if data_dir != _paths.data_dir() else _paths.imports_dir()
        targets = {t: imports / t / f"{fit_id}.csv" for t in CALIBRATION_TABLES}
    files = calibration_files(setups, full, loso, fit_id, fitted_on)
    write_calibration(files, targets)
    store.build(db_path, data_dir)
    return files["throughput_calibration"][0], summarise(loso), list(targets.values())


@dataclasses.dataclass(frozen=True)
class Validation:
    """What ``costmodel validate`` reports."""

    loso: pl.DataFrame  # one row per usable measurement, predicted by a fit that never saw its publisher
    loo: pl.DataFrame | None  # predicted by a fit to every other row
    excluded: pl.DataFrame  # excluded rows with their reasons and the full fit's prediction
    fit: Fit

    def summary(self) -> dict[str, Any]:
        out = {"leave_one_source_out": summarise(self.loso)}
        if self.loo is not None:
            out["leave_one_out"] = summarise(self.loo)
        out["breakdowns"] = {name: breakdown(self.loso, col).to_dicts() for name, col in BREAKDOWNS}
        out["max_fitted_efficiency"] = max_efficiency(self.fit)
        if "aiconfigurator_tokens_per_s" in self.loso.columns:
            out["estimators"] = estimator_comparison(self.loso)
            out["estimator_by_gpu_engine"] = estimator_choice(self.loso)
        return out


def stored_validation(*, db_path: Path | None = None) -> pl.DataFrame:
    """The leave-one-source-out predictions saved with the calibration in force (``throughput_validation``),
    one row per measurement, in the shape ``leave_one_source_out`` returns: no refit, instant."""
    fit_id = latest_fit_id(db_path=db_path)
    frame = store.query(
        "SELECT v.measurement_id, t.publisher, t.engine_id, g.gpu_family, lower(g.vendor) AS gpu_vendor, m.family AS model_family, "
        "t.load_kind, t.tokens_per_s_kind AS kind, t.tokens_per_s AS measured_tokens_per_s, v.predicted_tokens_per_s, "
        "v.predicted_low_tokens_per_s, v.predicted_high_tokens_per_s, v.roofline_tokens_per_s, v.aiconfigurator_tokens_per_s, "
        "v.band_group, t.source_id FROM throughput_validation v JOIN throughput_measured t USING (measurement_id) "
        "JOIN gpus g USING (gpu_id) JOIN models m USING (model_id) WHERE v.fit_id = ? ORDER BY v.measurement_id",
        [fit_id], db_path=db_path)
    if frame.height == 0:
        raise CostmodelError(f"the calibration {fit_id!r} has no saved validation rows; run `costmodel calibrate`")
    frame = frame.with_columns(run_kind=pl.col("load_kind").replace_strict(KINDS_OF_RUN, default="other")).drop("load_kind")
    return frame.with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        roofline_error_pct=(pl.col("roofline_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        aiconfigurator_error_pct=(pl.col("aiconfigurator_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        in_band=(pl.col("measured_tokens_per_s") >= pl.col("predicted_low_tokens_per_s"))
        & (pl.col("measured_tokens_per_s") <= pl.col("predicted_high_tokens_per_s")),
    )


def max_efficiency(f: Fit) -> float:
    """The largest efficiency any combination of the fit's multipliers reaches (capped at 1 by construction) [fraction]."""
    best = 0.0
    m = math.prod(max([1.0] + [x.value for (lv, kind, _), x in f.multipliers.items() if lv == level and kind == "efficiency"])
                  for level in LEVELS)
    for name in (p.name for p in FIT_PARAMETERS if p.scale == +1):
        best = max(best, min(getattr(f.pooled, name) * m, 1.0))
    return best


def validate(*, leave_one_out_too: bool = False, estimators: bool = False, db_path: Path | None = None,
             progress: Callable[[int, int], None] | None = None) -> Validation:
    """Leave-one-source-out validation (and optionally leave-one-out), with the excluded rows."""
    everything = setup_rows(include_excluded=True, db_path=db_path)
    setups = [s for s in everything if not s.exclude_reason]
    full = fit(setups)
    loso = leave_one_source_out(setups, full, progress)
    if estimators:
        from costmodel.models import estimators as aic

        if not aic.installed():
            raise CostmodelError("validate --compare-estimators needs aiconfigurator-core: pip install 'costmodel[aiconfigurator]' "
                                 "(or aiconfigurator-core>=0.12,<0.13)")
        loso = with_aiconfigurator(loso, setups, full)
    loo = leave_one_out(setups, full) if leave_one_out_too else None
    excluded = store.query(
        "SELECT measurement_id, publisher, tokens_per_s AS measured_tokens_per_s, exclude_reason FROM throughput_measured "
        "WHERE exclude_reason IS NOT NULL ORDER BY 1", db_path=db_path)
    predicted = {s.measurement_id: predict(s, full.efficiency_for_row(s)) for s in everything if s.exclude_reason}
    excluded = excluded.with_columns(
        predicted_tokens_per_s=pl.Series([predicted.get(m) for m in excluded["measurement_id"]], dtype=pl.Float64),
    ).with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
    ).select("measurement_id", "publisher", "measured_tokens_per_s", "predicted_tokens_per_s", "error_pct", "exclude_reason")
    return Validation(loso, loo, excluded, full)
