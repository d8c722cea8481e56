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

from . import catalog, cost, store
from .errors import CostmodelError
from .scenarios import (
    ApiOption,
    Crossover,
    SelfHostOption,
    Workload,
    api_row,
    crossover,
    resolve_api,
    resolve_self_host,
    self_host_row,
)

CURVE_TOKENS_PER_MONTH = tuple(10 ** (6 + k / 8) for k in range(0, 8 * 7 + 1))
"""Volumes of the cost curves: 1e6 to 1e13 tokens per month, 8 points a decade."""


def table_html(frame: pl.DataFrame, *, max_rows: int = 200) -> str:
    """A clean HTML table for reports: numbers with separators and 4 significant digits, no dtypes or quotes."""
    import html as _html

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            if math.isnan(value):
                return ""
            return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
        return _html.escape(str(value))

    head = "".join(f"<th>{_html.escape(c)}</th>" for c in frame.columns)
    def td(value: Any) -> str:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return f'<td class="num">{cell(value)}</td>' if numeric else f"<td>{cell(value)}</td>"

    rows = "".join("<tr>" + "".join(td(v) for v in row) + "</tr>" for row in frame.head(max_rows).iter_rows())
    more = f"<p>{frame.height - max_rows} more rows not shown</p>" if frame.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


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
    from . import formatting as fmt

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
    from .usage import profile_for

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


def assumptions_table(result: Crossover, *, workload_source: str | None = None) -> pl.DataFrame:
    """Every number the crossover used, with its source (``workload_source``: where the traffic figures came from)."""
    a = result.to_dict()["assumptions"]
    sources = {
        "gpu_usd_per_hour": a["gpu_price_source"], "output_tokens_per_s_per_replica": a["throughput_source"],
        "api_input_usd_per_mtok": a["api_price_source"], "api_output_usd_per_mtok": a["api_price_source"],
        "api_cached_input_usd_per_mtok": a["api_price_source"], "ops_usd_per_month": "ownership_inputs (assumption) unless given",
        "peak_to_mean": "parameter", "target_utilisation": "parameter", "input_share": "from the request lengths unless given",
    }
    if workload_source:
        sources.update(dict.fromkeys(WORKLOAD_KEYS, workload_source))
    rows = []
    for key, value in a.items():
        if key in ("gpu_price_source", "throughput_source", "api_price_source", "gpu_price") or value is None:
            continue
        if isinstance(value, dict):
            for k, v in value.items():
                rows.append({"Assumption": f"{key}.{k}", "Value": _fmt(v), "Source": "ownership_inputs"})
            continue
        rows.append({"Assumption": key, "Value": _fmt(value), "Source": sources.get(key, "parameter")})
    return pl.DataFrame(rows)


def _fmt(value: Any) -> str:
    """A value for people: separators, at most four significant figures below a million, never scientific."""
    from . import formatting

    if isinstance(value, float):
        if value == 0 or abs(value) >= 1e6:
            return formatting.number(value)
        return formatting.significant(value, 4)
    if isinstance(value, (list, tuple)):
        return " to ".join(_fmt(v) for v in value)
    return str(value)


def headline(result: Crossover) -> str:
    """One paragraph of Markdown: the answer, with its conditions and the caveats that change it."""
    from . import formatting as fmt

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
    caveats = "".join(f"\n\n**Caveat on the GPU price:** {c}." for c in d["caveats"])
    price = (f"\n\nGPU price: {fmt.money(a['gpu_usd_per_hour'])} per GPU-hour, {a['gpu_price_source']}."
             if a["gpu_usd_per_hour"] else "")
    return (f"{answer}{caveats}\n\nAt {fmt.volume(a['tokens_per_month'])}, {a['self_host']} costs "
            f"**{fmt.money(d['self_host_usd_per_month'])}** a month ({d['replicas']} replica(s), {d['gpus']} GPU(s), "
            f"{fmt.percent(d['utilisation'])} busy) and {a['api']} costs **{fmt.money(d['api_usd_per_month'])}**: "
            f"{fmt.ratio(multiple)}.{price}")


def sources_footer(source_ids: list[str] | None = None, *, db_path: Path | None = None) -> str:
    """Markdown footer: the sources used (all registered ones if none given) and the data's as-of date."""
    frame = store.query("SELECT source_id, title, url_or_citation, retrieved_on FROM sources ORDER BY source_id", db_path=db_path)
    if source_ids:
        frame = frame.filter(pl.col("source_id").is_in(source_ids))
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
    """Source ids a crossover rests on."""
    ids = {"genai-prices-0.2.3", "throughput-calibration-fit", "assumption"}
    ids.update(s.strip() for s in result.api.source.split(",") if s.strip() and s.strip() != "explicit")
    frame = store.gpu_prices(gpu=result.self_host.gpu_id)
    ids.update(frame["source_id"].unique().to_list())
    return sorted(ids)


# ---------------------------------------------------------------------------------------------
# GPU sizing: every GPU, count and precision that serves a model


SIZING_PRECISIONS = ("fp8", "awq")
"""Precisions gpu_sizing tries besides the model's release precision: FP8 and AWQ int4, the common quantisations."""


def sizing_precisions(model: str, precisions: tuple[str, ...] | None, *, db_path: Path | None = None) -> tuple[str, ...]:
    """The precisions gpu_sizing tries: ``precisions``, or the model's release precision and SIZING_PRECISIONS."""
    if precisions:
        return tuple(catalog.resolve_precision_id(p, db_path=db_path) for p in precisions)
    release = catalog.get_model(model, db_path=db_path).release_precision_id
    return tuple(dict.fromkeys((release, *SIZING_PRECISIONS)))


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
                             "status": "ok"})
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


def model_selection_headline(table: pl.DataFrame, tokens_per_month: float, gpu: str) -> str:
    """The model_selection report's answer first: for each need, the cheapest candidate that fits, and its $/M tokens."""
    from . import formatting as fmt

    picks = table.filter(pl.col("cheapest_that_fits") == pl.col("model_id")) if "cheapest_that_fits" in table.columns else table.head(0)
    parts = []
    for r in picks.unique("need", keep="first", maintain_order=True).iter_rows(named=True):
        cost = f" at {fmt.money(r['usd_per_mtok'], 3)} per million tokens" if r.get("usd_per_mtok") is not None else ""
        parts.append(f"{r['need']}: **{r['model_id']}**{cost}")
    if not parts:
        return f"No candidate fits on {gpu} at {fmt.volume(tokens_per_month)}."
    return (f"**The cheapest open model that fits, per need** (on {gpu}, at {fmt.volume(tokens_per_month)}): "
            + "; ".join(parts) + ".")


def monte_carlo_text(summary: dict[str, Any], samples: int, tokens_per_month: float) -> str:
    """The Monte Carlo result in words: never-pays share, break-even P10/P50/P90 and saving multiples."""
    from . import formatting as fmt

    text = f"Over {samples:,} draws self-hosting never pays in **{fmt.percent(summary['never_share'])}** of them. "
    if summary["break_even_tokens_per_month_p50"] is not None:
        text += (f"Where it does, the break-even volume is **{fmt.volume(summary['break_even_tokens_per_month_p10'], '')}** (P10) / "
                 f"**{fmt.volume(summary['break_even_tokens_per_month_p50'], '')}** (P50) / "
                 f"**{fmt.volume(summary['break_even_tokens_per_month_p90'])}** (P90). ")
    return text + (f"The saving multiple (API cost / self-host cost) at {fmt.volume(tokens_per_month)} is "
                   f"{summary['saving_multiple_p10']:.2f} (P10) / {summary['saving_multiple_p50']:.2f} (P50) / "
                   f"{summary['saving_multiple_p90']:.2f} (P90).")


def monte_carlo_reconciliation(summary: dict[str, Any], effects: pl.DataFrame) -> str:
    """Why the Monte Carlo median and the central case differ: the asymmetric ranges, each with how far it moves the median."""
    central = float(effects["central_saving_multiple"][0]) if effects.height else float("nan")
    inside = summary["saving_multiple_p10"] <= central <= summary["saving_multiple_p90"]
    movers = effects.filter(pl.col("median_shift_share").abs() >= 0.02)
    text = (f"The central case's saving multiple, {central:.2f}, lies "
            + ("inside" if inside else "**outside**") + f" the Monte Carlo P10-P90 ({summary['saving_multiple_p10']:.2f} to "
            f"{summary['saving_multiple_p90']:.2f}). ")
    if movers.height:
        text += ("These stated ranges are not centred on the central case and, each drawn alone, move the median saving: "
                 + "; ".join(f"{r['input']} ({r['range_source']}): {r['median_shift_share'] * 100:+.0f}%"
                             for r in movers.iter_rows(named=True)) + ".")
    else:
        text += "No single range moves the median by 2% or more."
    return text


def model_selection(*, tokens_per_month: float = 1e9, gpu: str = "h100-sxm", precision: str | None = None,
                    edge_device: str = "raspberry-pi-5-8gb", db_path: Path | None = None) -> pl.DataFrame:
    """The seed's table regenerated: for each need, its candidates with weights memory, fewest
    GPUs, $/M tokens at ``tokens_per_month`` on ``gpu`` (on-demand median), licence and
    commercial use, and which candidate is cheapest among those that fit. ``precision`` None:
    each model's release precision (bf16 for Llama and Qwen, fp8 for DeepSeek V3)."""
    from .memory import memory

    workload = Workload(tokens_per_month=tokens_per_month)
    rows = []
    for need, models in SEED_NEEDS.items():
        for model_id in models:
            m = catalog.get_model(model_id, db_path=db_path)
            edge = need == "Mobile/edge"
            device, prec, engine = ((edge_device, "q4_k_m", "llama.cpp") if edge
                                    else (gpu, precision or m.release_precision_id, "vllm"))
            mem = memory(model_id, prec, gpu=device, engine=engine, context_tokens=min(4096, m.context_tokens), db_path=db_path)
            row = {"need": need, "model_id": model_id, "total_params_b": m.total_params_b, "active_params_b": m.active_params_b,
                   "device": device, "precision": prec, "weights_gb": mem.weights_gb, "min_devices": mem.min_gpus,
                   "licence": m.licence, "commercial_use": m.commercial_use, "usd_per_mtok": None, "output_tokens_per_s": None}
            try:
                sh = resolve_self_host(SelfHostOption(model=model_id, gpu=device, precision=prec, engine=engine,
                                                      **({"gpu_usd_per_hour": 0.01, "ops_usd_per_month": 0} if edge else {})),
                                       workload, db_path=db_path)
                row["output_tokens_per_s"] = sh.output_tokens_per_s
                if not edge:
                    row["usd_per_mtok"] = self_host_row(sh, workload)["usd_per_mtok"]
            except CostmodelError as exc:
                row["note"] = str(exc)
            rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    cheapest = (frame.filter(pl.col("usd_per_mtok").is_not_null()).sort("usd_per_mtok")
                .group_by("need", maintain_order=True).first().select("need", pl.col("model_id").alias("cheapest_that_fits")))
    return frame.join(cheapest, on="need", how="left")


# ---------------------------------------------------------------------------------------------
# The seed article's claims, checked


def seed_claims(*, small_tokens_per_month: float = 1e7, large_tokens_per_month: float = 5e9,
                db_path: Path | None = None) -> pl.DataFrame:
    """Each numeric claim and key fact of the seed article: verdict, computed figure, assumptions.

    Verdicts: holds, holds only under stated conditions, does not hold.
    """
    from .memory import GIB_BYTES, memory
    from .throughput import throughput

    rows: list[dict[str, str]] = []

    def add(claim: str, verdict: str, figure: str, assumptions: str) -> None:
        rows.append({"claim": claim, "verdict": verdict, "computed": figure, "assumptions": assumptions})

    m = memory("llama-3.1-8b", "bf16", gpu="rtx-4090", context_tokens=8192, db_path=db_path)
    add("Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16", "holds" if m.fits else "does not hold",
        f"weights {m.weights_gb:.1f} GB + overhead {m.overhead_gb:.1f} GB of {m.usable_gb:.1f} GB usable; "
        f"room for {m.max_concurrency} sequences of 8K tokens", "vLLM reserve 90%, 1.5 GB runtime overhead, BF16 KV cache")
    m = memory("llama-3.1-8b", "int4", gpu="t4", context_tokens=8192, db_path=db_path)
    add("Llama 3.1 8B fits a 16 GB GPU in INT4", "holds" if m.fits else "does not hold",
        f"weights {m.weights_gb:.1f} GB (AWQ/GPTQ 4.16 bits, embeddings 16-bit); {m.max_concurrency} sequences of 8K on a T4",
        "T4 16 GiB")
    bf = memory("mistral-7b", "bf16", context_tokens=4096, db_path=db_path)
    i4 = memory("mistral-7b", "int4", context_tokens=4096, db_path=db_path)
    add("Mistral 7B needs 14 GB in BF16 and 5 GB in INT4", "holds",
        f"weights {bf.weights_gb:.1f} GB BF16, {i4.weights_gb:.1f} GB INT4 ({i4.total_gb:.1f} GB with a 4K cache and overhead)",
        "7.24B parameters; GB = 1e9 bytes")
    bf = memory("mixtral-8x7b", "bf16", db_path=db_path)
    i4 = memory("mixtral-8x7b", "int4", gpu="rtx-4090", context_tokens=4096, db_path=db_path)
    add("Mixtral 8x7B needs 90 GB in BF16 and 24 GB in INT4", "holds only under stated conditions",
        f"weights {bf.weights_gb:.1f} GB BF16; {i4.weights_gb:.1f} GB INT4, so with cache and overhead it does not fit one 24 GB card "
        f"(needs {i4.min_gpus})", "all 8 experts resident (46.7B); the 24 GB figure is the weights alone")
    m = memory("llama-3.1-405b", "bf16", gpu="a100-80gb", gpus=8, db_path=db_path)
    add("Llama 3.1 405B runs on 8x A100 in BF16", "does not hold",
        f"weights alone {m.weights_gb:.0f} GB > 8 x 80 GiB = {8 * 80 * GIB_BYTES / 1e9:.0f} GB; needs {m.min_gpus} A100-80GB "
        "(or FP8 on 8 x H100/H200)", "405.85B parameters at 2 bytes")
    m = memory("gemma-3-4b", "q4_k_m", gpu="raspberry-pi-5-8gb", engine="llama.cpp", context_tokens=4096, db_path=db_path)
    t = throughput("gemma-3-4b", "raspberry-pi-5-8gb", precision="q4_k_m", engine="llama.cpp", input_tokens=100,
                   output_tokens=200, db_path=db_path)
    add("Gemma 3 4B fits on a Raspberry Pi 5 (INT4)", "holds" if m.fits else "does not hold",
        f"{m.total_gb:.1f} GB of {m.usable_gb:.1f} GB usable; about {t.output_tokens_per_s:.1f} tokens/s "
        f"({t.output_tokens_per_s_low:.1f}-{t.output_tokens_per_s_high:.1f}) for one stream",
        "Q4_K_M GGUF via llama.cpp, 8 GB board, calibrated on Raspberry Pi 5 measurements of Llama 3.x")
    # API price claims
    r1 = store.api_prices("2025-03-01", provider="deepseek", provider_model_id="deepseek-reasoner", db_path=db_path)
    o1 = store.api_prices("2025-03-01", provider="openai", provider_model_id="o1", db_path=db_path)
    if r1.height and o1.height:
        ri, ro = r1["input_usd_per_mtok"][0], r1["output_usd_per_mtok"][0]
        oi, oo = o1["input_usd_per_mtok"][0], o1["output_usd_per_mtok"][0]
        add("DeepSeek R1's API is 96% cheaper than o1", "holds",
            f"at launch prices R1 ${ri}/${ro} vs o1 ${oi}/${oo} per M input/output tokens: {1 - ri / oi:.1%} cheaper on input, "
            f"{1 - ro / oo:.1%} on output", "list prices in force on 2025-03-01 (standard hours for DeepSeek)")
    # break-even claims
    low = crossover(Workload(tokens_per_month=small_tokens_per_month), SelfHostOption(model="llama-3.1-8b", gpu="l4", precision="fp8"),
                    ApiOption.parse("together/llama-3.1-8b"), db_path=db_path)
    add("Below ~10M tokens/month an API is cheaper than self-hosting any open model",
        "holds" if low.saving_multiple < 1 else "does not hold",
        f"at {small_tokens_per_month:,.0f} tokens/month the cheapest case checked (Llama 3.1 8B FP8 on one L4) costs ${low.self_host_usd_per_month:,.0f}/month "
        f"against ${low.api_usd_per_month:,.2f} on Together: {low.self_host_usd_per_month / low.api_usd_per_month:,.0f}x more",
        "one always-on replica, $1,500/month operations; even with no operations cost one L4 month is "
        f"${low.self_host.usd_per_gpu_hour * cost.HOURS_PER_MONTH:,.0f}")
    big = crossover(Workload(tokens_per_month=large_tokens_per_month), SelfHostOption(model="llama-3.1-70b", gpu="h200", precision="fp8"),
                    ApiOption.parse("openai/gpt-4o"), db_path=db_path)
    same = crossover(Workload(tokens_per_month=large_tokens_per_month), SelfHostOption(model="llama-3.1-70b", gpu="h200", precision="fp8"),
                     ApiOption.parse("together/llama-3.3-70b"), db_path=db_path)
    top = crossover(Workload(tokens_per_month=large_tokens_per_month), SelfHostOption(model="llama-3.1-70b", gpu="h200", precision="fp8"),
                    ApiOption.parse("openai/o1"), db_path=db_path)
    verdict = "holds only under stated conditions" if top.saving_multiple >= 10 else "does not hold"
    add("At billions of tokens/month self-hosting beats API cost by 10-100x", verdict,
        f"at {large_tokens_per_month:,.0f} tokens/month Llama 3.1 70B FP8 on H200 is {top.saving_multiple:.0f}x cheaper than o1 and "
        f"{big.saving_multiple:.1f}x cheaper than GPT-4o, but {1 / same.saving_multiple:.1f}x dearer than the same open model "
        "on Together", "on-demand median GPU prices; 10-100x only against premium frontier APIs, never against hosted open models")
    return pl.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Validation: how far the throughput model is off on measurements it never saw


VALIDATION_GROUPS = (("engine_id", "Engine"), ("gpu_vendor", "GPU vendor"), ("model_family", "Model family"),
                     ("run_kind", "Kind of run"))
"""The columns the validation report breaks leave-one-source-out errors down by, with their labels."""


def validation_tables(*, db_path: Path | None = None) -> dict[str, pl.DataFrame]:
    """The saved leave-one-source-out validation as tables for people: overall, per group, both estimators."""
    from . import formatting
    from .calibration import breakdown, estimator_comparison, stored_validation, summarise

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
