"""Calibrating the throughput model to measured rows, and validating it by leave-one-out.

The fit has three levels. First the pooled parameters (``FIT_PARAMETERS``: efficiencies,
overheads, the MoE and tensor-parallel costs) minimise the squared log error over every usable
row of ``throughput_measured``. Then each (engine, GPU family) group and each (engine, model)
pair with measured rows get a throughput multiplier, the mean log residual of their rows shrunk
towards 1 (``SHRINKAGE_ROWS`` pseudo-rows at 1), fitted alternately; a multiplier scales the
efficiencies up and the fixed times down. Few rows per group cannot support every parameter
each; shrinkage keeps a group or model with one row from fitting it exactly.

``costmodel calibrate`` writes the fit to ``data/throughput_calibration.csv`` and
``data/throughput_model_calibration.csv`` (with the date and the rows used) and rebuilds the
store; ``costmodel validate`` reports leave-one-out errors of the calibrated model beside the
plain roofline: each row is predicted by a fit, multipliers included, to all the other rows.
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
from typing import Any, Callable

import polars as pl

from . import _paths, catalog, store
from .memory import Architecture, MemoryBudget, default_kv_precision, runtime_input
from .throughput import (
    ROOFLINE,
    Efficiency,
    Replica,
    best_batch,
    build_replica,
    decode_rate,
    max_batch_for_memory,
    FIT_PARAMETERS,
    FitParameter,
    attention_dp_layouts,
    replica_rate,
    scaled,
    token_budget_batch,
    tp_splits,
)


SHRINKAGE_ROWS = 1.0
BACKFIT_ROUNDS = 3
"""Rounds of alternating the (engine, family) and (engine, model) multipliers."""
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
    model_id: str = ""

    @property
    def group(self) -> tuple[str, str]:
        return (self.engine_id, self.gpu_family)

    @property
    def model_key(self) -> tuple[str, str]:
        return (self.engine_id, self.model_id)


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
            measurement_id=r["measurement_id"], engine_id=r["engine_id"], gpu_family=r["gpu_family"], model_id=r["model_id"],
            measured_tokens_per_s=r["tokens_per_s"], kind=r["tokens_per_s_kind"], gpu_count=r["gpu_count"],
            input_tokens=inp, output_tokens=out,
            ttft_s=r["ttft_limit_ms"] / 1e3 if r["ttft_limit_ms"] else None,
            tpot_s=r["tpot_limit_ms"] / 1e3 if r["tpot_limit_ms"] else None,
            exclude_reason=r["exclude_reason"],
        )
        candidates = []
        for tp, adp in ((tp, adp) for tp in ([r["tensor_parallel"]] if r["tensor_parallel"] else tp_splits(r["gpu_count"]))
                        for adp in attention_dp_layouts(arch, tp, r["attention_dp"])):
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


def shrunk_multipliers(setups: list[RowSetup], keys: Any, residual: Any) -> dict[tuple[str, str], float]:
    """exp(mean log residual) per key, shrunk towards 1 with SHRINKAGE_ROWS pseudo-rows at 1.

    ``keys(setup)`` lists the keys a row counts towards; ``residual(setup)`` is its log residual.
    """
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in setups:
        r = residual(s)
        for key in keys(s):
            sums[key].append(r)
    return {k: math.exp(sum(v) / (len(v) + SHRINKAGE_ROWS)) for k, v in sums.items()}


@dataclasses.dataclass(frozen=True)
class Fit:
    """A pooled fit, its (engine, GPU family) multipliers and its (engine, model) multipliers."""

    pooled: Efficiency
    multipliers: dict[tuple[str, str], float]
    model_multipliers: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)

    def group_multiplier(self, engine_id: str, gpu_family: str) -> float:
        return self.multipliers.get((engine_id, gpu_family)) or self.multipliers.get((engine_id, "all")) or 1.0

    def efficiency_for(self, engine_id: str, gpu_family: str, model_id: str | None = None) -> Efficiency:
        """Pooled efficiencies scaled for an engine and GPU family and, where measured, the model."""
        m = self.group_multiplier(engine_id, gpu_family) * self.model_multipliers.get((engine_id, model_id or ""), 1.0)
        return scaled(self.pooled, m)

    def efficiency_for_row(self, setup: RowSetup) -> Efficiency:
        return self.efficiency_for(setup.engine_id, setup.gpu_family, setup.model_id)


def fit(setups: list[RowSetup], start: Efficiency = START) -> Fit:
    """Pooled fit, then (engine, family) and (engine, model) multipliers by alternating shrunk means.

    The model multiplier is how far an engine's kernels for one architecture sit from the pooled
    physics; a model without measured rows keeps 1.
    """
    pooled = fit_pooled(setups, start)
    groups: dict[tuple[str, str], float] = {}
    models: dict[tuple[str, str], float] = {}
    for _ in range(BACKFIT_ROUNDS):
        current = Fit(pooled, groups, models)
        groups = shrunk_multipliers(
            setups, lambda s: [s.group, (s.engine_id, "all")],
            lambda s, f=current: _log_residual(s, scaled(pooled, f.model_multipliers.get(s.model_key, 1.0))))
        current = Fit(pooled, groups, models)
        models = shrunk_multipliers(
            setups, lambda s: [s.model_key],
            lambda s, f=current: _log_residual(s, scaled(pooled, f.group_multiplier(s.engine_id, s.gpu_family))))
    return Fit(pooled, groups, models)


def leave_one_out(setups: list[RowSetup], full: Fit | None = None,
                  progress: Callable[[int, int], None] | None = None) -> pl.DataFrame:
    """Predict each row from a fit to all the others; also the plain roofline's prediction.

    Returns one row per measurement: measured, predicted (calibrated, left out), roofline,
    their signed and absolute % errors, and the low/high band from the other rows' residuals.
    ``progress(done, total)`` is called after each row (one refit per row: seconds in all).
    """
    full = full or fit(setups)
    records = []
    for i, s in enumerate(setups):
        others = setups[:i] + setups[i + 1:]
        f = fit(others, start=full.pooled)
        pred = predict(s, f.efficiency_for_row(s))
        roof = predict(s, ROOFLINE)
        records.append({
            "measurement_id": s.measurement_id, "engine_id": s.engine_id, "gpu_family": s.gpu_family,
            "kind": s.kind, "measured_tokens_per_s": s.measured_tokens_per_s,
            "predicted_tokens_per_s": pred, "roofline_tokens_per_s": roof,
        })
        if progress:
            progress(i + 1, len(setups))
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


MODEL_CALIBRATION_COLUMNS = ["engine_id", "model_id", "multiplier", "rows_used", "measurement_ids", "fitted_on",
                             "source_id", "observed_on", "note"]


def model_calibration_rows(setups: list[RowSetup], full: Fit, fitted_on: dt.date) -> list[dict[str, Any]]:
    """Rows of the throughput_model_calibration table: one per (engine, model) with measured rows."""
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in setups:
        members[s.model_key].append(s.measurement_id)
    return [{
        "engine_id": key[0], "model_id": key[1], "multiplier": round(full.model_multipliers[key], 6),
        "rows_used": len(ids), "measurement_ids": " ".join(ids), "fitted_on": fitted_on.isoformat(),
        "source_id": CALIBRATION_SOURCE_ID, "observed_on": fitted_on.isoformat(),
        "note": (f"mean log residual of {len(ids)} row(s) after the (engine, GPU family) multiplier, "
                 f"shrunk with {SHRINKAGE_ROWS:g} pseudo-row at 1"),
    } for key, ids in sorted(members.items())]


def _csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def calibrate(*, fitted_on: dt.date | None = None, data_dir: Path | None = None, db_path: Path | None = None,
              progress: Callable[[int, int], None] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Refit the calibration, write data/throughput_calibration.csv and data/throughput_model_calibration.csv, rebuild the store.

    Both files are written to temporary names first and renamed only once both are complete.
    Returns the (engine, family) calibration rows and the leave-one-out summary.
    """
    fitted_on = fitted_on or dt.date.today()
    data_dir = Path(data_dir) if data_dir else _paths.data_dir()
    setups = setup_rows(db_path=db_path)
    full = fit(setups)
    loo = leave_one_out(setups, full, progress)
    rows = calibration_rows(setups, full, loo, fitted_on)
    files = {
        "throughput_calibration.csv": _csv_text(CALIBRATION_COLUMNS, rows),
        "throughput_model_calibration.csv": _csv_text(MODEL_CALIBRATION_COLUMNS, model_calibration_rows(setups, full, fitted_on)),
    }
    temps = {}
    for name, text in files.items():
        tmp = data_dir / f"{name}.tmp-{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        temps[name] = tmp
    for name, tmp in temps.items():
        os.replace(tmp, data_dir / name)
    store.build(db_path, data_dir)
    catalog.clear_cache()
    return rows, summarise(loo)


def validate(*, db_path: Path | None = None,
             progress: Callable[[int, int], None] | None = None) -> tuple[pl.DataFrame, dict[str, Any], pl.DataFrame]:
    """Leave-one-out validation: per-row table, summary, and the excluded rows.

    The excluded rows come with their reasons and, where the model can set them up, what the fit
    to all usable rows predicts for them: left out of calibration, not out of sight.
    """
    everything = setup_rows(include_excluded=True, db_path=db_path)
    setups = [s for s in everything if not s.exclude_reason]
    full = fit(setups)
    loo = leave_one_out(setups, full, progress)
    excluded = store.query(
        "SELECT measurement_id, tokens_per_s AS measured_tokens_per_s, exclude_reason FROM throughput_measured "
        "WHERE exclude_reason IS NOT NULL ORDER BY 1",
        db_path=db_path,
    )
    predicted = {s.measurement_id: predict(s, full.efficiency_for_row(s)) for s in everything if s.exclude_reason}
    excluded = excluded.with_columns(
        predicted_tokens_per_s=pl.Series([predicted.get(m) for m in excluded["measurement_id"]], dtype=pl.Float64),
    ).with_columns(
        error_pct=(pl.col("predicted_tokens_per_s") / pl.col("measured_tokens_per_s") - 1) * 100,
    ).select("measurement_id", "measured_tokens_per_s", "predicted_tokens_per_s", "error_pct", "exclude_reason")
    return loo, summarise(loo), excluded
