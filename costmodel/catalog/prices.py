"""GPU and API prices in force on a date, and their histories: typed queries over the store, aliases resolved.

``gpu_prices(as_of=..., gpu="H100")`` is each provider's latest observation on or before the date
[USD/GPU-hour]; ``api_prices(model=...)`` the API prices of a model across providers [USD/M tokens].
The default price drawn from these observations is ``pricing.default_price`` (pure).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import store
from costmodel.catalog import resolve_gpu_id, resolve_model_id
from costmodel.errors import UnknownIdError
from costmodel.store import API_SOURCE_GROUPS, as_of_day, query

def _gpu_price_filters(gpu: str | None, provider: str | None, pricing_mode: str | None,
                       db_path: Path | None) -> tuple[list[str], list[Any]]:
    """WHERE terms and parameters selecting gpu_prices rows (a GPU given, even empty, is resolved)."""
    where: list[str] = []
    params: list[Any] = []
    if gpu is not None:
        where.append("gpu_id = ?")
        params.append(resolve_gpu_id(gpu, db_path=db_path))
    if provider:
        where.append("provider = ?")
        params.append(provider.lower())
    if pricing_mode:
        where.append("pricing_mode = ?")
        params.append(pricing_mode)
    return where, params


def _api_price_filters(provider: str | None, provider_model_id: str | None, model: str | None,
                       db_path: Path | None) -> tuple[list[str], list[Any]]:
    """WHERE terms and parameters selecting api_prices rows (a project model id through the alias table)."""
    where: list[str] = []
    params: list[Any] = []
    if provider:
        where.append("provider = ?")
        params.append(provider.lower())
    if provider_model_id:
        where.append("provider_model_id = ?")
        params.append(provider_model_id)
    if model:
        where.append("(provider, provider_model_id) IN (SELECT provider, provider_model_id FROM api_model_aliases WHERE model_id = ?)")
        params.append(resolve_model_id(model, db_path=db_path))
    return where, params


_PRICED = "SELECT p.*, g.market_segment FROM gpu_prices p JOIN gpu_providers g USING (provider)"
"""SQL: gpu_prices with each provider's market segment."""


def gpu_prices(
    as_of: dt.date | str | None = None,
    *,
    gpu: str | None = None,
    provider: str | None = None,
    pricing_mode: str | None = None,
    market: str | None = None,
    db_path: Path | None = None,
) -> pl.DataFrame:
    """GPU rental prices in force on ``as_of`` (default today) [USD per GPU-hour].

    For each (provider, GPU, pricing mode) the observations of its latest observation date on
    or before ``as_of`` (every instance and region read that day); older and later observations
    are left out. Adds each provider's ``market_segment`` (gpu_providers) and ``age_days``, the
    days from the observation to ``as_of``. ``market`` keeps one segment.
    """
    day = as_of_day(as_of)
    where, params = _gpu_price_filters(gpu or None, provider, pricing_mode, db_path)
    where.append("observed_on <= ?")
    params.append(day)
    if market and market != "all":
        where.append("market_segment = ?")
        params.append(market)
    sql = f"""
        SELECT * EXCLUDE (latest) FROM (
            SELECT *, date_diff('day', observed_on, ?::DATE) AS age_days,
                   max(observed_on) OVER (PARTITION BY provider, gpu_id, pricing_mode) AS latest
            FROM ({_PRICED}) WHERE {' AND '.join(where)})
        WHERE observed_on = latest ORDER BY gpu_id, pricing_mode, usd_per_gpu_hour, provider"""
    return query(sql, [day, *params], db_path=db_path)


def gpu_price_observations(gpu: str, pricing_mode: str, as_of: dt.date | str | None = None, *,
                           db_path: Path | None = None) -> pl.DataFrame:
    """Every observation of a GPU's price in one pricing mode up to ``as_of``, with the provider's market segment."""
    where, params = _gpu_price_filters(gpu, None, pricing_mode, db_path)
    where.append("observed_on <= ?")
    params.append(as_of_day(as_of))
    return query(f"SELECT provider, usd_per_gpu_hour, observed_on, market_segment, source_id, instance_type "
                 f"FROM ({_PRICED}) WHERE {' AND '.join(where)} ORDER BY observed_on, provider", params, db_path=db_path)


@store.cached
def gpu_purchase_prices(*, db_path: Path | None = None) -> pl.DataFrame:
    """Each GPU's latest street purchase price [USD/GPU] with its source (one row per GPU)."""
    return query("SELECT gpu_id, usd_per_gpu, source_id, observed_on FROM gpu_purchase_prices QUALIFY row_number() OVER "
                 "(PARTITION BY gpu_id ORDER BY observed_on DESC, source_id) = 1 ORDER BY gpu_id", db_path=db_path)


def all_gpu_price_observations(as_of: dt.date | str | None = None, *, db_path: Path | None = None) -> pl.DataFrame:
    """Every GPU price observation up to ``as_of``, all GPUs and pricing modes, with the provider's market segment (one
    query, for the planner's price table)."""
    return query(f"SELECT gpu_id, pricing_mode, provider, usd_per_gpu_hour, observed_on, market_segment, source_id "
                 f"FROM ({_PRICED}) WHERE observed_on <= ? ORDER BY gpu_id, pricing_mode, observed_on, provider",
                 [as_of_day(as_of)], db_path=db_path)


_DATED = "(effective_from IS NOT NULL OR effective_until IS NOT NULL)"
"""SQL: an api_prices row from a dated record (a start, or an end because a dated change replaced it)."""


def _api_price_periods(where: list[str]) -> str:
    """SQL of api_prices rows with price_start, dated and whether the endpoint has dated rows at all.

    An undated row (a package's current list, genai-prices) has an unknown start: it applies only
    to an endpoint that has no dated row, at any date, and is never drawn as a price change.
    """
    return f"""
        SELECT *, {_DATED} AS dated, coalesce(effective_from, DATE '0001-01-01') AS price_start,
               bool_or({_DATED}) OVER (PARTITION BY provider, provider_model_id, service_tier) AS endpoint_dated
        FROM api_prices {('WHERE ' + ' AND '.join(where)) if where else ''}"""


def api_prices(
    as_of: dt.date | str | None = None,
    *,
    provider: str | None = None,
    provider_model_id: str | None = None,
    model: str | None = None,
    source_group: str | None = None,
    by_source_group: bool = False,
    db_path: Path | None = None,
) -> pl.DataFrame:
    """API prices in force on ``as_of`` (default today) [USD per million tokens].

    ``source_group`` keeps only the rows of one of ``API_SOURCE_GROUPS``; ``by_source_group`` returns the prices in
    force within each group instead (a ``source_group`` column, null for rows of no group), as if queried group by group.

    An endpoint (provider, provider_model_id) with dated price periods (from a provider's own
    dated announcements, or a package's dated changes) is priced from those only: a period
    applies from ``effective_from`` (empty: since before the record begins) until
    ``effective_until``; after the last period ends the endpoint has no price (retired). An
    endpoint with only undated rows (``dated`` false: effective from unknown) is priced by them
    at any date. For each provider, model, tier and time window the period that started last
    is returned. ``model`` is a project model id or alias, resolved through api_model_aliases.
    """
    day = as_of_day(as_of)
    where, params = _api_price_filters(provider, provider_model_id, model, db_path)
    outer = ["(dated OR NOT endpoint_dated)", "price_start <= ?", "(effective_until IS NULL OR ? < effective_until)"]
    outer_params = [day, day]
    if source_group:
        if source_group not in API_SOURCE_GROUPS:
            raise UnknownIdError("API price source group", source_group, list(API_SOURCE_GROUPS))
        outer.append(f"({API_SOURCE_GROUPS[source_group]})")
    group = ("CASE " + " ".join(f"WHEN {rule} THEN '{name}'" for name, rule in API_SOURCE_GROUPS.items()) + " END"
             if by_source_group else "NULL")
    sql = f"""
        SELECT a.model_id, p.* EXCLUDE (rn, endpoint_dated{'' if by_source_group else ', source_group'}) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY provider, provider_model_id, context_tier_start_tokens, time_window_utc, service_tier, source_group
                ORDER BY price_start DESC, observed_on DESC, price_period DESC) AS rn
            FROM (SELECT *, {group} AS source_group FROM ({_api_price_periods(where)})) WHERE {' AND '.join(outer)}) p
        LEFT JOIN api_model_aliases a USING (provider, provider_model_id)
        WHERE rn = 1 ORDER BY provider, provider_model_id, service_tier, context_tier_start_tokens, time_window_utc"""
    return query(sql, params + outer_params, db_path=db_path)


def first_source_group(prices: pl.DataFrame) -> pl.DataFrame:
    """Of prices queried ``by_source_group``, the rows of the first group (``API_SOURCE_GROUPS`` order, then rows of no
    group) that has a standard-tier price for the endpoint; the others dropped."""
    for name in (*API_SOURCE_GROUPS, None):
        rows = prices.filter(pl.col("source_group").is_null() if name is None else pl.col("source_group") == name)
        if rows.filter(pl.col("service_tier") == "standard").height:
            return rows
    return prices.clear()


def gpu_price_history(gpu: str, *, pricing_mode: str | None = None, provider: str | None = None,
                      db_path: Path | None = None) -> pl.DataFrame:
    """Every observation of a GPU's rental price, oldest first [USD per GPU-hour]."""
    where, params = _gpu_price_filters(gpu, provider, pricing_mode, db_path)
    return query(f"SELECT observed_on, provider, market_segment, pricing_mode, region, gpus_per_instance, instance_type, "
                 f"usd_per_gpu_hour, source_id FROM ({_PRICED}) WHERE {' AND '.join(where)} ORDER BY observed_on, provider, usd_per_gpu_hour",
                 params, db_path=db_path)


def api_price_history(*, provider: str | None = None, provider_model_id: str | None = None, model: str | None = None,
                      db_path: Path | None = None) -> pl.DataFrame:
    """Every dated API price period of a model, by the day it started [USD/Mtok].

    Undated rows (effective from unknown) are left out: they are a package's current list, not a
    change on a date.
    """
    where, params = _api_price_filters(provider, provider_model_id, model, db_path)
    where += ["context_tier_start_tokens = 0", "service_tier = 'standard'"]
    frame = query(f"SELECT price_start, effective_until, provider, provider_model_id, time_window_utc, "
                  f"input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, source_id "
                  f"FROM ({_api_price_periods(where)}) WHERE effective_from IS NOT NULL "
                  f"ORDER BY provider, provider_model_id, price_start", params, db_path=db_path)
    return frame


MIN_TREND_DAYS = 180
"""Shortest span of dated prices a yearly trend is fitted over [day]: a few weeks of a router's price moves, annualised,
would say prices rise or fall a thousandfold a year."""


def yearly_change_in_force(history: pl.DataFrame, today: dt.date,
                           value: str = "output_usd_per_mtok") -> tuple[float | None, dt.date | None]:
    """Compound yearly change of one endpoint's price from its first dated price to the price in force at the end: on
    ``today`` while the last price still runs (a price unchanged for two years is a slower fall than its one cut
    annualised over the months between the cuts), else on the day it ended [fraction/year, date]; (None, None) over
    fewer than ``MIN_TREND_DAYS``. The one definition of a price trend: the horizon, ``prices history`` and the
    price-history report all use it."""
    rows = history.drop_nulls([value, "price_start"]).sort("price_start")
    if rows.height < 2:
        return None, None
    last = rows.row(-1, named=True)
    until = min(last.get("effective_until") or today, today)
    days = (until - rows["price_start"][0]).days
    first, end = rows[value][0], last[value]
    if days < MIN_TREND_DAYS or first <= 0 or end <= 0:
        return None, None
    return (end / first) ** (365.25 / days) - 1, until


def endpoint_trends(history: pl.DataFrame, today: dt.date | None = None) -> dict[tuple[str, str], float]:
    """(provider, provider_model_id) -> yearly change of its standard-window output price in force
    (``yearly_change_in_force``), for each endpoint of an API price history that has a trend."""
    today = today or dt.date.today()
    standard = history.filter(pl.col("time_window_utc").is_in(store.STANDARD_PRICE_WINDOWS))
    out = {}
    for (provider, model_id), group in standard.group_by("provider", "provider_model_id", maintain_order=True):
        change = yearly_change_in_force(group, today)[0]
        if change is not None:
            out[(provider, model_id)] = change
    return out


def api_output_trend(history: pl.DataFrame, today: dt.date | None = None) -> float | None:
    """Median yearly change of the output price over the endpoints of an API price history (``endpoint_trends``),
    None when no endpoint has a trend [fraction/year]: one endpoint's own trend when the history holds one."""
    return median_trend(endpoint_trends(history, today))


def median_trend(trends: dict[tuple[str, str], float]) -> float | None:
    """Median of endpoint trends (``endpoint_trends``), None for none [fraction/year]."""
    return float(pl.Series(list(trends.values())).median()) if trends else None
