"""A company's request log turned into the workload its break-even is computed for.

Written once with ibis, so the same expressions run on DuckDB (the default: one machine, out of
core, Parquet/CSV/JSON lines) and on any other ibis backend given by a connection URL
(``polars://``, a warehouse). Columns are named by flags when they differ from the defaults.

Handling of awkward logs (documented, tested): rows out of time order are fine (everything is
aggregated); a row with a missing input or output count stops the profile with the number of
such rows (cached input may be missing: it counts as 0); an empty log is an error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .cost import HOURS_PER_MONTH
from .errors import CostmodelError, require

DEFAULT_COLUMNS = {"timestamp": "timestamp", "model": "model", "input_tokens": "input_tokens",
                   "output_tokens": "output_tokens", "cached_input_tokens": "cached_input_tokens"}
LOG_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv", ".jsonl": "json",
               ".ndjson": "json", ".json": "json"}
"""Accepted request log file endings and how each is read."""
HOURS_PER_DAY = 24
SECONDS_PER_HOUR = 3600.0


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
        from .scenarios import Workload

        return Workload(tokens_per_month=self.tokens_per_month,
                        input_tokens_per_request=max(int(round(self.input_tokens_mean)), 1),
                        output_tokens_per_request=max(int(round(self.output_tokens_mean)), 1),
                        input_share=min(self.input_share, 0.999999), cached_input_share=self.cached_input_share,
                        peak_to_mean=max(self.peak_to_mean, 1.0))


def connect(backend: str | None = None):
    """An ibis connection: DuckDB in memory by default, else the given connection URL."""
    require("logs", "profiling a request log")
    import ibis

    return ibis.duckdb.connect() if not backend else ibis.connect(backend)


def read_log(path: Path, con: Any, columns: dict[str, str] | None = None):
    """The log as an ibis table with the standard column names (Parquet, CSV or JSON lines)."""
    path = Path(path)
    if not path.exists():
        raise CostmodelError(f"log {path} not found")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    kind = LOG_FORMATS.get(suffix)
    if kind is None:
        raise CostmodelError(f"log {path}: unknown format {suffix!r}; accepted: {', '.join(LOG_FORMATS)}")
    table = getattr(con, f"read_{kind}")(str(path))
    mapping = {**DEFAULT_COLUMNS, **(columns or {})}
    present = set(table.columns)
    missing = [f"{std} (column {col!r})" for std, col in mapping.items() if col not in present and std != "cached_input_tokens"]
    if missing:
        raise CostmodelError(f"log {path}: missing {', '.join(missing)}; it has {', '.join(sorted(present))}; "
                             "map columns with --timestamp-col, --model-col, --input-col, --output-col, --cached-col")
    import ibis

    cached = table[mapping["cached_input_tokens"]] if mapping["cached_input_tokens"] in present else ibis.literal(0)
    ts = table[mapping["timestamp"]]
    if not ts.type().is_timestamp():
        ts = ts.cast("timestamp")
    return table.select(
        timestamp=ts, model=table[mapping["model"]].cast("string"), input_tokens=table[mapping["input_tokens"]],
        output_tokens=table[mapping["output_tokens"]], cached_input_tokens=cached.fill_null(0),
    )


def profile(path: Path, *, columns: dict[str, str] | None = None, backend: str | None = None,
            by_model: bool = True) -> list[WorkloadProfile]:
    """Workload profiles of a request log: one for all traffic, then one per model (if ``by_model``)."""
    require("logs", "profiling a request log")
    import ibis

    con = connect(backend)
    log = read_log(path, con, columns)
    nulls = log.aggregate(n=log.count(), bad=(log.input_tokens.isnull() | log.output_tokens.isnull()).sum(),
                          t0=log.timestamp.min(), t1=log.timestamp.max()).to_pyarrow().to_pylist()[0]
    if not nulls["n"]:
        raise CostmodelError(f"log {path} has no rows")
    if nulls["bad"]:
        raise CostmodelError(f"log {path}: {nulls['bad']} of {nulls['n']} rows have no input or output token count")
    hours = max((nulls["t1"] - nulls["t0"]).total_seconds() / SECONDS_PER_HOUR, 1.0)
    tokens = log.input_tokens + log.output_tokens
    log = log.mutate(tokens=tokens, hour=log.timestamp.truncate("h"), hour_of_day=log.timestamp.hour())

    def stats(t, key: str | None):
        group = [t.model] if key else []
        summary = t.group_by(group).aggregate(
            requests=t.count(), input_sum=t.input_tokens.sum(), output_sum=t.output_tokens.sum(),
            cached_sum=t.cached_input_tokens.sum(), input_mean=t.input_tokens.mean(),
            input_p95=t.input_tokens.quantile(0.95), output_mean=t.output_tokens.mean(),
            output_p95=t.output_tokens.quantile(0.95),
        ) if key else t.aggregate(
            requests=t.count(), input_sum=t.input_tokens.sum(), output_sum=t.output_tokens.sum(),
            cached_sum=t.cached_input_tokens.sum(), input_mean=t.input_tokens.mean(),
            input_p95=t.input_tokens.quantile(0.95), output_mean=t.output_tokens.mean(),
            output_p95=t.output_tokens.quantile(0.95),
        )
        hourly = t.group_by(group + [t.hour]).aggregate(tokens=t.tokens.sum())
        peak = hourly.group_by(group).aggregate(peak=hourly.tokens.max()) if key else hourly.aggregate(peak=hourly.tokens.max())
        by_hod = t.group_by(group + [t.hour_of_day]).aggregate(tokens=t.tokens.sum())
        return summary.to_pyarrow().to_pylist(), peak.to_pyarrow().to_pylist(), by_hod.to_pyarrow().to_pylist()

    results = []
    for key in ([None, "model"] if by_model else [None]):
        rows, peaks, hods = stats(log, key)
        peak_of = {p.get("model"): p["peak"] for p in peaks}
        for r in sorted(rows, key=lambda r: (r.get("model") or "")):
            name = r.get("model") if key else "all"
            total = r["input_sum"] + r["output_sum"]
            hod = [0.0] * HOURS_PER_DAY
            for h in hods:
                if not key or h.get("model") == r.get("model"):
                    hod[int(h["hour_of_day"])] += h["tokens"]
            mean_hour = total / hours
            results.append(WorkloadProfile(
                model=name, requests=int(r["requests"]), hours_observed=round(hours, 3),
                tokens_per_month=total / hours * HOURS_PER_MONTH,
                input_share=r["input_sum"] / total if total else 0.0,
                cached_input_share=(r["cached_sum"] / r["input_sum"]) if r["input_sum"] else 0.0,
                input_tokens_mean=float(r["input_mean"]), input_tokens_p95=float(r["input_p95"]),
                output_tokens_mean=float(r["output_mean"]), output_tokens_p95=float(r["output_p95"]),
                peak_to_mean=(peak_of[r.get("model") if key else None] / mean_hour) if mean_hour else 1.0,
                hourly_profile=[v / total if total else 0.0 for v in hod],
            ))
    return results


def profile_for(path: Path | str, model: str | None = None, *, columns: dict[str, str] | None = None,
                backend: str | None = None) -> WorkloadProfile:
    """The profile of one model's traffic in a log (``model=None``: all traffic together).

    What ``--workload-from`` and the notebooks' ``workload_from`` parameter use; an unknown model
    is an error listing the models the log has.
    """
    profiles = {p.model: p for p in profile(Path(path), columns=columns, backend=backend, by_model=model is not None)}
    name = model or "all"
    if name not in profiles:
        raise CostmodelError(f"log {path} has no model {name!r}; it has {', '.join(p for p in profiles if p != 'all')}")
    return profiles[name]
