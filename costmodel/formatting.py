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


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "CAD": "CA$", "CHF": "CHF ",
           "AUD": "A$", "KRW": "₩", "SGD": "S$", "BRL": "R$"}
"""How amounts in each currency are written; a code not listed is written before the amount ('SEK 1,200')."""
_DISPLAY = {"code": "USD", "units_per_usd": 1.0}
"""The currency people's output is shown in (``in_currency``): amounts are computed in USD and converted here."""


class in_currency:  # noqa: N801 - used as a context manager and as a setter, like a function
    """Show every amount people read in ``code`` at ``units_per_usd`` (``with in_currency('EUR', 0.86): ...``; called
    without ``with`` it stays in force, as a notebook wants)."""

    def __init__(self, code: str, units_per_usd: float) -> None:
        self.previous = dict(_DISPLAY)
        _DISPLAY.update(code=code, units_per_usd=float(units_per_usd))

    def __enter__(self) -> in_currency:
        return self

    def __exit__(self, *exc: Any) -> None:
        _DISPLAY.update(self.previous)


def display_currency() -> str:
    """The code amounts are shown in (USD unless ``in_currency`` says otherwise)."""
    return _DISPLAY["code"]


def display_rate() -> float:
    """Units of the display currency per US dollar (1 for USD)."""
    return _DISPLAY["units_per_usd"]


def money(usd: float | None, digits: int | None = None, *, code: str | None = None) -> str:
    """An amount for people: $35,000; $2.49 for small amounts. Given in USD and shown in the display currency
    (``in_currency``); ``code``: the amount is already in that currency (no conversion)."""
    if usd is None:
        return "-"
    if code is None:
        code, usd = _DISPLAY["code"], usd * _DISPLAY["units_per_usd"]
    symbol = SYMBOLS.get(code, f"{code} ")
    if usd == 0:
        return f"{symbol}0"
    if digits is None:
        digits = 0 if abs(usd) >= 100 else 2
    sign = "-" if usd < 0 else ""
    return f"{sign}{symbol}{number(abs(usd), digits)}"


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


def table(frame: pl.DataFrame, formats: dict[str, Any], labels: dict[str, str] | None = None,
          right: set[str] | None = None) -> str:
    """A plain-text table of ``frame``: each column through its formatter, headers relabelled, aligned (the columns in
    ``right`` to the right; default every column but the first)."""
    labels = labels or {}
    cols = [c for c in frame.columns if c in formats]
    right = set(cols[1:]) if right is None else right
    header = [labels.get(c, c) for c in cols]
    body = [[formats[c](r[c]) for c in cols] for r in frame.iter_rows(named=True)]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if c in right else v.ljust(w) for c, v, w in zip(cols, values, widths)).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(row) for row in body)])


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


# ---------------------------------------------------------------------------------------------
# Columns for people: a label with its unit and a formatter, from the snake_case name

COLUMN_LABELS = {
    "gpu_id": "GPU", "model_id": "Model", "engine_id": "Engine", "precision": "Precision", "kv_precision": "KV-cache precision",
    "provider": "Provider", "provider_model_id": "Provider's model", "source_id": "Source", "display_name": "Name",
    "gpus_per_replica": "GPUs per replica", "gpus_per_instance": "GPUs per instance", "gpus": "GPUs", "replicas": "Replicas",
    "option": "Option", "kind": "Kind", "status": "Status", "need": "Need", "licence": "Licence", "claim": "Claim",
    "verdict": "Verdict", "computed": "Computed", "assumptions": "Assumptions", "seed_figure": "The article says",
    "flips_when": "The verdict changes when", "seed_says": "The article says", "finding": "What the sources say",
    "subject": "Subject", "input": "Input", "note": "Note", "region": "Region", "market_segment": "Market",
    "pricing_mode": "Pricing mode", "time_window_utc": "Hours (UTC)", "context_tier_start_tokens": "Context tier from [tokens]",
    "observed_on": "Observed on", "effective_from": "In force from", "effective_until": "In force until", "dated": "Dated",
    "age_days": "Age [days]", "stale": "Stale", "open_weights": "Open weights", "commercial_use": "Commercial use",
    "attention_kind": "Attention", "device_class": "Class", "memory_gib": "Memory [GiB]", "tdp_w": "Power [W]",
    "memory_bandwidth_gb_per_s": "Memory bandwidth [GB/s]", "bf16_dense_tflops": "BF16 dense [TFLOPS]",
    "fp8_dense_tflops": "FP8 dense [TFLOPS]", "fp4_dense_tflops": "FP4 dense [TFLOPS]",
    "total_params_b": "Parameters [billion]", "active_params_b": "Active parameters [billion]",
    "context_tokens": "Context [tokens]", "weights_gb": "Weights [GB]", "min_devices": "Fewest devices",
    "cheapest_that_fits": "Cheapest that fits", "utilisation": "Busy at peak",
    "usd_per_month": "Monthly cost [USD]", "usd_per_mtok": "Cost [USD/M tokens]", "usd_per_gpu_hour": "GPU price [USD/GPU-hour]",
    "median_usd_per_gpu_hour": "Median GPU price [USD/GPU-hour]", "input_usd_per_mtok": "Input [USD/M tokens]",
    "output_usd_per_mtok": "Output [USD/M tokens]", "cached_input_usd_per_mtok": "Cached input [USD/M tokens]",
    "output_tokens_per_s": "Throughput [output tokens/s]", "output_tokens_per_s_low": "Throughput low [output tokens/s]",
    "output_tokens_per_s_high": "Throughput high [output tokens/s]", "tokens_per_month": "Volume [tokens/month]",
    "break_even_tokens_per_month": "Break-even [tokens/month]", "saving_multiple": "API cost / self-host cost",
    "low_value": "Low end", "high_value": "High end", "saving_low": "Saving at low end [x]", "saving_high": "Saving at high end [x]",
    "base_saving": "Central saving [x]", "break_even_low": "Break-even at low end [tokens/month]",
    "break_even_high": "Break-even at high end [tokens/month]", "base_break_even": "Central break-even [tokens/month]",
    "swing": "Swing [x]", "ops_usd_per_month": "Operations [USD/month]", "peak_to_mean": "Peak-to-mean [ratio]",
    "gpu_price": "GPU price", "api_price": "API price", "throughput": "Throughput", "range_source": "Range from", "api": "API",
    "price_start": "From", "low": "Low", "high": "High", "central": "Central", "explanation": "Why", "caveat_flags": "Caveats",
    "caveats": "Caveats in full",
    "purchase_usd_per_gpu": "Purchase price [USD/GPU]", "server_overhead_share": "Server overhead [share of the GPU price]",
    "residual_value_share": "Resale value at the end [share of the price]", "depreciation_years": "Depreciation [years]",
    "power_kw_per_gpu": "Power per GPU [kW]", "pue_ratio": "Power usage effectiveness [ratio]",
    "power_usd_per_kwh": "Electricity [USD/kWh]", "colocation_usd_per_kw_month": "Colocation [USD/kW/month]",
    "target_utilisation": "Target utilisation at peak", "ttft_ms": "Time to first token [ms]",
    "tpot_ms": "Time per output token [ms]", "output_tokens_per_s_per_user": "Output rate per request [tokens/s]",
    "attention_dp": "Attention data-parallel", "answer": "Answer", "title": "Title", "url_or_citation": "Where",
    "retrieved_on": "Read on", "fx_units_per_usd": "Exchange rate [units per USD]", "fx_month": "Rate of the month",
    "fx_source_id": "Rate source", "rank": "Rank", "seed_pick": "The article's pick", "score_source_id": "Score from",
    "benchmark": "Benchmark", "rule": "Rule",
    "usd_per_month_low": "Monthly cost, low [USD]", "usd_per_month_high": "Monthly cost, high [USD]", "score_pct": "Score [%]",
    "meets_latency": "Meets latency target", "providers": "Providers", "market": "Market", "engine": "Engine",
    "strategy": "Strategy", "total_usd": "Total [USD]", "npv_usd": "Present value [USD]",
    "break_even_month": "Pays back in month", "committed_after_horizon_usd": "Committed after the horizon [USD]",
    "present_value_usd": "Present value [USD]", "cumulative_usd": "Cumulative [USD]", "month": "Month", "usd": "Cash [USD]",
    "break_even_tokens_per_month_low": "Break-even at high throughput [tokens/month]",
    "break_even_tokens_per_month_high": "Break-even at low throughput [tokens/month]",
    "self_host_usd_per_month": "Self-host [USD/month]", "api_usd_per_month": "API [USD/month]",
    "self_host_usd_per_mtok": "Self-host [USD/M tokens]", "api_usd_per_mtok": "API [USD/M tokens]",
}
"""Human labels (with units) for the columns people read; anything else is labelled by ``label``'s rules."""

_UNIT_SUFFIXES = (("_usd_per_month", " [USD/month]"), ("_usd_per_mtok", " [USD/M tokens]"), ("_usd_per_gpu_hour", " [USD/GPU-hour]"),
                  ("_tokens_per_month", " [tokens/month]"), ("_tokens_per_s", " [tokens/s]"), ("_usd", " [USD]"),
                  ("_gb", " [GB]"), ("_gib", " [GiB]"), ("_ms", " [ms]"), ("_days", " [days]"), ("_pct", " [%]"),
                  ("_share", " share"), ("_w", " [W]"), ("_id", ""))


def money_code(column: str) -> str | None:
    """The currency a machine name's amounts are in: USD for usd_..., EUR for eur_... (after ``currency.rename``);
    None for the fx_ columns that describe a conversion."""
    if column.startswith("fx_"):
        return None
    for token in column.lower().split("__", 1)[0].split("_"):
        if token.upper() in SYMBOLS:
            return token.upper()
    return None


def label(column: str) -> str:
    """A column's label for people: 'usd_per_month' -> 'Monthly cost [USD]' (in the display currency's code);
    unknown snake_case names become words with their unit in brackets ('prefill_time_share' -> 'Prefill time share').
    Labels already in words pass unchanged."""
    code = money_code(column) if column.isidentifier() or "__" in column else None
    if code is not None:
        shown = _DISPLAY["code"] if code == "USD" else code
        base = _label(column if code == "USD" else "_".join("usd" if t == code.lower() else t for t in column.split("_")))
        return base.replace("USD", shown) if shown != "USD" else base
    return _label(column)


def _label(column: str) -> str:
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    if "__" in column:  # a measure against one counterpart: break_even_tokens_per_month__openai/gpt-4o
        head, tail = column.split("__", 1)
        return f"{_label(head)} vs {tail}"
    if "_" not in column and column == column.lower() and column.isidentifier():
        return column.capitalize()
    if not column.isidentifier() or column != column.lower():
        return column  # already words
    stem, unit = column, ""
    for suffix, text in _UNIT_SUFFIXES:
        if column.endswith(suffix) and column != suffix.lstrip("_"):
            stem, unit = column[: -len(suffix)], text
            break
    words = stem.replace("__", " ").replace("_", " ").strip()
    return (words[:1].upper() + words[1:] + unit) if words else column


def cell(column: str, value: Any) -> str:
    """A value for people, formatted by its column's unit: money with $, volumes in words, shares as %, never scientific.
    A missing break-even reads 'never' (self-hosting never pays); other missing values are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never" if "break_even" in column else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " to ".join(cell(column, v) for v in value)
    if not isinstance(value, (int, float)):
        return str(value)
    name = column.lower().split("__", 1)[0]
    code = money_code(name)
    if code is not None:
        small = name.endswith(("_per_mtok", "_per_kwh")) and abs(value) < 1
        return money(value, 3 if small else (2 if name.endswith(("_per_mtok", "_per_kwh")) else None),
                     code=None if code == "USD" else code)
    if name.endswith("tokens_per_month") or name in ("break_even_low", "break_even_high", "base_break_even"):
        return volume(value, "")
    if name.endswith(("_share", "utilisation")):
        return percent(value, 1 if abs(value) < 0.1 else 0)
    if name.endswith("_pct"):
        return f"{number(value, 1)}%"
    if isinstance(value, int):
        return number(value)
    if abs(value) >= 100:
        return number(value)
    return significant(value, 3)


def for_people(frame: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """``frame`` as strings for people: each column formatted by its unit and relabelled (machine output keeps ``frame``)."""
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    return pl.DataFrame({label(c): [cell(c, v) for v in frame[c].to_list()] for c in cols}, schema={label(c): pl.String for c in cols})


def text_table(frame: pl.DataFrame, columns: list[str] | None = None, *, max_width: int = 48) -> str:
    """A plain-text table for a terminal: labelled columns, values formatted, long strings cut at ``max_width``."""
    shown = for_people(frame, columns)
    cut = {c: (lambda v, _w=max_width: v if len(v) <= _w else v[: _w - 1] + "…") for c in shown.columns}
    numeric = {label(c) for c in (columns or frame.columns) if c in frame.columns and frame[c].dtype.is_numeric()}
    return table(shown, cut, right=numeric)


def excel_format(column: str, dtype: pl.DataType) -> str | None:
    """An Excel number format for a numeric column, by the same unit rules as ``cell``: money, volumes, shares."""
    if not dtype.is_numeric():
        return None
    name = column.lower().split("__", 1)[0]
    code = money_code(name)
    if code is not None:
        symbol = "$" if code == "USD" else '"' + SYMBOLS[code] + '"'
        return symbol + ("#,##0.000" if name.endswith(("_per_mtok", "_per_kwh", "_per_gpu_hour")) else "#,##0")
    if name.endswith("_share") or name.endswith("utilisation"):
        return "0.0%"
    if name.endswith(("tokens_per_month", "tokens_per_s")) or "break_even" in name or dtype.is_integer():
        return "#,##0"
    return "#,##0.00##"
