"""The ``costmodel`` command: one entry point, sub-commands, ``--json`` on every query."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

import polars as pl

from . import catalog, store
from .errors import CostmodelError

PRICING_MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y", "serverless")

_MODEL_COLUMNS = ["model_id", "display_name", "open_weights", "total_params_b", "active_params_b",
                  "context_tokens", "attention_kind", "licence", "commercial_use"]
_GPU_COLUMNS = ["gpu_id", "display_name", "device_class", "memory_gib", "memory_bandwidth_gb_per_s",
                "bf16_dense_tflops", "fp8_dense_tflops", "fp4_dense_tflops", "tdp_w"]
_GPU_PRICE_COLUMNS = ["gpu_id", "provider", "pricing_mode", "region", "gpus_per_instance",
                      "usd_per_gpu_hour", "observed_on", "source_id"]
_API_PRICE_COLUMNS = ["model_id", "provider", "provider_model_id", "context_tier_start_tokens", "time_window_utc",
                      "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "effective_from"]


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _emit(args: argparse.Namespace, payload: Any, frame: pl.DataFrame | None = None, columns: list[str] | None = None) -> None:
    """Print JSON when --json, else a readable table or summary."""
    if args.json:
        if frame is not None:
            payload = frame.to_dicts()
        print(json.dumps(payload, indent=2, default=_json_default))
        return
    if frame is not None:
        shown = frame.select([c for c in (columns or frame.columns) if c in frame.columns])
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=48, tbl_hide_dataframe_shape=True):
            print(shown)
        print(f"{frame.height} rows")
        return
    print(payload)


def _print_info(summary: dict[str, Any]) -> None:
    print(f"store: {summary['db_path']}")
    print(f"built from inputs sha256 {summary['build'].get('input_sha256', '?')[:12]}, "
          f"genai-prices {summary['build'].get('genai_prices_version', '?')}")
    print(f"{'table':<22}{'rows':>7}  {'oldest':<11} {'newest':<11} {'stale (>' + str(summary['stale_after_days']) + ' d)':>14}")
    for name, t in summary["tables"].items():
        print(f"{name:<22}{t['rows']:>7}  {t.get('oldest_observed_on') or '-':<11} "
              f"{t.get('newest_observed_on') or '-':<11} {t.get('stale_rows', '-'):>14}")
    print(f"providers: {summary['providers']['gpu_prices']} with GPU prices, "
          f"{summary['providers']['api_prices']} with API prices")


def cmd_db_build(args: argparse.Namespace) -> int:
    progress = None if args.json else (lambda line: print(f"  loaded {line}", file=sys.stderr))
    report = store.build(args.db, args.data_dir, progress=progress)
    catalog.clear_cache()
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
            for key, value in model.__dict__.items():
                print(f"{key:<30}{'' if value is None else value}")
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
            for key, value in gpu.__dict__.items():
                print(f"{key:<30}{'' if value is None else value}")
            return 0
        _emit(args, None, pl.DataFrame([gpu.__dict__]))
        return 0
    _emit(args, None, catalog.gpus(db_path=args.db), _GPU_COLUMNS)
    return 0


def cmd_prices(args: argparse.Namespace) -> int:
    if args.api or args.model or args.provider_model:
        frame = store.api_prices(args.as_of, provider=args.provider, provider_model_id=args.provider_model,
                                 model=args.model, db_path=args.db)
        _emit(args, None, frame, _API_PRICE_COLUMNS)
        return 0
    frame = store.gpu_prices(args.as_of, gpu=args.gpu, provider=args.provider, pricing_mode=args.mode, db_path=args.db)
    _emit(args, None, frame, _GPU_PRICE_COLUMNS)
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date such as 2026-09-25") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="costmodel",
        description="Self-host an open-weight LLM or pay an API per token? Sourced data and models.",
    )
    parser.add_argument("--db", default=None, help="store path (default: $COSTMODEL_DB, data/costmodel.duckdb in a checkout, else the user cache)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
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

    p = add("prices", "GPU rental prices (default) or API prices (--api) in force on a date")
    p.add_argument("--as-of", type=_date, default=None, help="date the prices are for (default: today)")
    p.add_argument("--gpu", help="GPU id or alias")
    p.add_argument("--provider", help="provider id, e.g. lambda, runpod, deepseek, together")
    p.add_argument("--mode", choices=PRICING_MODES, help="GPU pricing mode")
    p.add_argument("--api", action="store_true", help="show API prices instead of GPU prices")
    p.add_argument("--model", help="project model id or alias: its API prices across providers")
    p.add_argument("--provider-model", help="a provider's own model id, e.g. deepseek-reasoner")
    p.set_defaults(func=cmd_prices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CostmodelError as exc:
        print(f"costmodel: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
