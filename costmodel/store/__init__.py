"""The DuckDB store: schema, atomic build from the sourced CSVs, and queries returning polars.

Only this module talks to DuckDB. The schema lives in ``schema.sql``; every rule a data file
must follow (types, NOT NULL, CHECK, primary and foreign keys) is read from it, so a rule is
written once. A build writes a new database file next to the old one, validates it, and
renames it over the old one: a reader never sees a half-built store and a failed build leaves
the old file byte-identical.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import inspect
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from costmodel.store import paths as _paths
from costmodel.errors import CostmodelError, DataError, StoreError, UnknownIdError

STALE_AFTER_DAYS = 180
"""Rows observed more than this many days before today are flagged as stale by ``info``."""

USER_PRICES_PREFIX = "user-prices"
"""source_id prefix of a user's negotiated prices (costmodel import prices-csv)."""
LITELLM_SOURCE_PREFIX = "litellm"
"""source_id prefix of prices imported from LiteLLM's price map."""
STANDARD_PRICE_WINDOWS = ("all-day", "00:30-16:30")
"""Time windows that carry a provider's standard (undiscounted) API price: all day, or
DeepSeek's daytime window; the others are off-peak discounts. Price trends compare these."""
API_SOURCE_GROUPS = {
    "negotiated": f"starts_with(source_id, '{USER_PRICES_PREFIX}')",
    "provider-dated": (f"NOT starts_with(source_id, '{USER_PRICES_PREFIX}') AND NOT starts_with(source_id, 'genai-prices') "
                       f"AND NOT starts_with(source_id, '{LITELLM_SOURCE_PREFIX}') AND effective_from IS NOT NULL"),
    "genai-prices": "starts_with(source_id, 'genai-prices')",
}
"""Groups of API price sources, in the order a price query prefers them: a user's negotiated
prices; price periods dated from a provider's own page (data/api_prices.csv); the pinned
genai-prices package (undated rows: a dated period beats them). Anything else comes last."""
SOURCED_GENAI_PRICES_VERSION = "0.2.3"
"""The genai-prices release whose row in data/sources.csv dates its observation (the one make venv installs)."""


def _installed_genai_prices() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genai-prices")
    except PackageNotFoundError:  # the build then fails with the import's own message
        return SOURCED_GENAI_PRICES_VERSION


GENAI_PRICES_VERSION = _installed_genai_prices()
"""The installed genai-prices release (pyproject.toml accepts a range): the store loads its bundled prices."""
GENAI_PRICES_SOURCE_ID = f"genai-prices-{GENAI_PRICES_VERSION}"
"""Source id of the installed genai-prices release; its row in sources.csv (or, for a release newer than
the sourced one, the row the build adds, dated the build day) dates the observation."""

API_PRICES_TABLE = "api_prices"

EXTRA_REFERENCES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    # Composite references the DDL cannot declare (the target columns are not unique).
    "api_model_aliases": [(("provider", "provider_model_id"), API_PRICES_TABLE)],
    "throughput_measured": [(("engine_id", "engine_version"), "engine_versions")],
}

MIN_ROWS: dict[str, int] = {
    # A build that loads fewer rows than this is refused: a truncated file must not pass.
    "sources": 1,
    "models": 30,
    "gpus": 14,
    "gpu_prices": 60,
    "throughput_measured": 300,
    "precision_support": 30,
    "engine_versions": 5,
    "api_prices": 1000,
}


# ---------------------------------------------------------------------------------------------
# Schema introspection


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a store table as the DDL declares it."""

    name: str
    data_type: str
    not_null: bool
    default: str | None = None  # the DDL's DEFAULT (a literal): a file without the column gets it


@dataclasses.dataclass(frozen=True)
class TableRules:
    """Everything the loader checks for one table, read from the DDL."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    checks: tuple[tuple[str, tuple[str, ...]], ...]  # (expression, columns)
    foreign_keys: tuple[tuple[str, str, str], ...]  # (column, referenced table, referenced column)


def schema_sql() -> str:
    """The DDL text."""
    return _paths.SCHEMA_PATH.read_text(encoding="utf-8")


def table_order() -> list[str]:
    """Tables in load order (the order of CREATE TABLE in the DDL)."""
    return re.findall(r"CREATE TABLE (\w+)", schema_sql())


def table_rules(con: duckdb.DuckDBPyConnection, table: str) -> TableRules:
    return all_table_rules(con, table)[table]


def all_table_rules(con: duckdb.DuckDBPyConnection, table: str | None = None) -> dict[str, TableRules]:
    """The rules of every table (or of one), read from the catalog in two queries (not two per table)."""
    where, params = ("WHERE table_name = ?", [table]) if table else ("", [])
    cols = con.execute(
        "SELECT table_name, column_name, data_type, NOT is_nullable, column_default FROM duckdb_columns() "
        f"{where or 'WHERE'} {'AND' if where else ''} NOT internal ORDER BY table_name, column_index",
        params,
    ).fetchall()
    cons = con.execute(
        "SELECT table_name, constraint_type, expression, constraint_column_names, referenced_table, "
        f"referenced_column_names FROM duckdb_constraints() {where} ORDER BY table_name, constraint_index",
        params,
    ).fetchall()
    columns: dict[str, list[Column]] = {}
    for name, col, data_type, nn, default in cols:
        columns.setdefault(name, []).append(Column(col, data_type, bool(nn), None if default is None else str(default).strip("'")))
    pk: dict[str, tuple[str, ...]] = {}
    checks: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    fks: dict[str, list[tuple[str, str, str]]] = {}
    for name, ctype, expr, ccols, rtable, rcols in cons:
        if ctype == "PRIMARY KEY":
            pk[name] = tuple(ccols)
        elif ctype == "CHECK":
            checks.setdefault(name, []).append((expr, tuple(ccols)))
        elif ctype == "FOREIGN KEY":
            fks.setdefault(name, []).extend((c, rtable, r) for c, r in zip(ccols, rcols))
    return {
        name: TableRules(name=name, columns=tuple(c), primary_key=pk.get(name, ()), checks=tuple(checks.get(name, ())),
                         foreign_keys=tuple(fks.get(name, ())))
        for name, c in columns.items()
    }


# ---------------------------------------------------------------------------------------------
# Parsing one field


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DOUBLE": pl.Float64(),
    "INTEGER": pl.Int64(),
    "BIGINT": pl.Int64(),
    "DATE": pl.Date(),
    "BOOLEAN": pl.Boolean(),
}
_ACCEPTED = {
    "DOUBLE": "a number such as 2.49",
    "INTEGER": "a whole number such as 8",
    "BIGINT": "a whole number such as 8",
    "DATE": "an ISO date such as 2026-09-25",
    "BOOLEAN": "true or false",
}


def _parse(raw: str, data_type: str) -> Any:
    """Parse one CSV field to the Python value of a DuckDB type; raise ValueError if it is not one."""
    if data_type == "VARCHAR":
        return raw
    if data_type == "DOUBLE":
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError("not finite")
        return value
    if data_type in ("INTEGER", "BIGINT"):
        value = float(raw)
        if not value.is_integer():
            raise ValueError("not whole")
        return int(value)
    if data_type == "DATE":
        return dt.date.fromisoformat(raw)
    if data_type == "BOOLEAN":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("not a boolean")
    raise StoreError(f"schema uses type {data_type}, which the loader does not know")


def closest(value: str, known: Sequence[str], n: int = 5) -> list[str]:
    """Known ids closest to ``value``: substring matches first, then by edit similarity."""
    low = value.lower()
    stem = low[: max(3, len(low) - 2)]
    hits = [k for k in known if low and (low in k.lower() or k.lower() in low or k.lower().startswith(stem))]
    hits.sort(key=lambda k: (-difflib.SequenceMatcher(None, low, k.lower()).ratio(), k))
    for k in difflib.get_close_matches(low, list(known), n=n, cutoff=0.4):
        if k not in hits:
            hits.append(k)
    return hits[:n]


# ---------------------------------------------------------------------------------------------
# Loading records into a table, with every rule checked before anything is inserted


@dataclasses.dataclass
class Records:
    """Rows to load into a table: a header, the rows, and where each row came from."""

    label: str  # file path or package name, for messages
    header: list[str]
    rows: list[list[str | None]]
    lines: list[int]


def read_csv_records(path: Path) -> Records:
    """Read a CSV file as text records, keeping each record's line number."""
    label = str(path)
    if not path.is_file():
        raise DataError(label, None, None, "file not found")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, strict=True)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise DataError(label, 1, None, "file is empty; expected a header row") from None
            rows: list[list[str | None]] = []
            lines: list[int] = []
            start = reader.line_num + 1
            for record in reader:
                if not any(cell.strip() for cell in record):
                    start = reader.line_num + 1
                    continue
                rows.append([cell.strip() or None for cell in record])
                lines.append(start)
                start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(label, reader.line_num, None, f"malformed CSV ({exc})") from None
    except UnicodeDecodeError as exc:
        raise DataError(label, None, None, f"not UTF-8 text ({exc.reason})") from None
    return Records(label, header, rows, lines)


def typed_frame(rules: TableRules, records: Records) -> pl.DataFrame:
    """Check the header and every field's type and NOT NULL; return a typed frame with _line."""
    names = [c.name for c in rules.columns]
    defaults = {c.name: c.default for c in rules.columns if c.default is not None}
    missing = [n for n in names if n not in records.header and n not in defaults]
    if missing:
        raise DataError(
            records.label, 1, missing[0],
            f"missing column; table {rules.name} needs the columns: {', '.join(names)}",
        )
    unknown = [h for h in records.header if h not in names]
    if unknown:
        raise DataError(
            records.label, 1, unknown[0],
            f"unknown column; table {rules.name} accepts only: {', '.join(names)}",
        )
    dupes = sorted({h for h in records.header if records.header.count(h) > 1})
    if dupes:
        raise DataError(records.label, 1, dupes[0], "column appears twice in the header")
    index = {h: i for i, h in enumerate(records.header)}
    data: dict[str, list[Any]] | None = _typed_columns(rules, records, index, defaults)
    if data is not None:  # every field parsed column by column; else the row-by-row pass names the first bad one
        return _frame(rules, data, records)
    data = {c.name: [] for c in rules.columns}
    for row, line in zip(records.rows, records.lines):
        if len(row) != len(records.header):
            raise DataError(
                records.label, line, None,
                f"has {len(row)} fields, the header has {len(records.header)} (a stray comma or a truncated line?)",
            )
        for col in rules.columns:
            raw = row[index[col.name]] if col.name in index else defaults[col.name]
            if raw is None:
                if col.not_null:
                    raise DataError(records.label, line, col.name, "is empty but required")
                data[col.name].append(None)
                continue
            try:
                data[col.name].append(_parse(raw, col.data_type))
            except (ValueError, OverflowError):
                raise DataError(
                    records.label, line, col.name,
                    f"{raw!r} is not {_ACCEPTED.get(col.data_type, col.data_type)}",
                ) from None
    return _frame(rules, data, records)


def _frame(rules: TableRules, data: dict[str, list[Any]], records: Records) -> pl.DataFrame:
    schema = {c.name: _POLARS_TYPES[c.data_type] for c in rules.columns}
    frame = pl.DataFrame(data, schema=schema)
    return frame.with_columns(pl.Series("_line", records.lines, dtype=pl.Int64))


def _whole(raw: str) -> int:
    value = float(raw)
    if not value.is_integer():
        raise ValueError("not whole")
    return int(value)


_BOOLEANS = {**{t: True for t in _TRUE}, **{f: False for f in _FALSE}}


def _parse_column(values: list[str | None], data_type: str) -> list[Any]:
    """A whole column through the rules of ``_parse`` (same results); raises on the first field that is not one."""
    if data_type == "VARCHAR":
        return values
    if data_type == "DOUBLE":
        out = [None if v is None else float(v) for v in values]
        if not all(math.isfinite(v) for v in out if v is not None):
            raise ValueError("not finite")
        return out
    if data_type in ("INTEGER", "BIGINT"):
        return [None if v is None else _whole(v) for v in values]
    if data_type == "DATE":
        return [None if v is None else dt.date.fromisoformat(v) for v in values]
    if data_type == "BOOLEAN":
        return [None if v is None else _BOOLEANS[v.lower()] for v in values]
    raise KeyError(data_type)  # a type the loader does not know: the row-by-row pass says so


def _typed_columns(rules: TableRules, records: Records, index: dict[str, int],
                   defaults: dict[str, str]) -> dict[str, list[Any]] | None:
    """The typed columns of records whose every field is valid, or None when one is not (or a row is ragged)."""
    width = len(records.header)
    if any(len(row) != width for row in records.rows):
        return None
    data: dict[str, list[Any]] = {}
    for col in rules.columns:
        i = index.get(col.name)
        values = [row[i] for row in records.rows] if i is not None else [defaults[col.name]] * len(records.rows)
        if col.not_null and None in values:
            return None
        try:
            data[col.name] = _parse_column(values, col.data_type)
        except (ValueError, OverflowError, KeyError, TypeError):
            return None
    return data


def _one(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """First row of a result, reading it to the end (DuckDB 2 refuses other work on an unfinished result)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _first_violation(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    return _one(con.execute(sql))


FUTURE_FREE_COLUMNS = ("observed_on", "retrieved_on", "fitted_on")
"""Date columns that record when something was seen: never after today (a prices' effective_from may be)."""


def _any_violation(con: duckdb.DuckDBPyConnection, rules: TableRules) -> bool:
    """Whether the staged rows (table _staging) break any rule ``_check_frame`` checks: every rule in one query."""
    tests = [f"bool_or({c.name} > current_date + 1)" for c in rules.columns if c.name in FUTURE_FREE_COLUMNS]
    tests += [f"bool_or(NOT coalesce(({expr}), true))" for expr, _ in rules.checks]
    if rules.primary_key:
        key = ", ".join(rules.primary_key)
        tests.append(f"EXISTS (SELECT 1 FROM _staging GROUP BY {key} HAVING count(*) > 1)")
        tests.append(f"EXISTS (SELECT 1 FROM _staging s JOIN {rules.name} t USING ({key}))")
    tests += [f"bool_or({col} IS NOT NULL AND {col} NOT IN (SELECT {rcol} FROM {rtable}))"
              for col, rtable, rcol in rules.foreign_keys]
    for cols, rtable in EXTRA_REFERENCES.get(rules.name, []):
        joined = " AND ".join(f"s.{c} = r.{c}" for c in cols)
        tests.append(f"EXISTS (SELECT 1 FROM _staging s WHERE NOT EXISTS (SELECT 1 FROM {rtable} r WHERE {joined}))")
    if not tests:
        return False
    row = _one(con.execute(f"SELECT {' OR '.join(f'coalesce({t}, false)' for t in tests)} FROM _staging"))
    return bool(row and row[0])


def _check_frame(con: duckdb.DuckDBPyConnection, rules: TableRules, label: str) -> None:
    """Check CHECK constraints, keys and references of the staged rows (table _staging)."""
    if not _any_violation(con, rules):
        return  # the usual case, in one query; otherwise rule by rule below, to name the first broken row
    future = [c.name for c in rules.columns if c.name in FUTURE_FREE_COLUMNS]
    for col in future:
        hit = _first_violation(con, f"SELECT _line, {col} FROM _staging WHERE {col} > current_date + 1 ORDER BY _line LIMIT 1")
        if hit:
            raise DataError(label, hit[0], col, f"{hit[1]} is in the future (today is {dt.date.today()}): an observation "
                                                 "is dated the day it was made, on or before today")
    for expr, cols in rules.checks:
        cols = tuple(dict.fromkeys(cols))
        hit = _first_violation(
            con, f"SELECT _line, {', '.join(cols)} FROM _staging WHERE NOT coalesce(({expr}), true) ORDER BY _line LIMIT 1"
        )
        if hit:
            values = ", ".join(f"{c}={v!r}" for c, v in zip(cols, hit[1:]))
            field = cols[0] if len(cols) == 1 else ", ".join(cols)
            raise DataError(label, hit[0], field, f"{values} breaks the rule CHECK {expr}")
    if rules.primary_key:
        key = ", ".join(rules.primary_key)
        hit = _first_violation(
            con,
            f"SELECT max(_line), min(_line), {key} FROM _staging GROUP BY {key} HAVING count(*) > 1 ORDER BY 1 LIMIT 1",
        )
        if hit:
            values = ", ".join(f"{c}={v!r}" for c, v in zip(rules.primary_key, hit[2:]))
            raise DataError(label, hit[0], key, f"duplicate key ({values}), first on line {hit[1]}")
        hit = _first_violation(
            con,
            f"SELECT s._line, {', '.join('s.' + c for c in rules.primary_key)} FROM _staging s "
            f"JOIN {rules.name} t USING ({key}) ORDER BY 1 LIMIT 1",
        )
        if hit:
            values = ", ".join(f"{c}={v!r}" for c, v in zip(rules.primary_key, hit[1:]))
            raise DataError(label, hit[0], key, f"duplicate key ({values}): already in table {rules.name}")
    for col, rtable, rcol in rules.foreign_keys:
        hit = _first_violation(
            con,
            f"SELECT _line, {col} FROM _staging WHERE {col} IS NOT NULL "
            f"AND {col} NOT IN (SELECT {rcol} FROM {rtable}) ORDER BY _line LIMIT 1",
        )
        if hit:
            known = [r[0] for r in con.execute(f"SELECT {rcol} FROM {rtable} ORDER BY 1").fetchall()]
            kind = rcol.removesuffix("_id")
            err = UnknownIdError(kind, hit[1], closest(hit[1], known))
            raise DataError(label, hit[0], col, f"{err} (must be a {rtable}.{rcol})")
    for cols, rtable in EXTRA_REFERENCES.get(rules.name, []):
        joined = " AND ".join(f"s.{c} = r.{c}" for c in cols)
        hit = _first_violation(
            con,
            f"SELECT s._line, {', '.join('s.' + c for c in cols)} FROM _staging s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {rtable} r WHERE {joined}) ORDER BY 1 LIMIT 1",
        )
        if hit:
            values = ", ".join(f"{c}={v!r}" for c, v in zip(cols, hit[1:]))
            known = [
                "/".join(r)
                for r in con.execute(f"SELECT DISTINCT {', '.join(cols)} FROM {rtable}").fetchall()
            ]
            near = closest("/".join(str(v) for v in hit[1:]), known)
            raise DataError(
                label, hit[0], ", ".join(cols),
                f"({values}) is not in table {rtable}; closest known: {', '.join(near) or 'none'}",
            )


def load_records(con: duckdb.DuckDBPyConnection, table: str, records: Records, *, rules: TableRules | None = None) -> int:
    """Validate records against every rule of ``table`` and insert them; all or nothing.

    Returns the number of rows inserted. Raises DataError naming file, line and field.
    ``rules``: the table's rules when the caller has read them already (a build reads all tables' at once).
    """
    rules = rules or table_rules(con, table)
    frame = typed_frame(rules, records)
    con.register("_staging", frame)  # the checks and the insert read the frame in place (no copy into a table)
    try:
        _check_frame(con, rules, records.label)
        names = ", ".join(c.name for c in rules.columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _staging ORDER BY _line")
    finally:
        con.unregister("_staging")
    return frame.height


def load_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, label: str, *,
               rules: TableRules | None = None) -> int:
    """Load a polars frame of text or typed values through the same checks as a CSV file."""
    header = list(frame.columns)
    rows = [[None if v is None else str(v) for v in row] for row in frame.iter_rows()]
    return load_records(con, table, Records(label, header, rows, list(range(1, frame.height + 1))), rules=rules)


# ---------------------------------------------------------------------------------------------
# API prices from the pinned genai-prices package


def _decimal(value: Any) -> float | None:
    return None if value is None else float(value)


def _tier_price(value: Any, start: int) -> float | None:
    """Price of a (possibly tiered) genai-prices field for prompts of at least ``start`` tokens."""
    if value is None or not hasattr(value, "tiers"):
        return _decimal(value)
    price = value.base
    for tier in sorted(value.tiers, key=lambda t: t.start):
        if tier.start <= start:
            price = tier.price
    return float(price)


def genai_price_frame(observed_on: dt.date) -> tuple[pl.DataFrame, int]:
    """API prices of the pinned genai-prices package as api_prices rows.

    One row per provider, model, price period (dated changes), time-of-day window and
    long-context tier. Free rows (input price 0) are skipped: the store holds prices > 0.
    Returns the frame and the number of free or text-less entries skipped.
    """
    from genai_prices import data_snapshot, types

    rows: list[dict[str, Any]] = []
    skipped = 0
    seen: set[tuple[Any, ...]] = set()
    for provider in data_snapshot.get_snapshot().providers:
        for model in provider.models:
            entries = (
                [(None, model.prices)] if isinstance(model.prices, types.ModelPrice)
                else [(c.constraint, c.prices) for c in model.prices]
            )
            has_windows = any(isinstance(c, types.TimeOfDateConstraint) for c, _ in entries)
            dated = sorted({c.start_date for c, _ in entries if isinstance(c, types.StartDateConstraint)})
            until = dict(zip([None, *dated], [*dated, None]))
            for constraint, price in entries:
                window, period, start_date = ("otherwise" if has_windows else "all-day"), 0, None
                if isinstance(constraint, types.TimeOfDateConstraint):
                    window = f"{constraint.start_time:%H:%M}-{constraint.end_time:%H:%M}"
                elif isinstance(constraint, types.StartDateConstraint):
                    start_date = constraint.start_date
                    period = dated.index(start_date) + 1
                fields = {k: getattr(price, k, None) for k in
                          ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")}
                starts = {0}
                for value in fields.values():
                    if value is not None and hasattr(value, "tiers"):
                        starts.update(t.start for t in value.tiers)
                for tier_start in sorted(starts):
                    values = {k: _tier_price(v, tier_start) for k, v in fields.items()}
                    if not values["input_mtok"]:
                        skipped += 1
                        continue
                    key = (provider.id, model.id, tier_start, window, period)
                    if key in seen:
                        skipped += 1
                        continue
                    seen.add(key)
                    rows.append({
                        "provider": provider.id,
                        "provider_model_id": model.id,
                        "context_tier_start_tokens": tier_start,
                        "time_window_utc": window,
                        "price_period": period,
                        "service_tier": "standard",
                        "effective_from": start_date,
                        "effective_until": until[start_date],
                        "input_usd_per_mtok": values["input_mtok"],
                        "output_usd_per_mtok": values["output_mtok"] or None,
                        "cached_input_usd_per_mtok": values["cache_read_mtok"] or None,
                        "cache_write_usd_per_mtok": values["cache_write_mtok"] or None,
                        "source_id": GENAI_PRICES_SOURCE_ID,
                        "observed_on": observed_on,
                        "note": model.name,
                    })
            variant_rows, variant_skipped = _genai_variant_rows(provider.id, model, entries, observed_on, types)
            rows += variant_rows
            skipped += variant_skipped
    return pl.DataFrame(rows), skipped


GENAI_SERVICE_TIERS = {("processing", "batch"): "batch", ("service_tier", "flex"): "flex",
                       ("service_tier", "priority"): "priority"}
"""genai-prices price variants (``when``) loaded as service tiers; others (fast, speed, route, search) are not priced here."""
PRICE_FIELDS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")


def _genai_variant_rows(provider_id: str, model: Any, entries: list[tuple[Any, Any]], observed_on: dt.date,
                        types: Any) -> tuple[list[dict[str, Any]], int]:
    """A model's batch, flex and priority variants as api_prices rows (a variant overrides only the fields it sets)."""
    base = next((price for c, price in entries if c is None), entries[-1][1])
    out, skipped, seen = [], 0, set()
    chosen: list[tuple[str, dt.date | None, Any]] = []
    for variant in getattr(model, "price_variants", None) or []:
        tier = next((GENAI_SERVICE_TIERS[item] for item in variant.when.items() if item in GENAI_SERVICE_TIERS), None)
        if tier is None or isinstance(variant.constraint, types.TimeOfDateConstraint):
            skipped += 1
            continue
        chosen.append((tier, variant.constraint.start_date if isinstance(variant.constraint, types.StartDateConstraint) else None,
                       variant))
    for tier, start_date, variant in chosen:
        dated = sorted({d for t, d, _ in chosen if t == tier and d is not None})
        period = dated.index(start_date) + 1 if start_date else 0
        later = [d for d in dated if start_date is None or d > start_date]
        until = later[0] if later else None
        fields = {k: (getattr(variant.prices, k, None) if getattr(variant.prices, k, None) is not None else getattr(base, k, None))
                  for k in PRICE_FIELDS}
        starts = {0} | {t.start for v in fields.values() if v is not None and hasattr(v, "tiers") for t in v.tiers}
        for tier_start in sorted(starts):
            values = {k: _tier_price(v, tier_start) for k, v in fields.items()}
            key = (tier, tier_start, period)
            if not values["input_mtok"] or key in seen:
                skipped += 1
                continue
            seen.add(key)
            out.append({
                "provider": provider_id, "provider_model_id": model.id, "context_tier_start_tokens": tier_start,
                "time_window_utc": "all-day", "price_period": period, "service_tier": tier, "effective_from": start_date,
                "effective_until": until, "input_usd_per_mtok": values["input_mtok"],
                "output_usd_per_mtok": values["output_mtok"] or None, "cached_input_usd_per_mtok": values["cache_read_mtok"] or None,
                "cache_write_usd_per_mtok": values["cache_write_mtok"] or None, "source_id": GENAI_PRICES_SOURCE_ID,
                "observed_on": observed_on, "note": f"{model.name}: {tier} ({', '.join(f'{k}={v}' for k, v in variant.when.items())})",
            })
    return out, skipped


# ---------------------------------------------------------------------------------------------
# Build


@dataclasses.dataclass
class BuildReport:
    """What a build loaded."""

    db_path: Path
    data_dir: Path
    rows_per_table: dict[str, int]
    skipped_api_prices: int
    input_sha256: str


def input_digest(data_dir: Path, imports: Path | None = None, pending: dict[Path, bytes] | None = None) -> str:
    """SHA-256 over the schema, every CSV in ``data_dir`` and the imports, and the pinned package versions.

    ``pending``: import files about to be put in place (final path -> content), digested as if present.
    """
    h = hashlib.sha256()
    h.update(schema_sql().encode())
    h.update(GENAI_PRICES_VERSION.encode())
    imports = imports if imports is not None else _paths.imports_dir()
    pending = pending or {}
    found = set(imports.glob("*/*.csv")) if imports.is_dir() else set()
    paths = sorted(data_dir.glob("*.csv")) + sorted(found | set(pending))
    for path in paths:
        h.update(path.name.encode())
        h.update(pending[path] if path in pending else path.read_bytes())
    return h.hexdigest()


LOCK_TIMEOUT_S = 900.0
"""How long a writer waits for another to finish with the store before giving up [s]."""
_LOCKS: dict[str, Any] = {}
"""One re-entrant file lock per store file in this process (a build inside an import reuses it)."""
LEFTOVER_PATTERNS = ("{name}.tmp-*", "{name}.import-*")
"""Temporary files a killed build or import leaves beside the store (with their .wal)."""


@contextmanager
def writer_lock(db_path: Path | None = None, *, timeout_s: float | None = None) -> Iterator[None]:
    """Hold the store's writer lock: builds and imports run one at a time, across processes.

    Waits for another writer (``LOCK_TIMEOUT_S``), then removes what killed writers left behind:
    temporary store files beside the store and half-written import files.
    """
    from filelock import FileLock, Timeout

    path = Path(db_path) if db_path else _paths.db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = FileLock(str(lock_path(path)))
    wait = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise StoreError(f"another costmodel process has been writing {path} for {wait:,.0f} s (lock file "
                         f"{lock_path(path)}); try again when it has finished") from None
    try:
        if lock.lock_counter == 1:
            remove_leftovers(path)
        yield
    finally:
        lock.release()


def lock_path(path: Path) -> Path:
    """The writer lock file of a store: in the user cache (so the store's folder holds only the store), named by its path."""
    name = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
    folder = _paths.user_cache_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"store-{name}.lock"


def remove_leftovers(path: Path, imports: Path | None = None) -> list[Path]:
    """Delete temporary files of killed writers (call with the writer lock held); returns what was removed."""
    removed = []
    for pattern in LEFTOVER_PATTERNS:
        for leftover in path.parent.glob(pattern.format(name=path.name)):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    folder = imports if imports is not None else _paths.imports_dir()
    if folder.is_dir():
        for leftover in folder.glob("*/*.partial"):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def import_files(table: str, imports: Path | None = None) -> list[Path]:
    """Imported observation files of a table, oldest first (names start with the import time)."""
    folder = (imports if imports is not None else _paths.imports_dir()) / table
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def _csv_for(table: str, data_dir: Path) -> Path:
    return data_dir / f"{table}.csv"


_BUILD_HOOKS: list[Callable[[str], None]] = []
"""Called with each table name before it is loaded; tests use it to inject a failure."""


def build(db_path: Path | None = None, data_dir: Path | None = None, *, progress: Callable[[str], None] | None = None,
          imports: Path | None = None) -> BuildReport:
    """Build the store from the CSVs in ``data_dir`` and genai-prices, atomically.

    Parameters
    ----------
    db_path : path of the store to write [file]; default ``costmodel.store.paths.db_path()``.
    data_dir : folder of the seed CSVs; default ``costmodel.store.paths.data_dir()``.
    progress : optional callable receiving one line of progress per table.

    The new store is written to a temporary file in the same folder, checked, and renamed over
    the old one; on any error the temporary file is removed and the old store is untouched.
    """
    db_path = check_store_path(Path(db_path) if db_path else _paths.db_path())
    data_dir = Path(data_dir) if data_dir else _paths.data_dir()
    if not data_dir.is_dir():
        raise StoreError(f"data folder {data_dir} does not exist; set {_paths.ENV_DATA_DIR} or run from a checkout")
    imports = Path(imports) if imports is not None else (data_dir / "imports" if data_dir != _paths.data_dir() else _paths.imports_dir())
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(db_path, exc) from None
    with writer_lock(db_path):
        return _build(db_path, data_dir, imports, progress)


def _build(db_path: Path, data_dir: Path, imports: Path, progress: Callable[[str], None] | None) -> BuildReport:
    tmp = db_path.with_name(f"{db_path.name}.tmp-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    skipped = 0
    digest = input_digest(data_dir, imports)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("BEGIN")  # one transaction: the schema's COMMENTs and each table's checks commit once, not each
            con.execute(schema_sql())
            rules = all_table_rules(con)
            for table in table_order():
                for hook in _BUILD_HOOKS:
                    hook(table)
                if table == "build_info":
                    continue
                if table == API_PRICES_TABLE:
                    observed = _one(con.execute(
                        "SELECT retrieved_on FROM sources WHERE source_id = ?", [GENAI_PRICES_SOURCE_ID]
                    ))
                    if observed is None and GENAI_PRICES_VERSION != SOURCED_GENAI_PRICES_VERSION:
                        observed = (dt.date.today(),)
                        con.execute("INSERT INTO sources VALUES (?, ?, ?, 'MIT', ?, ?)", [
                            GENAI_PRICES_SOURCE_ID, f"genai-prices {GENAI_PRICES_VERSION} (bundled API price data)",
                            f"https://pypi.org/project/genai-prices/{GENAI_PRICES_VERSION}/ (github.com/pydantic/genai-prices)",
                            observed[0], f"Installed release; data/sources.csv dates {SOURCED_GENAI_PRICES_VERSION}, "
                            "so observed_on of its rows is the day the store was built."])
                    if observed is None:
                        raise DataError(str(_csv_for("sources", data_dir)), None, "source_id",
                                        f"needs a row for {GENAI_PRICES_SOURCE_ID!r} (dates the API prices)")
                    frame, skipped = genai_price_frame(observed[0])
                    counts[table] = load_frame(con, table, frame, f"genai-prices {GENAI_PRICES_VERSION} (package data)",
                                               rules=rules[table])
                    extra = _csv_for(table, data_dir)
                    if extra.is_file():
                        counts[table] += load_records(con, table, read_csv_records(extra), rules=rules[table])
                else:
                    counts[table] = load_records(con, table, read_csv_records(_csv_for(table, data_dir)), rules=rules[table])
                for extra in import_files(table, imports):
                    counts[table] += load_records(con, table, read_csv_records(extra), rules=rules[table])
                if progress:
                    progress(f"{table}: {counts[table]} rows")
            for table, minimum in MIN_ROWS.items():
                if counts.get(table, 0) < minimum:
                    raise DataError(str(_csv_for(table, data_dir)), None, None,
                                    f"only {counts.get(table, 0)} rows loaded, at least {minimum} expected (truncated file?)")
            import genai_prices

            from costmodel.version import __version__

            con.executemany("INSERT INTO build_info VALUES (?, ?)", [
                ["costmodel_version", __version__],
                ["genai_prices_version", genai_prices.__version__],
                ["input_sha256", digest],
            ])
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        replace_store(tmp, db_path)
    except BaseException as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass  # a folder gone read-only: the next writer sweeps it (remove_leftovers)
        if isinstance(exc, duckdb.IOException) or (isinstance(exc, OSError) and _writing(exc, db_path)):
            raise _write_error(db_path, exc) from None
        raise
    return BuildReport(db_path, data_dir, counts, skipped, digest)


def _writing(exc: OSError, db_path: Path) -> bool:
    """True for an OSError of writing beside the store (read-only, full, no permission), not of reading an input."""
    import errno

    return exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM) and (
        exc.filename is None or Path(exc.filename).parent == db_path.parent)


def _write_error(db_path: Path, exc: BaseException) -> StoreError:
    """A read-only folder or a full disk while writing the store, in one line."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip().splitlines()[0]
    old = "the old store is unchanged" if db_path.is_file() else "no store was written"
    return StoreError(f"cannot write the store {db_path} ({reason}); {old}; free some space, or give a writable path "
                      "with --db or COSTMODEL_DB")


# ---------------------------------------------------------------------------------------------
# Reading


def _stored_digest(path: Path) -> str | None:
    release(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = _one(con.execute("SELECT value FROM build_info WHERE key = 'input_sha256'"))
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


_VERIFIED: dict[tuple[str, str], tuple[float, float]] = {}
"""Stores already checked against their inputs in this process: (store, data dir) -> (store mtime, newest CSV mtime)."""


def _stamp(path: Path, ddir: Path) -> tuple[float, float]:
    imports = _imports_for(ddir)
    files = list(ddir.glob("*.csv")) + (list(imports.glob("*/*.csv")) if imports.is_dir() else []) if ddir.is_dir() else []
    newest = max((p.stat().st_mtime for p in files), default=0.0)
    return (path.stat().st_mtime if path.is_file() else -1.0, newest)


def ensure_built(db_path: Path | None = None, data_dir: Path | None = None) -> Path:
    """Return the store path, building it first when it is missing or older than its inputs."""
    path = Path(db_path) if db_path else _paths.db_path()
    ddir = Path(data_dir) if data_dir else _paths.data_dir()
    key = (str(path), str(ddir))
    if _VERIFIED.get(key) == _stamp(path, ddir):
        return path
    _ensure_built(path, ddir)
    _VERIFIED[key] = _stamp(path, ddir)
    return path


def _imports_for(ddir: Path) -> Path:
    """Imports folder that goes with a data folder (its imports/ unless it is the default data folder)."""
    return ddir / "imports" if ddir != _paths.data_dir() else _paths.imports_dir()


def _ensure_built(path: Path, ddir: Path) -> None:
    if path.is_file() and (not ddir.is_dir() or _stored_digest(path) == input_digest(ddir, _imports_for(ddir))):
        return  # up to date: no lock needed to read
    with writer_lock(path):  # another process may be building it: wait, then look again
        _ensure_built_locked(path, ddir)


def _ensure_built_locked(path: Path, ddir: Path) -> None:
    if path.is_file():
        if not ddir.is_dir() or _stored_digest(path) == input_digest(ddir, _imports_for(ddir)):
            return
        print(f"costmodel: inputs changed since {path} was built; rebuilding", file=sys.stderr)
    else:
        print(f"costmodel: building the store at {path} (first use)", file=sys.stderr)
    build(path, ddir, imports=_imports_for(ddir))


_CONNECTIONS: dict[str, tuple[float, duckdb.DuckDBPyConnection]] = {}
"""Read-only connections kept open per store file in this process, reopened when the file changes."""


def release(path: Path) -> None:
    """Close this process's cached connection to a store file.

    DuckDB shares one database instance per file within a process, so while a cached connection
    is open a new connection would still see the file as it was before it was replaced.
    """
    cached = _CONNECTIONS.pop(str(Path(path).resolve()), None)
    if cached is not None:
        cached[1].close()


def replace_store(new: Path, path: Path) -> None:
    """Atomically put a freshly written store file in place of ``path``."""
    release(path)
    os.replace(new, path)


DUCKDB_MAGIC = b"DUCK"
"""Bytes 8-11 of every DuckDB database file."""


def check_store_path(path: Path) -> Path:
    """A store path that is a DuckDB file or does not exist yet; a folder or another kind of file is refused in one line."""
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"the store {path} is a folder; give the store's file, such as {path / 'costmodel.duckdb'}")
    if path.is_file():
        with path.open("rb") as fh:
            head = fh.read(12)
        if head[8:12] != DUCKDB_MAGIC:
            raise StoreError(f"the store {path} is not a DuckDB database file; give a store built by `costmodel db build "
                             "--db FILE`, or a path that does not exist yet to build one there")
    return path


def build_identity(db_path: Path | str | None = None) -> tuple[Any, ...]:
    """What names one build of the store: its path and the file's inode, size and modification time.

    Every build and every import writes a new file and renames it over the old one, so the identity
    changes with each; a look-up cached under it (``cached``) is never served from an older build.
    """
    path = str(db_path) if db_path else str(_paths.db_path())
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclasses.dataclass(frozen=True)
class _Refused:
    """A cached look-up that raised a CostmodelError: raised again on every hit."""

    error: CostmodelError


_CACHED: list[Any] = []
"""Every look-up cached with ``cached`` (for ``forget_cached``)."""


def cached(func: Callable[..., Any] | None = None, *, maxsize: int = 1024) -> Any:
    """Cache a read of the store under the store's build identity (``@cached`` or ``@cached(maxsize=N)``).

    The function must take ``db_path`` or ``db_key`` (a path, or empty for the default store): the
    identity of that store is part of every key, so a rebuild, an import or another ``COSTMODEL_DB``
    is seen at once, and no module has to clear another's cache.
    """
    if func is None:
        return lambda f: cached(f, maxsize=maxsize)
    names = list(inspect.signature(func).parameters)
    name = next((n for n in names if n in ("db_path", "db_key")), None)
    if name is None:
        raise TypeError(f"{func.__qualname__}: a cached read of the store needs a db_path or db_key parameter")
    where = names.index(name)

    @functools.lru_cache(maxsize=maxsize)
    def keyed(identity: tuple[Any, ...], args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
        try:
            return func(*args, **dict(kwargs))
        except CostmodelError as exc:  # an answer too (no price, unknown id): the same store gives the same error
            return _Refused(exc)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        db = kwargs.get(name) if name in kwargs else (args[where] if len(args) > where else None)
        got = keyed(build_identity(db), args, tuple(sorted(kwargs.items())) if kwargs else ())
        if isinstance(got, _Refused):
            raise got.error.with_traceback(None)
        return got

    wrapper.cache_info = keyed.cache_info  # type: ignore[attr-defined]
    _CACHED.append(keyed)
    return wrapper


def forget_cached() -> None:
    """Drop every cached look-up (to free memory, or to time a cold start); never needed for correctness."""
    for c in _CACHED:
        c.cache_clear()


@contextmanager
def connect(db_path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the store (building it first if needed), reused within a process."""
    if db_path is not None:
        check_store_path(Path(db_path))
    path = ensure_built(db_path) if db_path is None or not Path(db_path).is_file() else Path(db_path)
    key = str(path.resolve())
    mtime = path.stat().st_mtime
    cached = _CONNECTIONS.get(key)
    if cached is None or cached[0] != mtime:
        if cached is not None:
            cached[1].close()
        _CONNECTIONS[key] = (mtime, duckdb.connect(str(path), read_only=True))
    yield _CONNECTIONS[key][1]


def query(sql: str, params: Sequence[Any] | None = None, *, db_path: Path | None = None) -> pl.DataFrame:
    """Run a read-only SQL query on the store and return a polars DataFrame."""
    with connect(db_path) as con:
        return con.sql(sql, params=list(params or [])).pl()


def table(name: str, *, db_path: Path | None = None) -> pl.DataFrame:
    """A whole store table as a polars DataFrame."""
    tables = table_order()
    if name not in tables:
        raise UnknownIdError("table", name, closest(name, tables))
    return query(f"SELECT * FROM {name}", db_path=db_path)


def as_of_day(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.date):
        day = as_of
    else:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise DataError("as_of", None, None, f"{as_of!r} is not {_ACCEPTED['DATE']}") from None
    if day > dt.date.today():
        raise DataError("as_of", None, None, f"{day} is in the future (today is {dt.date.today()}): prices are known "
                                             "only as observed, up to today")
    return day


def price_disagreements(*, threshold_share: float = 0.05, db_path: Path | None = None) -> pl.DataFrame:
    """API models priced by both genai-prices and LiteLLM whose current prices differ by more than ``threshold_share``."""
    windows = list(STANDARD_PRICE_WINDOWS)
    latest = ("SELECT provider, provider_model_id, input_usd_per_mtok, output_usd_per_mtok FROM api_prices "
              "WHERE {cond} AND context_tier_start_tokens = 0 AND service_tier = 'standard' AND list_contains(?, time_window_utc) "
              "AND effective_until IS NULL QUALIFY row_number() OVER (PARTITION BY provider, provider_model_id "
              "ORDER BY observed_on DESC, price_period DESC) = 1")
    genai = query(latest.format(cond="source_id = ?"), [GENAI_PRICES_SOURCE_ID, windows], db_path=db_path)
    lite = query(latest.format(cond="starts_with(source_id, ?)"), [LITELLM_SOURCE_PREFIX, windows],
                       db_path=db_path)
    joined = genai.join(lite, on=["provider", "provider_model_id"], suffix="_litellm")
    return joined.with_columns(
        input_diff_share=(pl.col("input_usd_per_mtok_litellm") / pl.col("input_usd_per_mtok") - 1),
        output_diff_share=(pl.col("output_usd_per_mtok_litellm") / pl.col("output_usd_per_mtok") - 1),
    ).filter((pl.col("input_diff_share").abs() > threshold_share) | (pl.col("output_diff_share").abs() > threshold_share))


def info(*, today: dt.date | None = None, db_path: Path | None = None) -> dict[str, Any]:
    """Summary of the store: rows per table, oldest and newest observation, stale rows.

    A row is stale when observed more than ``STALE_AFTER_DAYS`` days before ``today``.
    """
    today = today or dt.date.today()
    cutoff = today - dt.timedelta(days=STALE_AFTER_DAYS)
    with connect(db_path) as con:
        path = _one(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"))[0]
        tables: dict[str, Any] = {}
        for name in table_order():
            cols = {r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [name]).fetchall()}
            entry: dict[str, Any] = {"rows": _one(con.execute(f"SELECT count(*) FROM {name}"))[0]}
            if "observed_on" in cols:
                oldest, newest, stale, unsourced = _one(con.execute(
                    f"SELECT min(observed_on), max(observed_on), count(*) FILTER (observed_on < ?), "
                    f"count(*) FILTER (source_id IS NULL OR observed_on IS NULL) FROM {name}", [cutoff]
                ))
                entry.update(
                    oldest_observed_on=oldest.isoformat() if oldest else None,
                    newest_observed_on=newest.isoformat() if newest else None,
                    stale_rows=stale,
                    rows_without_source_or_date=unsourced,
                )
            tables[name] = entry
        providers = {
            t: _one(con.execute(f"SELECT count(DISTINCT provider) FROM {t}"))[0]
            for t in ("gpu_prices", "api_prices")
        }
        build = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    disagreements = price_disagreements(db_path=db_path).to_dicts()
    return {
        "db_path": path,
        "today": today.isoformat(),
        "stale_after_days": STALE_AFTER_DAYS,
        "tables": tables,
        "providers": providers,
        "build": build,
        "api_price_disagreements": disagreements,
    }
