"""Workloads and ways to serve them: self-hosted options and API options, priced from the store.

``compare(workload, options)`` returns a polars table of monthly cost, $/M tokens, replicas,
GPUs, utilisation, break-even against each API and the saving multiple. ``crossover(...)`` is
the one-pairing answer. Every number comes from the store (with its source) or from an
argument the caller can override; the result says which.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, formatting, store
from costmodel.models import cost
from costmodel.catalog import prices, pricing
from costmodel.checks import positive, positive_int, share
from costmodel.errors import CostmodelError, UnknownIdError

PRICING_MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y", "serverless", "buy")
USER_PRICES_PREFIX = store.USER_PRICES_PREFIX
"""source_id prefix of a user's negotiated prices (costmodel import prices-csv): they win over list prices."""
RESERVED_DISCOUNT_INPUT = {"reserved-1y": "reserved_1y_discount_share", "reserved-3y": "reserved_3y_discount_share"}
OWNERSHIP_PROFILES = ("datacenter", "colocation", "office", "home")
"""Named sets of ownership inputs (ownership_profiles rows); none given: the ownership_inputs defaults."""
OWNERSHIP_OVERRIDES = {
    # field: (ownership input id, lowest accepted, highest accepted, unit)
    "purchase_usd_per_gpu": (None, 50.0, 2_000_000.0, "USD per GPU"),
    "power_usd_per_kwh": ("power_usd_per_kwh", 0.0, 2.0, "USD/kWh"),
    "pue_ratio": ("pue_ratio", 1.0, 3.0, "ratio"),
    "colocation_usd_per_kw_month": ("colocation_usd_per_kw_month", 0.0, 2000.0, "USD/kW/month"),
    "depreciation_years": ("depreciation_years", 0.5, 15.0, "years"),
    "residual_value_share": ("residual_value_share", 0.0, 0.95, "fraction of the purchase price"),
}
"""Ownership inputs a caller can set, with the range accepted (beyond it a figure is a unit error, not a deal)."""


def check_ownership_override(name: str, value: Any) -> float:
    """An ownership override, checked against its accepted range; errors name the field and the range."""
    _, low, high, unit = OWNERSHIP_OVERRIDES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        def plain(x: float) -> str:
            return f"{int(x):,}" if x == int(x) else f"{x:g}"

        raise CostmodelError(f"{name} must be a number from {plain(low)} to {plain(high)} [{unit}], got {value!r}")
    return float(value)


def check_ownership_profile(profile: str | None) -> str | None:
    if profile is not None and profile not in OWNERSHIP_PROFILES:
        raise CostmodelError(f"ownership_profile {profile!r} is not one of {', '.join(OWNERSHIP_PROFILES)}")
    return profile


DEFAULT_PEAK_TO_MEAN = 2.0
"""Peak hour over mean hour of traffic when the caller gives none [ratio] (business-hours traffic)."""
DEFAULT_UTILISATION = 0.7
"""Target utilisation of provisioned replicas at peak when the caller gives none [fraction]."""


@dataclasses.dataclass(frozen=True)
class Workload:
    """What is served in a month.

    tokens_per_month : input + output tokens [token/month]
    input_tokens_per_request, output_tokens_per_request : mean lengths [token]; they set the
        throughput and, unless ``input_share`` is given, the token mix
    input_share : input tokens / all tokens [fraction]; default from the mean lengths
    cached_input_share : input tokens served from an API's prompt cache [fraction]
    peak_to_mean : busiest hour's rate over the monthly mean [ratio >= 1]
    ttft_ms, tpot_ms : latency targets the self-hosted replicas must meet [ms]
    batch_share, flex_share : shares of the tokens an API may serve through its batch or flex tier
        (slower, cheaper), priced at that tier where the provider has one [fraction]
    """

    tokens_per_month: float
    input_tokens_per_request: int = 1000
    output_tokens_per_request: int = 250
    input_share: float | None = None
    cached_input_share: float = 0.0
    peak_to_mean: float = DEFAULT_PEAK_TO_MEAN
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    batch_share: float = 0.0
    flex_share: float = 0.0

    def __post_init__(self) -> None:
        positive("tokens_per_month", self.tokens_per_month)
        share("batch_share", self.batch_share)
        share("flex_share", self.flex_share)
        if self.batch_share + self.flex_share > 1:
            raise CostmodelError(f"batch_share + flex_share must be at most 1, got {self.batch_share} + {self.flex_share}")
        positive_int("input_tokens_per_request", self.input_tokens_per_request)
        positive_int("output_tokens_per_request", self.output_tokens_per_request)
        if self.input_share is not None:
            share("input_share", self.input_share, upper_open=True)
        share("cached_input_share", self.cached_input_share)
        if positive("peak_to_mean", self.peak_to_mean) < 1:
            raise CostmodelError(f"peak_to_mean must be at least 1 (the peak is never below the mean), got {self.peak_to_mean!r}")
        for name in ("ttft_ms", "tpot_ms"):
            if getattr(self, name) is not None:
                positive(name, getattr(self, name))

    @property
    def effective_input_share(self) -> float:
        """Input share used for costing [fraction]."""
        if self.input_share is not None:
            return self.input_share
        return self.input_tokens_per_request / (self.input_tokens_per_request + self.output_tokens_per_request)

    def at(self, tokens_per_month: float) -> Workload:
        """The same workload at another volume."""
        return dataclasses.replace(self, tokens_per_month=tokens_per_month)


@dataclasses.dataclass(frozen=True)
class SelfHostOption:
    """A self-hosted deployment.

    pricing_mode : on-demand, spot, reserved-1y, reserved-3y, serverless or buy
    provider : whose GPU price to use; default the median of each provider's latest price (``costmodel.catalog.pricing``)
    market : market segment of that median: all (default), neocloud, hyperscaler or marketplace
    price_window_days : only observations this many days old or newer enter the median [day]
    gpus_per_replica : GPUs per replica; default the fastest split the throughput model finds
    min_replicas : replicas kept even at no load [count]
    target_utilisation : how full replicas run at peak [fraction]
    ops_usd_per_month : people and tooling to run it [USD/month]; default the store's assumption
    gpu_usd_per_hour, output_tokens_per_s : overrides of the store price and the throughput model
        (output_tokens_per_s is per replica [token/s])
    ownership_profile : datacenter, colocation, office or home: a sourced set of ownership inputs
        (home: residential power, PUE 1, no colocation, no operations team); default the store's defaults
    purchase_usd_per_gpu, power_usd_per_kwh, pue_ratio, colocation_usd_per_kw_month,
        depreciation_years, residual_value_share : overrides of single ownership inputs (buy)
    """

    model: str
    gpu: str
    precision: str | None = None  # default: the model's release precision (models.release_precision_id)
    kv_precision: str | None = None
    engine: str = "vllm"
    pricing_mode: str = "on-demand"
    provider: str | None = None
    market: str = pricing.DEFAULT_MARKET
    price_window_days: int = pricing.PRICE_WINDOW_DAYS
    gpus_per_replica: int | None = None
    min_replicas: int = 1
    target_utilisation: float = DEFAULT_UTILISATION
    ops_usd_per_month: float | None = None
    gpu_usd_per_hour: float | None = None
    output_tokens_per_s: float | None = None
    label: str | None = None
    ownership_profile: str | None = None
    purchase_usd_per_gpu: float | None = None
    power_usd_per_kwh: float | None = None
    pue_ratio: float | None = None
    colocation_usd_per_kw_month: float | None = None
    depreciation_years: float | None = None
    residual_value_share: float | None = None

    def __post_init__(self) -> None:
        check_ownership_profile(self.ownership_profile)
        for name in OWNERSHIP_OVERRIDES:
            if getattr(self, name) is not None:
                check_ownership_override(name, getattr(self, name))
        if self.pricing_mode not in PRICING_MODES:
            raise CostmodelError(f"pricing_mode {self.pricing_mode!r} is not one of {', '.join(PRICING_MODES)}")
        pricing.check_market(self.market)
        pricing.check_window(self.price_window_days)
        if self.gpus_per_replica is not None:
            positive_int("gpus_per_replica", self.gpus_per_replica)
        if isinstance(self.min_replicas, bool) or not isinstance(self.min_replicas, int) or self.min_replicas < 0:
            raise CostmodelError(f"min_replicas must be a whole number >= 0, got {self.min_replicas!r}")
        if share("target_utilisation", self.target_utilisation) == 0:
            raise CostmodelError("target_utilisation must be above 0")
        if self.ops_usd_per_month is not None and (isinstance(self.ops_usd_per_month, bool)
                                                   or not isinstance(self.ops_usd_per_month, (int, float))
                                                   or not math.isfinite(self.ops_usd_per_month) or self.ops_usd_per_month < 0):
            raise CostmodelError(f"ops_usd_per_month must be >= 0, got {self.ops_usd_per_month!r}")
        for name in ("gpu_usd_per_hour", "output_tokens_per_s"):
            if getattr(self, name) is not None:
                positive(name, getattr(self, name))


@dataclasses.dataclass(frozen=True)
class ApiOption:
    """An API: ``provider`` and ``model`` (a project model id, alias or the provider's own id),
    or explicit prices [USD per million tokens]. ``batch`` applies the provider's batch discount."""

    provider: str | None = None
    model: str | None = None
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None
    cached_input_usd_per_mtok: float | None = None
    batch: bool = False
    batch_discount_share: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        explicit = self.input_usd_per_mtok is not None or self.output_usd_per_mtok is not None
        if not explicit and not (self.provider and self.model):
            raise CostmodelError("an API option needs a provider and a model, or input and output prices")
        for name in ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok"):
            if getattr(self, name) is not None:
                positive(name, getattr(self, name))
        if self.batch_discount_share is not None:
            share("batch_discount_share", self.batch_discount_share, upper_open=True)

    @classmethod
    def parse(cls, text: str, **kw: Any) -> ApiOption:
        """'PROVIDER/MODEL' (the model may itself contain '/')."""
        if "/" not in text:
            raise CostmodelError(f"API {text!r} must be PROVIDER/MODEL, for example deepseek/deepseek-reasoner or together/llama-3.3-70b")
        provider, model = text.split("/", 1)
        return cls(provider=provider, model=model, **kw)


# ---------------------------------------------------------------------------------------------
# Resolving prices and inputs from the store


@dataclasses.dataclass(frozen=True)
class ApiPrice:
    """Resolved API prices [USD/Mtok] and where they came from."""

    label: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    batch_discount_share: float
    context_tier_start_tokens: int
    source: str


def _flat_batch_discount(option: ApiOption, db_path: Path | None) -> float | None:
    """The provider's flat batch discount (api_batch_discounts), or None where none is recorded."""
    if option.batch_discount_share is not None:
        return option.batch_discount_share
    if option.provider is None:
        return None
    row = store.query("SELECT batch_discount_share FROM api_batch_discounts WHERE provider = ?",
                      [option.provider.lower()], db_path=db_path)
    return float(row["batch_discount_share"][0]) if row.height else None


def tier_prices(rows: pl.DataFrame, prompt_tokens: int) -> tuple[float, float | None, float | None, int, str]:
    """(input, output, cached input, context tier, sources) of one service tier's rows in force: the price that
    started last, the context tier the prompts fall in, time windows averaged by their hours [USD/Mtok]."""
    rows = rows.filter(pl.col("price_start") == pl.col("price_start").max())
    tiers = rows.filter(pl.col("context_tier_start_tokens") <= prompt_tokens)
    tier = int(tiers["context_tier_start_tokens"].max())
    rows = tiers.filter(pl.col("context_tier_start_tokens") == tier)
    windows = rows["time_window_utc"].to_list()
    explicit = sum(_window_hours(w) for w in windows if w not in ("all-day", "otherwise"))
    weights = [max(24.0 - explicit, 0.0) if w == "otherwise" else _window_hours(w) for w in windows]
    total = sum(weights)

    def avg(col: str) -> float | None:
        vals = rows[col].to_list()
        if any(v is None for v in vals):
            return None
        return sum(v * w for v, w in zip(vals, weights)) / total

    return (avg("input_usd_per_mtok"), avg("output_usd_per_mtok"), avg("cached_input_usd_per_mtok"), tier,
            ", ".join(sorted(set(rows["source_id"].to_list()))))


def resolve_api(option: ApiOption, workload: Workload, *, as_of: dt.date | str | None = None,
                db_path: Path | None = None) -> ApiPrice:
    """Prices of an API option for a workload: the tier its prompts fall in, time windows averaged, and the
    workload's batch and flex shares (``Workload.batch_share``, ``flex_share``; ``option.batch``: all of it batch)
    priced at the provider's batch and flex tiers where it has them (else the flat batch discount)."""
    return _resolve_api(option, workload, store.as_of_day(as_of), _shown_in(), db_path=db_path)


@store.cached(maxsize=4096)
def _resolve_api(option: ApiOption, workload: Workload, as_of: dt.date, shown_in: tuple[str, float], *,
                 db_path: Path | None = None) -> ApiPrice:
    batch_share = 1.0 if option.batch else workload.batch_share
    flex_share = 0.0 if option.batch else workload.flex_share
    flat = _flat_batch_discount(option, db_path) if (batch_share or option.batch_discount_share is not None) else None
    if option.batch and flat is None and option.input_usd_per_mtok is not None:
        raise CostmodelError("batch=True with explicit prices needs batch_discount_share")
    if option.input_usd_per_mtok is not None or option.output_usd_per_mtok is not None:
        if option.input_usd_per_mtok is None or option.output_usd_per_mtok is None:
            raise CostmodelError("explicit API prices need both input_usd_per_mtok and output_usd_per_mtok")
        label = option.label or (f"{option.provider}/{option.model}" if option.provider else "API (explicit prices)")
        return ApiPrice(label, option.input_usd_per_mtok, option.output_usd_per_mtok, option.cached_input_usd_per_mtok,
                        (flat or 0.0) * batch_share, 0, "explicit")
    provider = option.provider.lower()
    providers = store.query("SELECT DISTINCT provider FROM api_prices ORDER BY 1", db_path=db_path)["provider"].to_list()
    if provider not in providers:
        raise UnknownIdError("API provider", option.provider, store.closest(provider, providers))
    # the first source group with a price in force wins (store.API_SOURCE_GROUPS says why), then any source
    endpoint = prices.first_source_group(prices.api_prices(as_of, provider=provider, provider_model_id=option.model,
                                                       by_source_group=True, db_path=db_path))
    if endpoint.height == 0:  # a project model id or alias served by this provider
        try:
            model_id = catalog.resolve_model_id(option.model, db_path=db_path)
        except UnknownIdError:
            model_id = None
        if model_id:
            every = prices.api_prices(as_of, provider=provider, model=model_id, by_source_group=True, db_path=db_path)
            for group in (*store.API_SOURCE_GROUPS, None):  # the first group with a price, its first endpoint by name
                rows = every.filter(pl.col("source_group").is_null() if group is None else pl.col("source_group") == group)
                rows = rows.filter(pl.col("service_tier") == "standard")
                if rows.height:
                    first = rows["provider_model_id"].unique().sort()[0]
                    endpoint = prices.first_source_group(every.filter(pl.col("provider_model_id") == first))
                    break
    standard = endpoint.filter(pl.col("service_tier") == "standard") if endpoint.height else endpoint
    if standard.height == 0:
        known = store.query("SELECT DISTINCT provider_model_id FROM api_prices WHERE provider = ?", [provider],
                            db_path=db_path)["provider_model_id"].to_list()
        if option.model in known:
            ended = prices.api_price_history(provider=provider, provider_model_id=option.model, db_path=db_path)
            last = ended["effective_until"].max() if ended.height else None
            raise CostmodelError(f"{provider}/{option.model} has no price in force on {store.as_of_day(as_of)}"
                                 + (f": its last dated price ended on {last} (retired or renamed)" if last else "")
                                 + "; see `costmodel prices history --provider-model " + option.model + "`")
        raise UnknownIdError(f"{provider} model", option.model, store.closest(option.model, known))
    model_id = standard["provider_model_id"][0]
    prompt = workload.input_tokens_per_request
    inp, out, cached, tier, source = tier_prices(standard, prompt)
    if out is None:
        raise CostmodelError(f"{provider}/{option.model} has no output price in the store (an embedding or audio model?)")
    if not (batch_share or flex_share):
        return ApiPrice(option.label or f"{provider}/{model_id}", inp, out, cached, 0.0, tier, source)
    # the service tiers of this endpoint, from the package or the provider (same day rules as the standard price)
    tiered = prices.api_prices(as_of, provider=provider, provider_model_id=model_id, db_path=db_path)
    parts: list[tuple[float, tuple[float, float, float | None], str]] = []
    discount = 0.0
    for name, part in (("batch", batch_share), ("flex", flex_share)):
        if not part:
            continue
        rows = tiered.filter(pl.col("service_tier") == name)
        if rows.height:
            t_in, t_out, t_cached, _, t_src = tier_prices(rows, prompt)
            if t_out is not None:
                parts.append((part, (t_in, t_out, t_cached if t_cached is not None else cached), f"{part:.0%} at its {name} tier ({t_src})"))
                continue
        if name == "batch" and flat is not None:
            if option.batch:  # all traffic batch at a flat discount: as the discount table states it
                return ApiPrice(option.label or f"{provider}/{model_id}", inp, out, cached, flat, tier, source)
            parts.append((part, (inp * (1 - flat), out * (1 - flat), None if cached is None else cached * (1 - flat)),
                          f"{part:.0%} batch at the flat discount of {flat:.0%} (api_batch_discounts)"))
            continue
        if option.batch:
            known = store.query("SELECT provider FROM api_batch_discounts", db_path=db_path)["provider"].to_list()
            raise CostmodelError(f"no batch price or batch discount is recorded for provider {option.provider!r} "
                                 f"(flat discounts known for: {', '.join(known)}); give batch_discount_share")
        parts.append((part, (inp, out, cached), f"{part:.0%} {name} at the standard price (no {name} tier recorded)"))
    rest = 1.0 - sum(p for p, _, _ in parts)

    def blend(i: int) -> float | None:
        values = [(rest, (inp, out, cached)[i])] + [(p, v[i]) for p, v, _ in parts]
        if any(v is None for _, v in values):
            return None
        return sum(w * v for w, v in values)

    mix = f"{rest:.0%} standard, " + ", ".join(text for _, _, text in parts)
    return ApiPrice(option.label or f"{provider}/{model_id}", blend(0), blend(1), blend(2), discount, tier,
                    f"{source}; {mix}")


def _window_hours(window: str) -> float:
    """Hours a day a time window covers: all-day 24, HH:MM-HH:MM its span (wrapping midnight)."""
    if window == "all-day":
        return 24.0
    start, end = window.split("-")
    h = (int(end[:2]) * 60 + int(end[3:]) - int(start[:2]) * 60 - int(start[3:])) % (24 * 60) / 60
    return h


def _shown_in() -> tuple[str, float]:
    """The display currency and rate: part of the cache key of look-ups whose sentences (price sources, caveats) show
    amounts, so a result cached in USD is not shown in EUR."""
    return formatting.display_currency(), formatting.display_rate()


def ownership_inputs(profile: str | None = None, *, db_path: Path | None = None) -> dict[str, float]:
    """Latest value of each ownership input, with a profile's values over them [units in the input names]."""
    return dict(_ownership_inputs(profile, db_path=db_path))


@store.cached
def _ownership_inputs(profile: str | None, *, db_path: Path | None = None) -> tuple[tuple[str, float], ...]:
    frame = store.query("SELECT input_id, value FROM ownership_inputs QUALIFY row_number() OVER "
                        "(PARTITION BY input_id ORDER BY observed_on DESC) = 1", db_path=db_path)
    inputs = dict(zip(frame["input_id"].to_list(), frame["value"].to_list()))
    if check_ownership_profile(profile):
        rows = store.query("SELECT input_id, value FROM ownership_profiles WHERE profile = ? QUALIFY row_number() OVER "
                           "(PARTITION BY input_id ORDER BY observed_on DESC) = 1", [profile], db_path=db_path)
        inputs.update(zip(rows["input_id"].to_list(), rows["value"].to_list()))
    return tuple(inputs.items())


@dataclasses.dataclass(frozen=True)
class ResolvedSelfHost:
    """A self-host option with every number it needs, and where each came from."""

    label: str
    mode: str
    model_id: str
    gpu_id: str
    gpus_per_replica: int
    output_tokens_per_s: float  # per replica
    output_tokens_per_s_low: float
    output_tokens_per_s_high: float
    prefill_time_share: float
    usd_per_gpu_hour: float | None
    price_source: str
    min_replicas: int
    target_utilisation: float
    ops_usd_per_month: float
    ownership: dict[str, float] | None
    throughput_source: str
    gpu_price: pricing.GpuPrice | None = None  # how the GPU-hour price was drawn (None: given or bought)
    deployment_caveats: tuple[str, ...] = ()  # what weakens the answer besides the price (``deployment_caveats``)
    option: SelfHostOption | None = None  # what was asked for (which inputs were given, which were defaults)

    @property
    def price_caveats(self) -> tuple[str, ...]:
        return self.gpu_price.caveats if self.gpu_price is not None else ()

    @property
    def caveats(self) -> tuple[str, ...]:
        """Every caveat that changes how far to trust this option: the price's, then the deployment's."""
        return self.price_caveats + self.deployment_caveats


CAVEAT_FLAGS = (("provider", "few providers"), ("observation within", "stale price"), ("not below the on-demand", "spot not cheaper"),
                ("no usable measured run", "model not measured"), ("no publisher measured", "GPU family not measured"),
                ("consumer hardware", "consumer GPU"), ("marketplace offers only", "marketplace price"), ("weight-only", "weight-only"))
"""Short names of the caveats for a table column (the full sentences stay in ``caveats``)."""


def caveat_flags(caveats: tuple[str, ...] | list[str]) -> str:
    """The caveats as short names for a table: 'few providers, consumer GPU'; empty when there is none."""
    return ", ".join(dict.fromkeys(flag for c in caveats for key, flag in CAVEAT_FLAGS if key in c))


def deployment_caveats(gpu: catalog.Gpu, model_id: str, precision_id: str, est: Any, drawn: pricing.GpuPrice | None) -> tuple[str, ...]:
    """Caveats of a deployment besides its price rule: throughput with no measurement behind it, consumer hardware,
    a price made only of marketplace offers, a weight-only precision. ``est``: the throughput estimate (None: given)."""
    out = []
    if est is not None and not est.measured_rows_for_model:
        out.append(f"no usable measured run of {model_id} backs its throughput: it is extrapolated from other models' runs")
    if est is not None and not est.sources_backing:
        out.append(f"no publisher measured {est.engine_id} on {gpu.gpu_id}'s family: the throughput calibration is borrowed")
    if gpu.device_class == "consumer":
        out.append(f"{gpu.gpu_id} is consumer hardware (device class consumer), rented from marketplaces or owned, "
                   "not a data-centre GPU")
    if drawn is not None and drawn.providers and all(q.market_segment == "marketplace" for q in drawn.providers):
        out.append("the GPU price rests on marketplace offers only (hosts on shared platforms, no service level)")
    if est is not None and est.precision_support == "weight-only":
        out.append(f"{precision_id} is weight-only on {gpu.gpu_id}: weights are dequantised to 16 bits in every matmul, "
                   "so prompts run at 16-bit speed, not faster")
    return tuple(out)


def gpu_price(gpu_id: str, mode: str, provider: str | None = None, *, as_of: dt.date | str | None = None,
              window_days: int = pricing.PRICE_WINDOW_DAYS, market: str = pricing.DEFAULT_MARKET,
              db_path: Path | None = None) -> pricing.GpuPrice:
    """The GPU-hour price for a GPU and pricing mode on a date, drawn by the rule of ``costmodel.catalog.pricing``.

    A user's negotiated price (costmodel import prices-csv) wins over list prices. With a
    provider: its latest (cheapest instance) price. Reserved prices with no observation are
    derived from the on-demand price with the ownership inputs' reserved discount.
    """
    pricing.check_market(market)
    pricing.check_window(window_days)
    return _gpu_price(catalog.resolve_gpu_id(gpu_id, db_path=db_path), mode, provider.lower() if provider else None,
                      store.as_of_day(as_of), window_days, market, _shown_in(), db_path=db_path)


@store.cached(maxsize=4096)
def _gpu_price(gpu_id: str, mode: str, provider: str | None, day: dt.date, window_days: int, market: str,
               shown_in: tuple[str, float], *,
               db_path: Path | None = None) -> pricing.GpuPrice:
    obs = prices.gpu_price_observations(gpu_id, mode, day, db_path=db_path)
    negotiated = obs.filter(pl.col("source_id").str.starts_with(USER_PRICES_PREFIX))
    if provider:
        negotiated = negotiated.filter(pl.col("provider") == provider)
    if negotiated.height:  # a user's own contract beats list prices
        got = pricing.default_price(gpu_id, mode, negotiated, as_of=day, window_days=3650, provider=provider)
        if got is not None:
            best = min(got.providers, key=lambda p: p.usd_per_gpu_hour)
            return dataclasses.replace(got, usd_per_gpu_hour=best.usd_per_gpu_hour, providers=(best,), rule="negotiated",
                                       caveats=())
    on_demand = prices.gpu_price_observations(gpu_id, "on-demand", day, db_path=db_path) if mode in pricing.DISCOUNTED_MODES else None
    got = pricing.default_price(gpu_id, mode, obs, as_of=day, window_days=window_days, market=market, on_demand=on_demand,
                                provider=provider)
    if got is not None:
        return got
    if mode in RESERVED_DISCOUNT_INPUT:
        base = gpu_price(gpu_id, "on-demand", provider, as_of=day, window_days=window_days, market=market, db_path=db_path)
        discount = ownership_inputs(db_path=db_path)[RESERVED_DISCOUNT_INPUT[mode]]
        return dataclasses.replace(base, pricing_mode=mode, usd_per_gpu_hour=base.usd_per_gpu_hour * (1 - discount),
                                   p25_usd_per_gpu_hour=base.p25_usd_per_gpu_hour * (1 - discount),
                                   p75_usd_per_gpu_hour=base.p75_usd_per_gpu_hour * (1 - discount), rule="derived",
                                   caveats=base.caveats + (f"no {mode} quote: the on-demand price less the {mode} discount "
                                                           f"of {discount:.0%} (ownership_inputs)",))
    offered = store.query("SELECT DISTINCT pricing_mode, provider FROM gpu_prices WHERE gpu_id = ? ORDER BY 1, 2",
                          [gpu_id], db_path=db_path)
    what = "; ".join(f"{m}: {', '.join(g['provider'].to_list())}" for (m,), g in offered.group_by("pricing_mode", maintain_order=True))
    scope = (f" from {provider}" if provider else "") + ("" if market == "all" else f" in the {market} segment")
    first = store.query("SELECT min(observed_on) AS d FROM gpu_prices WHERE gpu_id = ? AND pricing_mode = ?", [gpu_id, mode],
                        db_path=db_path)["d"][0]
    if first is not None and first > day:
        scope += f" (the as-of date {day} is before the first {mode} observation, {first})"
    raise CostmodelError(f"no {mode} price for {gpu_id}{scope} observed on or before {day}"
                         + (f"; the store has {what}" if what else "; the store has no price for it at all")
                         + "; give gpu_usd_per_hour to price it yourself")


def resolve_self_host(option: SelfHostOption, workload: Workload, *, as_of: dt.date | str | None = None,
                      db_path: Path | None = None) -> ResolvedSelfHost:
    """Throughput, price and ownership inputs of a self-host option for a workload (read once per store build)."""
    return _resolve_self_host(option, workload, store.as_of_day(as_of), _shown_in(), db_path=db_path)


@store.cached(maxsize=16_384)
def _resolve_self_host(option: SelfHostOption, workload: Workload, as_of: dt.date, shown_in: tuple[str, float], *,
                       db_path: Path | None = None) -> ResolvedSelfHost:
    gpu = catalog.get_gpu(option.gpu, db_path=db_path)
    model = catalog.get_model(option.model, db_path=db_path)
    inputs = ownership_inputs(option.ownership_profile, db_path=db_path)
    for name, (input_id, *_rest) in OWNERSHIP_OVERRIDES.items():
        if input_id and getattr(option, name) is not None:
            inputs[input_id] = getattr(option, name)
    est = None
    if option.output_tokens_per_s is not None:
        gpus_per_replica = option.gpus_per_replica or 1
        tps = low = high = option.output_tokens_per_s
        prefill_share = workload.effective_input_share  # no model: split by token counts
        tput_src = "given output_tokens_per_s"
    else:
        est = _replica_throughput(model, gpu, option, workload, db_path)
        gpus_per_replica = est.tensor_parallel
        per = est.replicas
        tps, low, high = est.output_tokens_per_s / per, est.output_tokens_per_s_low / per, est.output_tokens_per_s_high / per
        prefill_share = est.prefill_time_share
        tput_src = (f"throughput model ({est.calibration_group} calibration), {est.concurrency // per} requests in flight "
                    f"per replica of {gpus_per_replica} GPU(s); "
                    + (f"{est.measured_rows_for_model} measured run(s) of this model in the calibration" if est.measured_rows_for_model
                       else "no measured run of this model: extrapolated from other models"))
    ownership = None
    price: float | None = None
    drawn: pricing.GpuPrice | None = None
    if option.pricing_mode == "buy":
        if option.purchase_usd_per_gpu is not None:
            purchase_usd = option.purchase_usd_per_gpu
        else:
            purchases = prices.gpu_purchase_prices(db_path=db_path)
            purchase = purchases.filter(pl.col("gpu_id") == gpu.gpu_id)
            if purchase.height == 0:
                raise CostmodelError(f"no purchase price for {gpu.gpu_id} in gpu_purchase_prices (have: "
                                     f"{', '.join(purchases['gpu_id'])}); give purchase_usd_per_gpu")
            purchase_usd = float(purchase["usd_per_gpu"][0])
        ownership = ownership_for(gpu, inputs, purchase_usd)
        price_src = (("given purchase price" if option.purchase_usd_per_gpu is not None else "purchase price (gpu_purchase_prices)")
                     + (f" and the {option.ownership_profile} ownership profile" if option.ownership_profile else " and ownership_inputs")
                     + "".join(f", {n} {getattr(option, n):g} (given)" for n in OWNERSHIP_OVERRIDES
                               if n != "purchase_usd_per_gpu" and getattr(option, n) is not None))
    elif option.gpu_usd_per_hour is not None:
        price, price_src = option.gpu_usd_per_hour, "given gpu_usd_per_hour"
    else:
        drawn = gpu_price(gpu.gpu_id, option.pricing_mode, option.provider, as_of=as_of, window_days=option.price_window_days,
                          market=option.market, db_path=db_path)
        price, price_src = drawn.usd_per_gpu_hour, drawn.describe()
    ops = option.ops_usd_per_month if option.ops_usd_per_month is not None else inputs["ops_usd_per_month"]
    precision_id = catalog.get_precision(option.precision or model.release_precision_id, db_path=db_path).precision_id
    label = option.label or f"{model.model_id} on {gpus_per_replica}x {gpu.gpu_id} ({precision_id}, {option.pricing_mode})"
    return ResolvedSelfHost(label, "buy" if option.pricing_mode == "buy" else option.pricing_mode, model.model_id, gpu.gpu_id,
                            gpus_per_replica, tps, low, high, prefill_share, price, price_src,
                            0 if option.pricing_mode == "serverless" else option.min_replicas, option.target_utilisation, ops,
                            ownership, tput_src, drawn, deployment_caveats(gpu, model.model_id, precision_id, est, drawn), option)


def ownership_for(gpu: catalog.Gpu, inputs: dict[str, float], purchase_usd_per_gpu: float) -> dict[str, float]:
    """The inputs of ``cost.own_usd_per_month`` for owning ``gpu`` (except gpus and load): a data-centre GPU pays the
    server share and draws the server's power per GPU; any other draws its board power [units in the names]."""
    datacenter = gpu.device_class == "datacenter"
    return dict(
        purchase_usd_per_gpu=purchase_usd_per_gpu,
        server_overhead_share=inputs["server_overhead_share"] if datacenter else 0.0,
        residual_value_share=inputs["residual_value_share"], depreciation_years=inputs["depreciation_years"],
        power_kw_per_gpu=inputs["server_power_kw_per_gpu"] if datacenter else _tdp_kw(gpu),
        pue_ratio=inputs["pue_ratio"], power_usd_per_kwh=inputs["power_usd_per_kwh"],
        colocation_usd_per_kw_month=inputs["colocation_usd_per_kw_month"],
    )


def _tdp_kw(gpu: catalog.Gpu) -> float:
    if gpu.tdp_w is None:
        raise CostmodelError(f"{gpu.gpu_id} has no published board power (gpus.tdp_w), so owning it cannot be costed; "
                             "price it by the hour instead")
    return gpu.tdp_w / cost.W_PER_KW


def _replica_throughput(model: catalog.Model, gpu: catalog.Gpu, option: SelfHostOption, workload: Workload,
                        db_path: Path | None):
    """Throughput of one replica; without a given size, the size (1, 2, 4, 8 GPUs) that serves most tokens per GPU."""
    return _replica_throughput_cached(model.model_id, gpu.gpu_id, option.precision, option.kv_precision, option.engine,
                                      option.gpus_per_replica, workload.input_tokens_per_request,
                                      workload.output_tokens_per_request, workload.ttft_ms, workload.tpot_ms, str(db_path or ""))


@store.cached
def _replica_throughput_cached(model_id: str, gpu_id: str, precision: str, kv_precision: str | None, engine: str,
                               gpus_per_replica: int | None, input_tokens: int, output_tokens: int, ttft_ms: float | None,
                               tpot_ms: float | None, db_key: str):
    from costmodel.models.memory import TP_FRIENDLY_GPU_COUNTS
    from costmodel.models.deployment import throughput

    db_path = Path(db_key) if db_key else None
    model = catalog.get_model(model_id, db_path=db_path)
    gpu = catalog.get_gpu(gpu_id, db_path=db_path)
    option = SelfHostOption(model=model_id, gpu=gpu_id, precision=precision, kv_precision=kv_precision, engine=engine,
                            gpus_per_replica=gpus_per_replica)
    workload = Workload(tokens_per_month=1.0, input_tokens_per_request=input_tokens, output_tokens_per_request=output_tokens,
                        ttft_ms=ttft_ms, tpot_ms=tpot_ms)
    sizes = [option.gpus_per_replica] if option.gpus_per_replica else [n for n in TP_FRIENDLY_GPU_COUNTS if n <= 8]
    best, errors = None, []
    for n in sizes:
        try:
            est = throughput(model.model_id, gpu.gpu_id, n, precision=option.precision, kv_precision=option.kv_precision,
                             engine=option.engine, input_tokens=workload.input_tokens_per_request,
                             output_tokens=workload.output_tokens_per_request, ttft_ms=workload.ttft_ms,
                             tpot_ms=workload.tpot_ms, tensor_parallel=n, db_path=db_path)
        except CostmodelError as exc:
            errors.append(exc)
            continue
        if best is None or est.output_tokens_per_s / n > best.output_tokens_per_s / best.gpus * 1.0001:
            best = est
    if best is None:
        if option.gpus_per_replica:
            raise errors[0]
        raise CostmodelError(f"{model.model_id} in {option.precision or model.release_precision_id} cannot be served on up to "
                             f"8 x {gpu.gpu_id} per replica: {errors[-1]}")
    return best


# ---------------------------------------------------------------------------------------------
# Evaluating


def _cost_kw(sh: ResolvedSelfHost, workload: Workload, output_tokens_per_s: float | None = None) -> dict[str, Any]:
    return dict(
        mode=sh.mode, capacity_tokens_per_s=cost.capacity_tokens_per_s(output_tokens_per_s or sh.output_tokens_per_s,
                                                                       workload.effective_input_share),
        gpus_per_replica=sh.gpus_per_replica, usd_per_gpu_hour=sh.usd_per_gpu_hour, peak_to_mean=workload.peak_to_mean,
        utilisation=sh.target_utilisation, min_replicas=sh.min_replicas, ops_usd_per_month=sh.ops_usd_per_month,
        ownership=sh.ownership,
    )


def self_host_row(sh: ResolvedSelfHost, workload: Workload) -> dict[str, Any]:
    """Monthly cost and its breakdown for a resolved self-host option."""
    kw = _cost_kw(sh, workload)
    usd, replicas = cost.self_host_usd_per_month(workload.tokens_per_month, **kw)
    capacity = kw["capacity_tokens_per_s"]
    util = (cost.load_share(workload.tokens_per_month, capacity, replicas) if replicas else
            1.0 / workload.peak_to_mean)
    mtok = workload.tokens_per_month / cost.TOKENS_PER_MTOK
    # $/M split into input and output by GPU time: prefill time pays for input tokens
    in_tokens = mtok * workload.effective_input_share
    out_tokens = mtok - in_tokens
    gpu_cost = usd - sh.ops_usd_per_month
    input_usd = gpu_cost * sh.prefill_time_share + sh.ops_usd_per_month * workload.effective_input_share
    return {
        "option": sh.label, "kind": "self-host", "pricing_mode": sh.mode, "model_id": sh.model_id, "gpu_id": sh.gpu_id,
        "usd_per_month": usd, "usd_per_mtok": usd / mtok,
        "input_usd_per_mtok": input_usd / in_tokens if in_tokens else None,
        "output_usd_per_mtok": (usd - input_usd) / out_tokens if out_tokens else None,
        "replicas": replicas, "gpus": replicas * sh.gpus_per_replica, "gpus_per_replica": sh.gpus_per_replica,
        "utilisation": util, "output_tokens_per_s_per_replica": sh.output_tokens_per_s,
        "usd_per_gpu_hour": sh.usd_per_gpu_hour, "ops_usd_per_month": sh.ops_usd_per_month,
        "price_source": sh.price_source + "".join(f"; CAVEAT: {c}" for c in sh.price_caveats),
        "caveats": "; ".join(sh.caveats),
        "throughput_source": sh.throughput_source,
    }


def api_row(price: ApiPrice, workload: Workload) -> dict[str, Any]:
    """Monthly bill and $/M tokens of an API for the workload."""
    per_mtok = cost.api_usd_per_mtok(workload.effective_input_share, workload.cached_input_share,
                                     price.input_usd_per_mtok, price.output_usd_per_mtok,
                                     price.cached_input_usd_per_mtok, price.batch_discount_share)
    return {
        "option": price.label, "kind": "api", "pricing_mode": "batch" if price.batch_discount_share else "per-token",
        "model_id": None, "gpu_id": None,
        "usd_per_month": cost.api_usd_per_month(workload.tokens_per_month, per_mtok), "usd_per_mtok": per_mtok,
        "input_usd_per_mtok": price.input_usd_per_mtok * (1 - price.batch_discount_share),
        "output_usd_per_mtok": price.output_usd_per_mtok * (1 - price.batch_discount_share),
        "replicas": None, "gpus": None, "gpus_per_replica": None, "utilisation": None,
        "output_tokens_per_s_per_replica": None, "usd_per_gpu_hour": None, "ops_usd_per_month": None,
        "price_source": f"{price.source}, context tier from {price.context_tier_start_tokens} tokens", "throughput_source": None,
    }


def break_even(sh: ResolvedSelfHost, price: ApiPrice, workload: Workload, output_tokens_per_s: float | None = None) -> float | None:
    """Break-even tokens/month of a resolved self-host option against an API (None: never)."""
    per_mtok = cost.api_usd_per_mtok(workload.effective_input_share, workload.cached_input_share,
                                     price.input_usd_per_mtok, price.output_usd_per_mtok,
                                     price.cached_input_usd_per_mtok, price.batch_discount_share)
    return cost.break_even_tokens_per_month(per_mtok, **_cost_kw(sh, workload, output_tokens_per_s))


def compare(workload: Workload, options: list[SelfHostOption | ApiOption], *, as_of: dt.date | str | None = None,
            db_path: Path | None = None) -> pl.DataFrame:
    """Every option's monthly cost for the workload, with break-even against each API, as a long table.

    One row per option and counterpart: a self-host option appears once per API option it is set
    against (``versus``: the API's label, with ``break_even_tokens_per_month`` and ``saving_multiple``
    = API cost / self-host cost), or once with ``versus`` null when there is no API; each API option
    appears once with ``versus`` null. Every row has usd_per_month, usd_per_mtok (and its input/output
    split), replicas, gpus and utilisation; the columns are the same whatever the options.
    """
    if not options:
        raise CostmodelError("compare needs at least one option")
    hosts = [(o, resolve_self_host(o, workload, as_of=as_of, db_path=db_path)) for o in options if isinstance(o, SelfHostOption)]
    apis = [resolve_api(o, workload, as_of=as_of, db_path=db_path) for o in options if isinstance(o, ApiOption)]
    alone = {"versus": None, "break_even_tokens_per_month": None, "saving_multiple": None}
    rows = []
    for _, sh in hosts:
        row = self_host_row(sh, workload)
        if not apis:
            rows.append({**row, **alone})
        for api in apis:
            rows.append({**row, "versus": api.label, "break_even_tokens_per_month": break_even(sh, api, workload),
                         "saving_multiple": api_row(api, workload)["usd_per_month"] / row["usd_per_month"]})
    rows += [{**api_row(api, workload), **alone} for api in apis]
    return pl.DataFrame(rows, infer_schema_length=None, schema_overrides={"versus": pl.String, "break_even_tokens_per_month": pl.Float64,
                                                                          "saving_multiple": pl.Float64})


@dataclasses.dataclass(frozen=True)
class Crossover:
    """One self-host option against one API at one volume."""

    workload: Workload
    self_host: ResolvedSelfHost
    api: ApiPrice
    break_even_tokens_per_month: float | None
    break_even_tokens_per_month_low: float | None  # with the throughput band's high end (cheaper self-hosting)
    break_even_tokens_per_month_high: float | None  # with the band's low end
    self_host_usd_per_month: float
    api_usd_per_month: float
    replicas: int
    gpus: int
    utilisation: float
    saving_multiple: float  # API cost / self-host cost at the volume (> 1: self-hosting is cheaper)
    self_host_usd_per_mtok: float
    api_usd_per_mtok: float

    def to_dict(self) -> dict[str, Any]:
        """Flat dict for JSON: the results plus every assumption used."""
        sh, api, w = self.self_host, self.api, self.workload
        return {
            "break_even_tokens_per_month": self.break_even_tokens_per_month,
            "break_even_tokens_per_month_low": self.break_even_tokens_per_month_low,
            "break_even_tokens_per_month_high": self.break_even_tokens_per_month_high,
            "self_host_usd_per_month": self.self_host_usd_per_month, "api_usd_per_month": self.api_usd_per_month,
            "self_host_usd_per_mtok": self.self_host_usd_per_mtok, "api_usd_per_mtok": self.api_usd_per_mtok,
            "replicas": self.replicas, "gpus": self.gpus, "utilisation": self.utilisation,
            "saving_multiple": self.saving_multiple,
            "caveats": list(sh.caveats),
            "assumptions": {
                "tokens_per_month": w.tokens_per_month, "input_share": w.effective_input_share,
                "cached_input_share": w.cached_input_share, "input_tokens_per_request": w.input_tokens_per_request,
                "output_tokens_per_request": w.output_tokens_per_request, "peak_to_mean": w.peak_to_mean,
                "ttft_ms": w.ttft_ms, "tpot_ms": w.tpot_ms, "api_batch_share": w.batch_share, "api_flex_share": w.flex_share,
                "self_host": sh.label, "model_id": sh.model_id, "gpu_id": sh.gpu_id, "pricing_mode": sh.mode,
                "gpus_per_replica": sh.gpus_per_replica, "gpu_usd_per_hour": sh.usd_per_gpu_hour,
                "gpu_price_source": sh.price_source,
                "gpu_price": sh.gpu_price.to_dict() if sh.gpu_price is not None else None,
                "output_tokens_per_s_per_replica": sh.output_tokens_per_s,
                "output_tokens_per_s_band": [sh.output_tokens_per_s_low, sh.output_tokens_per_s_high],
                "throughput_source": sh.throughput_source, "target_utilisation": sh.target_utilisation,
                "min_replicas": sh.min_replicas, "ops_usd_per_month": sh.ops_usd_per_month, "ownership": sh.ownership,
                "api": api.label, "api_input_usd_per_mtok": api.input_usd_per_mtok,
                "api_output_usd_per_mtok": api.output_usd_per_mtok, "api_cached_input_usd_per_mtok": api.cached_input_usd_per_mtok,
                "api_batch_discount_share": api.batch_discount_share, "api_price_source": api.source,
            },
        }


def crossover(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, as_of: dt.date | str | None = None,
              db_path: Path | None = None) -> Crossover:
    """Self-host vs API for one workload: both monthly costs, the break-even volume and its band."""
    sh = resolve_self_host(self_host, workload, as_of=as_of, db_path=db_path)
    price = resolve_api(api, workload, as_of=as_of, db_path=db_path)
    row = self_host_row(sh, workload)
    arow = api_row(price, workload)
    return Crossover(
        workload=workload, self_host=sh, api=price,
        break_even_tokens_per_month=break_even(sh, price, workload),
        break_even_tokens_per_month_low=break_even(sh, price, workload, sh.output_tokens_per_s_high),
        break_even_tokens_per_month_high=break_even(sh, price, workload, sh.output_tokens_per_s_low),
        self_host_usd_per_month=row["usd_per_month"], api_usd_per_month=arow["usd_per_month"],
        replicas=row["replicas"], gpus=row["gpus"], utilisation=row["utilisation"],
        saving_multiple=arow["usd_per_month"] / row["usd_per_month"],
        self_host_usd_per_mtok=row["usd_per_mtok"], api_usd_per_mtok=arow["usd_per_mtok"],
    )
