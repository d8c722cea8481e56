"""Numbers as people read them: one module for the CLI, the notebooks and the HTML reports.

Money with ``$`` and thousands separators, counts with separators, shares as percentages, no
scientific notation. Machine output (JSON, CSV, Parquet) keeps raw numbers and snake_case names.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

SCALE_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
"""Words for large volumes: 2.23 billion tokens/month."""


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators and ``digits`` decimals (never scientific): 11,949 or 0.42."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "unbounded"
    if abs(value) < 10 ** -digits and value != 0 and digits < 6:
        return number(value, digits + 2)
    return f"{value:,.{digits}f}"


def significant(value: float | None, figures: int = 3) -> str:
    """A number to ``figures`` significant figures with separators: 11,900, 2.23, 0.0452."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return number(value)
    if value == 0:
        return "0"
    digits = max(figures - 1 - int(math.floor(math.log10(abs(value)))), 0)
    return number(round(value, digits), digits)


def money(usd: float | None, digits: int | None = None) -> str:
    """US dollars: $35,000; $2.49 for small amounts."""
    if usd is None:
        return "-"
    if digits is None:
        digits = 0 if abs(usd) >= 100 else 2
    sign = "-" if usd < 0 else ""
    return f"{sign}${number(abs(usd), digits)}"


def volume(tokens: float | None, unit: str = "tokens/month") -> str:
    """A large volume in words: 2.23 billion tokens/month; smaller ones with separators."""
    if tokens is None:
        return "-"
    for scale, word in SCALE_WORDS:
        if abs(tokens) >= scale:
            return f"{significant(tokens / scale)} {word} {unit}".rstrip()
    return f"{number(tokens)} {unit}".rstrip()


def percent(share: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.265 -> 26%."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "-"
    return f"{share * 100:.{digits}f}%"


def signed_percent(pct: float | None, digits: int = 0) -> str:
    """A signed percentage already in percent: +12%, -8%."""
    if pct is None or (isinstance(pct, float) and math.isnan(pct)):
        return "-"
    return f"{pct:+.{digits}f}%"


def ratio(multiple: float, what: str = "the API") -> str:
    """A cost ratio with a word: 0.74 -> 'self-hosting costs 0.74x the API, i.e. 26% less'."""
    if multiple <= 0 or math.isnan(multiple) or math.isinf(multiple):
        return f"self-hosting costs {number(multiple, 2)}x {what}"
    diff = 1 - multiple
    word = "less" if diff > 0 else "more"
    return f"self-hosting costs {multiple:.2f}x {what}, i.e. {abs(diff) * 100:.0f}% {word}"


def band(low: float | None, high: float | None, digits: int = 0) -> str:
    """A range as people say it: 1,455 to 2,257."""
    return f"{number(low, digits)} to {number(high, digits)}"


def table(frame: pl.DataFrame, formats: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """A plain-text table of ``frame``: each column through its formatter, headers relabelled, aligned."""
    labels = labels or {}
    cols = [c for c in frame.columns if c in formats]
    header = [labels.get(c, c) for c in cols]
    body = [[formats[c](r[c]) for c in cols] for r in frame.iter_rows(named=True)]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


BREAKDOWN_LABELS = {
    "rows": "Rows", "sources": "Publishers", "median_abs_error_pct": "Median |error|", "max_abs_error_pct": "Largest |error|",
    "mean_error_pct": "Mean error", "share_beyond_50_pct": "Beyond 50%", "band_coverage_share": "In band",
}
BREAKDOWN_FORMATS = {
    "rows": lambda v: number(v), "sources": lambda v: number(v), "median_abs_error_pct": lambda v: f"{number(v, 1)}%",
    "max_abs_error_pct": lambda v: f"{number(v, 0)}%", "mean_error_pct": lambda v: signed_percent(v, 1),
    "share_beyond_50_pct": lambda v: percent(v, 1), "band_coverage_share": lambda v: "no band" if v is None else percent(v, 0),
}


def breakdown_table(rows: list[dict[str, Any]], key: str, key_label: str) -> str:
    """A validation breakdown (one dict per group) as a readable table."""
    frame = pl.DataFrame(rows)
    formats = {key: str, **BREAKDOWN_FORMATS}
    return table(frame, formats, {key: key_label, **BREAKDOWN_LABELS})


def validation_text(summary: dict[str, Any], loso: pl.DataFrame, excluded: pl.DataFrame) -> str:
    """What ``costmodel validate`` prints: the headline figures, the breakdowns, the worst rows, the excluded rows."""
    s = summary["leave_one_source_out"]
    out = [
        f"Leave-one-source-out over {number(s['rows'])} measured rows from {number(s['sources'])} publishers "
        "(each publisher's rows predicted by a fit that never saw them):",
        f"  median |error| {number(s['median_abs_error_pct'], 1)}%, largest {number(s['max_abs_error_pct'])}%, "
        f"{percent(s['share_beyond_50_pct'], 1)} of rows beyond 50%, mean error {signed_percent(s['mean_error_pct'], 1)}; "
        f"the low-high band holds {percent(s['band_coverage_share'])} of them "
        f"(plain roofline: median |error| {number(s['roofline_median_abs_error_pct'], 0)}%)",
    ]
    if "leave_one_out" in summary:
        lo = summary["leave_one_out"]
        out.append(f"Leave-one-out (each row from all the others, in-sample neighbours): median |error| "
                   f"{number(lo['median_abs_error_pct'], 1)}%, {percent(lo['share_beyond_50_pct'], 1)} beyond 50%")
    out.append(f"Largest fitted efficiency after multipliers: {number(summary['max_fitted_efficiency'], 3)} (at most 1)")
    labels = {"engine": "Engine", "gpu_vendor": "GPU vendor", "model_family": "Model family", "run_kind": "Kind of run"}
    for name, rows in summary["breakdowns"].items():
        key = {"engine": "engine_id"}.get(name, name)
        out += ["", f"By {labels.get(name, name).lower()}:", breakdown_table(rows, key, labels.get(name, name))]
    if summary.get("estimators"):
        out += ["", "Estimators side by side on the rows both cover (aiconfigurator is never fitted to them):"]
        out.append(breakdown_table(summary["estimators"], "estimator", "Estimator"))
        choice = pl.DataFrame(summary["estimator_by_gpu_engine"])
        if choice.height:
            out += ["", "What --estimator auto uses, per GPU family and engine (median |error| on their common rows):"]
            out.append(table(choice, {
                "gpu_family": str, "engine_id": str, "rows_compared": lambda v: number(v), "sources_compared": lambda v: number(v),
                "roofline_median_abs_error_pct": lambda v: f"{number(v, 1)}%",
                "aiconfigurator_median_abs_error_pct": lambda v: f"{number(v, 1)}%", "estimator": str},
                {"gpu_family": "GPU family", "engine_id": "Engine", "rows_compared": "Rows", "sources_compared": "Publishers",
                 "roofline_median_abs_error_pct": "Roofline", "aiconfigurator_median_abs_error_pct": "aiconfigurator",
                 "estimator": "Chosen"}))
    worst = loso.with_columns(abs_err=pl.col("error_pct").abs()).sort("abs_err", descending=True).head(15)
    out += ["", "Largest errors:"]
    out.append(table(worst, {
        "measurement_id": str, "publisher": str, "measured_tokens_per_s": lambda v: number(v),
        "predicted_tokens_per_s": lambda v: number(v), "error_pct": lambda v: signed_percent(v),
        "in_band": lambda v: "yes" if v else "no"},
        {"measurement_id": "Measurement", "publisher": "Publisher", "measured_tokens_per_s": "Measured [tokens/s]",
         "predicted_tokens_per_s": "Predicted [tokens/s]", "error_pct": "Error", "in_band": "In band"}))
    out += ["", f"Excluded from calibration ({number(excluded.height)} rows; reasons in throughput_measured.exclude_reason):"]
    reasons = excluded.group_by("exclude_reason").len().sort("len", descending=True).head(12)
    out.append(table(reasons, {"exclude_reason": lambda v: (v or "")[:110], "len": lambda v: number(v)},
                     {"exclude_reason": "Reason", "len": "Rows"}))
    return "\n".join(out)


def breakdown_display(rows: list[dict[str, Any]], key: str, key_label: str) -> pl.DataFrame:
    """A validation breakdown as strings for people (reports, README): labelled columns, units in the values."""
    frame = pl.DataFrame(rows)
    formats = {key: str, **BREAKDOWN_FORMATS}
    cols = [c for c in frame.columns if c in formats]
    return pl.DataFrame({({key: key_label, **BREAKDOWN_LABELS}).get(c, c): [formats[c](v) for v in frame[c]] for c in cols})


def markdown_table(frame: pl.DataFrame) -> str:
    """A frame of strings as a GitHub Markdown table (first column left, the rest right-aligned)."""
    head = "| " + " | ".join(c.replace("|", "\\|") for c in frame.columns) + " |"
    rule = "|" + "|".join(["---"] + ["---:"] * (len(frame.columns) - 1)) + "|"
    body = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *body])
