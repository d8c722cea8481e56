"""Over time: monthly cash flows of self-hosting and of the API over 12-120 months, and what they are worth today.

The one-month answer (``crossover``) holds prices and volume still. A budget runs for years, with
volume growing, API prices falling and GPUs bought, reserved or rented. ``horizon`` lays out every
month's cash flow for each way of getting GPUs and for the API:

- rent (on-demand, spot, serverless): each month pays for the replicas that month's peak needs, at
  the GPU-hour price moved by the GPU price trend;
- reserve (1 or 3 years): at the start of each term the replicas for the term's busiest month are
  committed at the reserved price then in force, and paid every month of the term whether used or
  not; months of the last term that fall after the horizon are reported as ``committed_after_horizon_usd``;
- buy: at the start of each replacement cycle (the depreciation period) the replicas for the
  cycle's busiest month are bought (GPUs plus the server share), the previous fleet is sold at its
  residual value, and every month pays colocation, energy for the tokens served and operations; at
  the horizon the fleet still held is credited at its straight-line book value.

So with no trend, no growth and a zero discount rate every strategy costs exactly months x its
monthly cost (``crossover``'s figure), buying included. Present values discount each month's
cash flow at the end of the month: cash / (1 + rate_per_year) ** (month / 12).

``api_price_change_per_year`` None fits the yearly rate of change from the store's dated prices of
the same endpoint (then of the same model at other providers); with no dated history the price is
held flat and the result says so. Shown in another currency (``--currency``), every month converts at
the rate in force on the as-of date: the store holds published rates, not an exchange-rate forecast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import polars as pl

from costmodel.models import cost
from costmodel.catalog import prices
from costmodel import store
from costmodel.errors import CostmodelError
from costmodel.scenarios import (
    PRICING_MODES,
    ApiOption,
    Crossover,
    SelfHostOption,
    Workload,
    api_row,
    crossover,
    resolve_api,
    resolve_self_host,
)

MAX_MONTHS = 120
"""Longest horizon accepted [months]."""
STRATEGIES = ("on-demand", "spot", "reserved-1y", "reserved-3y", "buy")
"""Ways of getting GPUs laid out by default (serverless on request)."""
RESERVED_TERM_MONTHS = {"reserved-1y": 12, "reserved-3y": 36}
"""Commitment of each reservation [months]."""
MAX_TOKENS_PER_MONTH = 1e18
"""Largest monthly volume a growing workload may reach within the horizon [token/month]."""


@dataclasses.dataclass(frozen=True)
class Trends:
    """How the inputs move over the horizon (each a compound rate; -0.3: falls 30% a year).

    months : horizon [month], 1 to 120
    discount_rate_per_year : cost of capital for present values [fraction/year], in (-0.5, 1)
    volume_growth_per_month : tokens/month grow by this each month [fraction/month], above -1
    api_price_change_per_year : None: fitted from the store's dated prices (see the module)
    gpu_price_change_per_year : GPU-hour and purchase prices [fraction/year], above -1
    """

    months: int = 36
    discount_rate_per_year: float = 0.0
    volume_growth_per_month: float = 0.0
    api_price_change_per_year: float | None = None
    gpu_price_change_per_year: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.months, bool) or not isinstance(self.months, int) or not 1 <= self.months <= MAX_MONTHS:
            raise CostmodelError(f"months must be a whole number from 1 to {MAX_MONTHS}, got {self.months!r}")
        _rate("discount_rate_per_year", self.discount_rate_per_year, -0.5, 1.0, "(-0.5, 1): -0.5 halves, 1 doubles")
        _rate("volume_growth_per_month", self.volume_growth_per_month, -1.0, math.inf, "above -1 (0.05: +5% a month)")
        if self.api_price_change_per_year is not None:
            _rate("api_price_change_per_year", self.api_price_change_per_year, -1.0, math.inf, "above -1 (-0.5: halves a year)")
        _rate("gpu_price_change_per_year", self.gpu_price_change_per_year, -1.0, math.inf, "above -1 (-0.2: falls 20% a year)")


def _rate(name: str, value: Any, low: float, high: float, accepted: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low < value < high:
        raise CostmodelError(f"{name} must be a number in {accepted}, got {value!r}")


def volumes(tokens_per_month: float, growth_per_month: float, months: int) -> list[float]:
    """Tokens served in months 1..months, growing from ``tokens_per_month`` [token/month]; refuses an overflowing growth."""
    try:
        last = tokens_per_month * (1.0 + growth_per_month) ** (months - 1)
    except OverflowError:
        last = math.inf
    if not math.isfinite(last) or last > MAX_TOKENS_PER_MONTH:
        raise CostmodelError(f"volume_growth_per_month {growth_per_month!r} over {months} months takes "
                             f"{tokens_per_month:,.0f} tokens/month past {MAX_TOKENS_PER_MONTH:,.0f}: give a smaller "
                             "growth or a shorter horizon")
    return [tokens_per_month * (1.0 + growth_per_month) ** m for m in range(months)]


def trend_factor(change_per_year: float, month: int) -> float:
    """Price multiple ``month`` months after the start (month 1 is the start) of a compound yearly change [ratio]."""
    return (1.0 + change_per_year) ** ((month - 1) / cost.MONTHS_PER_YEAR)


def present_value_factor(rate_per_year: float, month: int) -> float:
    """Discount factor of a cash flow at the end of ``month`` [ratio]."""
    return (1.0 + rate_per_year) ** (-month / cost.MONTHS_PER_YEAR)


# ---------------------------------------------------------------------------------------------
# Cash flows: pure functions of resolved inputs


def rent_cash_flows(vols: list[float], *, mode: str, capacity_tokens_per_s: float, gpus_per_replica: int,
                    usd_per_gpu_hour: float, peak_to_mean: float, utilisation: float, min_replicas: int,
                    ops_usd_per_month: float, gpu_price_change_per_year: float) -> list[dict[str, float]]:
    """Each month's bill renting on demand, on spot or serverless: the replicas that month needs [USD, count]."""
    out = []
    for m, v in enumerate(vols, 1):
        usd, replicas = cost.self_host_usd_per_month(
            v, mode=mode, capacity_tokens_per_s=capacity_tokens_per_s, gpus_per_replica=gpus_per_replica,
            usd_per_gpu_hour=usd_per_gpu_hour * trend_factor(gpu_price_change_per_year, m), peak_to_mean=peak_to_mean,
            utilisation=utilisation, min_replicas=min_replicas, ops_usd_per_month=ops_usd_per_month)
        out.append({"usd": usd, "replicas": float(replicas)})
    return out


def reserved_cash_flows(vols: list[float], *, term_months: int, capacity_tokens_per_s: float, gpus_per_replica: int,
                        usd_per_gpu_hour: float, peak_to_mean: float, utilisation: float, min_replicas: int,
                        ops_usd_per_month: float, gpu_price_change_per_year: float) -> tuple[list[dict[str, float]], float]:
    """Each month's bill on reservations of ``term_months``: each term commits the replicas of its busiest month at the
    price in force at its start. Returns the months and the commitment still owed after the horizon [USD]."""
    out: list[dict[str, float]] = []
    after = 0.0
    for start in range(0, len(vols), term_months):
        term = vols[start:start + term_months]
        replicas = max(cost.replicas_needed(v, capacity_tokens_per_s, peak_to_mean, utilisation, min_replicas) for v in term)
        price = usd_per_gpu_hour * trend_factor(gpu_price_change_per_year, start + 1)
        monthly = cost.rent_usd_per_month(replicas * gpus_per_replica, price)
        out += [{"usd": monthly + ops_usd_per_month, "replicas": float(replicas)} for _ in term]
        after = monthly * (term_months - len(term))
    return out, after


def buy_cash_flows(vols: list[float], *, capacity_tokens_per_s: float, gpus_per_replica: int, peak_to_mean: float,
                   utilisation: float, min_replicas: int, ops_usd_per_month: float, ownership: dict[str, float],
                   gpu_price_change_per_year: float) -> list[dict[str, float]]:
    """Each month's cash owning the GPUs: the fleet bought at the start of each replacement cycle (sized for the cycle's
    busiest month), the old fleet sold at its residual value, colocation, energy and operations every month, and the
    fleet still held credited at its straight-line book value in the last month [USD, count]."""
    o = ownership
    cycle = max(int(round(o["depreciation_years"] * cost.MONTHS_PER_YEAR)), 1)
    per_token_energy = cost.energy_usd_per_token(gpus_per_replica, o["power_kw_per_gpu"], o["pue_ratio"],
                                                 o["power_usd_per_kwh"], capacity_tokens_per_s)
    colocation_per_replica = cost.colocation_usd_per_month(gpus_per_replica, o["power_kw_per_gpu"],
                                                           o["colocation_usd_per_kw_month"])
    out: list[dict[str, float]] = []
    fleet_capex, fleet_bought = 0.0, 0
    for start in range(0, len(vols), cycle):
        period = vols[start:start + cycle]
        replicas = max(cost.replicas_needed(v, capacity_tokens_per_s, peak_to_mean, utilisation, min_replicas) for v in period)
        capex = replicas * gpus_per_replica * o["purchase_usd_per_gpu"] * (1.0 + o["server_overhead_share"]) * trend_factor(
            gpu_price_change_per_year, start + 1)
        sale = fleet_capex * o["residual_value_share"]  # the previous fleet, at the end of its cycle
        for i, v in enumerate(period):
            usd = replicas * colocation_per_replica + per_token_energy * v + ops_usd_per_month
            if i == 0:
                usd += capex - sale
            out.append({"usd": usd, "replicas": float(replicas)})
        fleet_capex, fleet_bought = capex, start
    held = len(vols) - fleet_bought  # months the last fleet was held
    book = fleet_capex * (1.0 - (1.0 - o["residual_value_share"]) * held / cycle)
    out[-1]["usd"] -= book
    return out


def api_cash_flows(vols: list[float], usd_per_mtok: float, api_price_change_per_year: float) -> list[float]:
    """Each month's API bill at the blended price moved by its trend [USD]."""
    return [cost.api_usd_per_month(v, usd_per_mtok * trend_factor(api_price_change_per_year, m)) for m, v in enumerate(vols, 1)]


def break_even_month(self_host_usd: list[float], api_usd: list[float]) -> int | None:
    """First month (1-based) from which the cumulative self-host cost stays at or below the API's; None within the horizon."""
    cum_sh = cum_api = 0.0
    month = None
    for m, (s, a) in enumerate(zip(self_host_usd, api_usd), 1):
        cum_sh, cum_api = cum_sh + s, cum_api + a
        if cum_sh <= cum_api * (1 + 1e-12):
            month = month or m
        else:
            month = None
    return month


# ---------------------------------------------------------------------------------------------
# Resolving the inputs once, then the cash flows


@dataclasses.dataclass(frozen=True)
class Horizon:
    """Cash flows over the horizon: ``monthly`` has one row per month and strategy (API included)."""

    monthly: pl.DataFrame
    summary: pl.DataFrame  # one row per strategy: total_usd, npv_usd, break_even_month, committed_after_horizon_usd
    trends: Trends
    api_price_change_per_year: float
    api_trend_source: str
    api_label: str
    self_host_label: str
    pricing_mode: str  # the option's own pricing mode: the one self_host_npv_usd reports
    skipped: tuple[str, ...]  # strategies with no price, and why
    crossover: Crossover  # the first month of the option's own pricing mode: its inputs, sources and caveats

    def strategy(self, name: str) -> dict[str, Any]:
        rows = self.summary.filter(pl.col("strategy") == name)
        if rows.height == 0:
            raise CostmodelError(f"no strategy {name!r} in this horizon; it has {', '.join(self.summary['strategy'])}")
        return rows.row(0, named=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON: the present values, the break-even month of the option's own pricing mode, every strategy, the months."""
        own = self.strategy(self.pricing_mode)
        api = self.strategy("api")
        return {
            "self_host_npv_usd": own["npv_usd"], "api_npv_usd": api["npv_usd"], "break_even_month": own["break_even_month"],
            "self_host": self.self_host_label, "api": self.api_label, "pricing_mode": self.pricing_mode,
            "months": self.trends.months, "discount_rate_per_year": self.trends.discount_rate_per_year,
            "volume_growth_per_month": self.trends.volume_growth_per_month,
            "api_price_change_per_year": self.api_price_change_per_year, "api_trend_source": self.api_trend_source,
            "gpu_price_change_per_year": self.trends.gpu_price_change_per_year,
            "strategies": self.summary.to_dicts(), "skipped": list(self.skipped), "monthly": self.monthly.to_dicts(),
        }


def fitted_api_trend(api: ApiOption, *, today: dt.date | None = None, db_path: Path | None = None) -> tuple[float, str]:
    """Yearly rate of change of an API's output price from the store's dated prices (``prices.yearly_change_in_force``):
    the endpoint's own, else the same model's at other providers (median), else 0 (flat) with a note saying so."""
    today = today or dt.date.today()
    if api.provider and api.model:
        own = prices.api_price_history(provider=api.provider, provider_model_id=api.model, db_path=db_path)
        if own.height == 0:
            try:
                own = prices.api_price_history(provider=api.provider, model=api.model, db_path=db_path)
            except CostmodelError:
                own = own.clear()
        standard = own.filter(pl.col("time_window_utc").is_in(store.STANDARD_PRICE_WINDOWS))
        change, until = prices.yearly_change_in_force(standard, today)
        if change is not None:
            return change, (f"fitted: {api.provider}/{api.model} output price {change:+.0%} a year from its first dated price "
                            f"({standard['price_start'].min()}) to the price in force on {until}")
        try:
            others = prices.api_price_history(model=api.model, db_path=db_path)
        except CostmodelError:
            others = own.clear()
        changes = prices.endpoint_trends(others, today)
        if changes:
            median = prices.median_trend(changes)
            return median, f"fitted: median yearly change of {len(changes)} other endpoint(s) serving {api.model}"
        if own.height or others.height:
            return 0.0, (f"the store's dated prices of {api.model} span less than {prices.MIN_TREND_DAYS} days: held flat "
                         "(give api_price_change_per_year to state a trend)")
    return 0.0, "no dated price history for this API in the store: held flat (give api_price_change_per_year to state one)"


def horizon(workload: Workload, self_host: SelfHostOption, api: ApiOption, trends: Trends | None = None, *,
            strategies: tuple[str, ...] | None = None, as_of: dt.date | str | None = None,
            db_path: Path | None = None) -> Horizon:
    """Monthly cash flows of each strategy and of the API, their totals, present values and break-even months.

    ``strategies``: the pricing modes to lay out (default the option's own, then on-demand, spot, both reservations and
    buy; a mode with no price for the GPU is skipped and listed in ``skipped``). Prices are those in force ``as_of``."""
    trends = trends or Trends()
    strategies = tuple(strategies or dict.fromkeys((self_host.pricing_mode, *STRATEGIES)))
    for s in strategies:
        if s not in PRICING_MODES:
            raise CostmodelError(f"strategy {s!r} is not one of {', '.join(PRICING_MODES)}")
    vols = volumes(workload.tokens_per_month, trends.volume_growth_per_month, trends.months)
    price = resolve_api(api, workload, as_of=as_of, db_path=db_path)
    if trends.api_price_change_per_year is None:
        day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        api_change, api_source = fitted_api_trend(api, today=day, db_path=db_path)
    else:
        api_change, api_source = trends.api_price_change_per_year, "stated"
    flows: dict[str, list[dict[str, float]]] = {}
    after: dict[str, float] = {}
    skipped = []
    label = ""
    for mode in strategies:
        try:
            sh = resolve_self_host(dataclasses.replace(self_host, pricing_mode=mode), workload, as_of=as_of, db_path=db_path)
        except CostmodelError as exc:
            if mode == self_host.pricing_mode:
                raise
            skipped.append(f"{mode}: {exc}")
            continue
        if mode == self_host.pricing_mode:
            label = sh.label
        kw = dict(capacity_tokens_per_s=cost.capacity_tokens_per_s(sh.output_tokens_per_s, workload.effective_input_share),
                  gpus_per_replica=sh.gpus_per_replica, peak_to_mean=workload.peak_to_mean, utilisation=sh.target_utilisation,
                  min_replicas=sh.min_replicas, ops_usd_per_month=sh.ops_usd_per_month,
                  gpu_price_change_per_year=trends.gpu_price_change_per_year)
        if mode == "buy":
            flows[mode] = buy_cash_flows(vols, ownership=sh.ownership, **kw)
        elif mode in RESERVED_TERM_MONTHS:
            flows[mode], after[mode] = reserved_cash_flows(vols, term_months=RESERVED_TERM_MONTHS[mode],
                                                           usd_per_gpu_hour=sh.usd_per_gpu_hour, **kw)
        else:
            flows[mode] = rent_cash_flows(vols, mode=sh.mode, usd_per_gpu_hour=sh.usd_per_gpu_hour, **kw)
    api_usd = api_cash_flows(vols, api_row(price, workload)["usd_per_mtok"], api_change)
    rows, summary = [], []
    for name, months in [*flows.items(), ("api", [{"usd": u, "replicas": 0.0} for u in api_usd])]:
        cumulative = discounted = 0.0
        for m, (f, v) in enumerate(zip(months, vols), 1):
            cumulative += f["usd"]
            pv = f["usd"] * present_value_factor(trends.discount_rate_per_year, m)
            discounted += pv
            rows.append({"month": m, "strategy": name, "tokens_per_month": v, "usd": f["usd"], "present_value_usd": pv,
                         "cumulative_usd": cumulative, "replicas": f["replicas"]})
        usd = [f["usd"] for f in months]
        summary.append({"strategy": name, "total_usd": cumulative, "npv_usd": discounted,
                        "break_even_month": None if name == "api" else break_even_month(usd, api_usd),
                        "committed_after_horizon_usd": after.get(name, 0.0)})
    return Horizon(pl.DataFrame(rows), pl.DataFrame(summary, schema_overrides={"break_even_month": pl.Int64}), trends,
                   api_change, api_source, price.label, label, self_host.pricing_mode, tuple(skipped),
                   crossover(workload, self_host, api, as_of=as_of, db_path=db_path))
