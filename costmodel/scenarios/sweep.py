"""Vectorised scenario grids and sensitivity: the cost formulas of ``costmodel.models.cost`` as polars expressions.

``evaluate(frame)`` takes one row per scenario (unit costs, capacity, workload, API price) and
adds replicas, monthly costs, the saving multiple and the break-even volume, all as columnar
expressions. ``sweep`` builds the grid models x GPUs x pricing modes x volumes x APIs from the
store; ``tornado`` and ``monte_carlo`` vary the inputs around one pairing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import store
from costmodel.models import cost
from costmodel.errors import CostmodelError
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, resolve_api, resolve_self_host

SCENARIO_COLUMNS = {
    "tokens_per_month": pl.Float64,  # [token/month]
    "capacity_tokens_per_s": pl.Float64,  # one replica, input + output [token/s]
    "fixed_usd_per_replica_month": pl.Float64,  # [USD]
    "variable_usd_per_token": pl.Float64,  # [USD/token]
    "serverless": pl.Boolean,
    "peak_to_mean": pl.Float64,  # [ratio]
    "utilisation": pl.Float64,  # [fraction]
    "min_replicas": pl.Int64,  # [count]
    "ops_usd_per_month": pl.Float64,  # [USD/month]
    "api_usd_per_mtok": pl.Float64,  # [USD/Mtok]
}
"""The columns ``evaluate`` needs, with their units."""


def evaluate(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Monthly costs, replicas, saving multiple and break-even for every scenario row.

    Adds replicas [count], self_host_usd_per_month, api_usd_per_month [USD/month],
    saving_multiple (API / self-host) and break_even_tokens_per_month (null: never). Same
    formulas as ``cost.self_host_usd_per_month`` and ``cost.break_even_tokens_per_month``.
    """
    missing = [c for c in SCENARIO_COLUMNS if c not in frame.collect_schema().names()]
    if missing:
        raise CostmodelError(f"evaluate needs the columns {', '.join(missing)}")
    v = pl.col("tokens_per_month")
    cap = pl.col("capacity_tokens_per_s")
    fixed = pl.col("fixed_usd_per_replica_month")
    var = pl.col("variable_usd_per_token")
    ops = pl.col("ops_usd_per_month")
    price = pl.col("api_usd_per_mtok") / cost.TOKENS_PER_MTOK
    peak = v / cost.SECONDS_PER_MONTH * pl.col("peak_to_mean")
    need = (peak / (cap * pl.col("utilisation")) - 1e-12).ceil().cast(pl.Int64)
    replicas = pl.when(pl.col("serverless")).then(pl.lit(0, pl.Int64)).otherwise(pl.max_horizontal(pl.col("min_replicas"), need))
    margin = price - var
    per_replica = cap * pl.col("utilisation") / pl.col("peak_to_mean") * cost.SECONDS_PER_MONTH
    slack = margin * per_replica - fixed
    r0 = pl.max_horizontal(pl.col("min_replicas"), pl.lit(1, pl.Int64))
    r_star = pl.max_horizontal(r0, (ops / slack - 1e-12).ceil().cast(pl.Int64))
    break_even = (
        pl.when(pl.col("serverless") & (margin > 0)).then(ops / margin)
        .when(~pl.col("serverless") & (margin > 0) & (slack > 0)).then((r_star * fixed + ops) / margin)
        .otherwise(None)
    )
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    return (
        lazy.with_columns(replicas=replicas)
        .with_columns(
            self_host_usd_per_month=pl.col("replicas") * fixed + var * v + ops,
            api_usd_per_month=v / cost.TOKENS_PER_MTOK * pl.col("api_usd_per_mtok"),
            break_even_tokens_per_month=break_even,
        )
        .with_columns(saving_multiple=pl.col("api_usd_per_month") / pl.col("self_host_usd_per_month"))
        .collect()
    )


def evaluate_loop(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same scenarios one at a time through the scalar functions (the benchmark's baseline)."""
    out = []
    for r in rows:
        mode = "serverless" if r["serverless"] else "fixed"
        cap = r["capacity_tokens_per_s"]
        if mode == "serverless":
            replicas = 0
        else:
            replicas = cost.replicas_needed(r["tokens_per_month"], cap, r["peak_to_mean"], r["utilisation"], r["min_replicas"])
        self_host = replicas * r["fixed_usd_per_replica_month"] + r["variable_usd_per_token"] * r["tokens_per_month"] + r["ops_usd_per_month"]
        api = cost.api_usd_per_month(r["tokens_per_month"], r["api_usd_per_mtok"])
        margin = r["api_usd_per_mtok"] / cost.TOKENS_PER_MTOK - r["variable_usd_per_token"]
        if mode == "serverless":
            be = r["ops_usd_per_month"] / margin if margin > 0 else None
        else:
            per_replica = cap * r["utilisation"] / r["peak_to_mean"] * cost.SECONDS_PER_MONTH
            slack = margin * per_replica - r["fixed_usd_per_replica_month"]
            if margin > 0 and slack > 0:
                rs = max(max(r["min_replicas"], 1), math.ceil(r["ops_usd_per_month"] / slack - 1e-12))
                be = (rs * r["fixed_usd_per_replica_month"] + r["ops_usd_per_month"]) / margin
            else:
                be = None
        out.append({**r, "replicas": replicas, "self_host_usd_per_month": self_host, "api_usd_per_month": api,
                    "break_even_tokens_per_month": be, "saving_multiple": api / self_host})
    return out


def scenario_row(option: Any, workload: Workload, api_usd_per_mtok: float) -> dict[str, Any]:
    """The ``evaluate`` inputs of a resolved self-host option (scenarios.ResolvedSelfHost) and an API price."""
    capacity = cost.capacity_tokens_per_s(option.output_tokens_per_s, workload.effective_input_share)
    fixed, per_token = cost.unit_costs(option.mode, capacity_tokens_per_s=capacity, gpus_per_replica=option.gpus_per_replica,
                                       usd_per_gpu_hour=option.usd_per_gpu_hour, utilisation=option.target_utilisation,
                                       ownership=option.ownership)
    return {
        "tokens_per_month": float(workload.tokens_per_month), "capacity_tokens_per_s": capacity,
        "fixed_usd_per_replica_month": fixed, "variable_usd_per_token": per_token,
        "serverless": option.mode == "serverless", "peak_to_mean": workload.peak_to_mean,
        "utilisation": option.target_utilisation, "min_replicas": option.min_replicas,
        "ops_usd_per_month": option.ops_usd_per_month, "api_usd_per_mtok": api_usd_per_mtok,
    }


def sweep(models: list[str], gpus: list[str], pricing_modes: list[str], tokens_per_month: list[float],
          apis: list[ApiOption | str], *, workload: Workload | None = None, precision: str | None = None,
          engine: str = "vllm", target_utilisation: float | None = None, min_replicas: int = 1,
          ops_usd_per_month: float | None = None, as_of: dt.date | str | None = None,
          db_path: Path | None = None) -> pl.DataFrame:
    """Every model x GPU x pricing mode x volume x API, evaluated as one vectorised frame.

    Combinations that cannot be served (the model does not fit on 8 GPUs of a kind, no price
    for a mode) are kept as rows with ``status`` saying why and null costs.
    Returns columns model_id, gpu_id, pricing_mode, api, status, the ``evaluate`` inputs and outputs.
    """
    if not (models and gpus and pricing_modes and tokens_per_month and apis):
        raise CostmodelError("sweep needs at least one model, GPU, pricing mode, volume and API")
    base = workload or Workload(tokens_per_month=float(tokens_per_month[0]))
    api_options = [a if isinstance(a, ApiOption) else ApiOption.parse(a) for a in apis]
    api_prices = []
    for a in api_options:
        price = resolve_api(a, base, as_of=as_of, db_path=db_path)
        per_mtok = cost.api_usd_per_mtok(base.effective_input_share, base.cached_input_share, price.input_usd_per_mtok,
                                         price.output_usd_per_mtok, price.cached_input_usd_per_mtok, price.batch_discount_share)
        api_prices.append((price.label, per_mtok))
    option_rows, skipped = _resolved_options(tuple(models), tuple(gpus), tuple(pricing_modes), base, precision, engine,
                                             target_utilisation, min_replicas, ops_usd_per_month, store.as_of_day(as_of),
                                             db_path=db_path)
    return sweep_grid(option_rows, tokens_per_month, api_prices, skipped)


@store.cached(maxsize=256)
def _resolved_options(models: tuple[str, ...], gpus: tuple[str, ...], pricing_modes: tuple[str, ...], base: Workload,
                      precision: str | None, engine: str, target_utilisation: float | None, min_replicas: int,
                      ops_usd_per_month: float | None, as_of: dt.date, *,
                      db_path: Path | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every model x GPU x pricing mode resolved from the store once per build: (``evaluate`` inputs of each option that
    can be served, the status of each that cannot). Read only (``sweep_grid`` builds a new frame from them)."""
    option_rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for model in models:
        for gpu in gpus:
            for mode in pricing_modes:
                kw = dict(model=model, gpu=gpu, precision=precision, engine=engine, pricing_mode=mode, min_replicas=min_replicas,
                          ops_usd_per_month=ops_usd_per_month)
                if target_utilisation is not None:
                    kw["target_utilisation"] = target_utilisation
                try:
                    resolved = resolve_self_host(SelfHostOption(**kw), base, as_of=as_of, db_path=db_path)
                except CostmodelError as exc:
                    skipped.append({"model_id": model, "gpu_id": gpu, "pricing_mode": mode, "status": str(exc)})
                    continue
                row = scenario_row(resolved, base, 0.0)
                row.pop("tokens_per_month")
                row.pop("api_usd_per_mtok")
                option_rows.append({"model_id": resolved.model_id, "gpu_id": resolved.gpu_id, "pricing_mode": mode,
                                    "gpus_per_replica": resolved.gpus_per_replica, "usd_per_gpu_hour": resolved.usd_per_gpu_hour,
                                    "status": "ok", **row})
    return option_rows, skipped


def sweep_grid(option_rows: list[dict[str, Any]], tokens_per_month: list[float], api_prices: list[tuple[str, float]],
               skipped: list[dict[str, Any]] = ()) -> pl.DataFrame:
    """The vectorised core of ``sweep``: resolved options x volumes x API prices [USD/M tokens], evaluated in one frame
    (no store access); ``skipped`` rows (options that cannot be served) are appended with their status."""
    frames = []
    if option_rows:
        grid = (pl.DataFrame(option_rows)
                .join(pl.DataFrame({"tokens_per_month": [float(v) for v in tokens_per_month]}), how="cross")
                .join(pl.DataFrame({"api": [a for a, _ in api_prices], "api_usd_per_mtok": [p for _, p in api_prices]}), how="cross"))
        frames.append(evaluate(grid))
    if skipped:
        frames.append(pl.DataFrame(list(skipped)))
    return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]


# ---------------------------------------------------------------------------------------------
# Sensitivity around one pairing


@dataclasses.dataclass(frozen=True)
class Range:
    """A stated range of an input: low, central and high values, and where they came from."""

    low: float
    central: float
    high: float
    source: str


def default_ranges(base: dict[str, Any], option: Any, api_label: str) -> dict[str, Range]:
    """Ranges of the inputs that move the answer, for a resolved option and its scenario row.

    GPU price: the providers' P25-P75 around the median (else -30% / +30%); throughput: the calibration band; utilisation
    0.4-0.9; peak-to-mean 1.2-4; operations 0-15,000 USD/month (ownership_inputs range);
    API price -50% / +0% (list prices fall, rarely rise).
    """
    cap = base["capacity_tokens_per_s"]
    band = (option.output_tokens_per_s_low / option.output_tokens_per_s, option.output_tokens_per_s_high / option.output_tokens_per_s)
    drawn = getattr(option, "gpu_price", None)
    if drawn is not None and len(drawn.providers) >= 3 and drawn.usd_per_gpu_hour > 0:
        lo, hi = drawn.p25_usd_per_gpu_hour / drawn.usd_per_gpu_hour, drawn.p75_usd_per_gpu_hour / drawn.usd_per_gpu_hour
        gpu = Range(min(lo, 1.0), 1.0, max(hi, 1.0),
                    f"GPU-hour price across providers: P25-P75 {lo:.2f}x-{hi:.2f}x of the median ({len(drawn.providers)} providers)")
    else:
        gpu = Range(0.7, 1.0, 1.3, "GPU-hour price -30%/+30% (fewer than 3 providers, or a given price)")
    return {
        "gpu_price": gpu,
        "throughput": Range(band[0], 1.0, band[1], f"calibration band of the throughput model ({band[0]:.2f}x-{band[1]:.2f}x)"),
        "utilisation": Range(0.4, base["utilisation"], 0.9, "target utilisation of replicas at peak"),
        "peak_to_mean": Range(1.2, base["peak_to_mean"], 4.0, "peak hour over mean hour"),
        "ops_usd_per_month": Range(0.0, base["ops_usd_per_month"], 15000.0, "people and tooling (ownership_inputs range)"),
        "api_price": Range(0.5, 1.0, 1.0, f"{api_label} list price, down to half (API prices fall)"),
        "_capacity": Range(cap, cap, cap, "internal"),
    }


def stated_ranges(base: dict[str, Any], option: Any, api_label: str,
                  ranges: dict[str, Range] | None = None) -> dict[str, Range]:
    """The ranges the sensitivity moves: those given, else ``default_ranges``, without the internal ones (``_name``)."""
    return {k: v for k, v in (ranges or default_ranges(base, option, api_label)).items() if not k.startswith("_")}


def resolve_scenario(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, as_of: dt.date | str | None = None,
                     db_path: Path | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """One pairing read from the store once: the resolved self-host option, the API price and the central scenario row."""
    resolved = resolve_self_host(self_host, workload, as_of=as_of, db_path=db_path)
    price = resolve_api(api, workload, as_of=as_of, db_path=db_path)
    per_mtok = cost.api_usd_per_mtok(workload.effective_input_share, workload.cached_input_share, price.input_usd_per_mtok,
                                     price.output_usd_per_mtok, price.cached_input_usd_per_mtok, price.batch_discount_share)
    return resolved, price, scenario_row(resolved, workload, per_mtok)


def _apply(base: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """Scenario row with inputs scaled or set: gpu_price and throughput and api_price are multipliers."""
    row = dict(base)
    if "gpu_price" in values:  # rent and serverless GPU-hours, or the purchase price of owned GPUs
        row["fixed_usd_per_replica_month"] = base["fixed_usd_per_replica_month"] * values["gpu_price"]
        if base["serverless"]:
            row["variable_usd_per_token"] = base["variable_usd_per_token"] * values["gpu_price"]
    if "throughput" in values:  # per-token costs (serverless time, owned energy) scale with 1 / capacity
        row["capacity_tokens_per_s"] = base["capacity_tokens_per_s"] * values["throughput"]
        row["variable_usd_per_token"] = row["variable_usd_per_token"] / values["throughput"]
    for key in ("utilisation", "peak_to_mean", "ops_usd_per_month"):
        if key in values:
            row[key] = values[key]
    if "utilisation" in values and base["serverless"]:
        row["variable_usd_per_token"] = row["variable_usd_per_token"] * base["utilisation"] / values["utilisation"]
    if "api_price" in values:
        row["api_usd_per_mtok"] = base["api_usd_per_mtok"] * values["api_price"]
    return row


def asymmetry_effects(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, samples: int = 4000, seed: int = 0,
                      as_of: dt.date | str | None = None, db_path: Path | None = None) -> pl.DataFrame:
    """How each input's stated range, drawn alone (the others at their central values), moves the median saving
    and the break-even (the share of draws in which self-hosting never pays, the median break-even of the others).

    A range that is not centred on its central value (operations 0-15,000 around 1,500, a throughput
    band of 0.3x-1.1x) pulls the Monte Carlo median away from the central case; this says by how much,
    so a report can explain a central case that lies outside the P10-P90.
    """
    resolved, price, base = resolve_scenario(workload, self_host, api, as_of=as_of, db_path=db_path)
    central_row = evaluate(pl.DataFrame([base], schema=SCENARIO_COLUMNS))
    central = float(central_row["saving_multiple"][0])
    central_be = central_row["break_even_tokens_per_month"][0]
    rows = []
    for name, r in stated_ranges(base, resolved, price.label).items():
        draws = draw_triangular({name: r}, samples, seed)
        out = evaluate(apply_draws(base, draws))
        median = float(out["saving_multiple"].median())
        be = out["break_even_tokens_per_month"]
        rows.append({"input": name, "low": r.low, "central": r.central, "high": r.high, "range_source": r.source,
                     "median_saving_multiple": median, "median_shift_share": median / central - 1,
                     "never_share": float(be.is_null().mean()),
                     "median_break_even_tokens_per_month": float(be.median()) if be.drop_nulls().len() else None})
    return pl.DataFrame(rows, schema_overrides={"median_break_even_tokens_per_month": pl.Float64}).sort(
        pl.col("median_shift_share").abs(), descending=True).with_columns(
        central_saving_multiple=pl.lit(central),
        central_break_even_tokens_per_month=pl.lit(None if central_be is None else float(central_be), dtype=pl.Float64))


def draw_triangular(ranges: dict[str, Range], samples: int, seed: int) -> pl.DataFrame:
    """``samples`` seeded draws of every input, triangular (low, most likely the central value, high), vectorised."""
    import numpy as np

    rng = np.random.default_rng(seed)
    columns = {}
    for name, r in ranges.items():
        if r.high > r.low:
            columns[name] = rng.triangular(r.low, min(max(r.central, r.low), r.high), r.high, size=samples)
        else:
            columns[name] = np.full(samples, float(r.low))
    return pl.DataFrame(columns)


def apply_draws(base: dict[str, Any], draws: pl.DataFrame) -> pl.DataFrame:
    """Scenario rows for every draw at once: the same rules as ``_apply`` as polars expressions."""
    n = draws.height
    frame = pl.DataFrame({c: pl.repeat(base[c], n, dtype=t, eager=True) for c, t in SCENARIO_COLUMNS.items()})
    frame = frame.with_columns(draws)  # utilisation, peak_to_mean and ops_usd_per_month are set by their draws
    cols = set(draws.columns)
    exprs = []
    fixed = pl.col("fixed_usd_per_replica_month")
    variable = pl.col("variable_usd_per_token")
    if "gpu_price" in cols:
        fixed = fixed * pl.col("gpu_price")
        if base["serverless"]:
            variable = variable * pl.col("gpu_price")
    capacity = pl.col("capacity_tokens_per_s")
    if "throughput" in cols:
        capacity = capacity * pl.col("throughput")
        variable = variable / pl.col("throughput")
    if "utilisation" in cols and base["serverless"]:
        variable = variable * base["utilisation"] / pl.col("utilisation")
    exprs += [fixed.alias("fixed_usd_per_replica_month"), variable.alias("variable_usd_per_token"),
              capacity.alias("capacity_tokens_per_s")]
    if "api_price" in cols:
        exprs.append((pl.col("api_usd_per_mtok") * pl.col("api_price")).alias("api_usd_per_mtok"))
    return frame.with_columns(exprs).select([pl.col(c).cast(t) for c, t in SCENARIO_COLUMNS.items()])


def tornado(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, ranges: dict[str, Range] | None = None,
            as_of: dt.date | str | None = None, db_path: Path | None = None) -> pl.DataFrame:
    """One-at-a-time sensitivity: break-even and saving with each input at its low and high end.

    Returns one row per input: low and high values, break-even tokens/month and saving multiple
    at each end, and the swing of the saving multiple (rows sorted by swing, largest first).
    """
    resolved, price, base = resolve_scenario(workload, self_host, api, as_of=as_of, db_path=db_path)
    rows, names = [], []
    for name, rng in stated_ranges(base, resolved, price.label, ranges).items():
        for end, value in (("low", rng.low), ("high", rng.high)):
            rows.append(_apply(base, {name: value}))
            names.append((name, end, value, rng.source))
    rows.append(base)
    names.append(("base", "base", float("nan"), "central values"))
    result = evaluate(pl.DataFrame(rows, schema=SCENARIO_COLUMNS))
    labelled = result.with_columns(
        input=pl.Series([n[0] for n in names]), end=pl.Series([n[1] for n in names]),
        value=pl.Series([n[2] for n in names]), source=pl.Series([n[3] for n in names]),
    )
    base_row = labelled.filter(pl.col("input") == "base")
    low = labelled.filter(pl.col("end") == "low").select(
        "input", "source", low_value="value", break_even_low="break_even_tokens_per_month", saving_low="saving_multiple")
    high = labelled.filter(pl.col("end") == "high").select(
        "input", high_value="value", break_even_high="break_even_tokens_per_month", saving_high="saving_multiple")
    return (low.join(high, on="input")
            .with_columns(swing=(pl.col("saving_high") - pl.col("saving_low")).abs(),
                          base_break_even=pl.lit(base_row["break_even_tokens_per_month"][0]),
                          base_saving=pl.lit(base_row["saving_multiple"][0]))
            .sort("swing", descending=True))


def monte_carlo(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, samples: int = 10_000, seed: int = 0,
                ranges: dict[str, Range] | None = None, as_of: dt.date | str | None = None,
                db_path: Path | None = None) -> dict[str, Any]:
    """Seeded Monte Carlo over the stated ranges (triangular: low, high, most likely the central value).

    Returns P10/P50/P90 of the break-even volume (over the draws where one exists) and of the
    saving multiple, the share of draws where self-hosting never pays, and the draws themselves.
    """
    if samples < 1:
        raise CostmodelError(f"samples must be at least 1, got {samples}")
    resolved, price, base = resolve_scenario(workload, self_host, api, as_of=as_of, db_path=db_path)
    ranges = stated_ranges(base, resolved, price.label, ranges)
    draws = draw_triangular(ranges, samples, seed)
    result = evaluate(apply_draws(base, draws))
    result = result.with_columns(draws.rename({k: f"draw_{k}" for k in ranges}))
    be = result["break_even_tokens_per_month"].drop_nulls()
    saving = result["saving_multiple"]

    def q(series: pl.Series, p: float) -> float | None:
        return None if series.len() == 0 else float(series.quantile(p, "linear"))

    return {
        "samples": samples, "seed": seed,
        "ranges": {k: dataclasses.asdict(v) for k, v in ranges.items()},
        "never_share": float(result["break_even_tokens_per_month"].is_null().mean()),
        "break_even_tokens_per_month_p10": q(be, 0.1), "break_even_tokens_per_month_p50": q(be, 0.5),
        "break_even_tokens_per_month_p90": q(be, 0.9),
        "saving_multiple_p10": q(saving, 0.1), "saving_multiple_p50": q(saving, 0.5), "saving_multiple_p90": q(saving, 0.9),
        "draws": result,
    }
