"""Tables and text for the notebooks: each function returns a polars frame or Markdown.

The notebooks only set parameters, call these and display the results; the logic lives here so
it is tested and reusable from scripts.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
import math
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.catalog import prices
from costmodel.errors import CostmodelError
from costmodel.scenarios.plan import sizing_precisions
from costmodel.scenarios import (
    ApiOption,
    Crossover,
    SelfHostOption,
    Workload,
    api_row,
    caveat_flags,
    resolve_api,
    resolve_self_host,
    self_host_row,
)

CURVE_TOKENS_PER_MONTH = tuple(10 ** (6 + k / 8) for k in range(0, 8 * 7 + 1))
"""Volumes of the cost curves: 1e6 to 1e13 tokens per month, 8 points a decade."""


def table_html(frame: pl.DataFrame, *, max_rows: int = 200) -> str:
    """A clean HTML table for reports: labelled columns with units, values formatted by their unit (``formatting.cell``),
    numbers right-aligned, in a container that scrolls sideways rather than widening the page."""
    import html as _html

    from costmodel import formatting

    head = "".join(f"<th>{_html.escape(formatting.label(c))}</th>" for c in frame.columns)

    def td(column: str, value: Any) -> str:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        text = _html.escape(formatting.cell(column, value))
        return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"

    rows = "".join("<tr>" + "".join(td(c, v) for c, v in zip(frame.columns, row)) + "</tr>"
                   for row in frame.head(max_rows).iter_rows())
    more = f"<p>{frame.height - max_rows} more rows not shown</p>" if frame.height > max_rows else ""
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{more}'


def show(frame: pl.DataFrame) -> None:
    """Display a frame as a clean table in a notebook (and in the exported report)."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame)))


def cost_curve(workload: Workload, self_host: SelfHostOption, api: ApiOption, *, as_of: dt.date | str | None = None,
               volumes: tuple[float, ...] = CURVE_TOKENS_PER_MONTH, db_path: Path | None = None) -> pl.DataFrame:
    """Monthly cost of the self-host option and the API across volumes (long format)."""
    sh = resolve_self_host(self_host, workload, as_of=as_of, db_path=db_path)
    price = resolve_api(api, workload, as_of=as_of, db_path=db_path)
    rows = []
    for v in volumes:
        w = workload.at(v)
        rows.append({"tokens_per_month": v, "option": f"self-host: {sh.label}", "usd_per_month": self_host_row(sh, w)["usd_per_month"]})
        rows.append({"tokens_per_month": v, "option": f"API: {price.label}", "usd_per_month": api_row(price, w)["usd_per_month"]})
    return pl.DataFrame(rows)


def curve_table(curve: pl.DataFrame, points_per_decade: int = 2) -> pl.DataFrame:
    """The cost curve as a table: one row per volume (a few per decade), one column per option [USD/month]."""
    step = 8 // points_per_decade
    volumes = sorted(curve["tokens_per_month"].unique().to_list())[::step]
    from costmodel import formatting as fmt

    table = (curve.filter(pl.col("tokens_per_month").is_in(volumes))
             .with_columns(pl.col("usd_per_month").round(0))
             .pivot(on="option", index="tokens_per_month", values="usd_per_month"))
    options = [c for c in table.columns if c != "tokens_per_month"]
    return table.select(
        pl.col("tokens_per_month").map_elements(lambda v: fmt.volume(v), return_dtype=pl.String).alias("Volume (tokens/month)"),
        *[pl.col(c).map_elements(lambda v: fmt.money(v), return_dtype=pl.String).alias(f"{c} (USD/month)") for c in options])


WORKLOAD_KEYS = ("tokens_per_month", "input_share", "cached_input_share", "input_tokens_per_request",
                 "output_tokens_per_request", "peak_to_mean")


def notebook_workload(workload_from: str = "", log_model: str = "", **explicit: Any) -> tuple[Workload, str]:
    """The workload a notebook analyses and a Markdown note on where it came from.

    With ``workload_from`` (a request log: Parquet, CSV or JSON lines) the traffic of ``log_model``
    (all traffic when empty) sets the volume, shares, lengths and peak-to-mean, and the note
    summarises it; otherwise the ``explicit`` Workload fields are used and the note is empty.
    """
    if not workload_from:
        return Workload(**explicit), ""
    from costmodel.scenarios.usage import profile_for

    traffic = profile_for(workload_from, log_model or None)
    busiest = max(range(len(traffic.hourly_profile)), key=traffic.hourly_profile.__getitem__)
    note = (f"**Workload from the request log** `{Path(workload_from).name}` ({traffic.model}): {traffic.requests:,} requests "
            f"over {traffic.hours_observed:,.1f} hours, i.e. **{traffic.tokens_per_month:,.0f} tokens per month**; "
            f"input share {traffic.input_share:.1%} (cached {traffic.cached_input_share:.1%} of input); "
            f"mean / p95 lengths {traffic.input_tokens_mean:,.0f} / {traffic.input_tokens_p95:,.0f} input and "
            f"{traffic.output_tokens_mean:,.0f} / {traffic.output_tokens_p95:,.0f} output tokens; peak-to-mean "
            f"{traffic.peak_to_mean:.2f}; busiest hour of day {busiest:02d}:00 UTC ({traffic.hourly_profile[busiest]:.1%} of tokens). "
            f"These replace the volume, length and peak-to-mean parameters.")
    tiers = {k: explicit[k] for k in ("batch_share", "flex_share") if k in explicit}
    return dataclasses.replace(traffic.workload(), **tiers), note


def ownership_parameters(profile: str, purchase_usd_per_gpu: float, power_usd_per_kwh: float, pue_ratio: float,
                         colocation_usd_per_kw_month: float, depreciation_years: float,
                         residual_value_share: float) -> dict[str, Any]:
    """Report parameters of ownership (empty profile, negative numbers: not given) as SelfHostOption fields."""
    given = dict(purchase_usd_per_gpu=purchase_usd_per_gpu, power_usd_per_kwh=power_usd_per_kwh, pue_ratio=pue_ratio,
                 colocation_usd_per_kw_month=colocation_usd_per_kw_month, depreciation_years=depreciation_years,
                 residual_value_share=residual_value_share)
    out: dict[str, Any] = {k: float(v) for k, v in given.items() if v is not None and v >= 0}
    if profile:
        out["ownership_profile"] = profile
    return out


ASSUMPTIONS = {
    # key of Crossover.to_dict()["assumptions"]: (label for people, field of Workload / SelfHostOption it comes from)
    "tokens_per_month": ("Volume [tokens/month]", "workload.tokens_per_month"),
    "input_share": ("Input share of tokens", "workload.input_share"),
    "cached_input_share": ("Input served from the API's prompt cache", "workload.cached_input_share"),
    "input_tokens_per_request": ("Prompt length [tokens/request]", "workload.input_tokens_per_request"),
    "output_tokens_per_request": ("Output length [tokens/request]", "workload.output_tokens_per_request"),
    "peak_to_mean": ("Peak-to-mean traffic [ratio]", "workload.peak_to_mean"),
    "ttft_ms": ("Time-to-first-token target [ms]", "workload.ttft_ms"),
    "tpot_ms": ("Time-per-output-token target [ms]", "workload.tpot_ms"),
    "api_batch_share": ("Share the API may serve in its batch tier", "workload.batch_share"),
    "api_flex_share": ("Share the API may serve in its flex tier", "workload.flex_share"),
    "self_host": ("Self-hosted deployment", None),
    "model_id": ("Model", "option.model"),
    "gpu_id": ("GPU", "option.gpu"),
    "pricing_mode": ("GPU pricing mode", "option.pricing_mode"),
    "gpus_per_replica": ("GPUs per replica", "option.gpus_per_replica"),
    "gpu_usd_per_hour": ("GPU price [USD/GPU-hour]", "option.gpu_usd_per_hour"),
    "output_tokens_per_s_per_replica": ("Throughput per replica [output tokens/s]", "option.output_tokens_per_s"),
    "output_tokens_per_s_band": ("Throughput band per replica [output tokens/s]", None),
    "target_utilisation": ("Target utilisation at peak", "option.target_utilisation"),
    "min_replicas": ("Replicas kept at no load", "option.min_replicas"),
    "ops_usd_per_month": ("Operations: people and tooling [USD/month]", "option.ops_usd_per_month"),
    "api": ("API", None),
    "api_input_usd_per_mtok": ("API input price [USD/M tokens]", None),
    "api_output_usd_per_mtok": ("API output price [USD/M tokens]", None),
    "api_cached_input_usd_per_mtok": ("API cached input price [USD/M tokens]", None),
    "api_batch_discount_share": ("API batch discount", None),
}
"""The assumptions table's rows: label with unit, and the input field that says whether it was given or a default."""
STORE_ROWS = {"gpu_usd_per_hour": "gpu_price_source", "api_input_usd_per_mtok": "api_price_source",
              "api_output_usd_per_mtok": "api_price_source", "api_cached_input_usd_per_mtok": "api_price_source",
              "api_batch_discount_share": "api_price_source"}
"""Assumptions drawn from store rows, and the key naming their source."""
COMPUTED = {"input_share": "from the mean prompt and output lengths", "self_host": "from the model, GPU, precision and pricing mode",
            "gpus_per_replica": "the split that serves most tokens per GPU (throughput model)",
            "output_tokens_per_s_per_replica": "throughput_source", "output_tokens_per_s_band": "throughput_source"}
"""Assumptions the model computes when they are not given, and how."""


def assumptions_table(result: Crossover, *, workload_source: str | None = None, numbers: bool = False) -> pl.DataFrame:
    """Every number the crossover used: its value for people, whether it was a parameter, a default, a store row or
    computed, and its source (``workload_source``: the request log the traffic figures came from). ``numbers``: add a
    Number column with the raw value where it is one (for workbooks)."""
    from costmodel import formatting as fmt
    from costmodel.scenarios import SelfHostOption as _Option
    from costmodel.scenarios import Workload as _Workload

    a = result.to_dict()["assumptions"]
    given = {"workload": result.workload, "option": result.self_host.option}
    defaults = {"workload": {f.name: f.default for f in dataclasses.fields(_Workload)},
                "option": {f.name: f.default for f in dataclasses.fields(_Option)}}
    rows = []
    for key, (label, field) in ASSUMPTIONS.items():
        value = a.get(key)
        if value is None or value == [None, None]:
            continue
        owner, _, name = (field or "").partition(".")
        stated = None
        if field and given.get(owner) is not None:
            stated = getattr(given[owner], name)
            is_default = name in defaults[owner] and stated == defaults[owner][name] and defaults[owner][name] is not dataclasses.MISSING
        if workload_source and owner == "workload" and key not in COMPUTED:
            origin, source = "request log", Path(workload_source).name
        elif key in ("model_id", "gpu_id", "api"):
            origin, source = "parameter", ""
        elif field and stated is not None and not is_default:
            origin, source = "parameter", ""
        elif key in STORE_ROWS:
            origin, source = "store row", str(a.get(STORE_ROWS[key]) or "")
        elif key in COMPUTED:
            origin, source = "computed", a.get(COMPUTED[key], COMPUTED[key]) if COMPUTED[key] in a else COMPUTED[key]
        elif key == "ops_usd_per_month":
            origin, source = "store row", "ownership_inputs (operations assumption)"
        else:
            origin, source = "default", "costmodel default"
        rows.append({"Assumption": label, "Value": fmt.cell(key, value) if not isinstance(value, str) else value,
                     "Number": float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None,
                     "Origin": origin, "Source": str(source)})
    option = result.self_host.option
    profile = f" ({option.ownership_profile} profile)" if option is not None and option.ownership_profile else ""
    for k, v in (a.get("ownership") or {}).items():
        overridden = option is not None and getattr(option, k, None) is not None
        table = "gpu_purchase_prices" if k == "purchase_usd_per_gpu" else "ownership_inputs" + profile
        rows.append({"Assumption": f"Ownership: {fmt.label(k)}", "Value": fmt.cell(k, v), "Number": float(v),
                     "Origin": "parameter" if overridden else "store row", "Source": "" if overridden else table})
    frame = pl.DataFrame(rows, schema={"Assumption": pl.String, "Value": pl.String, "Number": pl.Float64, "Origin": pl.String,
                                       "Source": pl.String})
    return frame if numbers else frame.drop("Number")


def _fmt(value: Any) -> str:
    """A value for people: separators, at most four significant figures below a million, never scientific."""
    from costmodel import formatting

    if isinstance(value, float):
        if value == 0 or abs(value) >= 1e6:
            return formatting.number(value)
        return formatting.significant(value, 4)
    if isinstance(value, (list, tuple)):
        return " to ".join(_fmt(v) for v in value)
    return str(value)


def headline(result: Crossover) -> str:
    """One paragraph of Markdown: the answer, with its conditions and the caveats that change it."""
    from costmodel import formatting as fmt

    d = result.to_dict()
    a = d["assumptions"]
    be = d["break_even_tokens_per_month"]
    if be is None:
        answer = (f"**Self-hosting never pays** against {a['api']} at these prices: even with every replica as full as the "
                  f"peak-to-mean ({fmt.number(a['peak_to_mean'], 1)}) and utilisation target "
                  f"({fmt.percent(a['target_utilisation'])}) allow, it costs more per token than the API.")
    else:
        band = ""
        lo_be, hi_be = d["break_even_tokens_per_month_low"], d["break_even_tokens_per_month_high"]
        if lo_be and hi_be and not math.isclose(lo_be, hi_be, rel_tol=1e-3):
            band = (f" (between {fmt.volume(lo_be, '')} and {fmt.volume(hi_be)} across the throughput model's "
                    f"error band)")
        answer = f"**Self-hosting starts to pay at {fmt.volume(be)}**{band}."
    multiple = d["self_host_usd_per_month"] / d["api_usd_per_month"]
    caveats = "".join(f"\n\n**Caveat:** {c}." for c in d["caveats"])
    price = (f"\n\nGPU price: {fmt.money(a['gpu_usd_per_hour'])} per GPU-hour, {a['gpu_price_source']}."
             if a["gpu_usd_per_hour"] else "")
    return (f"{answer}{caveats}\n\nAt {fmt.volume(a['tokens_per_month'])}, {a['self_host']} costs "
            f"**{fmt.money(d['self_host_usd_per_month'])}** a month ({d['replicas']} replica(s), {d['gpus']} GPU(s), "
            f"{fmt.percent(d['utilisation'])} busy) and {a['api']} costs **{fmt.money(d['api_usd_per_month'])}**: "
            f"{fmt.ratio(multiple)}.{price}")


def sources_footer(source_ids: list[str] | None = None, *, db_path: Path | None = None) -> str:
    """Markdown footer: exactly the sources given (each id once, escaped by the renderer) and the data's as-of date."""
    if source_ids is None:
        raise CostmodelError("sources_footer needs the source ids the report used (a report lists exactly those)")
    frame = store.query("SELECT source_id, title, url_or_citation, retrieved_on FROM sources ORDER BY source_id", db_path=db_path)
    frame = frame.filter(pl.col("source_id").is_in(list(source_ids)))
    newest = store.query(
        "SELECT max(d) AS d FROM (SELECT max(observed_on) AS d FROM gpu_prices UNION ALL SELECT max(observed_on) FROM api_prices "
        "UNION ALL SELECT max(observed_on) FROM throughput_measured)", db_path=db_path)["d"][0]
    build = dict(store.query("SELECT key, value FROM build_info", db_path=db_path).iter_rows())
    lines = [f"### Sources and data as of {newest}", "",
             f"Store built from inputs `{build.get('input_sha256', '?')[:12]}`, genai-prices {build.get('genai_prices_version', '?')}, "
             f"costmodel {build.get('costmodel_version', '?')}; report generated {dt.date.today().isoformat()}.", ""]
    for r in frame.iter_rows(named=True):
        lines.append(f"- `{r['source_id']}`: {r['title']}. {r['url_or_citation']} (read {r['retrieved_on']})")
    return "\n".join(lines)


def crossover_sources(result: Crossover) -> list[str]:
    """Source ids a crossover rests on: the model's and GPU's rows, the GPU prices of its pricing mode, the API price,
    the throughput calibration and (buying or operating) the ownership inputs."""
    sh = result.self_host
    ids = used_sources(models=(sh.model_id,), gpus=(sh.gpu_id,), pricing_mode=None if sh.gpu_price is None else sh.mode,
                       priced_gpus=(sh.gpu_id,) if sh.gpu_price is not None else ())
    ids.update(s.strip() for s in result.api.source.split(",") if s.strip() and s.strip() != "explicit")
    return sorted(ids)


def used_sources(*, models: tuple[str, ...] = (), gpus: tuple[str, ...] = (), pricing_mode: str | None = None,
                 priced_gpus: tuple[str, ...] = (), db_path: Path | None = None) -> set[str]:
    """Source ids behind an answer: the rows of ``models`` and ``gpus``, the GPU prices in force for ``priced_gpus`` in
    ``pricing_mode``, the throughput calibration and the ownership inputs (operations cost) every self-host answer uses."""
    ids = {"throughput-calibration-fit"}
    ids.update(store.table("ownership_inputs", db_path=db_path)["source_id"].to_list())
    if models:
        ids.update(store.table("models", db_path=db_path).filter(pl.col("model_id").is_in(list(models)))["source_id"].to_list())
    if gpus:
        ids.update(store.table("gpus", db_path=db_path).filter(pl.col("gpu_id").is_in(list(gpus)))["source_id"].to_list())
    if priced_gpus and pricing_mode:
        in_force = prices.gpu_prices(pricing_mode=pricing_mode, db_path=db_path)
        ids.update(in_force.filter(pl.col("gpu_id").is_in(list(priced_gpus)))["source_id"].to_list())
    return {i for i in ids if i}


def sizing_sources(sizing: pl.DataFrame, model: str, pricing_mode: str, *, db_path: Path | None = None) -> list[str]:
    """Source ids gpu_sizing rests on: the model, every GPU it tried, the prices of the GPUs that serve it."""
    served = sizing.filter(pl.col("status") == "ok")["gpu_id"].unique().to_list() if sizing.height else []
    gpus = tuple(sizing["gpu_id"].unique().to_list()) if sizing.height else ()
    return sorted(used_sources(models=(catalog.resolve_model_id(model, db_path=db_path),), gpus=gpus, pricing_mode=pricing_mode,
                               priced_gpus=tuple(served), db_path=db_path))


# ---------------------------------------------------------------------------------------------
# GPU sizing: every GPU, count and precision that serves a model




def gpu_sizing(model: str, *, tokens_per_month: float, precisions: tuple[str, ...] | None = None,
               gpus: tuple[str, ...] | None = None, gpu_counts: tuple[int, ...] = (1, 2, 4, 8), input_tokens: int = 1000,
               output_tokens: int = 250, peak_to_mean: float = 2.0, pricing_mode: str = "on-demand", engine: str = "vllm",
               db_path: Path | None = None) -> pl.DataFrame:
    """For one model: every GPU, GPUs-per-replica count and precision that can serve it, the
    replica's throughput with the error band, and the $/M tokens at ``tokens_per_month``.

    Combinations that do not fit, that the GPU does not run (FP8 on a T4) or that have no price
    are listed once per GPU and precision with the reason. ``precisions`` None: the model's
    release precision, FP8 and AWQ int4.
    """
    precisions = sizing_precisions(model, precisions, db_path=db_path)
    workload = Workload(tokens_per_month=tokens_per_month, input_tokens_per_request=input_tokens,
                        output_tokens_per_request=output_tokens, peak_to_mean=peak_to_mean)
    gpu_ids = list(gpus) if gpus else catalog.gpus(db_path=db_path).filter(pl.col("device_class") != "edge")["gpu_id"].to_list()
    rows = []
    for gpu_id in gpu_ids:
        for precision in precisions:
            reasons = []
            for count in gpu_counts:
                try:
                    sh = resolve_self_host(SelfHostOption(model=model, gpu=gpu_id, precision=precision, engine=engine,
                                                          pricing_mode=pricing_mode, gpus_per_replica=count),
                                           workload, db_path=db_path)
                except CostmodelError as exc:
                    reasons.append(str(exc))
                    continue
                r = self_host_row(sh, workload)
                rows.append({"gpu_id": gpu_id, "precision": precision, "gpus_per_replica": count,
                             "output_tokens_per_s": sh.output_tokens_per_s, "output_tokens_per_s_low": sh.output_tokens_per_s_low,
                             "output_tokens_per_s_high": sh.output_tokens_per_s_high, "usd_per_gpu_hour": sh.usd_per_gpu_hour,
                             "replicas": r["replicas"], "usd_per_month": r["usd_per_month"], "usd_per_mtok": r["usd_per_mtok"],
                             "caveats": "; ".join(sh.caveats), "caveat_flags": caveat_flags(sh.caveats), "status": "ok"})
            if len(reasons) == len(gpu_counts):
                rows.append({"gpu_id": gpu_id, "precision": precision, "status": reasons[-1]})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.sort(["status", "usd_per_mtok"], nulls_last=True) if "usd_per_mtok" in frame.columns else frame


# ---------------------------------------------------------------------------------------------
# Model selection: the seed's "Choosing an Open Model" table, from the data

SEED_NEEDS: dict[str, tuple[str, ...]] = {
    "Best quality, run locally": ("llama-3.1-70b", "qwen-2.5-72b"),
    "Reasoning (math/code)": ("deepseek-r1-distill-qwen-32b", "qwq-32b"),
    "Smallest footprint": ("phi-4", "qwen-2.5-7b"),
    "MoE efficiency": ("mixtral-8x7b", "deepseek-v3"),
    "Code generation": ("qwen-2.5-coder-32b", "codestral-22b"),
    "Chinese language": ("qwen-2.5-72b",),
    "Mobile/edge": ("gemma-3-4b", "phi-3.5-mini"),
    "Commercially safest license": ("deepseek-r1", "qwen-2.5-7b", "mistral-7b", "phi-4"),
}
"""The seed article's needs and its recommended models (its 'Choosing an Open Model' table)."""


def gpu_sizing_headline(served: pl.DataFrame, model: str, tokens_per_month: float) -> str:
    """The gpu_sizing answer in one paragraph: the cheapest combination, and the cheapest without caveats if that differs."""
    from costmodel import formatting as fmt

    if served.height == 0:
        return f"**No GPU in the catalog serves {model}** on up to 8 GPUs per replica (the reasons are listed below)."

    def name(r: dict[str, Any]) -> str:
        return (f"{r['gpus_per_replica']} x {r['gpu_id']} in {r['precision']}, {fmt.money(r['usd_per_mtok'], 3)} per million "
                f"tokens ({fmt.money(r['usd_per_month'])}/month at {fmt.volume(tokens_per_month)})")

    best = served.row(0, named=True)
    text = f"**The cheapest way to serve {model} is {name(best)}**, of {served.height} combinations that serve it."
    if best["caveats"]:
        clean = served.filter(pl.col("caveats") == "")
        text += f"\n\n**Caveat:** {best['caveats']}."
        text += (f"\n\nThe cheapest without caveats: **{name(clean.row(0, named=True))}**." if clean.height
                 else "\n\nEvery combination carries a caveat.")
    return text


def price_history_headline(gpu_id: str, pricing_mode: str, gpu: pl.DataFrame, api_model: str, api_provider: str,
                           change: float | None, *, db_path: Path | None = None) -> str:
    """The price_history answer: today's default GPU price by the price rule, the span of observations, and the API's
    yearly rate of change."""
    from costmodel import formatting as fmt
    from costmodel.catalog.prices import MIN_TREND_DAYS
    from costmodel.scenarios import gpu_price

    try:
        got = gpu_price(gpu_id, pricing_mode, db_path=db_path)
        text = f"**{gpu_id} {pricing_mode}: {fmt.money(got.usd_per_gpu_hour)} per GPU-hour today**, {got.describe()}."
        if got.caveats:
            text += "".join(f"\n\n**Caveat:** {c}." for c in got.caveats)
    except CostmodelError as exc:
        text = f"**No default {pricing_mode} price for {gpu_id} today**: {exc}."
    if gpu.height:
        text += (f" The store holds {fmt.number(gpu.height)} observations from {gpu['provider'].n_unique()} providers, "
                 f"{gpu['observed_on'].min()} to {gpu['observed_on'].max()}.")
    who = api_provider or "all providers"
    text += (f"\n\n**The output price of {api_model} ({who}) moves {fmt.signed_percent(change * 100)} a year**, from each "
             "endpoint's first dated price to the price in force today (the median over endpoints; the trend the horizon "
             "report projects)." if change is not None else
             f"\n\n{api_model} ({who}) has no endpoint with dated prices spanning {MIN_TREND_DAYS} days or more in the "
             "store, so no yearly rate.")
    return text


WORKBOOK_MIME = "application/vnd.costmodel.workbook+json"
"""Mimetype of the output that carries a report's workbook sheets to ``reports.run_report`` (never shown in HTML)."""


def workbook(answer_text: str, figures: dict[str, Any], sheets: dict[str, pl.DataFrame], source_ids: list[str], *,
             db_path: Path | None = None) -> None:
    """Hand the report's tables to the workbook ``costmodel report`` writes beside the HTML: an Answer sheet (the answer
    in words and its figures), the given sheets, and the Sources sheet. Raw numbers and snake_case names here; the
    workbook labels the columns and gives them number formats."""
    import json
    import re as _re

    from IPython.display import display

    from costmodel.catalog import currency
    from costmodel import formatting

    answer_row = {"answer": _re.sub(r"\*\*|\\", "", answer_text).replace("\n\n", " ")}
    answer_row.update({k: v for k, v in figures.items() if isinstance(v, (int, float, str, bool)) or v is None})
    code = formatting.display_currency()
    if code != "USD":  # the workbook's numbers in the report's currency too, with the rate used
        r = currency.rate(code, db_path=db_path)
        answer_row = currency.convert_record(answer_row, r) | {"fx_units_per_usd": r.units_per_usd, "fx_month": r.month,
                                                                "fx_source_id": r.source_id}
        sheets = {name: currency.convert_frame(frame, code, db_path=db_path) for name, frame in sheets.items()}
    sources = store.query("SELECT source_id, title, url_or_citation, retrieved_on FROM sources ORDER BY source_id", db_path=db_path)
    sources = sources.filter(pl.col("source_id").is_in(list(source_ids)))
    frames = {"Answer": pl.DataFrame([answer_row]), **sheets, "Sources": sources}
    # columns and rows as lists: the notebook's JSON sorts object keys, which would reorder the columns
    payload = {"sheets": [{"name": name, "columns": frame.columns, "rows": [list(r) for r in frame.iter_rows()]}
                          for name, frame in frames.items()]}
    display({WORKBOOK_MIME: json.loads(json.dumps(payload, default=str)),
             "text/plain": "workbook sheets: " + ", ".join(frames)}, raw=True)


def crossover_workbook(result: Crossover, curve: pl.DataFrame, api: ApiOption, *, workload_source: str | None = None,
                       sensitivity: pl.DataFrame | None = None, extra: dict[str, pl.DataFrame] | None = None,
                       db_path: Path | None = None) -> None:
    """The crossover and sensitivity reports' workbook: answer, inputs with their origin and source, the cost curve as the
    scenario table, the tornado (``sensitivity``, computed when not given) and the sources."""
    from costmodel.scenarios.sweep import tornado

    d = result.to_dict()
    figures = {k: v for k, v in d.items() if k not in ("assumptions", "caveats")} | {"caveats": "; ".join(d["caveats"])}
    option = result.self_host.option
    if sensitivity is None and option is not None:
        sensitivity = tornado(result.workload, option, api, db_path=db_path)
    sheets = {"Inputs": assumptions_table(result, workload_source=workload_source, numbers=True),
              "Scenarios": curve.with_columns(pl.col("option") + " [USD/month]").pivot(
                  on="option", index="tokens_per_month", values="usd_per_month")}
    if sensitivity is not None:
        sheets["Sensitivity"] = sensitivity
    sheets.update(extra or {})
    workbook(headline(result), figures, sheets, crossover_sources(result), db_path=db_path)


STRATEGY_WORDS = {"on-demand": "renting on demand", "spot": "renting spot", "reserved-1y": "reserving for 1 year",
                  "reserved-3y": "reserving for 3 years", "serverless": "serverless", "buy": "buying", "api": "the API"}
"""How the horizon's strategies read in a sentence."""


def horizon_headline(result: Any) -> str:
    """The horizon answer: the cheapest way over the months in present value, against the API, when it pays back, and
    the trends that produced it."""
    from costmodel import formatting as fmt

    t = result.trends
    ranked = result.summary.filter(pl.col("strategy") != "api").sort("npv_usd")
    api = result.strategy("api")
    best = ranked.row(0, named=True)
    verdict = "less" if best["npv_usd"] < api["npv_usd"] else "more"
    text = (f"**Over {t.months} months, {STRATEGY_WORDS[best['strategy']]} is the cheapest way to self-host: "
            f"{fmt.money(best['npv_usd'])} in present value, {verdict} than {fmt.money(api['npv_usd'])} for {result.api_label}**")
    text += (f"; it pays back in month {best['break_even_month']}." if best["break_even_month"] and verdict == "less" else
             "; it does not pay back within the horizon." if verdict == "more" else ".")
    others = [f"{STRATEGY_WORDS[r['strategy']]} {fmt.money(r['npv_usd'])}" for r in ranked.iter_rows(named=True)][1:]
    if others:
        text += " Then " + ", ".join(others) + "."
    trend = (f"\n\nVolume {fmt.signed_percent(t.volume_growth_per_month * 100, 1)} a month from "
             f"{fmt.volume(result.monthly['tokens_per_month'][0])}; API price {fmt.signed_percent(result.api_price_change_per_year * 100)} "
             f"a year ({result.api_trend_source}); GPU prices {fmt.signed_percent(t.gpu_price_change_per_year * 100)} a year "
             f"(stated); discount rate {fmt.percent(t.discount_rate_per_year, 1)} a year.")
    committed = ranked.filter(pl.col("committed_after_horizon_usd") > 0)
    for r in committed.iter_rows(named=True):
        trend += (f" {_upper_first(STRATEGY_WORDS[r['strategy']])} leaves {fmt.money(r['committed_after_horizon_usd'])} committed "
                  "after the horizon (not in its total).")
    if "buy" in set(ranked["strategy"]):
        trend += (" Buying pays for the GPUs when they are bought and is credited their straight-line book value in the last "
                  "month (the drop at the end of its curve).")
    if result.skipped:
        trend += " Not laid out: " + "; ".join(result.skipped) + "."
    return text + trend


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def horizon_summary(result: Any) -> pl.DataFrame:
    """Each strategy's totals for people: the strategy in words, and no pay-back month for the API itself."""
    return result.summary.with_columns(
        pl.col("strategy").replace_strict(STRATEGY_WORDS, default=pl.col("strategy")).map_elements(_upper_first, return_dtype=pl.String),
        pl.when(pl.col("strategy") == "api").then(pl.lit("")).otherwise(
            pl.col("break_even_month").cast(pl.String).fill_null("not within the horizon")).alias("break_even_month"))


def horizon_table(result: Any, every_months: int = 6, *, for_people: bool = True) -> pl.DataFrame:
    """Cumulative cost of each strategy every ``every_months`` months (and the last), one column per strategy: money
    strings with labels for people, or numbers named cumulative_usd__STRATEGY for a workbook."""
    from costmodel import formatting as fmt

    months = sorted({*range(every_months, result.trends.months + 1, every_months), result.trends.months})
    wide = (result.monthly.filter(pl.col("month").is_in(months))
            .pivot(on="strategy", index="month", values="cumulative_usd").sort("month"))
    strategies = [c for c in wide.columns if c != "month"]
    if not for_people:
        return wide.rename({c: f"cumulative_usd__{c}" for c in strategies})
    return pl.DataFrame({"Month": [str(m) for m in wide["month"]],
                         **{f"{_upper_first(STRATEGY_WORDS.get(c, c))}, cumulative [{fmt.display_currency()}]":
                            [fmt.money(v) for v in wide[c]] for c in strategies}})


def plan_headline(result: Any) -> str:
    """The planner's answer: the cheapest option, the cheapest self-hosted and by API, and the cheapest without caveats."""
    from costmodel import formatting as fmt

    def name(r: dict[str, Any] | None) -> str:
        if r is None:
            return "none"
        band = (f", {fmt.money(r['usd_per_month_low'])} to {fmt.money(r['usd_per_month_high'])} across the throughput band"
                if r["kind"] == "self-host" and r["usd_per_month_low"] != r["usd_per_month_high"] else "")
        return f"{r['option']} at {fmt.money(r['usd_per_month'])}/month ({fmt.money(r['usd_per_mtok'], 3)}/M tokens{band})"

    best, own, api, clean = (result.cheapest(), result.cheapest(kind="self-host"), result.cheapest(kind="api"),
                             result.cheapest(without_caveats=True))
    text = (f"**For {fmt.volume(result.workload.tokens_per_month)} of {result.floor}, the cheapest of "
            f"{fmt.number(result.options.height)} options is {name(best)}.**")
    if best is not None and best["caveats"]:
        text += f" Caveat: {best['caveats']}."
    text += f"\n\nCheapest self-hosted: {name(own)}. Cheapest API: {name(api)}."
    text += f" Cheapest without caveats: **{name(clean)}**." if clean else " Every option carries a caveat."
    return text


def plan_quality(result: Any, benchmark: str, *, db_path: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The plan's options with each model's score on ``benchmark`` (its best-covered source), the Pareto front of cost
    against that score, and a sentence on what the chart can say (models without a score are left off)."""
    from costmodel.catalog import quality

    scored = quality.meets_floor(benchmark, min_score_pct=0.0, db_path=db_path).select("model_id", "score_pct", "source_id")
    frame = result.options.join(scored.rename({"source_id": "score_source_id"}), on="model_id", how="left")
    # each model's cheapest self-hosted and cheapest API option: every other option of the model is dominated by one
    with_score = frame.drop_nulls("score_pct").sort("usd_per_month").group_by("model_id", "kind", maintain_order=True).first()
    front = pareto_front(with_score)
    missing = sorted(set(frame.filter(pl.col("score_pct").is_null())["model_id"].drop_nulls()))
    note = (f"Each model's cheapest self-hosted and cheapest API option ({with_score.height:,} points of {frame.height:,} "
            f"options) against its {benchmark} score"
            + (f"; no score in the store for {', '.join(missing)}" if missing else "")
            + (". One model only: every option has the same score, so the front is the single cheapest option."
               if with_score["model_id"].n_unique() == 1 else "."))
    return with_score, front, note


def plan_sources(result: Any, scored: pl.DataFrame | None = None, *, db_path: Path | None = None) -> list[str]:
    """Source ids a plan rests on: every option's price sources, the calibration, the models' and GPUs' rows, the
    ownership inputs and (``scored``) the benchmark scores shown."""
    ids = {s.strip() for v in result.options["sources"].drop_nulls() for s in v.split(",") if s.strip()}
    gpus = tuple(result.options["gpu_id"].drop_nulls().unique().to_list())
    ids |= used_sources(models=result.models, gpus=gpus, db_path=db_path)
    if scored is not None and "score_source_id" in scored.columns:
        ids |= {s.strip() for v in scored["score_source_id"].drop_nulls() for s in v.split(",")}
    return sorted(ids)


def pareto_front(frame: pl.DataFrame, cost_column: str = "usd_per_month", quality_column: str = "score_pct") -> pl.DataFrame:
    """The options no other option beats on both cost and quality: cheapest first, each better than every cheaper one."""
    ranked = frame.drop_nulls([cost_column, quality_column]).sort(cost_column, pl.col(quality_column), descending=[False, True])
    best = ranked[quality_column].cum_max().shift(1)
    return ranked.filter(best.is_null() | (pl.col(quality_column) > best))


def use_currency(code: str, *, on: dt.date | str | None = None, db_path: Path | None = None) -> str:
    """Show the report's amounts in ``code`` from here on (at the store's rate in force ``on``, default today); returns the
    sentence saying which rate and source ('' for USD)."""
    from costmodel.catalog import currency
    from costmodel import formatting

    r = currency.rate(code, on, db_path=db_path)
    formatting.in_currency(r.currency, r.units_per_usd)
    return "" if r.currency == "USD" else f"\n\n**Amounts in {r.currency}**: {r.describe()}."


def answer(text: str) -> None:
    """Display a report's answer (Markdown): the HTML export puts it first, right under the title."""
    from IPython.display import Markdown, display

    display(Markdown(text), metadata={"costmodel": {"role": "answer"}})


def model_selection_sources(table: pl.DataFrame, gpu: str, edge_device: str, *, db_path: Path | None = None) -> list[str]:
    """Source ids model_selection rests on: its candidates' rows, the two devices and the GPU's on-demand prices."""
    gpus = (catalog.resolve_gpu_id(gpu, db_path=db_path), catalog.resolve_gpu_id(edge_device, db_path=db_path))
    ids = used_sources(models=tuple(table["model_id"].unique().to_list()), gpus=gpus, pricing_mode="on-demand",
                       priced_gpus=gpus[:1], db_path=db_path)
    if "score_source_id" in table.columns:
        ids |= set(table["score_source_id"].drop_nulls().str.split(", ").explode().to_list())
    return sorted(ids)


def model_selection_headline(table: pl.DataFrame, tokens_per_month: float, gpu: str) -> str:
    """The model_selection answer first: for each need, the best-scoring open model that fits, and the cheapest of the
    candidates where that is another model."""
    from costmodel import formatting as fmt

    if table.height == 0:
        return f"No open model with a published score fits on {gpu}."
    parts = []
    for need, group in table.group_by("need", maintain_order=True):
        best = group.row(0, named=True)
        text = f"{need[0]}: **{best['model_id']}** ({best['benchmark']} {fmt.number(best['score_pct'], 1)}%"
        text += f", {fmt.money(best['usd_per_mtok'], 3)}/M tokens)" if best["usd_per_mtok"] is not None else ")"
        cheap = best.get("cheapest_that_fits")
        if cheap and cheap != best["model_id"]:
            c = group.filter(pl.col("model_id") == cheap).row(0, named=True)
            text += f", cheapest {cheap} ({fmt.money(c['usd_per_mtok'], 3)}/M tokens)"
        parts.append(text)
    seed = table.filter(pl.col("seed_pick"))["model_id"].n_unique()
    listed = table["model_id"].n_unique()
    return (f"**The best-scoring open model that fits, per need** (on {gpu}, priced at {fmt.volume(tokens_per_month)}): "
            + "; ".join(parts) + f". {seed} of the {listed} models listed {'is' if seed == 1 else 'are'} what the 2024 article "
            "recommended for that need. Scores come from different sources (the table names each): within one point or two, "
            "compare them in one source. The article's 'Chinese language' need is not ranked: the store has no "
            "Chinese-language benchmark.")


def monte_carlo_text(summary: dict[str, Any], samples: int, tokens_per_month: float) -> str:
    """The Monte Carlo result in words: never-pays share, break-even P10/P50/P90 and saving multiples."""
    from costmodel import formatting as fmt

    text = f"Over {samples:,} draws self-hosting never pays in **{fmt.percent(summary['never_share'])}** of them. "
    if summary["break_even_tokens_per_month_p50"] is not None:
        text += (f"Where it does, the break-even volume is **{fmt.volume(summary['break_even_tokens_per_month_p10'], '')}** (P10) / "
                 f"**{fmt.volume(summary['break_even_tokens_per_month_p50'], '')}** (P50) / "
                 f"**{fmt.volume(summary['break_even_tokens_per_month_p90'])}** (P90). ")
    return text + (f"The saving multiple (API cost / self-host cost) at {fmt.volume(tokens_per_month)} is "
                   f"{summary['saving_multiple_p10']:.2f} (P10) / {summary['saving_multiple_p50']:.2f} (P50) / "
                   f"{summary['saving_multiple_p90']:.2f} (P90).")


def tornado_table(tornado: pl.DataFrame) -> pl.DataFrame:
    """The tornado for people: each input by its label, its stated range, the saving and break-even at each end, and
    a sentence for an input whose range does not move the answer."""
    from costmodel import formatting as fmt

    rows = []
    for r in tornado.iter_rows(named=True):
        still = math.isclose(r["saving_low"], r["saving_high"], rel_tol=1e-9)
        rows.append({"Input": fmt.label(r["input"]), "Range": f"{fmt.significant(r['low_value'])} to {fmt.significant(r['high_value'])}",
                     "Saving at low end [x]": fmt.number(r["saving_low"], 2), "Saving at high end [x]": fmt.number(r["saving_high"], 2),
                     "Break-even at low end [tokens/month]": fmt.cell("break_even_low", r["break_even_low"]),
                     "Break-even at high end [tokens/month]": fmt.cell("break_even_high", r["break_even_high"]),
                     "Range from": ("its whole range leaves the saving unchanged here" if still else r["source"])})
    return pl.DataFrame(rows, schema={k: pl.String for k in ("Input", "Range", "Saving at low end [x]", "Saving at high end [x]",
                                                              "Break-even at low end [tokens/month]",
                                                              "Break-even at high end [tokens/month]", "Range from")})


def monte_carlo_reconciliation(summary: dict[str, Any], effects: pl.DataFrame) -> str:
    """Why the Monte Carlo and the central case differ, for the saving and for the break-even: whether the central
    values lie inside the P10-P90, and each asymmetric range with how far it moves the median when drawn alone."""
    from costmodel import formatting as fmt

    central = float(effects["central_saving_multiple"][0]) if effects.height else float("nan")
    inside = summary["saving_multiple_p10"] <= central <= summary["saving_multiple_p90"]
    movers = effects.filter(pl.col("median_shift_share").abs() >= 0.02)
    text = (f"**The saving.** The central case's saving multiple, {central:.2f}, lies "
            + ("inside" if inside else "**outside**") + f" the Monte Carlo P10-P90 ({summary['saving_multiple_p10']:.2f} to "
            f"{summary['saving_multiple_p90']:.2f}). ")
    if movers.height:
        text += ("These stated ranges are not centred on the central case and, each drawn alone, move the median saving: "
                 + "; ".join(f"{fmt.label(r['input'])} ({r['range_source']}): {r['median_shift_share'] * 100:+.0f}%"
                             for r in movers.iter_rows(named=True)) + ".")
    else:
        text += "No single range moves the median by 2% or more."
    return text + "\n\n" + _break_even_reconciliation(summary, effects, fmt)


def _break_even_reconciliation(summary: dict[str, Any], effects: pl.DataFrame, fmt: Any) -> str:
    """The break-even half of ``monte_carlo_reconciliation``."""
    central = effects["central_break_even_tokens_per_month"][0] if effects.height else None
    never = summary["never_share"]
    p10, p90 = summary.get("break_even_tokens_per_month_p10"), summary.get("break_even_tokens_per_month_p90")
    band = (f"where it pays, the break-even P10-P90 is {fmt.volume(p10, '')} to {fmt.volume(p90)}"
            if p10 is not None and p90 is not None else "it pays in no draw")
    if central is None:
        text = (f"**The break-even.** At the central values self-hosting never pays; over the draws it never pays in "
                f"{fmt.percent(never)} of them and {band}. ")
        agrees = never >= 0.5
    else:
        agrees = p10 is not None and p90 is not None and p10 <= central <= p90
        text = (f"**The break-even.** The central break-even, {fmt.volume(central)}, lies "
                + ("inside" if agrees else "**outside**") + f" the Monte Carlo P10-P90 ({band}; never in "
                f"{fmt.percent(never)} of the draws). ")
    if central is None:
        movers = effects.filter(pl.col("never_share") < 0.98)
        if movers.height:
            text += ("Drawn alone, these ranges make self-hosting pay in some draws: " + "; ".join(
                f"{fmt.label(r['input'])} ({r['range_source']}): pays in {fmt.percent(1 - r['never_share'])}"
                + (f", median break-even {fmt.volume(r['median_break_even_tokens_per_month'])}"
                   if r["median_break_even_tokens_per_month"] is not None else "")
                for r in movers.sort("never_share").iter_rows(named=True)) + ".")
        else:
            text += "No single range makes it pay in more than 2% of draws."
        return text
    moved = effects.with_columns(
        shift=(pl.col("median_break_even_tokens_per_month") / central - 1)).filter(
        (pl.col("shift").abs() >= 0.02) | (pl.col("never_share") >= 0.02))
    if moved.height:
        text += ("Drawn alone, these ranges move it: " + "; ".join(
            f"{fmt.label(r['input'])} ({r['range_source']}): median "
            + (fmt.signed_percent(r["shift"] * 100) if r["shift"] is not None else "never")
            + (f", never pays in {fmt.percent(r['never_share'])}" if r["never_share"] >= 0.02 else "")
            for r in moved.iter_rows(named=True)) + ".")
    else:
        text += "No single range moves the median break-even by 2% or more."
    return text


NEEDS: dict[str, tuple[str, str]] = {
    "Best quality, run locally": ("mmlu-pro", "any open model that fits on up to 8 of the GPU"),
    "Reasoning (math/code)": ("gpqa-diamond", "any open model that fits on up to 8 of the GPU"),
    "Code generation": ("livecodebench", "any open model that fits on up to 8 of the GPU"),
    "Instruction following": ("ifeval", "any open model that fits on up to 8 of the GPU"),
    "Smallest footprint": ("mmlu-pro", "at most 15 billion parameters, on one GPU"),
    "MoE efficiency": ("mmlu-pro", "mixture-of-experts models, ranked by score"),
    "Mobile/edge": ("mmlu-pro", "fits the edge device in Q4_K_M (llama.cpp)"),
    "Commercially safest license": ("mmlu-pro", "commercial use allowed without restriction (commercial_use = yes)"),
}
"""The seed article's needs, each ranked by a published benchmark over the current catalog (the benchmark, the rule)."""
CANDIDATES_PER_NEED = 3
"""Best-scoring models listed per need."""


def model_selection(*, tokens_per_month: float = 1e9, gpu: str = "h100-sxm", precision: str | None = None,
                    edge_device: str = "raspberry-pi-5-8gb", db_path: Path | None = None) -> pl.DataFrame:
    """The seed's "Choosing an Open Model" table rebuilt on the current catalog: for each need, the open models with the
    best published score on its benchmark (``NEEDS``; each model's score in its best-covered source) that meet the need's
    rule, with weights memory, fewest devices, $/M tokens at ``tokens_per_month`` on ``gpu`` (on-demand median), licence,
    and which of them is cheapest. ``seed_pick``: the article recommended this model for the need."""
    from costmodel.catalog import quality
    from costmodel.models.deployment import memory

    workload = Workload(tokens_per_month=tokens_per_month)
    models = catalog.models(db_path=db_path).filter(pl.col("open_weights"))
    rows = []
    for need, (benchmark, rule) in NEEDS.items():
        scored = quality.meets_floor(benchmark, min_score_pct=0.0, db_path=db_path).join(models, on="model_id")
        edge = need == "Mobile/edge"
        picked = 0
        for r in scored.sort("score_pct", descending=True).iter_rows(named=True):
            if picked == CANDIDATES_PER_NEED:
                break
            if need == "MoE efficiency" and not (r["num_experts"] or 0) > 1:
                continue
            if need == "Smallest footprint" and r["total_params_b"] > 15:
                continue
            if need == "Commercially safest license" and r["commercial_use"] != "yes":
                continue
            device, prec, engine = ((edge_device, "q4_k_m", "llama.cpp") if edge
                                    else (gpu, precision or r["release_precision_id"], "vllm"))
            try:
                mem = memory(r["model_id"], prec, gpu=device, engine=engine, context_tokens=min(4096, r["context_tokens"]),
                             db_path=db_path)
            except CostmodelError:
                continue
            limit = 1 if (edge or need == "Smallest footprint") else 8
            if mem.min_gpus is None or mem.min_gpus > limit:
                continue
            row = {"need": need, "model_id": r["model_id"], "benchmark": benchmark, "score_pct": r["score_pct"],
                   "score_source_id": r["source_id"], "total_params_b": r["total_params_b"],
                   "active_params_b": r["active_params_b"], "device": device, "precision": prec, "weights_gb": mem.weights_gb,
                   "min_devices": mem.min_gpus, "licence": r["licence"], "commercial_use": r["commercial_use"],
                   "usd_per_mtok": None, "output_tokens_per_s": None, "rule": rule,
                   "seed_pick": r["model_id"] in SEED_NEEDS.get(need, ())}
            try:
                sh = resolve_self_host(SelfHostOption(model=r["model_id"], gpu=device, precision=prec, engine=engine,
                                                      **({"gpu_usd_per_hour": 0.01, "ops_usd_per_month": 0} if edge else {})),
                                       workload, db_path=db_path)
                row["output_tokens_per_s"] = sh.output_tokens_per_s
                if not edge:
                    row["usd_per_mtok"] = self_host_row(sh, workload)["usd_per_mtok"]
            except CostmodelError as exc:
                row["note"] = str(exc)
            rows.append(row)
            picked += 1
    frame = pl.DataFrame(rows, infer_schema_length=None)
    cheapest = (frame.filter(pl.col("usd_per_mtok").is_not_null()).sort("usd_per_mtok")
                .group_by("need", maintain_order=True).first().select("need", pl.col("model_id").alias("cheapest_that_fits")))
    return frame.join(cheapest, on="need", how="left")


# ---------------------------------------------------------------------------------------------
# The seed article's claims, checked


def seed_claims(*, small_tokens_per_month: float = 1e7, large_tokens_per_month: float = 5e9,
                db_path: Path | None = None) -> pl.DataFrame:
    """Each numeric claim and key fact of the seed article: verdict (computed by a rule, ``costmodel.scenarios.claims``), what the
    article says, the computed figure, when the verdict would change, and the assumptions."""
    from costmodel.scenarios import claims

    return claims.seed_claims(small_tokens_per_month=small_tokens_per_month, large_tokens_per_month=large_tokens_per_month,
                              db_path=db_path)


def seed_claims_headline(claims_frame: pl.DataFrame) -> str:
    """The seed_claims answer: how many claims hold, hold only under conditions, do not hold, naming the last."""
    from costmodel.scenarios import claims

    count = {v: int((claims_frame["verdict"] == v).sum()) for v in claims.VERDICTS}
    failing = claims_frame.filter(pl.col("verdict") == claims.DOES_NOT_HOLD)["claim"].to_list()
    text = (f"**Of the article's {claims_frame.height} claims, {count[claims.HOLDS]} hold as stated, "
            f"{count[claims.CONDITIONS]} hold only under stated conditions and {count[claims.DOES_NOT_HOLD]} "
            f"{'does' if count[claims.DOES_NOT_HOLD] == 1 else 'do'} not hold**")
    return text + (f" ({'; '.join(failing)})." if failing else ".")


def seed_claims_sources(*, db_path: Path | None = None) -> list[str]:
    """Source ids the seed_claims report rests on: the models and devices of its claims, the GPU prices of the volume
    claims, the API prices compared, and the sources of the article's misstatements."""
    from costmodel.scenarios import claims

    models = {m for _c, m, *_ in claims.MEMORY_CLAIMS} | {c[2] for c in claims.FIT_CLAIMS} | {claims.SMALL_MODEL, claims.LARGE_MODEL}
    gpus = {c[4] for c in claims.FIT_CLAIMS} | {claims.LARGE_GPU}
    ids = used_sources(models=tuple(models), gpus=tuple(gpus), db_path=db_path)
    ids.update(prices.gpu_prices(db_path=db_path).filter(pl.col("pricing_mode").is_in(["on-demand", "serverless"]))["source_id"])
    for text in (claims.SMALL_API, *claims.LARGE_APIS):
        ids.update(x.strip() for x in resolve_api(ApiOption.parse(text), Workload(tokens_per_month=1.0), db_path=db_path).source.split(","))
    for provider, model in (("deepseek", "deepseek-reasoner"), ("openai", "o1")):
        ids.update(prices.api_prices(claims.PRICE_DATE, provider=provider, provider_model_id=model, db_path=db_path)["source_id"])
    ids.update(store.table("seed_discrepancies", db_path=db_path)["source_id"].to_list())
    return sorted(i for i in ids if i)


# ---------------------------------------------------------------------------------------------
# Validation: how far the throughput model is off on measurements it never saw


VALIDATION_GROUPS = (("engine_id", "Engine"), ("gpu_vendor", "GPU vendor"), ("model_family", "Model family"),
                     ("run_kind", "Kind of run"))
"""The columns the validation report breaks leave-one-source-out errors down by, with their labels."""


def validation_headline(summary: dict[str, Any]) -> str:
    """The validation report's answer: how far the throughput model is off on runs it never saw."""
    from costmodel.formatting import number, percent, signed_percent

    return (f"**{number(summary['rows'])} measured runs from {number(summary['sources'])} publishers.** "
            f"Median error {number(summary['median_abs_error_pct'], 1)}%, {percent(summary['share_beyond_50_pct'], 1)} of runs off "
            f"by more than 50%, mean {signed_percent(summary['mean_error_pct'], 1)} (positive: the model is too optimistic); "
            f"the printed band holds {percent(summary['band_coverage_share'])} of them. The plain roofline, uncalibrated, is off "
            f"by a median {number(summary['roofline_median_abs_error_pct'], 0)}%.")


def validation_tables(*, db_path: Path | None = None) -> dict[str, pl.DataFrame]:
    """The saved leave-one-source-out validation as tables for people: overall, per group, both estimators."""
    from costmodel import formatting
    from costmodel.models.calibration import breakdown, estimator_comparison, stored_validation, summarise

    frame = stored_validation(db_path=db_path)
    overall = summarise(frame)
    out = {"Overall": formatting.breakdown_display([{"scope": "all rows", **{k: overall[k] for k in formatting.BREAKDOWN_LABELS}}],
                                                   "scope", "Scope")}
    for column, label in VALIDATION_GROUPS:
        out[label] = formatting.breakdown_display(breakdown(frame, column).to_dicts(), column, label)
    both = estimator_comparison(frame)
    if both:
        out["Estimators"] = formatting.breakdown_display(both, "estimator", "Estimator (rows both cover)")
    return out
