"""Calibrating the throughput model to measured rows, and validating it by leave-one-out.

The fit has two levels. First three pooled parameters (bandwidth efficiency, compute
efficiency, per-step overhead) minimise the squared log error over every usable row of
``throughput_measured``. Then each (engine, GPU family) group gets a throughput multiplier,
the mean log residual of its rows shrunk towards 1 (``SHRINKAGE_ROWS`` pseudo-rows at 1), which
scales its efficiencies up and its overhead down. Few rows per group cannot support three free
parameters each; shrinkage keeps a group with one row from fitting it exactly.

``costmodel calibrate`` writes the fit to ``data/throughput_calibration.csv`` (with the date and
the rows used) and rebuilds the store; ``costmodel validate`` reports leave-one-out errors of
the calibrated model beside the plain roofline.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl

from . import _paths, catalog, store
from .memory import Architecture, MemoryBudget, default_kv_precision, runtime_input
from .memory import TP_FRIENDLY_GPU_COUNTS
from .throughput import (
    ROOFLINE,
    Efficiency,
    Replica,
    best_batch,
    build_replica,
    decode_rate,
    max_batch_for_memory,
    replica_rate,
    token_budget_batch,
)

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
"""The fitted fields of Efficiency (every field but none) and their bounds."""

SHRINKAGE_ROWS = 1.0
"""Pseudo-rows at multiplier 1 added to each group's mean log residual (empirical-Bayes shrinkage)."""
BAND_QUANTILES = (0.05, 0.95)
"""Quantiles of the leave-one-out log residuals that bound the low-high band."""
ROOFLINE_OFF = Efficiency(1.0, 1.0, 0.0, moe_half_tokens=0.0, allreduce_latency_us=10.0, tp_scaling_exponent=0.0,
                          link_efficiency=1.0, moe_pair_ns=0.0)
"""Values of parameters a fit cannot inform (no MoE rows, no tensor-parallel rows): their effects off."""
START = Efficiency(bandwidth_efficiency=0.7, compute_efficiency=0.5, step_overhead_ms=2.0, moe_half_tokens=100.0,
                   prefill_compute_efficiency=0.5, allreduce_latency_us=10.0, tp_scaling_exponent=0.1,
                   link_efficiency=0.8, moe_pair_ns=1.0)
"""Starting point of the pooled fit."""
CALIBRATION_SOURCE_ID = "throughput-calibration-fit"
CALIBRATION_COLUMNS = [
    "engine_id", "gpu_family", *(p.name for p in FIT_PARAMETERS),
    "band_low_ratio", "band_high_ratio", "rows_used", "measurement_ids", "fitted_on", "source_id",
    "observed_on", "note",
]


@dataclasses.dataclass(frozen=True)
class RowSetup:
    """A measured row resolved to a replica and the conditions to predict it under."""

    measurement_id: str
    engine_id: str
    gpu_family: str
    measured_tokens_per_s: float
    kind: str
    replica: Replica
    replicas: int
    gpu_count: int
    input_tokens: float
    output_tokens: float
    batch_limit: int  # memory and engine limit, or the stated concurrency per replica
    fixed_batch: bool
    ttft_s: float | None
    tpot_s: float | None
    exclude_reason: str | None

    @property
    def group(self) -> tuple[str, str]:
        return (self.engine_id, self.gpu_family)


def setup_rows(*, include_excluded: bool = False, db_path: Path | None = None) -> list[RowSetup]:
    """Resolve every measured row (by default only those without an exclude_reason)."""
    rows = store.query(
        "SELECT t.*, d.input_tokens_mean AS dataset_input, d.output_tokens_mean AS dataset_output, d.tuned_batch, g.gpu_family "
        "FROM throughput_measured t JOIN benchmark_datasets d USING (dataset) JOIN gpus g USING (gpu_id) "
        "ORDER BY measurement_id",
        db_path=db_path,
    ).to_dicts()
    setups = []
    for r in rows:
        if r["exclude_reason"] and not include_excluded:
            continue
        arch = Architecture.from_model(catalog.get_model(r["model_id"], db_path=db_path))
        gpu = catalog.get_gpu(r["gpu_id"], db_path=db_path)
        precision = r["weight_precision_id"]
        kv = r["kv_precision_id"] or unstated_kv_precision(precision, r["engine_id"])
        inp = r["input_tokens_mean"] or r["dataset_input"]
        out = r["output_tokens_mean"] or r["dataset_output"]
        budget = MemoryBudget.for_engine(r["engine_id"], db_path=db_path)
        engine_limit = int(runtime_input("max_batch_sequences", "tuned-benchmark" if r["tuned_batch"] else r["engine_id"],
                                         db_path=db_path))
        common = dict(
            measurement_id=r["measurement_id"], engine_id=r["engine_id"], gpu_family=r["gpu_family"],
            measured_tokens_per_s=r["tokens_per_s"], kind=r["tokens_per_s_kind"], gpu_count=r["gpu_count"],
            input_tokens=inp, output_tokens=out,
            ttft_s=r["ttft_limit_ms"] / 1e3 if r["ttft_limit_ms"] else None,
            tpot_s=r["tpot_limit_ms"] / 1e3 if r["tpot_limit_ms"] else None,
            exclude_reason=r["exclude_reason"],
        )
        candidates = []
        layouts = [r["attention_dp"]] if r["attention_dp"] is not None else ([False, True] if arch.num_experts else [False])
        for tp, adp in ((tp, adp) for tp in ([r["tensor_parallel"]] if r["tensor_parallel"] else
                                              [c for c in TP_FRIENDLY_GPU_COUNTS if c <= r["gpu_count"] and r["gpu_count"] % c == 0])
                        for adp in layouts if tp > 1 or not adp):
            replica = build_replica(arch, gpu, tp, precision, kv, attention_dp=adp, db_path=db_path)
            memory_limit = max_batch_for_memory(replica, gpu, inp + out, budget)
            if memory_limit < 1:
                continue
            replicas = max(r["gpu_count"] // tp, 1)
            if r["concurrency"]:
                limit, fixed = min(math.ceil(r["concurrency"] / replicas), memory_limit), True
            else:
                limit, fixed = min(memory_limit, engine_limit, max(token_budget_batch(replica, budget.max_num_tokens, inp, out), 1)), False
            candidates.append(RowSetup(replica=replica, replicas=replicas, batch_limit=limit, fixed_batch=fixed, **common))
        if not candidates:
            if r["exclude_reason"]:
                continue  # an excluded row whose stated GPUs cannot hold the model (multi-node per-GPU figures)
            raise store.StoreError(f"throughput_measured {r['measurement_id']}: the model does not fit the stated GPUs")
        # Where the row does not state its tensor parallelism or layout, assume the submitter used the fastest.
        setups.append(max(candidates, key=lambda c: predict(c, START)))
    return setups


def unstated_kv_precision(weight_precision_id: str, engine_id: str) -> str:
    """KV precision assumed for a measured row that does not state it: the engine default (16-bit).

    (Assuming FP8 for TensorRT-LLM FP8/FP4 rows was tried: it raised the leave-one-out error.)
    """
    return default_kv_precision(weight_precision_id)


def scaled(eff: Efficiency, multiplier: float) -> Efficiency:
    """Efficiencies times ``multiplier`` and fixed times divided by it: throughput scales by about ``multiplier``."""
    return dataclasses.replace(eff, **{p.name: getattr(eff, p.name) * multiplier ** p.scale
                                       for p in FIT_PARAMETERS if p.scale})


def predict(setup: RowSetup, eff: Efficiency) -> float:
    """The model's figure for a measured row, in the row's own kind of tokens/s."""
    if setup.fixed_batch or (setup.ttft_s is None and setup.tpot_s is None):
        batch = setup.batch_limit
    else:
        batch = max(best_batch(setup.replica, setup.batch_limit, setup.input_tokens, setup.output_tokens, eff,
                               setup.ttft_s, setup.tpot_s), 1)
    if setup.kind == "decode-output-per-gpu":
        return decode_rate(setup.replica, batch, setup.input_tokens, setup.output_tokens, eff) / setup.replica.tp
    per_replica = replica_rate(setup.replica, batch, setup.input_tokens, setup.output_tokens, eff).output_tokens_per_s
    system = per_replica * setup.replicas
    if setup.kind == "output-per-gpu":
        return system / setup.gpu_count
    if setup.kind == "total-per-system":
        return system * (setup.input_tokens + setup.output_tokens) / setup.output_tokens
    return system


def _log_residual(setup: RowSetup, eff: Efficiency) -> float:
    return math.log(setup.measured_tokens_per_s / predict(setup, eff))


def fit_pooled(setups: list[RowSetup], start: Efficiency = START) -> Efficiency:
    """Pooled parameters minimising the squared log error over ``setups`` (Levenberg-Marquardt-style)."""
    from scipy.optimize import least_squares

    present = {"all": True, "moe": any(s.replica.routed_flops_per_token for s in setups),
               "tp": any(s.replica.tp > 1 for s in setups)}
    fitted = [p for p in FIT_PARAMETERS if present[p.needs]]
    off = {p.name: getattr(ROOFLINE_OFF, p.name) for p in FIT_PARAMETERS if not present[p.needs]}

    def unpack(x: Any) -> Efficiency:
        values = {p.name: math.exp(v) if p.log else float(v) for p, v in zip(fitted, x)}
        return Efficiency(**values, **off)

    def residuals(x: Any) -> list[float]:
        eff = unpack(x)
        return [_log_residual(s, eff) for s in setups]

    def scale(p: FitParameter, v: float) -> float:
        return math.log(v) if p.log else v

    lower = [scale(p, p.lower) for p in fitted]
    upper = [scale(p, p.upper) for p in fitted]
    x0 = [min(max(scale(p, getattr(start, p.name) or getattr(START, p.name)), lo + 1e-9), hi - 1e-9)
          for p, lo, hi in zip(fitted, lower, upper)]
    result = least_squares(residuals, x0, bounds=(lower, upper), method="trf", x_scale=1.0, xtol=1e-6, ftol=1e-8)
    return unpack(result.x)


def group_multipliers(setups: list[RowSetup], pooled: Efficiency) -> dict[tuple[str, str], float]:
    """Shrunk throughput multiplier per (engine, family) and per (engine, 'all')."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in setups:
        r = _log_residual(s, pooled)
        sums[s.group].append(r)
        sums[(s.engine_id, "all")].append(r)
    return {g: math.exp(sum(v) / (len(v) + SHRINKAGE_ROWS)) for g, v in sums.items()}


@dataclasses.dataclass(frozen=True)
class Fit:
    """A pooled fit and its group multipliers."""

    pooled: Efficiency
    multipliers: dict[tuple[str, str], float]

    def efficiency_for(self, engine_id: str, gpu_family: str) -> Efficiency:
        m = self.multipliers.get((engine_id, gpu_family)) or self.multipliers.get((engine_id, "all")) or 1.0
        return scaled(self.pooled, m)


def fit(setups: list[RowSetup], start: Efficiency = START) -> Fit:
    """Pooled fit, then group multipliers."""
    pooled = fit_pooled(setups, start)
    return Fit(pooled, group_multipliers(setups, pooled))


def leave_one_out(setups: list[RowSetup], full: Fit | None = None) -> pl.DataFrame:
    """Predict each row from a fit to all the others; also the plain roofline's prediction.

    Returns one row per measurement: measured, predicted (calibrated, left out), roofline,
    their signed and absolute % errors, and the low/high band from the other rows' residuals.
    """
    full = full or fit(setups)
    records = []
    for i, s in enumerate(setups):
        others = setups[:i] + setups[i + 1:]
        f = fit(others, start=full.pooled)
        pred = predict(s, f.efficiency_for(*s.group))
        roof = predict(s, ROOFLINE)
        records.append({
            "measurement_id": s.measurement_id, "engine_id": s.engine_id, "gpu_family": s.gpu_family,
            "kind": s.kind, "measured_tokens_per_s": s.measured_tokens_per_s,
            "predicted_tokens_per_s": pred, "roofline_tokens_per_s": roof,
        })
    frame = pl.DataFrame(records).with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        roofline_error_pct=(pl.col("roofline_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
        log_residual=(pl.col("measured_tokens_per_s") / pl.col("predicted_tokens_per_s")).log(),
    )
    residuals = frame["log_residual"].to_list()
    lows, highs = [], []
    for i in range(len(residuals)):
        others = pl.Series(residuals[:i] + residuals[i + 1:])
        lows.append(min(math.exp(others.quantile(BAND_QUANTILES[0], "linear")), 1.0))
        highs.append(max(math.exp(others.quantile(BAND_QUANTILES[1], "linear")), 1.0))
    return frame.with_columns(
        predicted_low_tokens_per_s=pl.col("predicted_tokens_per_s") * pl.Series(lows),
        predicted_high_tokens_per_s=pl.col("predicted_tokens_per_s") * pl.Series(highs),
    ).with_columns(
        in_band=(pl.col("measured_tokens_per_s") >= pl.col("predicted_low_tokens_per_s"))
        & (pl.col("measured_tokens_per_s") <= pl.col("predicted_high_tokens_per_s")),
    )


def summarise(loo: pl.DataFrame) -> dict[str, Any]:
    """Median and maximum absolute % errors, calibrated and roofline, and the band coverage."""
    err = loo["error_pct"].abs()
    roof = loo["roofline_error_pct"].abs()
    return {
        "rows": loo.height,
        "median_abs_error_pct": float(err.median()),
        "max_abs_error_pct": float(err.max()),
        "rows_over_40_pct": int((err > 40).sum()),
        "roofline_median_abs_error_pct": float(roof.median()),
        "roofline_max_abs_error_pct": float(roof.max()),
        "band_coverage_share": float(loo["in_band"].mean()),
    }


def calibration_rows(setups: list[RowSetup], full: Fit, loo: pl.DataFrame, fitted_on: dt.date) -> list[dict[str, Any]]:
    """Rows of the throughput_calibration table: pooled, per engine, per (engine, family)."""
    residuals = loo["log_residual"]
    low = min(math.exp(residuals.quantile(BAND_QUANTILES[0], "linear")), 1.0)
    high = max(math.exp(residuals.quantile(BAND_QUANTILES[1], "linear")), 1.0)
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in setups:
        members[s.group].append(s.measurement_id)
        members[(s.engine_id, "all")].append(s.measurement_id)
        members[("all", "all")].append(s.measurement_id)
    out = []
    for group in sorted(members):
        m = 1.0 if group == ("all", "all") else full.multipliers[group]
        eff = scaled(full.pooled, m)
        ids = members[group]
        note = ("pooled fit over every usable row" if group == ("all", "all") else
                f"pooled fit x {m:.3f}, the mean log residual of {len(ids)} row(s) shrunk with {SHRINKAGE_ROWS:g} pseudo-row at 1")
        out.append({
            "engine_id": group[0], "gpu_family": group[1],
            **{p.name: round(getattr(eff, p.name), 6) for p in FIT_PARAMETERS},
            "band_low_ratio": round(low, 6), "band_high_ratio": round(high, 6),
            "rows_used": len(ids), "measurement_ids": " ".join(ids), "fitted_on": fitted_on.isoformat(),
            "source_id": CALIBRATION_SOURCE_ID, "observed_on": fitted_on.isoformat(), "note": note,
        })
    return out


def calibrate(*, fitted_on: dt.date | None = None, data_dir: Path | None = None,
              db_path: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Refit the calibration, write data/throughput_calibration.csv atomically, rebuild the store.

    Returns the calibration rows and the leave-one-out summary.
    """
    fitted_on = fitted_on or dt.date.today()
    data_dir = Path(data_dir) if data_dir else _paths.data_dir()
    setups = setup_rows(db_path=db_path)
    full = fit(setups)
    loo = leave_one_out(setups, full)
    rows = calibration_rows(setups, full, loo, fitted_on)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CALIBRATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    target = data_dir / "throughput_calibration.csv"
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, target)
    store.build(db_path, data_dir)
    catalog.clear_cache()
    return rows, summarise(loo)


def validate(*, db_path: Path | None = None) -> tuple[pl.DataFrame, dict[str, Any], pl.DataFrame]:
    """Leave-one-out validation: per-row table, summary, and the excluded rows.

    The excluded rows come with their reasons and, where the model can set them up, what the fit
    to all usable rows predicts for them: left out of calibration, not out of sight.
    """
    setups = setup_rows(db_path=db_path)
    full = fit(setups)
    loo = leave_one_out(setups, full)
    excluded = store.query(
        "SELECT measurement_id, tokens_per_s AS measured_tokens_per_s, exclude_reason FROM throughput_measured "
        "WHERE exclude_reason IS NOT NULL ORDER BY 1",
        db_path=db_path,
    )
    predicted = {s.measurement_id: predict(s, full.efficiency_for(*s.group))
                 for s in setup_rows(include_excluded=True, db_path=db_path) if s.exclude_reason}
    excluded = excluded.with_columns(
        predicted_tokens_per_s=pl.Series([predicted.get(m) for m in excluded["measurement_id"]], dtype=pl.Float64),
    ).with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
    ).select("measurement_id", "measured_tokens_per_s", "predicted_tokens_per_s", "error_pct", "exclude_reason")
    return loo, summarise(loo), excluded
