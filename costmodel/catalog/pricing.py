"""The default GPU price: a documented, stable rule over dated observations (pure functions).

For a GPU and pricing mode, on a date ``as_of``:

1. keep the observations of the last ``window_days`` days (default ``PRICE_WINDOW_DAYS``) up to
   and including ``as_of``, in the chosen market segment (``MARKETS``);
2. for each provider, its latest observation date in that window, and on that date its cheapest
   instance (what a buyer would pick);
3. the median over providers, with the P25-P75 spread, the provider count and the oldest
   observation used.

When no provider has an observation in the window, every provider's latest observation before
``as_of`` is used and the answer says how old it is. Fewer than ``MIN_PROVIDERS`` providers, or
a spot or reserved median above the on-demand median, add a caveat.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from typing import Any

import polars as pl

from costmodel.errors import CostmodelError
from costmodel.formatting import money

PRICE_WINDOW_DAYS = 180
"""Observations older than this many days before the as-of date do not enter the default price [day]."""
MARKETS = ("all", "neocloud", "hyperscaler", "marketplace")
"""Market segments a default price can be drawn from (gpu_providers.market_segment); all: every segment."""
DEFAULT_MARKET = "all"
"""Segment of the default price: every provider, so the median is the market's, not one segment's."""
MIN_PROVIDERS = 3
"""Fewer providers than this in the window make the median a caveat [count]."""
DISCOUNTED_MODES = ("spot", "reserved-1y", "reserved-3y")
"""Pricing modes that should cost less than on-demand; a median above it is a caveat."""


@dataclasses.dataclass(frozen=True)
class ProviderPrice:
    provider: str
    usd_per_gpu_hour: float
    observed_on: dt.date
    market_segment: str | None


@dataclasses.dataclass(frozen=True)
class GpuPrice:
    """A GPU-hour price and how it was drawn."""

    gpu_id: str
    pricing_mode: str
    usd_per_gpu_hour: float  # median over providers (or the one provider asked for) [USD/GPU-hour]
    providers: tuple[ProviderPrice, ...]  # each provider's price that entered, cheapest first
    p25_usd_per_gpu_hour: float
    p75_usd_per_gpu_hour: float
    window_days: int
    as_of: dt.date
    market: str
    in_window: bool  # False: no observation in the window, the latest older ones were used
    caveats: tuple[str, ...] = ()
    rule: str = "median"  # median | provider | negotiated | derived

    @property
    def oldest_observed_on(self) -> dt.date:
        return min(p.observed_on for p in self.providers)

    @property
    def newest_observed_on(self) -> dt.date:
        return max(p.observed_on for p in self.providers)

    def describe(self, *, caveats: bool = False) -> str:
        """One line for people: what the price is, from whom, how fresh and how spread (and its caveats)."""
        n = len(self.providers)
        if self.rule == "negotiated":
            p = self.providers[0]
            return f"negotiated price from {p.provider} (from {p.observed_on})"
        if self.rule == "provider":
            p = self.providers[0]
            text = f"{p.provider} {self.pricing_mode} price observed {p.observed_on}"
        else:
            segment = "" if self.market == "all" else f" {self.market}"
            text = (f"median {self.pricing_mode} price of {n}{segment} provider{'s' if n != 1 else ''} "
                    f"(latest observation of each within {self.window_days} days of {self.as_of}; "
                    f"P25-P75 {money(self.p25_usd_per_gpu_hour, 2)} to {money(self.p75_usd_per_gpu_hour, 2)}; "
                    f"oldest used {self.oldest_observed_on})")
        return text + ("".join(f"; CAVEAT: {c}" for c in self.caveats) if caveats else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "gpu_id": self.gpu_id, "pricing_mode": self.pricing_mode, "usd_per_gpu_hour": self.usd_per_gpu_hour,
            "rule": self.rule, "market": self.market, "window_days": self.window_days, "as_of": self.as_of.isoformat(),
            "in_window": self.in_window, "provider_count": len(self.providers),
            "p25_usd_per_gpu_hour": self.p25_usd_per_gpu_hour, "p75_usd_per_gpu_hour": self.p75_usd_per_gpu_hour,
            "oldest_observed_on": self.oldest_observed_on.isoformat(), "newest_observed_on": self.newest_observed_on.isoformat(),
            "providers": [{"provider": p.provider, "usd_per_gpu_hour": p.usd_per_gpu_hour, "observed_on": p.observed_on.isoformat(),
                           "market_segment": p.market_segment} for p in self.providers],
            "caveats": list(self.caveats),
        }


def check_market(market: str) -> str:
    if market not in MARKETS:
        raise CostmodelError(f"market {market!r} is not one of {', '.join(MARKETS)}")
    return market


def check_window(window_days: int) -> int:
    if isinstance(window_days, bool) or not isinstance(window_days, int) or not 1 <= window_days <= 3650:
        raise CostmodelError(f"price window must be a whole number of days from 1 to 3650, got {window_days!r}")
    return window_days


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of a non-empty list."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latest_per_provider(observations: pl.DataFrame, as_of: dt.date, window_days: int) -> tuple[list[ProviderPrice], bool]:
    """Each provider's price: its latest observation date within the window (else before ``as_of``), cheapest instance.

    ``observations`` has provider, usd_per_gpu_hour, observed_on and (optionally) market_segment.
    Returns the prices, cheapest first, and whether they come from inside the window.
    """
    past = observations.filter(pl.col("observed_on") <= as_of)
    start = as_of - dt.timedelta(days=window_days)
    inside = past.filter(pl.col("observed_on") > start)
    frame, in_window = (inside, True) if inside.height else (past, False)
    if frame.height == 0:
        return [], True
    if "market_segment" not in frame.columns:
        frame = frame.with_columns(market_segment=pl.lit(None, dtype=pl.String))
    latest = frame.filter(pl.col("observed_on") == pl.col("observed_on").max().over("provider"))
    per = (latest.group_by("provider")
           .agg(pl.col("usd_per_gpu_hour").min(), pl.col("observed_on").first(), pl.col("market_segment").first())
           .sort("usd_per_gpu_hour", "provider"))
    return [ProviderPrice(r["provider"], r["usd_per_gpu_hour"], r["observed_on"], r["market_segment"])
            for r in per.iter_rows(named=True)], in_window


def default_price(gpu_id: str, pricing_mode: str, observations: pl.DataFrame, *, as_of: dt.date,
                  window_days: int = PRICE_WINDOW_DAYS, market: str = DEFAULT_MARKET,
                  on_demand: pl.DataFrame | None = None, provider: str | None = None) -> GpuPrice | None:
    """The price rule (module docstring) over one GPU's observations in one pricing mode; None if none.

    ``on_demand``: the same GPU's on-demand observations, to flag a spot or reserved median above it.
    ``provider``: one provider's latest price instead of the median.
    """
    check_market(market)
    check_window(window_days)
    if market != "all":
        observations = observations.filter(pl.col("market_segment") == market)
        if on_demand is not None:
            on_demand = on_demand.filter(pl.col("market_segment") == market)
    if provider:
        observations = observations.filter(pl.col("provider") == provider)
    prices, in_window = latest_per_provider(observations, as_of, window_days)
    if not prices:
        return None
    values = [p.usd_per_gpu_hour for p in prices]
    caveats = []
    if not in_window:
        caveats.append(f"no {pricing_mode} observation within {window_days} days of {as_of}: the newest is from "
                       f"{max(p.observed_on for p in prices)} ({(as_of - max(p.observed_on for p in prices)).days} days old)")
    if not provider and len(prices) < MIN_PROVIDERS:
        caveats.append(f"only {len(prices)} provider{'s' if len(prices) != 1 else ''} ("
                       + ", ".join(f"{p.provider} {money(p.usd_per_gpu_hour, 2)} on {p.observed_on}" for p in prices)
                       + f"): fewer than {MIN_PROVIDERS}, the median is one quote, not a market")
    median = statistics.median(values)
    if pricing_mode in DISCOUNTED_MODES and on_demand is not None and not provider:
        base = [p.usd_per_gpu_hour for p in latest_per_provider(on_demand, as_of, window_days)[0]]
        if base and median >= statistics.median(base):
            caveats.append(f"the {pricing_mode} median {money(median, 2)} is not below the on-demand median "
                           f"{money(statistics.median(base), 2)} of the same window: too few {pricing_mode} quotes to trust")
    return GpuPrice(gpu_id, pricing_mode, median, tuple(prices), _quantile(values, 0.25), _quantile(values, 0.75),
                    window_days, as_of, market, in_window, tuple(caveats), "provider" if provider else "median")
