"""Altair charts of costmodel results, rendered to inline SVG so reports work offline.

The only module that imports Altair (lazily: ``import altair`` costs about a second). Every
chart function returns an ``altair.Chart``; ``svg(chart)`` renders it with vl-convert (no
browser, no network) and ``show(chart)`` displays the SVG in a notebook, so an exported report
carries the picture itself rather than a script that would fetch Vega from a CDN.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from costmodel import formatting
from costmodel.errors import require

WORDS_LABEL = ("datum.value >= 1e12 ? format(datum.value / 1e12, ',~g') + ' trillion' : "
               "datum.value >= 1e9 ? format(datum.value / 1e9, ',~g') + ' billion' : "
               "datum.value >= 1e6 ? format(datum.value / 1e6, ',~g') + ' million' : "
               "datum.value >= 1 ? format(datum.value, ',.0f') : format(datum.value, '.2~f')")
"""Vega label expression: large axis values in words (3 billion), never 3e+09."""
def money_label() -> str:
    """Vega label expression for money axes in the display currency: $12,000 (or €10,300)."""
    symbol = formatting.SYMBOLS.get(formatting.display_currency(), formatting.display_currency() + " ")
    return f"'{symbol}' + (datum.value >= 1 ? format(datum.value, ',.0f') : format(datum.value, '.2f'))"


def shown(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame's amounts (numeric columns named with usd) in the display currency, as the axes say."""
    rate = formatting.display_rate()
    money = [c for c in frame.columns if formatting.money_code(c) == "USD" and frame[c].dtype.is_numeric()]
    return frame.with_columns(pl.col(c) * rate for c in money) if money and rate != 1.0 else frame

WIDTH = 560
HEIGHT = 320


def _alt():
    require("reports", "a chart")
    import altair as alt

    return alt


def svg(chart: Any) -> str:
    """The chart as an SVG document (rendered locally by vl-convert)."""
    require("reports", "a chart")
    import vl_convert as vlc

    spec = chart.to_dict()
    version = spec.get("$schema", "v6.4").rsplit("/v", 1)[-1].removesuffix(".json")
    major_minor = ".".join(version.split(".")[:2])
    available = vlc.get_vegalite_versions()
    if major_minor not in available:
        major_minor = available[-1]
    return vlc.vegalite_to_svg(spec, vl_version=major_minor)


def show(chart: Any) -> Any:
    """Display the chart as inline SVG in a notebook (returns the IPython object)."""
    from IPython.display import SVG, display

    obj = SVG(svg(chart))
    display(obj)
    return obj


def cost_curve_chart(curve: pl.DataFrame, break_even_tokens_per_month: float | None, title: str) -> Any:
    """Monthly cost against volume (log-log) for self-host and API, with the break-even marked.

    curve: columns tokens_per_month, option, usd_per_month (long format).
    """
    alt = _alt()
    lines = alt.Chart(shown(curve)).mark_line(strokeWidth=2).encode(
        x=alt.X("tokens_per_month:Q", scale=alt.Scale(type="log"), title="tokens per month",
                axis=alt.Axis(labelExpr=WORDS_LABEL)),
        y=alt.Y("usd_per_month:Q", scale=alt.Scale(type="log"), title=f"{formatting.display_currency()} per month",
                axis=alt.Axis(labelExpr=money_label())),
        color=alt.Color("option:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=400)),
    )
    layers = [lines]
    if break_even_tokens_per_month is not None:
        rule = pl.DataFrame({"tokens_per_month": [break_even_tokens_per_month],
                             "label": [f"break-even {formatting.volume(break_even_tokens_per_month)}"]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[4, 4], color="black").encode(x="tokens_per_month:Q"))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-HEIGHT / 2 + 10).encode(
            x="tokens_per_month:Q", text="label:N"))
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title)


def tornado_chart(tornado: pl.DataFrame, title: str) -> Any:
    """One bar per input from the saving multiple at its low end to its high end."""
    alt = _alt()
    frame = tornado.select(
        pl.col("input").map_elements(formatting.label, return_dtype=pl.String),
        pl.min_horizontal("saving_low", "saving_high").alias("from"),
        pl.max_horizontal("saving_low", "saving_high").alias("to"), "base_saving", "swing")
    order = frame.sort("swing", descending=True)["input"].to_list()
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("input:N", sort=order, title=None),
        x=alt.X("from:Q", title="saving multiple (API cost / self-host cost)"),
        x2="to:Q",
    )
    base = alt.Chart(frame.head(1)).mark_rule(color="black").encode(x="base_saving:Q")
    return alt.layer(bars, base).properties(width=WIDTH, height=28 * max(frame.height, 1), title=title)


def histogram_chart(values: pl.DataFrame, column: str, title: str, *, log: bool = False) -> Any:
    """Histogram of one column of Monte Carlo draws."""
    alt = _alt()
    data = values.select(column).drop_nulls()
    if log:
        data = data.with_columns(pl.col(column).log10().alias(column))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{column}:Q", bin=alt.Bin(maxbins=40),
                title=f"log10 of {formatting.label(column)}" if log else formatting.label(column)),
        y=alt.Y("count():Q", title="draws"),
    ).properties(width=WIDTH, height=HEIGHT * 0.7, title=title)


def bar_chart(frame: pl.DataFrame, category: str, value: str, title: str, *, color: str | None = None) -> Any:
    """Horizontal bars of ``value`` by ``category`` (sorted by value)."""
    alt = _alt()
    enc = dict(y=alt.Y(f"{category}:N", sort="x", title=None), x=alt.X(f"{value}:Q", title=formatting.label(value)))
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=formatting.label(color))
    return alt.Chart(shown(frame)).mark_bar().encode(**enc).properties(width=WIDTH, height=22 * max(frame.height, 1),
                                                                        title=title)


def line_chart(frame: pl.DataFrame, x: str, y: str, series: str, title: str, *, x_type: str = "T") -> Any:
    """Lines of ``y`` over ``x`` per ``series`` (prices over time)."""
    alt = _alt()
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X(f"{x}:{x_type}", title=formatting.label(x)), y=alt.Y(f"{y}:Q", title=formatting.label(y)),
        color=alt.Color(f"{series}:N", title=None),
    ).properties(width=WIDTH, height=HEIGHT, title=title)


def predicted_vs_measured_chart(frame: pl.DataFrame, color: str, title: str) -> Any:
    """Predicted against measured tokens/s (log-log) with the line of perfect agreement and +-50% lines.

    frame: measured_tokens_per_s, predicted_tokens_per_s and the ``color`` column.
    """
    alt = _alt()
    lo = float(frame["measured_tokens_per_s"].min())
    hi = float(frame["measured_tokens_per_s"].max())
    ref = pl.DataFrame({"measured_tokens_per_s": [lo, hi, lo, hi, lo, hi],
                        "predicted_tokens_per_s": [lo, hi, lo * 1.5, hi * 1.5, lo * 0.5, hi * 0.5],
                        "line": ["equal", "equal", "+50%", "+50%", "-50%", "-50%"]})
    points = alt.Chart(frame).mark_circle(size=28, opacity=0.6).encode(
        x=alt.X("measured_tokens_per_s:Q", scale=alt.Scale(type="log"), title="measured [tokens/s]",
                axis=alt.Axis(labelExpr=WORDS_LABEL)),
        y=alt.Y("predicted_tokens_per_s:Q", scale=alt.Scale(type="log"), title="predicted, source left out [tokens/s]",
                axis=alt.Axis(labelExpr=WORDS_LABEL)),
        color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom", columns=4)),
    )
    lines = alt.Chart(ref).mark_line(color="grey", strokeDash=[4, 4]).encode(
        x="measured_tokens_per_s:Q", y="predicted_tokens_per_s:Q", detail="line:N")
    return alt.layer(lines, points).properties(width=WIDTH, height=WIDTH, title=title)


def cumulative_chart(monthly: pl.DataFrame, title: str) -> Any:
    """Cumulative cost of each strategy and of the API, month by month (the horizon report)."""
    alt = _alt()
    frame = shown(monthly.select("month", "strategy", "cumulative_usd"))
    return alt.Chart(frame).mark_line(strokeWidth=2).encode(
        x=alt.X("month:Q", title="month"),
        y=alt.Y("cumulative_usd:Q", title=f"cumulative cost [{formatting.display_currency()}]", axis=alt.Axis(labelExpr=money_label())),
        color=alt.Color("strategy:N", title=None, legend=alt.Legend(orient="bottom")),
    ).properties(width=WIDTH, height=HEIGHT, title=title)


def cost_quality_chart(options: pl.DataFrame, front: pl.DataFrame, benchmark: str, title: str) -> Any:
    """Monthly cost (log) against a benchmark score for each option, with the Pareto front drawn through the options
    no other beats on both (the planner's report)."""
    alt = _alt()
    frame = shown(options.select("option", "kind", "model_id", "usd_per_month", "score_pct"))
    points = alt.Chart(frame).mark_circle(size=36, opacity=0.55).encode(
        x=alt.X("usd_per_month:Q", scale=alt.Scale(type="log"), title=f"monthly cost [{formatting.display_currency()}]",
                axis=alt.Axis(labelExpr=money_label())),
        y=alt.Y("score_pct:Q", title=f"{benchmark} score [%]", scale=alt.Scale(zero=False)),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["option:N", "model_id:N"])
    line = alt.Chart(shown(front.select("usd_per_month", "score_pct"))).mark_line(color="black", interpolate="step-after").encode(
        x="usd_per_month:Q", y="score_pct:Q")
    return alt.layer(points, line).properties(width=WIDTH, height=HEIGHT, title=title)
