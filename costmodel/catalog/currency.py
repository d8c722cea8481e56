"""Other currencies: every figure is computed in US dollars and converted at the sourced monthly rate in force.

``rate('EUR', '2026-03-15')`` is the store's rate for March 2026 (exchange_rates: monthly averages of a
central bank's daily reference rates), or the newest month before the date when the month is not
published yet, saying how old it is. A date before the first rate, or a currency without rates, is
refused in one sentence naming what the store has.

``convert_record`` and ``convert_frame`` turn machine output into the currency: every number whose
name carries ``usd`` is multiplied by the rate and the name says the currency (``usd_per_month`` ->
``eur_per_month``); ``convert_frame(..., date_column=...)`` converts each row at the rate of its own
month (price histories). People's output converts at display through ``formatting.in_currency``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import store
from costmodel.errors import CostmodelError

STALE_AFTER_DAYS = 62
"""A rate whose month started more than this many days before the date is used but flagged [day]."""
_USD = re.compile(r"(?<![a-z])usd(?![a-z])")


def is_money(name: str) -> bool:
    """True for a machine name whose numbers are US dollars (usd_per_month, api_usd_per_mtok); the fx_ columns that
    describe a conversion (fx_units_per_usd) are not amounts. The rule of ``formatting.money_code``."""
    from costmodel.formatting import money_code

    return money_code(name) == "USD"


@dataclasses.dataclass(frozen=True)
class Rate:
    """Units of ``currency`` per US dollar in force on ``on``, and where the figure comes from."""

    currency: str
    on: dt.date
    month: dt.date | None  # the month whose rate applies (None: USD itself)
    units_per_usd: float
    rate_kind: str
    source_id: str

    @property
    def age_days(self) -> int:
        return 0 if self.month is None else (self.on - self.month).days

    def describe(self) -> str:
        """One line for people: the rate, its month, kind and source, and a caveat when it is old."""
        if self.currency == "USD":
            return "US dollars (no conversion)"
        text = (f"converted at {self.units_per_usd:,.4f} {self.currency} per USD, the {self.rate_kind.replace('-', ' ')} of "
                f"{self.month:%Y-%m} ({self.source_id})")
        if self.age_days > STALE_AFTER_DAYS:
            text += f"; CAVEAT: the newest rate in the store is from {self.month:%Y-%m}, {self.age_days} days before {self.on}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.currency, "units_per_usd": self.units_per_usd, "month": self.month, "rate_kind": self.rate_kind,
                "source_id": self.source_id, "on": self.on, "age_days": self.age_days}


def currencies(*, db_path: Path | None = None) -> list[str]:
    """Currency codes the store has rates for, USD first."""
    return ["USD", *store.query("SELECT DISTINCT currency FROM exchange_rates ORDER BY 1", db_path=db_path)["currency"].to_list()]


def check_currency(code: str, *, db_path: Path | None = None) -> str:
    """An ISO code the store has rates for (case-insensitive), upper-cased; else one sentence naming the accepted ones."""
    known = currencies(db_path=db_path)
    if not isinstance(code, str) or code.strip().upper() not in known:
        raise CostmodelError(f"currency {code!r} has no exchange rate in the store; accepted: {', '.join(known)}")
    return code.strip().upper()


def rate(code: str, on: dt.date | str | None = None, *, db_path: Path | None = None) -> Rate:
    """The rate in force on ``on`` (default today): its month's, else the newest month before it."""
    code = check_currency(code, db_path=db_path)
    day = dt.date.fromisoformat(on) if isinstance(on, str) else (on or dt.date.today())
    if code == "USD":
        return Rate("USD", day, None, 1.0, "identity", "")
    rows = store.query("SELECT month, units_per_usd, rate_kind, source_id FROM exchange_rates WHERE currency = ? AND month <= ? "
                       "ORDER BY month DESC, source_id LIMIT 1", [code, day], db_path=db_path)
    if rows.height == 0:
        span = store.query("SELECT min(month) AS first, max(month) AS last FROM exchange_rates WHERE currency = ?", [code],
                           db_path=db_path).row(0)
        raise CostmodelError(f"no {code} rate on or before {day}: the store's {code} rates run from {span[0]:%Y-%m} to "
                             f"{span[1]:%Y-%m}; give a date in that range")
    r = rows.row(0, named=True)
    return Rate(code, day, r["month"], float(r["units_per_usd"]), r["rate_kind"], r["source_id"])


def rename(name: str, code: str) -> str:
    """A machine name in the currency: usd_per_month -> eur_per_month (names without usd unchanged)."""
    return _USD.sub(code.lower(), name) if code != "USD" else name


def convert_record(record: Any, r: Rate) -> Any:
    """A JSON-like result in the currency: numbers under names carrying usd multiplied by the rate, names renamed."""
    if r.currency == "USD":
        return record
    if isinstance(record, list):
        return [convert_record(v, r) for v in record]
    if not isinstance(record, dict):
        return record
    out = {}
    for key, value in record.items():
        money = isinstance(key, str) and is_money(key)
        if money and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[rename(key, r.currency)] = value * r.units_per_usd
        elif money and isinstance(value, list) and all(isinstance(v, (int, float)) or v is None for v in value):
            out[rename(key, r.currency)] = [None if v is None else v * r.units_per_usd for v in value]
        else:
            out[rename(key, r.currency) if money else key] = convert_record(value, r)
    return out


def convert_frame(frame: pl.DataFrame, code: str, *, on: dt.date | str | None = None, date_column: str | None = None,
                  db_path: Path | None = None) -> pl.DataFrame:
    """A frame in the currency: numeric columns whose names carry usd multiplied by the rate and renamed. With
    ``date_column`` each row converts at the rate of its own month (and gains fx_month and fx_units_per_usd columns);
    else every row at the rate in force on ``on``."""
    code = check_currency(code, db_path=db_path)
    money = [c for c in frame.columns if is_money(c) and frame[c].dtype.is_numeric()]
    if code == "USD" or not money:
        return frame
    if date_column is None:
        r = rate(code, on, db_path=db_path)
        return frame.with_columns((pl.col(c) * r.units_per_usd).alias(c) for c in money).rename(
            {c: rename(c, code) for c in money})
    rates = store.query("SELECT month AS fx_month, units_per_usd AS fx_units_per_usd FROM exchange_rates WHERE currency = ? "
                        "ORDER BY month", [code], db_path=db_path)
    first = rates["fx_month"].min()
    too_early = frame.filter(pl.col(date_column) < first)
    if too_early.height:
        raise CostmodelError(f"no {code} rate for {too_early[date_column].min()}: the store's {code} rates start in "
                             f"{first:%Y-%m}; convert from {first} on, or leave the figures in USD")
    keyed = frame.with_columns(pl.col(date_column).cast(pl.Date).dt.truncate("1mo").alias("_month")).with_row_index("_row")
    joined = keyed.sort("_month").join_asof(rates, left_on="_month", right_on="fx_month", strategy="backward").sort("_row")
    return joined.with_columns((pl.col(c) * pl.col("fx_units_per_usd")).alias(c) for c in money).rename(
        {c: rename(c, code) for c in money}).drop("_row", "_month")
