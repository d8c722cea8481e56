"""The planner: every way to serve a workload, self-hosted or by API, ranked by monthly cost.

``plan(Workload(tokens_per_month=2e9), model='llama-3.3-70b')`` evaluates every self-host option
that fits and meets the latency target (model x GPU x GPUs per replica x precision x engine x
pricing mode x market segment) and every API endpoint that serves a qualifying model, and ranks
them by monthly cost. Qualifying models are the model given, every open model of a family, or every
model at or above a quality floor (``costmodel.catalog.quality``).

The inputs are resolved once: one throughput estimate per deployment (model, GPU, GPUs, precision,
engine), one price per GPU, pricing mode and market by the price rule (``costmodel.catalog.pricing``), one
blended price per API endpoint. The candidates are then costed all at once by ``sweep.evaluate``
(the formulas of ``costmodel.models.cost`` as polars expressions), with the cost band from the throughput
band: ``usd_per_month_low`` at the band's high throughput, ``usd_per_month_high`` at its low.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.models import cost
from costmodel.catalog import prices, pricing, quality
from costmodel.errors import CostmodelError
from costmodel.scenarios import (
    DEFAULT_UTILISATION,
    ApiOption,
    Workload,
    caveat_flags,
    deployment_caveats,
    ownership_for,
    ownership_inputs,
    resolve_api,
    tier_prices,
)
from costmodel.scenarios.sweep import evaluate

PLAN_MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y", "serverless", "buy")
"""Pricing modes the planner lays out."""
GPU_COUNTS = (1, 2, 4, 8)
"""GPUs per replica the planner tries."""
SIZING_PRECISIONS = ("fp8", "awq")
"""Precisions tried besides each model's release precision: FP8 and AWQ int4, the common quantisations (gpu_sizing
tries the same)."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """Ranked options (``options``: one row per candidate, cheapest first) and how long each stage took."""

    options: pl.DataFrame
    workload: Workload
    models: tuple[str, ...]
    floor: str  # how the models were chosen, in words
    timings_s: dict[str, float]
    candidates: int  # self-host candidates costed (before dropping those that fail the latency target)

    def cheapest(self, *, kind: str | None = None, without_caveats: bool = False) -> dict[str, Any] | None:
        rows = self.options
        if kind:
            rows = rows.filter(pl.col("kind") == kind)
        if without_caveats:
            rows = rows.filter(pl.col("caveats") == "")
        return rows.row(0, named=True) if rows.height else None

    def to_dict(self) -> dict[str, Any]:
        return {"tokens_per_month": self.workload.tokens_per_month, "models": list(self.models), "floor": self.floor,
                "candidates": self.candidates, "options_listed": self.options.height,
                "cheapest": self.cheapest(), "cheapest_self_host": self.cheapest(kind="self-host"),
                "cheapest_api": self.cheapest(kind="api"), "cheapest_without_caveats": self.cheapest(without_caveats=True),
                "timings_s": self.timings_s, "options": self.options.to_dicts()}


def candidate_models(*, model: str | None = None, family: str | None = None, benchmark: str | None = None,
                     reference: str | None = None, min_score_pct: float | None = None,
                     db_path: Path | None = None) -> tuple[tuple[str, ...], str]:
    """The qualifying models and the rule in words: one model, a family's models, or a quality floor."""
    given = [x is not None for x in (model, family, benchmark)]
    if sum(given) != 1:
        raise CostmodelError("a plan needs exactly one of: a model, a model family, or a quality floor (benchmark with a "
                             "reference model or a minimum score)")
    if model is not None:
        m = catalog.resolve_model_id(model, db_path=db_path)
        return (m,), f"the model {m}"
    if family is not None:
        models = catalog.models(db_path=db_path)
        chosen = models.filter(pl.col("family") == family)["model_id"].to_list() or \
            models.filter(pl.col("family").str.starts_with(family))["model_id"].to_list()  # "qwen": qwen-2.5, qwen3, ...
        if not chosen:
            raise CostmodelError(f"no model of family {family!r}; families: {', '.join(sorted(set(models['family'].drop_nulls())))}")
        return tuple(chosen), f"the {family} family"
    floor = quality.meets_floor(benchmark, reference=reference, min_score_pct=min_score_pct, db_path=db_path)
    chosen = floor.filter(pl.col("meets"))["model_id"].to_list()
    what = f"the score of {reference}" if reference else f"{min_score_pct:g}%"
    return tuple(chosen), f"at least {what} on {benchmark}"


def sizing_precisions(model: str, precisions: tuple[str, ...] | None, *, db_path: Path | None = None) -> tuple[str, ...]:
    """The precisions tried for a model: ``precisions`` (aliases resolved), or its release precision and SIZING_PRECISIONS."""
    if precisions:
        return tuple(catalog.resolve_precision_id(p, db_path=db_path) for p in precisions)
    release = catalog.get_model(model, db_path=db_path).release_precision_id
    return tuple(dict.fromkeys((release, *SIZING_PRECISIONS)))


@store.cached(maxsize=65_536)
def _estimate(model_id: str, gpu_id: str, gpus: int, precision: str, engine: str, input_tokens: int, output_tokens: int,
              ttft_ms: float | None, tpot_ms: float | None, db_path: Path | None) -> Any:
    """One throughput estimate, remembered for the store's build (a plan re-run, or the next volume, reuses it);
    a CostmodelError is returned, not raised, so that failures are remembered too."""
    from costmodel.models.deployment import throughput

    try:
        return throughput(model_id, gpu_id, gpus=gpus, precision=precision, engine=engine, input_tokens=input_tokens,
                          output_tokens=output_tokens, ttft_ms=ttft_ms, tpot_ms=tpot_ms, db_path=db_path)
    except CostmodelError as exc:
        return exc


def _deployments(models: tuple[str, ...], workload: Workload, gpus: list[str], gpu_counts: tuple[int, ...],
                 precisions: tuple[str, ...] | None, engines: tuple[str, ...], db_path: Path | None) -> pl.DataFrame:
    """One throughput estimate per model, GPU, GPU count, precision and engine that can serve (failures skipped)."""
    rows = []
    for model_id in models:
        model = catalog.get_model(model_id, db_path=db_path)
        tried = sizing_precisions(model_id, precisions, db_path=db_path)
        bits = {p: min(catalog.get_precision(p, db_path=db_path).bits_per_weight, 16.0) for p in tried}
        for gpu_id in gpus:
            gpu = catalog.get_gpu(gpu_id, db_path=db_path)
            for engine in engines:
                for precision in tried:
                    # weights alone (at the smaller of the format's bits and 16) larger than n GPUs' memory: cannot fit
                    weights_gib = model.total_params_b * 1e9 * bits[precision] / 8 / 2**30
                    for n in gpu_counts:
                        if weights_gib > n * gpu.memory_gib:
                            continue
                        args = (model_id, gpu_id, n, precision, engine, workload.input_tokens_per_request,
                                workload.output_tokens_per_request)
                        est, meets = _estimate(*args, workload.ttft_ms, workload.tpot_ms, db_path), True
                        if isinstance(est, CostmodelError):
                            if "no batch meets the latency targets" not in str(est):
                                continue  # does not fit, precision not run there, ...
                            est, meets = _estimate(*args, None, None, db_path), False
                            if isinstance(est, CostmodelError):
                                continue
                        per = est.replicas  # n GPUs may hold several data-parallel replicas: cost them as replicas
                        rows.append({
                            "model_id": model_id, "gpu_id": gpu_id, "gpus_per_replica": est.gpus // per, "precision": est.precision_id,
                            "engine": engine, "output_tokens_per_s": est.output_tokens_per_s / per,
                            "output_tokens_per_s_low": est.output_tokens_per_s_low / per,
                            "output_tokens_per_s_high": est.output_tokens_per_s_high / per, "ttft_ms": est.ttft_ms, "tpot_ms": est.tpot_ms,
                            "meets_latency": meets,
                            "deployment_caveats": "; ".join(deployment_caveats(gpu, model_id, est.precision_id, est, None))})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    # 2 GPUs as 2 replicas of 1 is the 1-GPU deployment again: keep the first of each
    return frame.unique(["model_id", "gpu_id", "gpus_per_replica", "precision", "engine"], keep="first", maintain_order=True) \
        if frame.height else frame


@store.cached(maxsize=64)
def _prices(gpus: tuple[str, ...], modes: tuple[str, ...], markets: tuple[str, ...], as_of: dt.date,
            db_path: Path | None) -> pl.DataFrame:
    """The price rule's price of each GPU, pricing mode and market segment (a segment repeated only where its providers
    differ from all markets'), with its providers, caveats and sources."""
    obs = prices.all_gpu_price_observations(as_of, db_path=db_path).filter(pl.col("gpu_id").is_in(list(gpus)))
    groups = obs.partition_by("gpu_id", "pricing_mode", as_dict=True)
    rows = []
    for (gpu_id, mode), frame in groups.items():
        if mode not in modes:
            continue
        on_demand = groups.get((gpu_id, "on-demand"))
        seen = set()
        for market in markets:
            got = pricing.default_price(gpu_id, mode, frame, as_of=as_of, market=market, on_demand=on_demand)
            if got is None:
                continue
            who = tuple(sorted(p.provider for p in got.providers))
            if who in seen:
                continue
            seen.add(who)
            entered = frame.join(pl.DataFrame({"provider": [p.provider for p in got.providers],
                                               "observed_on": [p.observed_on for p in got.providers]}),
                                 on=["provider", "observed_on"])
            rows.append({"gpu_id": gpu_id, "pricing_mode": mode, "market": market, "usd_per_gpu_hour": got.usd_per_gpu_hour,
                         "p25_usd_per_gpu_hour": got.p25_usd_per_gpu_hour, "p75_usd_per_gpu_hour": got.p75_usd_per_gpu_hour,
                         "providers": len(got.providers), "price_caveats": "; ".join(got.caveats),
                         "price_sources": ", ".join(sorted(set(entered["source_id"].to_list())))})
    return pl.DataFrame(rows, infer_schema_length=None)


def _unit_costs(frame: pl.DataFrame, inputs: dict[str, float], input_share: float, utilisation: float,
                db_path: Path | None) -> pl.DataFrame:
    """Fixed cost per replica-month and variable cost per token of every candidate (``cost.unit_costs``, owned GPUs
    through ``scenarios.ownership_for``), at the central throughput and at both ends of its band. A GPU that cannot
    be costed as owned (no board power) is left out of buying."""
    owned: dict[str, dict[str, float] | None] = {}
    for gpu_id, usd in frame.filter(pl.col("pricing_mode") == "buy").select("gpu_id", "usd_per_gpu").unique().iter_rows():
        try:
            owned[gpu_id] = ownership_for(catalog.get_gpu(gpu_id, db_path=db_path), inputs, usd)
        except CostmodelError:
            owned[gpu_id] = None
    frame = frame.filter((pl.col("pricing_mode") != "buy") | pl.col("gpu_id").is_in([g for g, o in owned.items() if o]))
    modes, gpus, n, price = (frame[c].to_list() for c in ("pricing_mode", "gpu_id", "gpus_per_replica", "usd_per_gpu_hour"))
    columns = {}
    for suffix, rate in (("", "output_tokens_per_s"), ("_at_low", "output_tokens_per_s_low"),
                         ("_at_high", "output_tokens_per_s_high")):
        capacity = [cost.capacity_tokens_per_s(v, input_share) for v in frame[rate].to_list()]
        units = [cost.unit_costs(m, capacity_tokens_per_s=c, gpus_per_replica=k, usd_per_gpu_hour=p, utilisation=utilisation,
                                 ownership=owned.get(g) if m == "buy" else None)
                 for m, g, k, p, c in zip(modes, gpus, n, price, capacity)]
        columns[f"capacity_tokens_per_s{suffix}"] = capacity
        columns[f"fixed_usd_per_replica_month{suffix}"] = [u[0] for u in units]
        columns[f"variable_usd_per_token{suffix}"] = [u[1] for u in units]
    return frame.with_columns(pl.Series(name, values, dtype=pl.Float64) for name, values in columns.items())


def cost_candidates(candidates: pl.DataFrame, workload: Workload, *, ops_usd_per_month: float,
                    utilisation: float = DEFAULT_UTILISATION, min_replicas: int = 1) -> pl.DataFrame:
    """Monthly cost, replicas and cost band of every self-host candidate at once (``sweep.evaluate``)."""
    base = candidates.with_columns(
        tokens_per_month=pl.lit(float(workload.tokens_per_month)), serverless=pl.col("pricing_mode") == "serverless",
        peak_to_mean=pl.lit(float(workload.peak_to_mean)), utilisation=pl.lit(float(utilisation)),
        min_replicas=pl.when(pl.col("pricing_mode") == "serverless").then(0).otherwise(min_replicas).cast(pl.Int64),
        ops_usd_per_month=pl.lit(float(ops_usd_per_month)), api_usd_per_mtok=pl.lit(0.0))
    central = evaluate(base)
    band = {}
    for suffix in ("_at_low", "_at_high"):
        ends = evaluate(base.with_columns(capacity_tokens_per_s=pl.col(f"capacity_tokens_per_s{suffix}"),
                                          fixed_usd_per_replica_month=pl.col(f"fixed_usd_per_replica_month{suffix}"),
                                          variable_usd_per_token=pl.col(f"variable_usd_per_token{suffix}")))
        band[suffix] = ends["self_host_usd_per_month"]
    return central.with_columns(usd_per_month=pl.col("self_host_usd_per_month"),
                                usd_per_month_low=band["_at_high"], usd_per_month_high=band["_at_low"],
                                gpus=pl.col("replicas") * pl.col("gpus_per_replica"))


def _api_options(models: tuple[str, ...], workload: Workload, as_of: dt.date, db_path: Path | None) -> list[dict[str, Any]]:
    """Every API endpoint in force that serves a qualifying model, priced for the workload's mix (one price query per
    model; the same source-group and tier rules as ``scenarios.resolve_api``, which prices batch and flex shares)."""
    rows = []
    for model_id in models:
        every = prices.api_prices(as_of, model=model_id, by_source_group=True, db_path=db_path)
        for (provider, provider_model_id), group in every.group_by("provider", "provider_model_id", maintain_order=True):
            if workload.batch_share or workload.flex_share:
                try:
                    price = resolve_api(ApiOption(provider=provider, model=provider_model_id), workload, as_of=as_of, db_path=db_path)
                except CostmodelError:
                    continue
                inp, out, cached, source = (price.input_usd_per_mtok, price.output_usd_per_mtok, price.cached_input_usd_per_mtok,
                                            price.source)
            else:
                standard = prices.first_source_group(group).filter(pl.col("service_tier") == "standard")
                if standard.height == 0:
                    continue
                inp, out, cached, _, source = tier_prices(standard, workload.input_tokens_per_request)
                if out is None or inp is None:
                    continue
            per_mtok = cost.api_usd_per_mtok(workload.effective_input_share, workload.cached_input_share, inp, out, cached)
            usd = cost.api_usd_per_month(workload.tokens_per_month, per_mtok)
            caveats = [] if group["dated"].any() else [
                f"{provider}'s price is a package's current list with no date ({', '.join(sorted(set(group['source_id'])))})"]
            rows.append({"kind": "api", "option": f"{provider}/{provider_model_id}", "model_id": model_id, "provider": provider,
                         "usd_per_month": usd, "usd_per_month_low": usd, "usd_per_month_high": usd, "usd_per_mtok": per_mtok,
                         "meets_latency": True, "caveats": "; ".join(caveats), "sources": source})
    return rows


def plan(workload: Workload, *, model: str | None = None, family: str | None = None, benchmark: str | None = None,
         reference: str | None = None, min_score_pct: float | None = None, gpus: tuple[str, ...] | None = None,
         gpu_counts: tuple[int, ...] = GPU_COUNTS, precisions: tuple[str, ...] | None = None,
         engines: tuple[str, ...] = ("vllm",), pricing_modes: tuple[str, ...] = PLAN_MODES,
         markets: tuple[str, ...] = pricing.MARKETS, include_apis: bool = True, latency_required: bool = True,
         as_of: dt.date | str | None = None, db_path: Path | None = None) -> Plan:
    """Every self-host option and API that serves a qualifying model, ranked by monthly cost (module docstring).

    ``latency_required``: drop self-host options that cannot meet the workload's ttft_ms/tpot_ms targets (else keep
    them, flagged). A filter that leaves nothing is an error naming what was asked."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or dt.date.today())
    for mode in pricing_modes:
        if mode not in PLAN_MODES:
            raise CostmodelError(f"pricing mode {mode!r} is not one of {', '.join(PLAN_MODES)}")
    for market in markets:
        pricing.check_market(market)
    models, floor = candidate_models(model=model, family=family, benchmark=benchmark, reference=reference,
                                     min_score_pct=min_score_pct, db_path=db_path)
    catalog_models = catalog.models(db_path=db_path)
    open_models = tuple(m for m in models if catalog_models.filter(pl.col("model_id") == m)["open_weights"].any())
    gpu_ids = [catalog.resolve_gpu_id(g, db_path=db_path) for g in gpus] if gpus else \
        catalog.gpus(db_path=db_path).filter(pl.col("device_class") != "edge")["gpu_id"].to_list()
    timings["models_s"] = time.perf_counter() - started

    t = time.perf_counter()
    deployments = _deployments(open_models, workload, gpu_ids, gpu_counts, precisions, engines, db_path) if open_models else pl.DataFrame()
    timings["throughput_s"] = time.perf_counter() - t
    t = time.perf_counter()
    frames = []
    if deployments.height:
        served = deployments["gpu_id"].unique().sort().to_list()
        rent = _prices(tuple(served), tuple(m for m in pricing_modes if m != "buy"), tuple(markets), day, db_path)
        if rent.height:
            frames.append(deployments.join(rent, on="gpu_id"))
        if "buy" in pricing_modes:
            bought = prices.gpu_purchase_prices(db_path=db_path).filter(pl.col("gpu_id").is_in(served)).drop("observed_on")
            if bought.height:
                frames.append(deployments.join(bought.rename({"source_id": "price_sources"}), on="gpu_id").with_columns(
                    pricing_mode=pl.lit("buy"), market=pl.lit("owned"), providers=pl.lit(0, pl.Int64), price_caveats=pl.lit(""),
                    usd_per_gpu_hour=pl.lit(None, pl.Float64)))
    timings["prices_s"] = time.perf_counter() - t
    t = time.perf_counter()
    options = []
    inputs = ownership_inputs(db_path=db_path)
    candidates = 0
    if frames:
        joined = pl.concat(frames, how="diagonal_relaxed")
        if "usd_per_gpu" not in joined.columns:
            joined = joined.with_columns(usd_per_gpu=pl.lit(None, pl.Float64))
        candidates = joined.height
        costed = cost_candidates(_unit_costs(joined, inputs, workload.effective_input_share, DEFAULT_UTILISATION, db_path),
                                 workload, ops_usd_per_month=inputs["ops_usd_per_month"])
        if latency_required:
            costed = costed.filter(pl.col("meets_latency"))
        latency = pl.when(pl.col("meets_latency")).then(pl.lit("")).otherwise(pl.lit("does not meet the latency target"))
        caveats = pl.concat_str([pl.col("price_caveats"), pl.col("deployment_caveats"), latency], separator="; ", ignore_nulls=True)
        options.append(costed.with_columns(
            kind=pl.lit("self-host"),
            option=pl.concat_str([pl.col("model_id"), pl.lit(" on "), pl.col("gpus_per_replica").cast(pl.String), pl.lit("x "),
                                  pl.col("gpu_id"), pl.lit(" ("), pl.col("precision"), pl.lit(", "), pl.col("engine"), pl.lit(", "),
                                  pl.col("pricing_mode"), pl.when(pl.col("market").is_in(["all", "owned"])).then(pl.lit(""))
                                  .otherwise(pl.lit(", ") + pl.col("market")), pl.lit(")")]),
            usd_per_mtok=pl.col("usd_per_month") / (workload.tokens_per_month / cost.TOKENS_PER_MTOK),
            caveats=caveats.str.replace_all(r"(; )+", "; ").str.strip_chars("; "),
            sources=pl.concat_str([pl.col("price_sources"), pl.lit("throughput-calibration-fit")], separator=", ",
                                  ignore_nulls=True)))
    timings["self_host_cost_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if include_apis:
        apis = _api_options(models, workload, day, db_path)
        if apis:
            options.append(pl.DataFrame(apis, infer_schema_length=None))
    timings["apis_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if not options:
        raise CostmodelError(f"no option serves {floor} at {workload.tokens_per_month:,.0f} tokens/month with these filters "
                             f"(GPUs: {len(gpu_ids)}, counts {', '.join(map(str, gpu_counts))}, modes {', '.join(pricing_modes)}"
                             f"{', APIs' if include_apis else ', no APIs'}): widen the filters or give another model")
    ranked = pl.concat(options, how="diagonal_relaxed").sort("usd_per_month", "option").with_row_index("rank", offset=1)
    ranked = ranked.with_columns(caveat_flags=pl.col("caveats").map_elements(
        lambda c: _flags(c), return_dtype=pl.String))
    keep = [c for c in PLAN_COLUMNS if c in ranked.columns]
    timings["rank_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    return Plan(ranked.select(keep), workload, models, floor, {k: round(v, 4) for k, v in timings.items()}, candidates)


PLAN_COLUMNS = ("rank", "kind", "option", "model_id", "gpu_id", "gpus_per_replica", "precision", "engine", "pricing_mode",
                "market", "provider", "replicas", "gpus", "usd_per_month", "usd_per_month_low", "usd_per_month_high",
                "usd_per_mtok", "usd_per_gpu_hour", "providers", "output_tokens_per_s", "output_tokens_per_s_low",
                "output_tokens_per_s_high", "ttft_ms", "tpot_ms", "meets_latency", "caveat_flags", "caveats", "sources")
"""The planner's columns, in order (machine names; people read them through ``formatting.label``)."""


def _flags(caveats: str) -> str:
    """Short names of a row's caveats ('few providers, weight-only')."""
    flags = [caveat_flags([c for c in caveats.split("; ") if c])]
    flags += ["undated API price"] if "no date" in caveats else []
    flags += ["latency target missed"] if "does not meet the latency target" in caveats else []
    return ", ".join(f for f in flags if f)
