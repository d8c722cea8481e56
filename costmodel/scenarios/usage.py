"""A company's request log turned into the workload its break-even is computed for.

Written once with ibis, so the same expressions run on DuckDB (the default: one machine, out of
core, Parquet/CSV/JSON lines), on polars, on Spark (the ibis PySpark backend, local or a cluster)
and on any other ibis backend given by a connection URL (a warehouse), reading a file or a table
already in that backend. Columns are named by flags when they differ from the defaults.

Two aggregate queries do all the work, whatever the backend: one groups the log by model and
hour (counts, token sums, the span, and how many rows break each rule), the other counts how
often each token length occurs per model, from which the p95s are computed exactly (linear
interpolation between the closest ranks, as DuckDB's ``quantile_cont`` and numpy's default do).
Both are small, so a log of any length is profiled in bounded memory, and every backend gives
the same figures.

Handling of awkward logs (documented, tested): rows out of time order are fine (everything is
aggregated); a missing cached input count is 0; a UTF-8 byte-order mark is skipped. Refused, with
the file, line (or row) and column of the first offending row: an empty log; a missing input or
output count; token counts that are not whole numbers from 0 to ``MAX_TOKENS`` (text, negative,
fractional, NaN, too large); cached input above the row's input; a missing time or one that is
not ISO 8601 (``2026-01-13 10:00:00``, ``2026-01-13T10:00:00Z``) -- day-first and month-first
dates such as ``13/01/2026 10:00`` are ambiguous and are parsed only with an explicit
``timestamp_format`` (``--timestamp-format '%d/%m/%Y %H:%M'``); a malformed JSON line; bytes that
are not UTF-8.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

from costmodel.models.cost import HOURS_PER_MONTH
from costmodel.errors import CostmodelError, UsageError, require

DEFAULT_COLUMNS = {"timestamp": "timestamp", "model": "model", "input_tokens": "input_tokens",
                   "output_tokens": "output_tokens", "cached_input_tokens": "cached_input_tokens"}
LOG_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv", ".jsonl": "json",
               ".ndjson": "json", ".json": "json"}
"""Accepted request log file endings and how each is read."""
HOURS_PER_DAY = 24
SECONDS_PER_HOUR = 3600.0
MAX_TOKENS = 1_000_000_000
"""The largest token count accepted in one row: far above any context window, and small enough that
sums over billions of rows stay exact in 64-bit integers on every backend."""
P95 = 0.95
BACKENDS = ("duckdb", "polars", "pyspark")
ACCEPTED_BACKENDS = ("duckdb (the default), polars, pyspark (a local Spark session), or an ibis connection URL: "
                     "duckdb:///path.ddb, pyspark://?spark.master=spark://host:7077, postgres://user@host/db, ...")
TOKEN_RULE = f"token counts are whole numbers from 0 to {MAX_TOKENS:,}"
TIME_RULE = ("times are ISO 8601 (2026-01-13 10:00:00 or 2026-01-13T10:00:00Z); day-first or month-first dates "
             "are not guessed: give their layout with --timestamp-format, e.g. '%d/%m/%Y %H:%M'")
_BOM = b"\xef\xbb\xbf"
ISO_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]00:?00)?$"


@dataclasses.dataclass(frozen=True)
class WorkloadProfile:
    """What a request log says about one model's traffic (or all models together)."""

    model: str
    requests: int
    hours_observed: float
    tokens_per_month: float  # input + output, scaled from the log's span to a 730-hour month [token/month]
    input_share: float  # input / (input + output) [fraction]
    cached_input_share: float  # cached / input [fraction]
    input_tokens_mean: float
    input_tokens_p95: float
    output_tokens_mean: float
    output_tokens_p95: float
    peak_to_mean: float  # busiest hour's tokens over the mean hour's [ratio]
    hourly_profile: list[float]  # share of tokens by hour of day (UTC), 24 values [fraction]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def workload(self):
        """The costmodel.scenarios.Workload this traffic implies."""
        from costmodel.scenarios import Workload

        return Workload(tokens_per_month=self.tokens_per_month,
                        input_tokens_per_request=max(int(round(self.input_tokens_mean)), 1),
                        output_tokens_per_request=max(int(round(self.output_tokens_mean)), 1),
                        input_share=min(self.input_share, 0.999999), cached_input_share=self.cached_input_share,
                        peak_to_mean=max(self.peak_to_mean, 1.0))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def connect(backend: Any = None):
    """An ibis connection: DuckDB in memory by default; ``polars``; ``pyspark`` (local Spark); any ibis URL.

    An ibis connection made by the caller (e.g. ``ibis.pyspark.connect(session)``) is used as it is.
    A name or URL no ibis backend answers is a UsageError listing what is accepted.
    """
    if backend is not None and not isinstance(backend, str):
        return backend
    require("logs", "profiling a request log")
    name = (backend or "duckdb").strip()
    scheme = name.split("://", 1)[0].lower() if "://" in name else name.lower()
    if scheme not in BACKENDS and ("://" not in name or scheme not in _ibis_backends()):
        raise UsageError(f"--backend {name!r} is not a backend; accepted: {ACCEPTED_BACKENDS}")
    try:
        import ibis

        if scheme == "pyspark":
            return _spark(name)
        if "://" in name and name.rstrip("/") not in ("duckdb:", "polars:"):
            con = ibis.connect(name)
        else:
            con = getattr(ibis, scheme).connect()
        if scheme == "duckdb":  # its progress bar writes to stdout, into --json output
            try:
                con.raw_sql("SET enable_progress_bar = false")
            except Exception:  # in a Jupyter kernel DuckDB refuses to touch the setting (no ipywidgets)
                pass
        return con
    except ImportError as exc:
        extra = "spark" if scheme == "pyspark" else scheme
        raise CostmodelError(f"--backend {name!r}: {exc.name or 'a package'} is not installed; "
                             f"pip install 'costmodel[{extra}]' (or the ibis backend: ibis-framework[{scheme}])") from None
    except CostmodelError:
        raise
    except Exception as exc:
        raise CostmodelError(f"--backend {name!r}: could not connect: {_first_line(exc)}") from None


def _ibis_backends() -> set[str]:
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group="ibis.backends")}


def _spark(url: str):
    """A Spark session for ``pyspark`` / ``pyspark://[host:port][?spark.conf=value&...]`` (local[*] unless a master is given)."""
    from urllib.parse import parse_qsl, urlparse

    import ibis
    from pyspark.sql import SparkSession

    parsed = urlparse(url if "://" in url else "pyspark://")
    conf = dict(parse_qsl(parsed.query))
    master = conf.pop("spark.master", None) or (f"spark://{parsed.netloc}" if parsed.netloc else "local[*]")
    conf.setdefault("spark.ui.enabled", "false")
    conf.setdefault("spark.sql.session.timeZone", "UTC")
    builder = SparkSession.builder.master(master).appName("costmodel")
    for key, value in conf.items():
        builder = builder.config(key, value)
    return ibis.pyspark.connect(builder.getOrCreate())


def _backend_name(con: Any) -> str:
    return getattr(con, "name", type(con).__module__)


def _source(path: Path | None, con: Any, table: str | None, time_column: str):
    """The raw ibis table, the label used in messages, and how its rows are counted (line or row, first number)."""
    if table:
        try:
            return con.table(table), f"table {table}", ("row", 1)
        except Exception as exc:
            try:
                known = ", ".join(sorted(con.list_tables())[:20]) or "none"
            except Exception:  # a backend that cannot list its tables
                known = "(not listed)"
            raise CostmodelError(f"--table {table!r}: not found in backend {_backend_name(con)} "
                                 f"({_first_line(exc)}); its tables: {known}") from None
    if path is None:
        raise UsageError("give a request log file or --table NAME")
    if not path.exists():
        raise CostmodelError(f"log {path} not found")
    if path.is_dir():
        raise CostmodelError(f"log {path} is a folder; give one file: Parquet, CSV or JSON lines ({', '.join(LOG_FORMATS)})")
    kind = LOG_FORMATS.get(_suffix(path))
    if kind is None:
        raise CostmodelError(f"log {path}: unknown format {_suffix(path)!r}; accepted: {', '.join(LOG_FORMATS)}")
    label = str(path)
    read = getattr(con, f"read_{kind}")
    try:
        if _backend_name(con) == "duckdb" and kind == "json":
            raw = read(str(path), timestampformat="iso")  # DuckDB would otherwise guess day- or month-first dates
        elif _backend_name(con) == "duckdb" and kind == "csv":
            # DuckDB's sniffer guesses day-first (01-02-2026 as 1 February) or month-first dates: read the
            # time as text, parsed below as ISO 8601 or with the layout given
            try:
                raw = read(str(path), types={time_column: "VARCHAR"})
            except Exception:
                raw = read(str(path))  # no such column: the mapping check below names what is missing
        elif _backend_name(con) == "pyspark" and kind in ("csv", "json"):
            raw = read(str(path), mode="FAILFAST")  # Spark would otherwise turn a malformed line into nulls
        elif _backend_name(con) == "polars" and kind == "json" and _starts_with_bom(path):
            import io

            import polars as pl  # polars' reader stops at a byte-order mark: read the lines after it

            raw = con.create_table(f"_costmodel_log_{abs(hash(str(path)))}",
                                   pl.read_ndjson(io.BytesIO(path.read_bytes()[len(_BOM):])), overwrite=True)
        else:
            raw = read(str(path))
    except Exception as exc:
        raise _translate(exc, label, kind, path, time_column) from None
    unit = {"csv": ("line", 2), "json": ("line", 1), "parquet": ("row", 1)}[kind]
    return raw, label, unit


def _starts_with_bom(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(_BOM)) == _BOM


def _translate(exc: BaseException, label: str, kind: str | None, path: Path | None,
               time_column: str = "timestamp") -> CostmodelError:
    """A backend's error reading a log, as one line naming the file, line and what is accepted."""
    text = str(exc)
    low = text.lower()
    line = re.search(r"(?:CSV Error on Line|line)[: ]+(\d+)", text)
    where = f"{label}, line {line.group(1)}" if line and int(line.group(1)) > 0 else label
    bad = _first_bad_json_line(path) if kind == "json" and path else None
    if bad:  # Python's own reading of the file names the line whatever the backend said
        return CostmodelError(f"{label}, line {bad[0]}: malformed JSON ({bad[1]}); a JSON lines log has one JSON object per line")
    if "utf-8" in low or "unicode" in low:
        number = _first_non_utf8_line(path) if path else None
        where = f"{label}, line {number}" if number else where
        return CostmodelError(f"{where}: bytes that are not UTF-8; logs are read as UTF-8 (re-encode, e.g. "
                              "iconv -f latin1 -t utf-8)")
    if kind == "json" and ("json" in low or "syntax" in low or "malformed" in low):
        return CostmodelError(f"{where}: malformed JSON ({_first_line(exc)}); a JSON lines log has one JSON object per line")
    unparsed = re.search(r'parse string "(.*?)" according to format specifier "(.*?)"', text)
    if unparsed:
        return CostmodelError(f"{where}, column {time_column}: {unparsed.group(1)!r} does not match --timestamp-format "
                              f"{unparsed.group(2)!r}; {TIME_RULE}")
    column = re.search(r'column "([^"]+)"', text)
    value = re.search(r'string "([^"]*)"', text)
    if column:
        what = f"{value.group(1)!r}" if value else "a value"
        if column.group(1) == time_column:
            return CostmodelError(f"{where}, column {column.group(1)}: {what} is not a time; {TIME_RULE}")
        return CostmodelError(f"{where}, column {column.group(1)}: {what} is not a whole number; {TOKEN_RULE}")
    if "out of bounds" in low or "overflow" in low or "out of range" in low or "int128" in low:
        return CostmodelError(f"{where}: a number too large to add up ({_first_line(exc)}); {TOKEN_RULE}")
    return CostmodelError(f"{where}: could not be read: {_first_line(exc)}")


def _first_non_utf8_line(path: Path) -> int | None:
    """The first line of a file that is not UTF-8 (only read when the backend failed)."""
    if path.suffix.lower() == ".gz":
        return None
    try:
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except OSError:
        return None
    return None


def _first_bad_json_line(path: Path) -> tuple[int, str] | None:
    """The first line of a JSON lines file that is not a JSON object (only read when the backend failed)."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    if not isinstance(json.loads(line), dict):
                        return number, "not an object"
                except json.JSONDecodeError as exc:
                    return number, exc.msg
    except (OSError, UnicodeDecodeError):
        return None
    return None


class _Log:
    """The checks and clean values of a raw log, as ibis expressions over any table with its schema."""

    def __init__(self, raw, label: str, columns: dict[str, str] | None, timestamp_format: str | None, backend: str):
        self.label = label
        self.backend = backend
        self.format = timestamp_format
        bom = {c: c.lstrip("\ufeff") for c in raw.columns if c.startswith("\ufeff")}
        if bom:  # a UTF-8 byte-order mark the reader kept in the first column's name
            raw = raw.rename({new: old for old, new in bom.items()})
        mapping = {**DEFAULT_COLUMNS, **(columns or {})}
        present = set(raw.columns)
        missing = [f"{std} (column {col!r})" for std, col in mapping.items() if col not in present and std != "cached_input_tokens"]
        if missing:
            raise CostmodelError(f"log {label}: missing {', '.join(missing)}; it has {', '.join(sorted(present))}; "
                                 "map columns with --timestamp-col, --model-col, --input-col, --output-col, --cached-col")
        self.raw = raw
        self.mapping = mapping
        self.has_cached = mapping["cached_input_tokens"] in present
        for std in ("input_tokens", "output_tokens", "cached_input_tokens"):
            if std == "cached_input_tokens" and not self.has_cached:
                continue
            typ = raw[mapping[std]].type()
            if not (typ.is_integer() or typ.is_floating() or typ.is_decimal() or typ.is_string() or typ.is_null()):
                raise CostmodelError(f"log {label}, column {mapping[std]}: holds {typ}; {TOKEN_RULE}")
        typ = raw[mapping["timestamp"]].type()
        if not (typ.is_timestamp() or typ.is_date() or typ.is_string() or typ.is_null()):
            raise CostmodelError(f"log {label}, column {mapping['timestamp']}: holds {typ}; {TIME_RULE}")

    def time(self, t):
        ts = t[self.mapping["timestamp"]]
        typ = ts.type()
        if typ.is_timestamp():
            return ts
        if typ.is_string():
            if self.format:
                return ts.as_timestamp(self.format)
            import ibis

            # ISO 8601 only (UTC or no offset); anything else is null here and reported as not a time
            text = ts.strip().re_replace(r"(Z|[+-]00:?00)$", "").replace("T", " ")
            iso = ts.strip().re_search(ISO_TIME)
            text = iso.ifelse(text, ibis.null("string"))
            return text.cast("timestamp") if self.backend == "polars" else text.try_cast("timestamp")
        return ts.cast("timestamp")

    def tokens(self, t, std: str):
        """(whole-number value or 0, is-valid) of a token column."""
        import ibis

        if std == "cached_input_tokens" and not self.has_cached:
            return ibis.literal(0, "int64"), ibis.literal(True)
        col = t[self.mapping[std]]
        typ = col.type()
        if typ.is_string():
            col = col.try_cast("int64")
            typ = col.type()
        ok = col.notnull() & (col >= 0) & (col <= MAX_TOKENS)
        if typ.is_floating():
            ok = ok & ~col.isnan() & ((col % 1) == 0)
        elif typ.is_decimal():
            ok = ok & ((col % 1) == 0)
        if std == "cached_input_tokens":
            ok = ok | t[self.mapping[std]].isnull()
        return ok.ifelse(col, 0).cast("int64"), ok

    def checked(self, t):
        """The clean columns and the rule each row may break (True = broken)."""
        ts = self.time(t)
        i, i_ok = self.tokens(t, "input_tokens")
        o, o_ok = self.tokens(t, "output_tokens")
        c, c_ok = self.tokens(t, "cached_input_tokens")
        return dict(timestamp=ts, model=t[self.mapping["model"]].cast("string"), i=i, o=o, c=c,
                    bad_time=ts.isnull(), bad_input=~i_ok, bad_output=~o_ok, bad_cached=~c_ok,
                    over_cached=i_ok & c_ok & (c > i))


RULES = ("bad_time", "bad_input", "bad_output", "bad_cached", "over_cached")


def _run(expr, log: _Log, source: tuple):
    try:
        return expr.to_pyarrow()
    except CostmodelError:
        raise
    except Exception as exc:
        raise _translate(exc, log.label, source[0], source[1], log.mapping["timestamp"]) from None


def _complain(log: _Log, rule: str, count: int, rows: int, unit: tuple[str, int], source: tuple) -> CostmodelError:
    """The one-line error for the first row breaking ``rule`` (found by a second, numbered query)."""
    import ibis

    std = {"bad_time": "timestamp", "bad_input": "input_tokens", "bad_output": "output_tokens",
           "bad_cached": "cached_input_tokens", "over_cached": "cached_input_tokens"}[rule]
    column = log.mapping[std]
    where, value, first_input, found = log.label, None, None, False
    try:
        if log.backend == "polars":  # no window functions there: number the rows in polars itself
            con = log.raw._find_backend()
            numbered = con.create_table(f"_costmodel_numbered_{id(log)}",
                                        con.compile(log.raw).with_row_index("_costmodel_row"), overwrite=True)
        else:
            numbered = log.raw.mutate(_costmodel_row=ibis.row_number())
        checks = log.checked(numbered)
        wanted = {"_costmodel_row": numbered._costmodel_row, "value": numbered[column]}
        if rule == "over_cached":
            wanted["input"] = numbered[log.mapping["input_tokens"]]
        hit = numbered.filter(checks[rule]).select(**wanted).order_by("_costmodel_row").limit(1).to_pyarrow().to_pylist()
        if hit:
            where = f"{log.label}, {unit[0]} {hit[0]['_costmodel_row'] + unit[1]}"
            value, first_input, found = hit[0]["value"], hit[0].get("input"), True
    except Exception:  # a backend without row numbers: the message still names the column and the count
        pass
    others = f"{count:,} of {rows:,} rows"
    if not found:
        what = "not a time" if rule == "bad_time" else "cached tokens above input" if rule == "over_cached" else "not token counts"
        rule_text = TIME_RULE if rule == "bad_time" else TOKEN_RULE
        return CostmodelError(f"{where}, column {column}: {others} are {what}; {rule_text}")
    if rule == "bad_time":
        what = "empty" if value is None else f"{value!s:.60} is not a time" if not log.format else \
            f"{value!s:.60} does not match --timestamp-format {log.format!r}"
        return CostmodelError(f"{where}, column {column}: {what} ({others}); every request needs a time; {TIME_RULE}")
    if rule == "over_cached":
        return CostmodelError(f"{where}, column {column}: {value} cached tokens above the row's {first_input} input tokens "
                              f"({others}); cached input is the part of the input read from the cache, 0 to input_tokens")
    if value is None:
        empty = "empty or NaN" if log.raw[column].type().is_floating() else "empty"  # some backends return NaN as null
        return CostmodelError(f"{where}, column {column}: {empty}; {others} have no input or output token count; "
                              f"every request needs both ({TOKEN_RULE}; an empty cached_input_tokens counts as 0)")
    if isinstance(value, float) and math.isnan(value):
        what = "NaN is not a token count"
    elif isinstance(value, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", value):
        what = f"{value!r:.60} is not a whole number"
    else:
        number = float(value)
        what = (f"{value} is negative" if number < 0 else f"{value} is above the largest accepted count" if number > MAX_TOKENS
                else f"{value} is not a whole number")
    return CostmodelError(f"{where}, column {column}: {what} ({others}); {TOKEN_RULE}")


def _p95(values, counts) -> float:
    """The 0.95 quantile, linear between the closest ranks, of values occurring ``counts`` times."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    values, cum = np.asarray(values)[order], np.cumsum(np.asarray(counts)[order])
    n = int(cum[-1])
    rank = (n - 1) * P95
    lo = math.floor(rank)
    x_lo = float(values[np.searchsorted(cum, lo, side="right")])
    x_hi = float(values[np.searchsorted(cum, min(lo + 1, n - 1), side="right")])
    return x_lo if rank == lo else x_lo + (rank - lo) * (x_hi - x_lo)


def profile(path: Path | str | None = None, *, columns: dict[str, str] | None = None, backend: Any = None,
            by_model: bool = True, table: str | None = None, timestamp_format: str | None = None) -> list[WorkloadProfile]:
    """Workload profiles of a request log: one for all traffic, then one per model (if ``by_model``).

    ``path`` is a Parquet, CSV or JSON lines file; ``table`` instead names a table already in the
    backend. ``backend``: a name or URL (see ``connect``) or an ibis connection.
    """
    require("logs", "profiling a request log")
    import polars as pl

    con = connect(backend)
    path = Path(path) if path is not None and not table else None
    time_column = {**DEFAULT_COLUMNS, **(columns or {})}["timestamp"]
    raw, label, unit = _source(path, con, table, time_column)
    source = (LOG_FORMATS.get(_suffix(path)) if path else None, path)
    log = _Log(raw, label, columns, timestamp_format, _backend_name(con))
    t = log.raw.select(**log.checked(log.raw))
    hourly = t.group_by(model=t.model, hour=t.timestamp.truncate("h")).aggregate(
        n=t.count(), i=t.i.sum(), o=t.o.sum(), c=t.c.sum(), t0=t.timestamp.min(), t1=t.timestamp.max(),
        **{rule: t[rule].sum() for rule in RULES})
    frame = pl.from_arrow(_run(hourly, log, source))
    rows = int(frame["n"].sum()) if frame.height else 0
    if not rows:
        raise CostmodelError(f"log {label} has no rows (a header alone is not a log); it needs one row per request "
                             "with timestamp, model, input_tokens and output_tokens")
    for rule in RULES:
        count = int(frame[rule].fill_null(0).sum())
        if count:
            raise _complain(log, rule, count, rows, unit, source)
    lengths = t.group_by(model=t.model, v=t.i).aggregate(n=t.count()).mutate(kind=0).union(
        t.group_by(model=t.model, v=t.o).aggregate(n=t.count()).mutate(kind=1))
    freq = pl.from_arrow(_run(lengths, log, source))

    t0, t1 = frame["t0"].min(), frame["t1"].max()
    hours = max((t1 - t0).total_seconds() / SECONDS_PER_HOUR, 1.0)
    frame = frame.with_columns(tokens=pl.col("i") + pl.col("o"), hod=pl.col("hour").dt.hour())
    groups = [("all", frame, freq)]
    if by_model:
        models = sorted(frame["model"].unique().to_list(), key=lambda m: m or "")
        groups += [(m, frame.filter(pl.col("model").is_null() if m is None else pl.col("model") == m),
                    freq.filter(pl.col("model").is_null() if m is None else pl.col("model") == m)) for m in models]
    results = []
    for name, part, lengths_of in groups:
        requests, i_sum, o_sum, c_sum = (int(part[col].sum()) for col in ("n", "i", "o", "c"))
        total = i_sum + o_sum
        peak = int(part.group_by("hour").agg(pl.col("tokens").sum())["tokens"].max())
        hod = [0.0] * HOURS_PER_DAY
        for h, v in part.group_by("hod").agg(pl.col("tokens").sum()).iter_rows():
            hod[int(h)] = v / total if total else 0.0
        mean_hour = total / hours
        p95 = {}
        for kind in (0, 1):
            counts = lengths_of.filter(pl.col("kind") == kind).group_by("v").agg(pl.col("n").sum())
            p95[kind] = _p95(counts["v"].to_numpy(), counts["n"].to_numpy())
        results.append(WorkloadProfile(
            model=name, requests=requests, hours_observed=round(hours, 3),
            tokens_per_month=total / hours * HOURS_PER_MONTH,
            input_share=i_sum / total if total else 0.0,
            cached_input_share=c_sum / i_sum if i_sum else 0.0,
            input_tokens_mean=i_sum / requests, input_tokens_p95=p95[0],
            output_tokens_mean=o_sum / requests, output_tokens_p95=p95[1],
            peak_to_mean=peak / mean_hour if mean_hour else 1.0,
            hourly_profile=hod,
        ))
    return results


def _suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()


def profile_for(path: Path | str | None, model: str | None = None, *, columns: dict[str, str] | None = None,
                backend: Any = None, table: str | None = None, timestamp_format: str | None = None) -> WorkloadProfile:
    """The profile of one model's traffic in a log (``model=None``: all traffic together).

    What ``--workload-from`` and the notebooks' ``workload_from`` parameter use; an unknown model
    is an error listing the models the log has.
    """
    profiles = {p.model: p for p in profile(path, columns=columns, backend=backend, by_model=model is not None,
                                            table=table, timestamp_format=timestamp_format)}
    name = model or "all"
    if name not in profiles:
        raise CostmodelError(f"log {path or table} has no model {name!r}; it has {', '.join(str(p) for p in profiles if p != 'all')}")
    return profiles[name]
