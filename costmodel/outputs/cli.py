"""The ``costmodel`` command: one entry point, sub-commands, ``--json`` on every query."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.catalog import prices
from costmodel.errors import CostmodelError, UsageError

PRICING_MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y", "serverless")

_MODEL_COLUMNS = ["model_id", "display_name", "open_weights", "total_params_b", "active_params_b",
                  "context_tokens", "attention_kind", "licence", "commercial_use"]
_GPU_COLUMNS = ["gpu_id", "display_name", "device_class", "memory_gib", "memory_bandwidth_gb_per_s",
                "bf16_dense_tflops", "fp8_dense_tflops", "fp4_dense_tflops", "tdp_w"]
_GPU_PRICE_COLUMNS = ["gpu_id", "provider", "market_segment", "pricing_mode", "region", "gpus_per_instance",
                      "usd_per_gpu_hour", "observed_on", "age_days", "stale", "source_id"]
_API_PRICE_COLUMNS = ["model_id", "provider", "provider_model_id", "context_tier_start_tokens", "time_window_utc",
                      "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "effective_from",
                      "effective_until", "dated", "source_id"]


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _finite(value: Any) -> Any:
    """A result with every NaN and infinity as None (JSON null): JSON has no NaN or Infinity, and a reader would choke."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_text(value: Any, **kwargs: Any) -> str:
    """Strict JSON of a result: non-finite floats written as null, never NaN or Infinity."""
    return json.dumps(_finite(value), default=_json_default, allow_nan=False, **kwargs)


FILE_FORMATS = ("csv", "parquet", "xlsx")
"""--format values written to a file (--output; csv may go to standard output): raw snake_case names and numbers."""


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested result as one flat row: assumptions.gpu_price.provider_count; lists as JSON text."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, (list, tuple)):
            out[name] = _json_text(value)
        else:
            out[name] = value
    return out


def _as_frame(payload: Any) -> pl.DataFrame:
    if isinstance(payload, list):
        rows = [_flatten(r) if isinstance(r, dict) else {"value": r} for r in payload]
        return pl.DataFrame(rows, infer_schema_length=None)
    if isinstance(payload, dict):
        return pl.DataFrame([_flatten(payload)], infer_schema_length=None)
    return pl.DataFrame({"value": [payload]})


def _write_file(args: argparse.Namespace, frame: pl.DataFrame) -> None:
    """Write a result as CSV, Parquet or an Excel workbook (real number formats), atomically."""
    fmt, output = args.format, getattr(args, "output", None)
    if output is None and fmt != "csv":
        raise UsageError(f"--format {fmt} writes a file: give --output FILE.{fmt}")
    if output is None:
        sys.stdout.write(frame.write_csv())
        return
    path = Path(output)
    if path.is_dir():
        raise CostmodelError(f"--output {path} is a folder; give a file name such as {path / ('result.' + fmt)}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            frame.write_csv(tmp)
        elif fmt == "parquet":
            frame.write_parquet(tmp)
        else:
            frame.write_excel(tmp, worksheet=getattr(args, "command", None) or "result", autofit=True,
                              float_precision=4, header_format={"bold": True})
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CostmodelError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({frame.height} row(s), {fmt})", file=sys.stderr)


def _in_currency(args: argparse.Namespace) -> int:
    """Run a command with its amounts in ``--currency``: people's output converted at display, machine output converted
    and renamed (usd -> eur), and the rate used, with its month and source, said."""
    from costmodel.catalog import currency
    from costmodel import formatting

    args.fx = currency.rate(args.currency, getattr(args, "as_of", None), db_path=getattr(args, "db", None))
    with formatting.in_currency(args.fx.currency, args.fx.units_per_usd):
        code = args.func(args)
    if not args.json:
        print(f"Amounts in {args.fx.currency}: {args.fx.describe()}")
    return code


def _emit(args: argparse.Namespace, payload: Any, frame: pl.DataFrame | None = None, columns: list[str] | None = None) -> None:
    """Print JSON when --json, a file with --format csv|parquet|xlsx, else a readable table or summary (amounts in
    ``--currency`` when given: converted and renamed for machines, converted at display for people)."""
    fx = getattr(args, "fx", None)
    if fx is not None and fx.currency != "USD" and (args.json or getattr(args, "format", None) in FILE_FORMATS):
        from costmodel.catalog import currency

        if frame is not None and any(currency.is_money(c) for c in frame.columns):
            frame = currency.convert_frame(frame, fx.currency, on=fx.on, db_path=getattr(args, "db", None)).with_columns(
                fx_units_per_usd=pl.lit(fx.units_per_usd), fx_month=pl.lit(fx.month), fx_source_id=pl.lit(fx.source_id))
        if isinstance(payload, dict):
            payload = {**currency.convert_record(payload, fx), "currency": fx.to_dict()}
        elif payload is not None:
            payload = currency.convert_record(payload, fx)
    if getattr(args, "format", None) in FILE_FORMATS:
        _write_file(args, frame if frame is not None else _as_frame(payload))
        return
    if args.json:
        if frame is not None:
            payload = frame.to_dicts()
        print(_json_text(payload, indent=2))
        return
    if frame is not None:
        from costmodel import formatting

        print(formatting.text_table(frame, columns))
        print(f"{formatting.number(frame.height)} row{'s' if frame.height != 1 else ''}")
        return
    print(payload)


def _print_info(summary: dict[str, Any]) -> None:
    print(f"store: {summary['db_path']}")
    print(f"built from inputs sha256 {summary['build'].get('input_sha256', '?')[:12]}, "
          f"genai-prices {summary['build'].get('genai_prices_version', '?')}")
    w = max(len("table"), *(len(name) for name in summary["tables"])) + 1
    print(f"{'table':<{w}}{'rows':>7}  {'oldest':<11} {'newest':<11} {'stale (>' + str(summary['stale_after_days']) + ' d)':>14}")
    for name, t in summary["tables"].items():
        print(f"{name:<{w}}{t['rows']:>7}  {t.get('oldest_observed_on') or '-':<11} "
              f"{t.get('newest_observed_on') or '-':<11} {t.get('stale_rows', '-'):>14}")
    print(f"providers: {summary['providers']['gpu_prices']} with GPU prices, "
          f"{summary['providers']['api_prices']} with API prices")
    disagreements = summary.get("api_price_disagreements", [])
    if disagreements:
        print(f"API prices where genai-prices and LiteLLM differ by more than 5%: {len(disagreements)}")
        for d in disagreements[:20]:
            print(f"  {d['provider']}/{d['provider_model_id']}: input {d['input_usd_per_mtok']:g} vs {d['input_usd_per_mtok_litellm']:g}, "
                  f"output {d['output_usd_per_mtok']:g} vs {d['output_usd_per_mtok_litellm']:g} USD/M tokens")


def cmd_db_build(args: argparse.Namespace) -> int:
    progress = None if args.json else (lambda line: print(f"  loaded {line}", file=sys.stderr))
    report = store.build(args.db, args.data_dir, progress=progress)
    payload = {
        "db_path": str(report.db_path),
        "data_dir": str(report.data_dir),
        "rows_per_table": report.rows_per_table,
        "skipped_free_api_prices": report.skipped_api_prices,
        "input_sha256": report.input_sha256,
    }
    if args.json:
        _emit(args, payload)
    else:
        print(f"built {report.db_path} from {report.data_dir}")
        _print_info(store.info(db_path=report.db_path))
    return 0


def cmd_db_info(args: argparse.Namespace) -> int:
    summary = store.info(db_path=args.db)
    if args.json:
        _emit(args, summary)
    else:
        _print_info(summary)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    if args.model:
        model = catalog.get_model(args.model, db_path=args.db)
        frame = pl.DataFrame([model.__dict__])
        if not args.json:
            _print_record(model.__dict__)
            return 0
        _emit(args, None, frame)
        return 0
    open_weights = True if args.open else (False if args.proprietary else None)
    frame = catalog.models(open_weights=open_weights, db_path=args.db)
    _emit(args, None, frame, _MODEL_COLUMNS)
    return 0


def cmd_gpus(args: argparse.Namespace) -> int:
    if args.gpu:
        gpu = catalog.get_gpu(args.gpu, db_path=args.db)
        if not args.json:
            _print_record(gpu.__dict__)
            return 0
        _emit(args, None, pl.DataFrame([gpu.__dict__]))
        return 0
    _emit(args, None, catalog.gpus(db_path=args.db), _GPU_COLUMNS)
    return 0


def cmd_prices(args: argparse.Namespace) -> int:
    if args.action == "history":
        if args.gpu:
            frame = prices.gpu_price_history(args.gpu, pricing_mode=args.mode, provider=args.provider, db_path=args.db)
            _emit(args, None, _by_date(args, frame, "observed_on"))
            return 0
        if not (args.model or args.provider_model):
            raise UsageError("prices history needs --gpu, --model or --provider-model")
        frame = prices.api_price_history(provider=args.provider, provider_model_id=args.provider_model, model=args.model,
                                        db_path=args.db)
        _emit(args, None, _by_date(args, frame, "price_start"))
        if args.json:
            return 0
        for (prov, mid), change in prices.endpoint_trends(frame).items():
            print(f"{prov}/{mid}: output price {change:+.0%} a year, from its first dated price to the price in force "
                  "(the trend the horizon report uses)")
        return 0
    if args.api or args.model or args.provider_model:
        frame = prices.api_prices(args.as_of, provider=args.provider, provider_model_id=args.provider_model,
                                 model=args.model, db_path=args.db)
        if frame.height == 0:
            day = args.as_of or dt.date.today()
            ended = prices.api_price_history(provider=args.provider, provider_model_id=args.provider_model, model=args.model,
                                            db_path=args.db)
            what = args.provider_model or args.model or args.provider or "that selection"
            if ended.height and ended["effective_until"].drop_nulls().len() == ended.height and ended["effective_until"].max() <= day:
                raise CostmodelError(f"{what} has no API price in force on {day}: its last dated price ended on "
                                     f"{ended['effective_until'].max()} (retired or renamed; source "
                                     f"{ended.sort('effective_until')['source_id'][-1]}); see `costmodel prices history`")
            raise CostmodelError(f"no API price for {what} in force on {day}")
        _emit(args, None, frame, _API_PRICE_COLUMNS)
        if not args.json:
            undated = frame.filter(~pl.col("dated")).height
            if undated:
                print(f"{undated} row(s) undated (dated = false): a package's current list ({store.GENAI_PRICES_SOURCE_ID}); "
                      "effective from an unknown date, never drawn as a price change")
        return 0
    if args.all:
        if not args.gpu:
            raise UsageError("prices --all lists every observation of one GPU: give --gpu")
        _emit(args, None, _by_date(args, prices.gpu_price_history(args.gpu, pricing_mode=args.mode, provider=args.provider,
                                                                 db_path=args.db), "observed_on"))
        return 0
    frame = prices.gpu_prices(args.as_of, gpu=args.gpu, provider=args.provider, pricing_mode=args.mode, market=args.market,
                             db_path=args.db)
    frame = frame.with_columns(stale=pl.col("age_days") > args.price_window_days)
    frame = _by_date(args, frame, "observed_on")
    _emit(args, None, frame, [currency_name(args, c) for c in _GPU_PRICE_COLUMNS])
    if not args.json and args.gpu and frame.height:
        from costmodel.scenarios import gpu_price

        for mode in frame["pricing_mode"].unique(maintain_order=True).to_list():
            got = gpu_price(args.gpu, mode, args.provider, as_of=args.as_of, window_days=args.price_window_days,
                            market=args.market, db_path=args.db)
            from costmodel import formatting as fmt

            print(f"default {mode} price: {fmt.money(got.usd_per_gpu_hour, 2)}/GPU-hour, {got.describe(caveats=True)}")
            print("  from: " + ", ".join(f"{q.provider} {fmt.money(q.usd_per_gpu_hour, 2)} ({q.observed_on})" for q in got.providers))
    stale = int(frame["stale"].sum()) if frame.height else 0
    if stale and not args.json:
        print(f"{stale} row(s) marked stale: observed more than {args.price_window_days} days before "
              f"{args.as_of or dt.date.today()}; the default price leaves them out")
    return 0


def _by_date(args: argparse.Namespace, frame: pl.DataFrame, date_column: str) -> pl.DataFrame:
    """Observations in ``--currency``, each at the rate of its own month (unchanged without --currency)."""
    fx = getattr(args, "fx", None)
    if fx is None or fx.currency == "USD" or frame.height == 0:
        return frame
    from costmodel.catalog import currency

    return currency.convert_frame(frame, fx.currency, date_column=date_column, db_path=args.db)


def currency_name(args: argparse.Namespace, column: str) -> str:
    """A column's name once ``_by_date`` has converted it (usd -> the currency's code)."""
    fx = getattr(args, "fx", None)
    if fx is None:
        return column
    from costmodel.catalog import currency

    return currency.rename(column, fx.currency)


def _print_record(record: dict[str, Any]) -> None:
    """One result, a field a line: labels with units, values formatted by their unit (``--json`` keeps the raw names)."""
    from costmodel import formatting as fmt

    labels = {k: fmt.label(k) for k in record}
    width = max((len(v) for v in labels.values()), default=0) + 2
    for key, value in record.items():
        print(f"{labels[key]:<{width}}{fmt.cell(key, value)}".rstrip())


def _emit_record(args: argparse.Namespace, record: dict[str, Any]) -> int:
    """Print one result: JSON with --json, else one line per field."""
    if args.json:
        _emit(args, record)
    else:
        _print_record(record)
    return 0


def cmd_memory(args: argparse.Namespace) -> int:
    from costmodel.models.deployment import memory

    estimate = memory(args.model, args.precision, kv_precision=args.kv_precision, context_tokens=args.context_tokens,
                      concurrency=args.concurrency, gpu=args.gpu, gpus=args.gpus, engine=args.engine, db_path=args.db)
    return _emit_record(args, estimate.to_dict())


def cmd_throughput(args: argparse.Namespace) -> int:
    from costmodel.models.deployment import throughput

    estimate = throughput(args.model, args.gpu, args.gpus, precision=args.precision, kv_precision=args.kv_precision,
                          engine=args.engine, engine_version=args.engine_version, input_tokens=args.input_tokens,
                          output_tokens=args.output_tokens, concurrency=args.concurrency, tpot_ms=args.tpot_ms,
                          ttft_ms=args.ttft_ms, tpot_statistic=args.tpot_statistic or args.latency_statistic,
                          ttft_statistic=args.ttft_statistic or args.latency_statistic, tensor_parallel=args.tensor_parallel,
                          pipeline_parallel=args.pipeline_parallel,
                          attention_dp=args.attention_dp, max_num_seqs=args.max_num_seqs, max_num_tokens=args.max_num_tokens,
                          estimator=args.estimator, db_path=args.db)
    return _emit_record(args, estimate.to_dict())


def _loso_progress(done: int, total: int) -> None:
    """Leave-one-source-out progress on stderr, about every tenth of the publishers (one refit each)."""
    step = max(total // 10, 1)
    if done % step == 0 or done == total:
        print(f"leave-one-source-out: {done}/{total} publishers refitted", file=sys.stderr, flush=True)


def cmd_validate(args: argparse.Namespace) -> int:
    from costmodel import formatting
    from costmodel.models.calibration import validate

    if args.markdown and not args.saved:
        raise UsageError("validate --markdown prints the saved validation: add --saved")
    if args.saved:
        from costmodel.outputs import analysis
        from costmodel.models.calibration import summarise, stored_validation

        if args.json:
            frame = stored_validation(db_path=args.db)
            _emit(args, {"leave_one_source_out": summarise(frame), "rows": frame.to_dicts()})
            return 0
        tables = analysis.validation_tables(db_path=args.db)
        for name, table in tables.items():
            print(f"{'#### ' if args.markdown else ''}{name}\n")
            print(formatting.markdown_table(table) if args.markdown else formatting.table(table, {c: str for c in table.columns}))
            print()
        return 0

    result = validate(leave_one_out_too=args.leave_one_out, estimators=args.compare_estimators, db_path=args.db,
                      progress=None if args.json else _loso_progress)
    summary = result.summary()
    if args.json:
        _emit(args, {**summary, "rows": result.loso.drop("log_residual").to_dicts(), "excluded": result.excluded.to_dicts()})
        return 0
    print(formatting.validation_text(summary, result.loso, result.excluded))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from costmodel.models.calibration import calibrate

    pooled, summary, where = calibrate(write_data=args.write_data, data_dir=args.data_dir, db_path=args.db,
                                       progress=None if args.json else _loso_progress)
    if args.json:
        _emit(args, {"calibration": pooled, "leave_one_source_out": summary, "written_to": [str(p) for p in where]})
        return 0
    from costmodel import formatting

    print("wrote the calibration to " + ", ".join(str(p) for p in where) + " and rebuilt the store")
    print(f"leave-one-source-out over {formatting.number(summary['rows'])} measured rows from "
          f"{formatting.number(summary['sources'])} publishers: median |error| {formatting.number(summary['median_abs_error_pct'], 1)}%, "
          f"{formatting.percent(summary['share_beyond_50_pct'], 1)} beyond 50%, the band holds "
          f"{formatting.percent(summary['band_coverage_share'])}")
    return 0


def _workload(args: argparse.Namespace):
    from costmodel.scenarios import Workload

    if getattr(args, "workload_from", None) or getattr(args, "table", None):
        from costmodel.scenarios.usage import profile_for

        import dataclasses

        measured = profile_for(args.workload_from, args.log_model, columns=_log_columns(args), backend=args.backend,
                               table=args.table, timestamp_format=args.timestamp_format).workload()
        return dataclasses.replace(measured, batch_share=args.batch_share, flex_share=args.flex_share)
    if args.tokens_per_month is None:
        raise UsageError("give --tokens-per-month or --workload-from LOG")
    kw = dict(tokens_per_month=args.tokens_per_month, input_tokens_per_request=args.input_tokens,
              output_tokens_per_request=args.output_tokens, input_share=args.input_share,
              cached_input_share=args.cached_input_share, ttft_ms=args.ttft_ms, tpot_ms=args.tpot_ms,
              batch_share=args.batch_share, flex_share=args.flex_share)
    if args.peak_to_mean is not None:
        kw["peak_to_mean"] = args.peak_to_mean
    return Workload(**kw)


def _log_columns(args: argparse.Namespace) -> dict[str, str]:
    names = {"timestamp": args.timestamp_col, "model": args.model_col, "input_tokens": args.input_col,
             "output_tokens": args.output_col, "cached_input_tokens": args.cached_col}
    return {k: v for k, v in names.items() if v}


def _add_log_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timestamp-col", default=None, help="log column with the request time (default timestamp)")
    p.add_argument("--model-col", default=None, help="log column with the model (default model)")
    p.add_argument("--input-col", default=None, help="log column with input tokens (default input_tokens)")
    p.add_argument("--output-col", default=None, help="log column with output tokens (default output_tokens)")
    p.add_argument("--cached-col", default=None, help="log column with cached input tokens (default cached_input_tokens)")
    p.add_argument("--backend", default=None, help="duckdb (default, in memory), polars, pyspark (local Spark) or an ibis "
                   "connection URL, e.g. duckdb:///logs.ddb, pyspark://?spark.master=spark://host:7077, postgres://...")
    p.add_argument("--table", default=None, help="profile this table of the --backend instead of a log file")
    p.add_argument("--timestamp-format", default=None, help="layout of text times that are not ISO 8601, in strftime "
                   "codes, e.g. '%%d/%%m/%%Y %%H:%%M' (day-first dates are never guessed)")


def cmd_workload(args: argparse.Namespace) -> int:
    from costmodel.scenarios.usage import profile

    if not args.path and not args.table:
        raise UsageError("give a request log file or --table NAME (with --backend)")
    profiles = profile(Path(args.path) if args.path else None, columns=_log_columns(args), backend=args.backend,
                       table=args.table, timestamp_format=args.timestamp_format)
    if args.json:
        _emit(args, [p.to_dict() for p in profiles])
        return 0
    for p in profiles:
        print(f"{p.model}: {p.requests:,} requests over {p.hours_observed:,.1f} h -> {p.tokens_per_month:,.0f} tokens/month, "
              f"input share {p.input_share:.2f}, cached {p.cached_input_share:.2f}, mean {p.input_tokens_mean:,.0f} in / "
              f"{p.output_tokens_mean:,.0f} out (p95 {p.input_tokens_p95:,.0f} / {p.output_tokens_p95:,.0f}), "
              f"peak-to-mean {p.peak_to_mean:.2f}")
    return 0


def _self_host(args: argparse.Namespace, gpu: str, mode: str):
    from costmodel.scenarios import SelfHostOption

    kw = dict(model=args.model, gpu=gpu, precision=args.precision, kv_precision=args.kv_precision, engine=args.engine,
              pricing_mode=mode, provider=args.provider, market=args.market, price_window_days=args.price_window_days,
              gpus_per_replica=args.gpus_per_replica,
              min_replicas=args.min_replicas, ops_usd_per_month=args.ops_usd_per_month,
              gpu_usd_per_hour=args.gpu_usd_per_hour, output_tokens_per_s=args.output_tokens_per_s,
              ownership_profile=args.ownership_profile, purchase_usd_per_gpu=args.purchase_usd_per_gpu,
              power_usd_per_kwh=args.power_usd_per_kwh, pue_ratio=args.pue,
              colocation_usd_per_kw_month=args.colocation_usd_per_kw_month, depreciation_years=args.depreciation_years,
              residual_value_share=args.residual_value_share)
    if args.utilisation is not None:
        kw["target_utilisation"] = args.utilisation
    return SelfHostOption(**kw)


def _api(args: argparse.Namespace, text: str | None):
    from costmodel.scenarios import ApiOption

    kw = dict(input_usd_per_mtok=args.api_input_usd_per_mtok, output_usd_per_mtok=args.api_output_usd_per_mtok,
              cached_input_usd_per_mtok=args.api_cached_input_usd_per_mtok, batch=args.batch)
    if text:
        return ApiOption.parse(text, **kw)
    return ApiOption(**kw)


def cmd_crossover(args: argparse.Namespace) -> int:
    from costmodel.scenarios import crossover

    if args.api is None and args.api_input_usd_per_mtok is None:
        raise UsageError("give --api PROVIDER/MODEL or --api-input-usd-per-mtok and --api-output-usd-per-mtok")
    result = crossover(_workload(args), _self_host(args, args.gpu, args.pricing_mode), _api(args, args.api),
                       as_of=args.as_of, db_path=args.db)
    payload = result.to_dict()
    if args.json:
        _emit(args, payload)
        return 0
    from costmodel import formatting as fmt

    be = payload["break_even_tokens_per_month"]
    a = payload["assumptions"]
    print(f"{a['self_host']}  vs  {a['api']}  at {fmt.volume(a['tokens_per_month'])}")
    print(f"  self-host  {fmt.money(payload['self_host_usd_per_month'])}/month  ({fmt.money(payload['self_host_usd_per_mtok'], 3)}"
          f"/M tokens, {payload['replicas']} replica(s), {payload['gpus']} GPU(s), {fmt.percent(payload['utilisation'])} busy)")
    print(f"  API        {fmt.money(payload['api_usd_per_month'])}/month  ({fmt.money(payload['api_usd_per_mtok'], 3)}/M tokens)")
    print(f"  {fmt.ratio(payload['self_host_usd_per_month'] / payload['api_usd_per_month'])}")
    if a["gpu_usd_per_hour"]:
        print(f"  GPU price  {fmt.money(a['gpu_usd_per_hour'])}/GPU-hour: {a['gpu_price_source']}")
    for caveat in payload["caveats"]:
        print(f"  CAVEAT: {caveat}")
    if be is None:
        print("  break-even: never (the API costs less per token than even full self-hosted replicas)")
    else:
        lo, hi = payload["break_even_tokens_per_month_low"], payload["break_even_tokens_per_month_high"]
        band = f" (throughput band: {fmt.volume(lo, '')} to {fmt.volume(hi)})" if lo and hi and abs(hi / lo - 1) > 1e-3 else ""
        print(f"  break-even: {fmt.volume(be)}{band}")
    from costmodel.outputs.analysis import assumptions_table

    table = assumptions_table(result, workload_source=getattr(args, "workload_from", None))
    print("\nAssumptions (where each value came from; --json for the raw figures):")
    print(fmt.table(table.with_columns(pl.col("Source").str.slice(0, 90)), {c: str for c in table.columns}, right=set()))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from costmodel.outputs import analysis
    from costmodel import formatting as fmt
    from costmodel.scenarios.plan import PLAN_MODES, plan
    from costmodel.catalog.pricing import MARKETS
    from costmodel.scenarios import Workload

    if args.benchmark is None and (args.reference or args.min_score is not None):
        raise UsageError("--reference and --min-score set a quality floor: give --benchmark too")
    workload = Workload(tokens_per_month=args.tokens_per_month, input_tokens_per_request=args.input_tokens,
                        output_tokens_per_request=args.output_tokens, ttft_ms=args.ttft_ms, tpot_ms=args.tpot_ms,
                        **({"peak_to_mean": args.peak_to_mean} if args.peak_to_mean else {}))
    result = plan(workload, model=args.model, family=args.family, benchmark=args.benchmark, reference=args.reference,
                  min_score_pct=args.min_score, gpus=tuple(args.gpu) if args.gpu else None,
                  engines=tuple(args.engine or ("vllm",)), pricing_modes=tuple(args.pricing_mode or PLAN_MODES),
                  markets=tuple(args.market or MARKETS), include_apis=not args.no_apis, as_of=args.as_of, db_path=args.db)
    if args.json:
        _emit(args, result.to_dict(), result.options if getattr(args, "format", None) in FILE_FORMATS else None)
        return 0
    print(analysis.plan_headline(result).replace("**", ""))
    print()
    print(fmt.text_table(result.options.head(args.top), ["rank", "option", "usd_per_month", "usd_per_month_low", "usd_per_month_high",
                                                         "usd_per_mtok", "replicas", "caveat_flags"], max_width=64))
    print(f"{fmt.number(result.options.height)} options ({fmt.number(result.candidates)} self-host candidates costed) in "
          f"{result.timings_s['total_s']:.2f} s; --json lists every option with its caveats and sources")
    return 0


def cmd_horizon(args: argparse.Namespace) -> int:
    from costmodel.scenarios.horizon import Trends, horizon

    if args.api is None and args.api_input_usd_per_mtok is None:
        raise UsageError("give --api PROVIDER/MODEL or --api-input-usd-per-mtok and --api-output-usd-per-mtok")
    trends = Trends(months=args.months, discount_rate_per_year=args.discount_rate_per_year,
                    volume_growth_per_month=args.volume_growth_per_month, api_price_change_per_year=args.api_price_change_per_year,
                    gpu_price_change_per_year=args.gpu_price_change_per_year)
    result = horizon(_workload(args), _self_host(args, args.gpu, args.pricing_mode), _api(args, args.api), trends,
                     strategies=tuple(args.strategy) if args.strategy else None, as_of=args.as_of, db_path=args.db)
    if args.json:
        _emit(args, result.to_dict(), result.monthly if getattr(args, "format", None) in FILE_FORMATS else None)
        return 0
    print(horizon_text(result))
    return 0


def horizon_text(result: Any) -> str:
    """What ``costmodel horizon`` prints: the answer, each strategy's totals, and the trends used."""
    from costmodel import formatting as fmt

    t = result.trends
    best = result.summary.filter(pl.col("strategy") != "api").sort("npv_usd").row(0, named=True)
    api = result.strategy("api")
    lines = [f"{result.self_host_label}  vs  {result.api_label}  over {t.months} months",
             f"  cheapest: {best['strategy']}, present value {fmt.money(best['npv_usd'])} against the API's {fmt.money(api['npv_usd'])}"
             + (f"; it pays back in month {best['break_even_month']}" if best["break_even_month"] else
                "; it does not pay back within the horizon"),
             f"  volume {fmt.percent(t.volume_growth_per_month, 1)} a month; discount {fmt.percent(t.discount_rate_per_year, 1)} a year; "
             f"GPU prices {fmt.signed_percent(t.gpu_price_change_per_year * 100)} a year; API price "
             f"{fmt.signed_percent(result.api_price_change_per_year * 100)} a year ({result.api_trend_source})", ""]
    table = result.summary.with_columns(pl.when(pl.col("strategy") == "api").then(pl.lit(""))
                                        .otherwise(pl.col("break_even_month").cast(pl.String).fill_null("never"))
                                        .alias("break_even_month"))
    lines.append(fmt.text_table(table, ["strategy", "total_usd", "npv_usd", "break_even_month", "committed_after_horizon_usd"]))
    lines += [f"skipped {s}" for s in result.skipped]
    return "\n".join(lines)


def cmd_cost(args: argparse.Namespace) -> int:
    from costmodel.scenarios import compare

    options = [_self_host(args, gpu, mode) for gpu in args.gpu for mode in (args.pricing_mode or ["on-demand"])]
    options += [_api(args, text) for text in (args.api or [])]
    frame = compare(_workload(args), options, as_of=args.as_of, db_path=args.db)
    if args.json:
        _emit(args, None, frame)
        return 0
    print(cost_text(frame))
    return 0


def cost_text(frame: pl.DataFrame) -> str:
    """What ``costmodel cost`` prints: one row per option, then each self-host option against each API, then caveats."""
    from costmodel import formatting as fmt

    cols = ["option", "kind", "usd_per_month", "usd_per_mtok", "input_usd_per_mtok", "output_usd_per_mtok", "replicas",
            "gpus", "utilisation"]
    out = [fmt.text_table(frame.unique("option", maintain_order=True), cols, max_width=60)]
    pairs = [{"option": r["option"], "api": r["versus"], "break_even_tokens_per_month": r["break_even_tokens_per_month"],
              "verdict": fmt.ratio(1 / r["saving_multiple"], r["versus"]) if r["saving_multiple"] else ""}
             for r in frame.filter(pl.col("versus").is_not_null()).sort("versus", maintain_order=True).iter_rows(named=True)]
    if pairs:
        out += ["", "Self-host against each API:",
                fmt.text_table(pl.DataFrame(pairs, schema_overrides={"break_even_tokens_per_month": pl.Float64}),
                               ["option", "api", "break_even_tokens_per_month", "verdict"], max_width=70)]
    if "caveats" in frame.columns:
        for r in frame.unique("option", maintain_order=True).filter(pl.col("caveats").fill_null("") != "").iter_rows(named=True):
            out.append(f"CAVEAT ({r['option']}): {r['caveats']}")
    return "\n".join(out)


def _add_scenario_args(p: argparse.ArgumentParser, *, many: bool) -> None:
    p.add_argument("--model", required=True, help="model id or alias to self-host")
    p.add_argument("--gpu", required=True, action="append" if many else "store", help="GPU id or alias" + (" (repeatable)" if many else ""))
    p.add_argument("--tokens-per-month", type=float, default=None, help="input + output tokens per month (or --workload-from)")
    p.add_argument("--input-tokens", type=int, default=1000, help="mean prompt tokens per request (default 1000)")
    p.add_argument("--output-tokens", type=int, default=250, help="mean output tokens per request (default 250)")
    p.add_argument("--input-share", type=float, default=None, help="input tokens / all tokens (default from the lengths)")
    p.add_argument("--cached-input-share", type=float, default=0.0, help="input tokens served from the API's prompt cache")
    p.add_argument("--batch-share", type=float, default=0.0,
                   help="share of the tokens the API may serve through its batch tier (cheaper, within 24 h)")
    p.add_argument("--flex-share", type=float, default=0.0,
                   help="share of the tokens the API may serve through its flex tier (slower, cheaper) where it has one")
    p.add_argument("--peak-to-mean", type=float, default=None, help="busiest hour over the mean (default 2)")
    p.add_argument("--ttft-ms", type=float, default=None, help="time-to-first-token target [ms]")
    p.add_argument("--tpot-ms", type=float, default=None, help="time-per-output-token target [ms]")
    p.add_argument("--precision", default=None, help="weight precision of the self-hosted model (default: the model's release precision)")
    p.add_argument("--kv-precision", default=None, help="KV-cache precision")
    p.add_argument("--engine", default="vllm", help="serving engine")
    p.add_argument("--pricing-mode", default=None if many else "on-demand", action="append" if many else "store",
                   choices=("on-demand", "spot", "reserved-1y", "reserved-3y", "serverless", "buy"),
                   help="how the GPUs are paid for" + (" (repeatable)" if many else ""))
    p.add_argument("--provider", default=None, help="GPU provider whose price to use (default: median across providers)")
    _add_price_rule_args(p)
    from costmodel.scenarios import OWNERSHIP_OVERRIDES, OWNERSHIP_PROFILES

    p.add_argument("--ownership-profile", default=None, choices=OWNERSHIP_PROFILES,
                   help="a sourced set of ownership inputs: datacenter, colocation, office or home (residential power, PUE 1, "
                        "no colocation, no operations team); default the store's ownership_inputs")
    flags = {"purchase_usd_per_gpu": "--purchase-usd-per-gpu", "power_usd_per_kwh": "--power-usd-per-kwh", "pue_ratio": "--pue",
             "colocation_usd_per_kw_month": "--colocation-usd-per-kw-month", "depreciation_years": "--depreciation-years",
             "residual_value_share": "--residual-value-share"}
    for name, flag in flags.items():
        _, low, high, unit = OWNERSHIP_OVERRIDES[name]
        p.add_argument(flag, dest=name if name != "pue_ratio" else "pue", type=float, default=None,
                       help=f"buy: {name.replace('_', ' ')} [{unit}, {low:,.10g} to {high:,.10g}] (default: the store's or the profile's)")
    p.add_argument("--gpu-usd-per-hour", type=float, default=None, help="override the GPU price [USD per GPU-hour]")
    p.add_argument("--gpus-per-replica", type=int, default=None, help="override GPUs per replica")
    p.add_argument("--output-tokens-per-s", type=float, default=None, help="override one replica's output tokens/s")
    p.add_argument("--utilisation", type=float, default=None, help="target utilisation at peak (default 0.7)")
    p.add_argument("--min-replicas", type=int, default=1, help="replicas kept at no load (default 1)")
    p.add_argument("--ops-usd-per-month", type=float, default=None, help="people and tooling [USD/month] (default: store assumption)")
    p.add_argument("--api", default=None, action="append" if many else "store", help="API as PROVIDER/MODEL" + (" (repeatable)" if many else ""))
    p.add_argument("--api-input-usd-per-mtok", type=float, default=None, help="override the API input price [USD/M tokens]")
    p.add_argument("--api-output-usd-per-mtok", type=float, default=None, help="override the API output price [USD/M tokens]")
    p.add_argument("--api-cached-input-usd-per-mtok", type=float, default=None, help="override the cached-input price")
    p.add_argument("--batch", action="store_true", help="use the API provider's batch discount")
    p.add_argument("--as-of", type=_date, default=None, help="price date (default today)")
    p.add_argument("--workload-from", default=None, help="request log (Parquet, CSV, JSON lines) to take the workload from")
    p.add_argument("--log-model", default=None, help="with --workload-from: the log's model to use (default: all traffic)")
    _add_log_args(p)


def cmd_report(args: argparse.Namespace) -> int:
    from costmodel.outputs import reports

    if args.list:
        listing = {name: reports.parameters(name) for name in reports.available()}
        if args.json:
            _emit(args, {name: {k: {"default": v["default"], "type": v["type"], "help": v["help"]} for k, v in params.items()}
                         for name, params in listing.items()})
            return 0
        for name, params in listing.items():
            print(f"{name}: " + ", ".join(f"{k}={v['default']}" for k, v in params.items()))
        return 0
    if args.all:
        manifest = Path(args.manifest) if args.manifest else reports.reports_dir() / "runs.toml"
        try:
            results = reports.run_all(manifest, workers=args.workers, progress=None if args.json else reports.print_progress)
        except reports.BatchInterrupted as stop:  # Ctrl-C: the batch stopped; say what is there and what is not
            print(f"costmodel: {stop}", file=sys.stderr)
            for r in stop.results:
                print(f"written: {r['html']}" if "error" not in r else f"FAILED {r['report']} {r['parameters']}: {r['error']}",
                      file=sys.stderr)
            for name, params in stop.not_written:
                print(f"not written: {name} {params}", file=sys.stderr)
            return 130
        failed = [r for r in results if "error" in r]
        if args.json:
            _emit(args, results)
        else:
            print(f"{len(results) - len(failed)} of {len(results)} reports written to {reports.reports_dir()}")
            for r in failed:
                print(f"FAILED {r['report']} {r['parameters']}: {r['error']}", file=sys.stderr)
        return 1 if failed else 0
    if not args.name:
        raise UsageError(f"give a report name ({', '.join(reports.available())}) or --all")
    params = {}
    for key, value in args.param or []:
        params[key] = value
    result = reports.run_report(args.name, params, db_path=args.db, keep_warm=False)
    if args.json:
        _emit(args, result)
        return 0
    print(f"wrote {result['html']} ({result['seconds']} s)")
    figures = result.get("figures") or {}
    if "break_even_tokens_per_month" in figures:
        from costmodel import formatting as fmt

        be = figures["break_even_tokens_per_month"]
        print("break-even: " + ("never (the API is cheaper per token at any volume)" if be is None else fmt.volume(be))
              + f"; at the report's volume self-hosting costs {fmt.money(figures['self_host_usd_per_month'])}/month"
              f" against {fmt.money(figures['api_usd_per_month'])}/month for the API")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from costmodel.catalog import importers

    if args.list or args.remove:
        if args.kind or args.path:
            raise UsageError("import --list and --remove take no file; give one or the other")
        if args.remove:
            removed = importers.remove_import(args.remove, db_path=args.db)
            if args.json:
                _emit(args, {"removed": removed})
            else:
                print(f"removed import {args.remove} ({len(removed)} file(s)) and rebuilt the store")
            return 0
        _emit(args, None, importers.list_imports())
        return 0
    if not (args.kind and args.path):
        raise UsageError("import needs what the file is and the file, e.g. costmodel import skypilot vms.csv "
                             "(or --list, --remove ID)")

    if args.kind == "skypilot":
        report = importers.import_skypilot(Path(args.path), provider=args.provider, observed_on=args.observed_on,
                                           source_id=args.source_id, skip_unknown=args.skip_unknown, db_path=args.db)
    elif args.kind == "gpuhunt":
        report = importers.import_gpuhunt(Path(args.path), provider=args.provider, observed_on=args.observed_on,
                                          source_id=args.source_id, skip_unknown=args.skip_unknown, db_path=args.db)
    elif args.kind == "hf-config":
        report = importers.import_hf_config(Path(args.path), model_id=args.model_id, observed_on=args.observed_on,
                                            source_id=args.source_id, total_params_b=args.total_params_b,
                                            active_params_b=args.active_params_b, db_path=args.db)
    elif args.kind == "benchmark":
        from costmodel.scenarios.benchmark_import import import_benchmark

        missing = [f"--{f.replace('_', '-')}" for f in ("model", "gpu", "gpus", "engine") if getattr(args, f) is None]
        if missing:
            raise UsageError(f"import benchmark {args.path}: also name the deployment measured: {', '.join(missing)} "
                                 "(e.g. --model llama-3.1-8b --gpu h100 --gpus 1 --engine vllm)")
        report = import_benchmark(Path(args.path), model=args.model, gpu=args.gpu, gpus=args.gpus, engine=args.engine,
                                  engine_version=args.engine_version, precision=args.precision,
                                  kv_precision=args.kv_precision, tensor_parallel=args.tensor_parallel,
                                  observed_on=args.observed_on, source_id=args.source_id, db_path=args.db)
    elif args.kind == "litellm":
        report = importers.import_litellm(Path(args.path), observed_on=args.observed_on, source_id=args.source_id, db_path=args.db)
    else:
        if args.observed_on is not None:
            raise UsageError("import prices-csv: each row's observed_on column dates it; --observed-on is not accepted")
        report = importers.import_prices_csv(Path(args.path), source_id=args.source_id, db_path=args.db)
    if args.json:
        _emit(args, report.to_dict())
    else:
        unit = "runs" if report.kind == "benchmark" else "rows"
        print(f"{report.kind}: read {report.rows_read} {unit} from {report.path}; added {report.rows_added} to {report.table}, "
              f"{report.rows_already_present} already present")
        if report.kind == "benchmark" and report.rows_added:
            print("  run `costmodel calibrate` to fit the model to your runs; estimates for this deployment now use them")
        for item in report.skipped:
            if "accelerator" in item:
                print(f"  skipped {item['accelerator']}: {item['reason']} (lines {item['lines'][:5]})")
    return 0


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date such as 2026-09-25") from None


def _add_price_rule_args(p: argparse.ArgumentParser) -> None:
    from costmodel.catalog.pricing import DEFAULT_MARKET, MARKETS, PRICE_WINDOW_DAYS

    p.add_argument("--market", default=DEFAULT_MARKET, choices=MARKETS,
                   help=f"market segment of the default GPU price (default {DEFAULT_MARKET}: every provider)")
    p.add_argument("--price-window-days", type=int, default=PRICE_WINDOW_DAYS,
                   help=f"GPU prices observed within this many days of the as-of date enter the default (default {PRICE_WINDOW_DAYS})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="costmodel",
        description="Self-host an open-weight LLM or pay an API per token? Sourced data and models.",
    )
    from costmodel.version import __version__

    parser.add_argument("--version", action="version", version=f"costmodel {__version__}")
    parser.add_argument("--db", default=None, help="store path (default: $COSTMODEL_DB, data/costmodel.duckdb in a checkout, else the user cache)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        p.add_argument("--json", action="store_true", help="print JSON for scripts (same as --format json)")
        p.add_argument("--format", choices=("table", "json", *FILE_FORMATS), default=None,
                       help="table (default, for people), json, or a file: csv, parquet, xlsx (with --output)")
        p.add_argument("--output", default=None, help="file to write with --format csv|parquet|xlsx")
        p.add_argument("--db", default=argparse.SUPPRESS, help="store path (as before the command)")
        p.add_argument("--currency", default=None, metavar="CODE",
                       help="show amounts in this currency (EUR, GBP, JPY, ...), at the store's monthly rate in force on the "
                            "as-of date (per row at each observation's month for price histories)")
        return p

    db = sub.add_parser("db", help="build or describe the store")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    p = add("build", "build the store from data/*.csv and genai-prices (atomic)", db_sub)
    p.add_argument("--data-dir", default=None, help="folder of the seed CSVs (default: $COSTMODEL_DATA_DIR or the packaged data)")
    p.set_defaults(func=cmd_db_build)
    p = add("info", "row counts, observation dates and stale rows per table", db_sub)
    p.set_defaults(func=cmd_db_info)

    p = add("models", "list models, or show one (aliases accepted)")
    p.add_argument("model", nargs="?", help="model id or alias, e.g. meta-llama/Llama-3.1-8B-Instruct")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--open", action="store_true", help="open-weight models only")
    g.add_argument("--proprietary", action="store_true", help="proprietary API models only")
    p.set_defaults(func=cmd_models)

    p = add("gpus", "list GPUs and devices, or show one (aliases accepted)")
    p.add_argument("gpu", nargs="?", help="GPU id or alias, e.g. H100")
    p.set_defaults(func=cmd_gpus)

    p = add("prices", "GPU rental prices (default) or API prices (--api) in force on a date; 'prices history' for every observation")
    p.add_argument("action", nargs="?", choices=("history",), help="history: every observation, oldest first")
    p.add_argument("--as-of", type=_date, default=None, help="date the prices are for (default: today)")
    p.add_argument("--gpu", help="GPU id or alias")
    p.add_argument("--provider", help="provider id, e.g. lambda, runpod, deepseek, together")
    p.add_argument("--pricing-mode", "--mode", dest="mode", choices=PRICING_MODES, help="GPU pricing mode")
    p.add_argument("--api", action="store_true", help="show API prices instead of GPU prices")
    p.add_argument("--model", help="project model id or alias: its API prices across providers")
    p.add_argument("--provider-model", help="a provider's own model id, e.g. deepseek-reasoner")
    p.add_argument("--all", action="store_true", help="every observation of the GPU (history), not only what is in force")
    _add_price_rule_args(p)
    p.set_defaults(func=cmd_prices)

    p = add("memory", "weights, KV cache and overhead of serving a model; with --gpu: does it fit")
    p.add_argument("--model", required=True, help="model id or alias")
    p.add_argument("--precision", default=None,
                   help="weight precision: bf16, fp16, fp8, int8, awq, gptq, nvfp4, mxfp4, q4_k_m, q6_k, q8_0 (default: the model's release precision)")
    p.add_argument("--kv-precision", default=None, help="KV-cache precision (default: 16-bit; fp16 for GGUF)")
    p.add_argument("--context-tokens", type=int, default=None, help="tokens per sequence (default min(8192, model context))")
    p.add_argument("--concurrency", type=int, default=1, help="sequences held at once")
    p.add_argument("--gpu", default=None, help="GPU id or alias: adds fits, min_gpus, max_concurrency")
    p.add_argument("--gpus", type=int, default=1, help="number of GPUs")
    p.add_argument("--engine", default="vllm", help="engine whose memory reserve applies (vllm, sglang, tensorrt-llm, llama.cpp)")
    p.set_defaults(func=cmd_memory)

    p = add("throughput", "calibrated tokens/s of a deployment, with a low-high band")
    p.add_argument("--model", required=True, help="model id or alias")
    p.add_argument("--gpu", required=True, help="GPU id or alias")
    p.add_argument("--gpus", type=int, default=1, help="GPUs in the deployment")
    p.add_argument("--precision", default=None, help="weight precision (default: the model's release precision)")
    p.add_argument("--kv-precision", default=None, help="KV-cache precision (default: the engine's, 16-bit or FP8)")
    p.add_argument("--engine", default="vllm", help="serving engine: vllm, sglang, tensorrt-llm, llama.cpp, ollama, ...")
    p.add_argument("--engine-version", default=None, help="engine release (default: the newest the store knows)")
    p.add_argument("--estimator", default="roofline", choices=("roofline", "aiconfigurator", "auto"),
                   help="roofline (this project's calibrated model), aiconfigurator (NVIDIA's measured op tables, optional "
                        "package), auto (per GPU and engine, the one that validates better)")
    p.add_argument("--input-tokens", type=int, default=1000, help="mean prompt length per request")
    p.add_argument("--output-tokens", type=int, default=250, help="mean output length per request")
    p.add_argument("--concurrency", type=int, default=None, help="requests in flight (default: the most that fit or meet the targets)")
    p.add_argument("--tpot-ms", type=float, default=None, help="time-per-output-token target [ms]")
    p.add_argument("--ttft-ms", type=float, default=None, help="time-to-first-token target [ms]")
    p.add_argument("--latency-statistic", default=None, help="what the targets bound: mean (default), p50, p90, p95 or p99")
    p.add_argument("--tpot-statistic", default=None, help="what the TPOT target bounds (overrides --latency-statistic)")
    p.add_argument("--ttft-statistic", default=None, help="what the TTFT target bounds (overrides --latency-statistic)")
    p.add_argument("--max-num-seqs", type=int, default=None, help="the engine's batch limit per replica (default: its release's)")
    p.add_argument("--max-num-tokens", type=int, default=None, help="the engine's per-step token budget (default: its release's)")
    p.add_argument("--tensor-parallel", type=int, default=None, help="GPUs per replica (default: the split that serves the most)")
    p.add_argument("--pipeline-parallel", type=int, default=None,
                   help="pipeline stages per replica (TensorRT-LLM pp, llama.cpp's layer split; default 1)")
    p.add_argument("--attention-dp", action=argparse.BooleanOptionalAction, default=None,
                   help="MoE only: attention and dense layers data-parallel, routed experts split over the replica "
                        "(default: whichever layout serves more)")
    p.set_defaults(func=cmd_throughput)

    p = add("crossover", "self-host vs API for one pairing: monthly costs, break-even volume, saving multiple")
    _add_scenario_args(p, many=False)
    p.set_defaults(func=cmd_crossover)

    p = add("plan", "every way to serve a workload, self-hosted or by API, ranked by monthly cost")
    p.add_argument("--model", default=None, help="a model id or alias")
    p.add_argument("--family", default=None, help="or every model of a family (llama, qwen, ...)")
    p.add_argument("--benchmark", default=None, help="or a quality floor on this benchmark (gpqa-diamond, mmlu-pro, ...)")
    p.add_argument("--reference", default=None, help="with --benchmark: at least this model's score (compared within one source)")
    p.add_argument("--min-score", type=float, default=None, help="with --benchmark: at least this score [%%]")
    p.add_argument("--tokens-per-month", type=float, required=True, help="input + output tokens per month")
    p.add_argument("--input-tokens", type=int, default=1000, help="mean prompt tokens per request (default 1000)")
    p.add_argument("--output-tokens", type=int, default=250, help="mean output tokens per request (default 250)")
    p.add_argument("--peak-to-mean", type=float, default=None, help="busiest hour over the mean (default 2)")
    p.add_argument("--ttft-ms", type=float, default=None, help="time-to-first-token target [ms]")
    p.add_argument("--tpot-ms", type=float, default=None, help="time-per-output-token target [ms]")
    p.add_argument("--gpu", action="append", default=None, help="only these GPUs (repeatable; default all but edge devices)")
    p.add_argument("--engine", action="append", default=None, help="engines (repeatable; default vllm)")
    p.add_argument("--pricing-mode", action="append", default=None, choices=PRICING_MODES + ("buy",),
                   help="pricing modes (repeatable; default all)")
    p.add_argument("--market", action="append", default=None, choices=("all", "neocloud", "hyperscaler", "marketplace"),
                   help="market segments (repeatable; default all of them)")
    p.add_argument("--no-apis", action="store_true", help="self-hosting only")
    p.add_argument("--top", type=_positive_int, default=20, help="rows to print (default 20; --json lists all)")
    p.add_argument("--as-of", type=_date, default=None, help="price date (default today)")
    p.set_defaults(func=cmd_plan)

    p = add("horizon", "cash flows over 12-120 months: rent, reserve or buy against the API, with growth and price trends")
    _add_scenario_args(p, many=False)
    p.add_argument("--months", type=int, default=36, help="horizon [months, 1-120] (default 36)")
    p.add_argument("--discount-rate-per-year", type=float, default=0.0, help="cost of capital for present values (default 0)")
    p.add_argument("--volume-growth-per-month", type=float, default=0.0, help="tokens/month growth each month (0.05: +5%%)")
    p.add_argument("--api-price-change-per-year", type=float, default=None,
                   help="API price trend (-0.3: falls 30%% a year); default fitted from the store's dated prices")
    p.add_argument("--gpu-price-change-per-year", type=float, default=0.0, help="GPU price trend (default 0: flat)")
    p.add_argument("--strategy", action="append", default=None, choices=PRICING_MODES + ("buy",),
                   help="pricing modes to lay out (repeatable; default the --pricing-mode, on-demand, spot, reservations, buy)")
    p.set_defaults(func=cmd_horizon)

    p = add("cost", "monthly cost of a workload for several GPUs, pricing modes and APIs")
    _add_scenario_args(p, many=True)
    p.set_defaults(func=cmd_cost)

    p = add("report", "run a report notebook with papermill: reports/NAME__key-value.ipynb and .html")
    p.add_argument("name", nargs="?", help="notebook name (crossover, sensitivity, gpu_sizing, model_selection, seed_claims)")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"), help="set a notebook parameter")
    p.add_argument("--all", action="store_true", help="run every report of the manifest in parallel")
    p.add_argument("--manifest", default=None, help="manifest for --all (default reports/runs.toml)")
    p.add_argument("--workers", type=_positive_int, default=None, help="parallel reports for --all (default: the number of cores)")
    p.add_argument("--list", action="store_true", help="list the report notebooks and their parameters")
    p.set_defaults(func=cmd_report)

    p = add("import", "append observations from a file: SkyPilot vms.csv (skypilot), a Hugging Face config.json (hf-config), "
                      "LiteLLM's price JSON (litellm), your negotiated prices (prices-csv), your own benchmark run "
                      "(benchmark: vLLM bench serve JSON, GuideLLM or inference-perf report)")
    p.add_argument("kind", nargs="?", choices=("skypilot", "gpuhunt", "hf-config", "litellm", "prices-csv", "benchmark"),
                   help="what the file is")
    p.add_argument("path", nargs="?", help="the file")
    p.add_argument("--list", action="store_true", help="list your imports (id, what, rows, files)")
    p.add_argument("--remove", metavar="ID", default=None, help="undo an import by its id (see --list) and rebuild the store")
    p.add_argument("--observed-on", type=_date, default=None, help="date the file's facts were observed (default today)")
    p.add_argument("--source-id", default=None, help="source id to record (default derived from the file)")
    p.add_argument("--provider", default=None,
                   help="skypilot: the cloud (default: the file's folder name); gpuhunt: the provider (default: the file's name)")
    p.add_argument("--skip-unknown", action="store_true", help="skypilot: leave out accelerators the catalog does not know")
    p.add_argument("--model-id", default=None, help="hf-config: project model id (default from the file name)")
    p.add_argument("--total-params-b", type=float, default=None,
                   help="hf-config: total parameters [billions] from the model card (default computed from the shapes)")
    p.add_argument("--active-params-b", type=float, default=None,
                   help="hf-config: parameters active per token [billions] (default computed from the shapes)")
    p.add_argument("--model", default=None, help="benchmark: the model served (id or alias)")
    p.add_argument("--gpu", default=None, help="benchmark: the GPU (id or alias)")
    p.add_argument("--gpus", type=int, default=None, help="benchmark: GPUs behind the endpoint [count]")
    p.add_argument("--engine", default=None, help="benchmark: serving engine (vllm, sglang, tensorrt-llm, llama.cpp, ...)")
    p.add_argument("--engine-version", default=None, help="benchmark: engine release (default: unstated)")
    p.add_argument("--precision", default=None,
                   help="benchmark: weight precision (default: the model's release precision, marked uncertain)")
    p.add_argument("--kv-precision", default=None, help="benchmark: KV-cache precision, if set")
    p.add_argument("--tensor-parallel", type=int, default=None, help="benchmark: GPUs per replica [count]")
    p.set_defaults(func=cmd_import)

    p = add("workload", "profile a request log: tokens per month, shares, lengths, peak-to-mean, hourly profile, per model")
    p.add_argument("path", nargs="?", help="request log: Parquet, CSV or JSON lines (or --table)")
    _add_log_args(p)
    p.set_defaults(func=cmd_workload)

    p = add("validate", "leave-one-source-out errors of the throughput model (each publisher predicted by a fit that never saw it)")
    p.add_argument("--leave-one-out", action="store_true", help="also leave-one-out (each row predicted from all the others)")
    p.add_argument("--compare-estimators", action="store_true",
                   help="also score NVIDIA's aiconfigurator on the rows it covers, beside this model")
    p.add_argument("--saved", action="store_true",
                   help="no refit: the leave-one-source-out predictions saved with the calibration in force (instant)")
    p.add_argument("--markdown", action="store_true", help="with --saved: the tables as Markdown (as in the README)")
    p.set_defaults(func=cmd_validate)

    p = add("calibrate", "refit the throughput calibration (your imported benchmarks included) and rebuild the store")
    p.add_argument("--data-dir", default=None, help="folder of the seed CSVs (default: the checkout's data/)")
    p.add_argument("--write-data", action="store_true",
                   help="rewrite the shipped data/throughput_calibration*.csv (maintainers); default: save it as your "
                        "calibration beside your imports, leaving the checkout clean")
    p.set_defaults(func=cmd_calibrate)
    return parser


def _one_line(exc: BaseException) -> str:
    """An error's message on one line (a message quoting a file's text may hold line breaks)."""
    return " ".join(str(exc).splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "format", None) in ("json", *FILE_FORMATS):
        args.json = True  # every command then hands its raw result to _emit, which writes the format asked for
    if getattr(args, "output", None) and getattr(args, "format", None) not in FILE_FORMATS:
        parser.error("--output needs --format csv, parquet or xlsx")
    try:
        if getattr(args, "currency", None):
            return _in_currency(args)
        return args.func(args)
    except UsageError as exc:  # the command line itself: 2, as argparse does
        print(f"costmodel: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except CostmodelError as exc:  # the request cannot be answered (unknown id, value out of range, no data): 1
        print(f"costmodel: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("costmodel: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one error boundary: no traceback for a user, one line to report
        if os.environ.get("COSTMODEL_DEBUG"):
            raise
        print(f"costmodel: internal error: {type(exc).__name__}: {exc} (set COSTMODEL_DEBUG=1 for the traceback, "
              "and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
