"""Your own benchmark runs as measured throughput: ``costmodel import benchmark FILE``.

Three result files are read, recognised by their content (never their name):

* vLLM's serving benchmark (``vllm bench serve --save-result``, the older
  ``benchmarks/benchmark_serving.py``): one flat JSON object, or JSON lines of them
  (``--append-result``), one run per object;
* a GuideLLM report (``benchmarks.json``, layouts 0.2 to 0.7): one run per entry of
  ``benchmarks`` (a sweep gives one row per strategy);
* an inference-perf lifecycle report (``summary_lifecycle_metrics.json`` or
  ``stage_<i>_lifecycle_metrics.json``, layouts 0.2 to 0.6): one run per file.

None of them records the GPU, GPU count, parallelism, engine release or precision, so the
caller states the deployment and every run of the file becomes one ``throughput_measured`` row
of publisher ``user-<file stem>``: ``costmodel calibrate`` fits to it, and estimates of the same
model, GPU, precision, engine and GPU count at similar lengths are anchored on it
(``ThroughputEstimate.anchored_on``). The import is all or nothing and idempotent: the row ids
derive from the file's bytes, so importing the same file again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.errors import CostmodelError, DataError, UnknownIdError
from costmodel.catalog.importers import INTEGER_MAX, ImportReport, append, file_slug

DATASET = "your benchmark (lengths per row)"
"""benchmark_datasets row every imported run cites: its lengths are the run's own."""
SOURCE_PREFIX = "user-benchmark"
ACCEPTED = ("vLLM `vllm bench serve --save-result` JSON (or the JSON lines of --append-result), "
            "a GuideLLM report JSON (benchmarks.json) or an inference-perf lifecycle report "
            "(summary_lifecycle_metrics.json or stage_<i>_lifecycle_metrics.json)")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


# ---------------------------------------------------------------------------------------------
# Reading the file


class _File:
    """A benchmark file's bytes, text and where its keys are, for errors that name file, line and field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise DataError(str(path), None, None, f"is a folder, not a file: give the result file itself ({ACCEPTED})")
        try:
            self.raw = path.read_bytes()
        except FileNotFoundError:
            raise DataError(str(path), None, None, f"file not found; expected {ACCEPTED}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise DataError(str(path), None, None, "is a symbolic link that loops (too many levels of symbolic links); "
                                                       f"give the result file itself: {ACCEPTED}") from None
            raise DataError(str(path), None, None, f"cannot be read ({exc.strerror}); expected {ACCEPTED}") from None
        try:
            self.text = self.raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = self.raw[: exc.start].count(b"\n") + 1
            raise DataError(str(path), line, None, f"is not UTF-8 text (byte 0x{self.raw[exc.start]:02x} at offset "
                                                   f"{exc.start}): a benchmark result is JSON text, {ACCEPTED}") from None
        if not self.text.strip():
            raise DataError(str(path), 1, None, f"file is empty; expected {ACCEPTED}")
        self.digest = hashlib.sha256(self.raw).hexdigest()[:12]

    def error(self, field: str | None, message: str, line: int | None = None) -> DataError:
        if line is None and field:
            line = self.key_line(field.rsplit(".", 1)[-1].split("[", 1)[0])
        return DataError(str(self.path), line, field, message)

    def key_line(self, key: str) -> int | None:
        """Line of ``"key":`` where it occurs exactly once in the file (else None: the field path says where)."""
        hits = [m.start() for m in re.finditer(r'"' + re.escape(key) + r'"\s*:', self.text)]
        return self.text.count("\n", 0, hits[0]) + 1 if len(hits) == 1 else None

    def parse(self) -> tuple[Any, list[tuple[int, Any]] | None]:
        """(value, None) for one JSON document; (None, [(line, object), ...]) for JSON lines."""
        try:
            return json.loads(self.text), None
        except json.JSONDecodeError as exc:
            first = exc
        except RecursionError:
            raise DataError(str(self.path), None, None, f"JSON nested too deeply to read (more than about "
                                                        f"{sys.getrecursionlimit()} levels of [ or {{); expected {ACCEPTED}") from None
        lines = [(n, t) for n, t in enumerate(self.text.splitlines(), 1) if t.strip()]
        if first.msg != "Extra data" or len(lines) < 2:
            raise DataError(str(self.path), first.lineno, None, f"not valid JSON ({first.msg}, column {first.colno}; truncated?)")
        out = []
        for n, t in lines:
            try:
                out.append((n, json.loads(t)))
            except RecursionError:
                raise DataError(str(self.path), n, None, f"JSON nested too deeply to read (more than about "
                                                         f"{sys.getrecursionlimit()} levels of [ or {{); expected {ACCEPTED}") from None
            except json.JSONDecodeError as exc:
                if n == lines[0][0]:  # not JSON lines after all: report the document's own error
                    raise DataError(str(self.path), first.lineno, None,
                                    f"not valid JSON ({first.msg}, column {first.colno}; truncated?)") from None
                raise DataError(str(self.path), n, None, f"not valid JSON ({exc.msg}, column {exc.colno}; one object per "
                                                         "line expected, as --append-result writes; truncated?)") from None
        return None, out


def _get(obj: Any, dotted: str) -> Any:
    """obj['a']['b'] for 'a.b'; None where any step is missing."""
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


class _Fields:
    """Typed reads of one run's fields; every failure is a DataError naming the file, line and field."""

    def __init__(self, file: _File, obj: dict[str, Any], prefix: str = "", line: int | None = None) -> None:
        self.file, self.obj, self.prefix, self.line = file, obj, prefix, line

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, message: str) -> DataError:
        return self.file.error(self.name(key), message, self.line)

    def raw(self, key: str) -> Any:
        return _get(self.obj, key)

    def number(self, key: str, *, required: bool = True, what: str = "") -> float | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise self.fail(key, f"missing{': ' + what if what else ''}")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"{value!r} is not a number")
        if isinstance(value, int) and abs(value) > 2**63 - 1:
            raise self.fail(key, f"{value} is too large: a finite number within 64-bit range is expected")
        if math.isnan(value) or math.isinf(value):
            raise self.fail(key, f"{value!r} is not a finite number")
        if value < 0:
            raise self.fail(key, f"{value!r} is negative")
        return float(value)

    def count(self, key: str, *, required: bool = True, what: str = "") -> int | None:
        value = self.number(key, required=required, what=what)
        if value is None:
            return None
        if value != int(value):
            raise self.fail(key, f"{value!r} is not a whole number")
        if value > INTEGER_MAX:
            raise self.fail(key, f"{value!r} is too large: a count of at most {INTEGER_MAX:,} is expected")
        return int(value)

    def positive(self, key: str, *, what: str = "") -> float:
        value = self.number(key, what=what)
        if value == 0:
            raise self.fail(key, f"is 0{': ' + what if what else ''}")
        return value

    def completed(self, key: str) -> int:
        n = self.count(key, what="the number of completed requests")
        if n == 0:
            raise self.fail(key, "0 completed requests: the run finished no request, so it measured nothing")
        return n


def _latency_ms(fields: _Fields, key: str, scale: float = 1.0) -> float | None:
    """A mean latency in ms, None where absent or 0 (not measured, e.g. without streaming)."""
    value = fields.number(key, required=False)
    return value * scale if value else None


def _epoch_date(fields: _Fields, key: str) -> dt.date | None:
    value = fields.number(key, required=False)
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        raise fields.fail(key, f"{value!r} is not a time in seconds since 1970") from None


def _labels(mapping: Any) -> str:
    if not isinstance(mapping, dict) or not mapping:
        return ""
    return "; labels " + ", ".join(f"{k}={v}" for k, v in list(mapping.items())[:8])


# ---------------------------------------------------------------------------------------------
# The three formats: each run as the row fields the file states


def _is_vllm(obj: Any) -> bool:
    return isinstance(obj, dict) and any(k in obj for k in ("completed", "output_throughput", "mean_ttft_ms",
                                                             "request_throughput", "total_output_tokens"))


def _is_guidellm(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("benchmarks"), list)


def _is_inference_perf(obj: Any) -> bool:
    return isinstance(obj, dict) and "load_summary" in obj and "successes" in obj


VLLM_SETUP_KEYS = {"date", "backend", "endpoint_type", "label", "model_id", "tokenizer_id", "best_of", "use_beam_search",
                   "num_prompts", "request_rate", "burstiness", "max_concurrency", "ramp_up_strategy", "ramp_up_start_rps",
                   "ramp_up_end_rps", "duration", "completed", "failed", "total_input_tokens", "total_output_tokens"}


VLLM_CONSISTENCY = 0.05
"""Largest relative gap accepted between a vLLM result's output_throughput and total_output_tokens / duration."""


def _vllm_layout(obj: dict[str, Any]) -> str:
    """The vLLM releases whose result layout the object has (the file records no version)."""
    if "rtfx" in obj:
        return "vLLM bench serve, layout of vLLM >= 0.20"
    if "failed" in obj or "max_output_tokens_per_s" in obj:
        return "vLLM bench serve, layout of vLLM 0.12-0.19"
    if "endpoint_type" in obj:
        return "vLLM bench serve, layout of vLLM 0.9-0.11"
    return "vLLM benchmarks/benchmark_serving.py (legacy script layout)"


def _vllm_run(file: _File, obj: dict[str, Any], line: int | None) -> dict[str, Any]:
    f = _Fields(file, obj, line=line)
    if obj.get("ramp_up_strategy"):
        raise f.fail("ramp_up_strategy", f"{obj['ramp_up_strategy']!r}: a ramp-up run changes its request rate, so it has "
                                          "no single load point to record; import a run at a fixed rate or concurrency")
    completed = f.completed("completed")
    inp = f.positive("total_input_tokens", what="the run's prompt tokens")
    out = f.positive("total_output_tokens", what="the run's generated tokens")
    tps = f.positive("output_throughput", what="output tokens per second of the run")
    duration = f.number("duration", required=False)
    if duration:  # vLLM writes output_throughput = total_output_tokens / duration: a figure off that is not the run's
        implied = out / duration
        if abs(tps / implied - 1) > VLLM_CONSISTENCY:
            raise f.fail("output_throughput", f"{tps:g} tokens/s disagrees with total_output_tokens / duration = "
                                              f"{implied:g} (vLLM writes one as the other; more than "
                                              f"{VLLM_CONSISTENCY:.0%} apart): an edited or mixed-up result")
        for key in ("mean_ttft_ms", "mean_tpot_ms"):
            latency = f.number(key, required=False)
            if latency and latency > duration * 1000:
                raise f.fail(key, f"{latency:g} ms is longer than the whole run (duration {duration:g} s): not a "
                                  "latency of this run")
    conc = f.count("max_concurrency", required=False)
    if conc == 0:
        raise f.fail("max_concurrency", "is 0: a concurrency limit is at least 1")
    rate_raw = obj.get("request_rate")
    if isinstance(rate_raw, str) and rate_raw.strip().lower() in ("inf", "infinity"):
        rate = math.inf
    elif isinstance(rate_raw, (int, float)) and not isinstance(rate_raw, bool) and rate_raw == math.inf:
        rate = math.inf
    elif rate_raw is None and conc is not None:
        rate = math.inf
    else:
        rate = f.number("request_rate", what="requests per second, or \"inf\" for all at once")
        if rate == 0:
            raise f.fail("request_rate", "is 0: a request rate is above 0, or \"inf\"")
    if conc is not None:
        load, conc_col = "fixed-concurrency", conc
    elif rate == math.inf:
        load, conc_col = "offline", None
    else:
        load, conc_col = "request-rate", None
    in_lens, out_lens = obj.get("input_lens"), obj.get("output_lens")
    fixed = (isinstance(in_lens, list) and isinstance(out_lens, list) and in_lens and out_lens
             and len(set(map(str, in_lens))) == 1 and len(set(map(str, out_lens))) == 1)
    day = None
    if obj.get("date") is not None:
        try:
            day = dt.datetime.strptime(str(obj["date"]), "%Y%m%d-%H%M%S").date()
        except ValueError:
            day = f.fail("date", f"{obj['date']!r} is not a date of the form YYYYmmdd-HHMMSS")  # raised only if needed
    failed = f.count("failed", required=False)
    labels = {k: v for k, v in obj.items() if k not in VLLM_SETUP_KEYS and isinstance(v, str)}
    load_text = (f"max_concurrency {conc}" if conc is not None else "") + (
        f"{', ' if conc is not None else ''}request_rate {'inf' if rate == math.inf else f'{rate:g}/s'}")
    return dict(
        load_kind=load, concurrency=conc_col, request_rate_per_s=None if rate == math.inf else rate,
        completed=completed, input_total=inp, output_total=out, tokens_per_s=tps,
        ttft_ms=_latency_ms(f, "mean_ttft_ms"), tpot_ms=_latency_ms(f, "mean_tpot_ms"),
        fixed=bool(fixed), day=day, model=obj.get("model_id"), model_field="model_id", line=line,
        tool=_vllm_layout(obj),
        detail=(load_text
                + (f", burstiness {obj['burstiness']:g}"
                   if rate != math.inf and isinstance(obj.get("burstiness"), (int, float)) else "")
                + (f"; {failed} failed requests" if failed else "")
                + (f"; client backend {obj.get('backend') or obj.get('endpoint_type')}" if obj.get("backend") or obj.get("endpoint_type") else "")
                + _labels(labels)),
    )


def _guidellm_layout(report: dict[str, Any]) -> str:
    meta = report.get("metadata") if isinstance(report.get("metadata"), dict) else {}
    if meta.get("guidellm_version"):
        return f"GuideLLM {meta['guidellm_version']}"
    first = report["benchmarks"][0] if report["benchmarks"] and isinstance(report["benchmarks"][0], dict) else {}
    if meta.get("version") == 2:
        return "GuideLLM, report layout of 0.7"
    if meta.get("version") == 1:
        return "GuideLLM, report layout of 0.5-0.6"
    if "args" in report:
        return "GuideLLM, report layout of 0.4"
    if "worker" in first:
        return "GuideLLM, report layout of 0.2-0.3"
    return "GuideLLM (version not recorded)"


GUIDELLM_LOADS = {"synchronous": "single-stream", "concurrent": "fixed-concurrency", "throughput": "offline",
                  "constant": "request-rate", "poisson": "request-rate"}


def _guidellm_runs(file: _File, report: dict[str, Any]) -> list[dict[str, Any]]:
    benchmarks = report["benchmarks"]
    if not benchmarks:
        raise file.error("benchmarks", "is empty: the report holds no benchmark run")
    tool = _guidellm_layout(report)
    args = report.get("args") if isinstance(report.get("args"), dict) else {}
    spec_model = (_get(report, "config.spec.backend.model") or _get(report, "config.spec.tokenizer.model")
                  or args.get("model") or _get(args, "backend_kwargs.model"))
    labels = _get(report, "config.metadata.labels")
    runs = []
    for i, b in enumerate(benchmarks):
        prefix = f"benchmarks[{i}]."
        if not isinstance(b, dict) or not isinstance(b.get("metrics"), dict):
            raise file.error(f"benchmarks[{i}].metrics", "missing: each GuideLLM benchmark has its metrics")
        f = _Fields(file, b, prefix)
        totals = "metrics.request_totals" if isinstance(_get(b, "metrics.request_totals"), dict) else "request_totals"
        completed = f.completed(f"{totals}.successful")
        inp = f.positive("metrics.prompt_token_count.successful.total_sum", what="the prompt tokens of the successful requests")
        out = f.positive("metrics.output_token_count.successful.total_sum", what="the generated tokens of the successful requests")
        tps = f.positive("metrics.output_tokens_per_second.successful.mean", what="output tokens per second of the run")
        strategy = _get(b, "config.strategy") or _get(b, "args.strategy")
        where = "config.strategy" if isinstance(_get(b, "config.strategy"), dict) else "args.strategy"
        kind = strategy.get("type_") if isinstance(strategy, dict) else None
        if kind is None:
            raise f.fail(f"{where}.type_", "missing: the strategy (synchronous, concurrent, throughput, constant, poisson) sets the load")
        if kind not in GUIDELLM_LOADS:
            raise f.fail(f"{where}.type_", f"{kind!r}: a replayed trace or unknown strategy has no single load point; "
                                           f"accepted: {', '.join(GUIDELLM_LOADS)}")
        load = GUIDELLM_LOADS[kind]
        conc = rate = None
        if kind == "synchronous":
            conc = 1
        elif kind == "concurrent":
            conc = f.count(f"{where}.streams", what="the concurrent strategy's streams")
            if conc == 0:
                raise f.fail(f"{where}.streams", "is 0: a concurrent run has at least one stream")
        elif kind == "throughput":
            conc = f.count(f"{where}.max_concurrency", required=False) or None
        else:
            rate = f.positive(f"{where}.rate", what="the requests per second of a constant or poisson strategy")
        p_min, p_max = f.number("metrics.prompt_token_count.successful.min", required=False), f.number("metrics.prompt_token_count.successful.max", required=False)
        o_min, o_max = f.number("metrics.output_token_count.successful.min", required=False), f.number("metrics.output_token_count.successful.max", required=False)
        fixed = None not in (p_min, p_max, o_min, o_max) and p_min == p_max and o_min == o_max
        model = _get(b, "config.backend.model") or _get(b, "worker.backend_model") or spec_model
        load_text = {"synchronous": "synchronous (one request at a time)", "concurrent": f"concurrent, {conc} streams",
                     "throughput": "throughput (all requests at once" + (f", at most {conc} in flight)" if conc else ")")
                     }.get(kind, f"{kind} at {rate:g} requests/s" if rate else kind)
        if kind in ("constant", "poisson") and strategy.get("max_concurrency"):
            load_text += f", at most {strategy['max_concurrency']} in flight"
        errored = _get(b, f"{totals}.errored")
        runs.append(dict(
            load_kind=load, concurrency=conc, request_rate_per_s=rate, completed=completed, input_total=inp, output_total=out,
            tokens_per_s=tps, ttft_ms=_latency_ms(f, "metrics.time_to_first_token_ms.successful.mean"),
            tpot_ms=_latency_ms(f, "metrics.inter_token_latency_ms.successful.mean"), fixed=fixed,
            day=_epoch_date(f, "start_time"), model=model, model_field=f"benchmarks[{i}].config.backend.model", line=None,
            tool=tool,
            detail=(f"benchmarks[{i}]: {load_text}" + (f"; {errored} errored requests" if errored else "")
                    + "; TPOT is GuideLLM's inter_token_latency_ms" + _labels(labels if labels else b.get("extras"))),
        ))
    return runs


def _inference_perf_layout(obj: dict[str, Any]) -> str:
    successes = obj.get("successes") or {}
    if "prompt_tokens" in successes or "output_tokens" in successes:
        return "inference-perf, report layout of 0.6"
    if "benchmark_time_seconds" in obj:
        return "inference-perf, report layout of 0.5"
    return "inference-perf, report layout of 0.2-0.4"


_IP_NAME = re.compile(r"^(?P<prefix>.*?)(?P<which>summary|stage_(?P<stage>\d+))_lifecycle_metrics\.json$")


def _inference_perf_config(file: _File) -> tuple[Path | None, dict[str, Any] | None]:
    """The run's config.yaml beside the report (inference-perf writes ``<prefix>config.yaml``), if there."""
    match = _IP_NAME.match(file.path.name)
    if not match:
        return None, None
    config = file.path.with_name(f"{match['prefix']}config.yaml")
    if not config.is_file():
        return config, None
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML comes with the notebook dependencies
        raise DataError(str(config), None, None, "reading inference-perf's config.yaml needs PyYAML: pip install pyyaml") from None
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(str(config), mark.line + 1 if mark else None, None, f"not valid YAML ({exc})") from None
    except RecursionError:
        raise DataError(str(config), None, None, "YAML nested too deeply to read: an inference-perf config.yaml is a "
                                                 "mapping of load, server, ...") from None
    if not isinstance(data, dict):
        raise DataError(str(config), 1, None, "an inference-perf config.yaml is one mapping (load, server, ...)")
    return config, data


IP_LOADS = {"concurrent": "fixed-concurrency", "constant": "request-rate", "poisson": "request-rate"}


def _inference_perf_run(file: _File, obj: dict[str, Any]) -> dict[str, Any]:
    f = _Fields(file, obj)
    completed = f.completed("successes.count")
    if isinstance(_get(obj, "successes.prompt_tokens"), dict) and _get(obj, "successes.prompt_tokens.total") is not None:
        inp = f.positive("successes.prompt_tokens.total", what="the prompt tokens of the successful requests")
    else:
        inp = f.positive("successes.prompt_len.mean", what="the mean prompt length of the successful requests") * completed
    if isinstance(_get(obj, "successes.output_tokens"), dict) and _get(obj, "successes.output_tokens.total") is not None:
        out = f.positive("successes.output_tokens.total", what="the generated tokens of the successful requests")
    else:
        out = f.positive("successes.output_len.mean", what="the mean output length of the successful requests") * completed
    tps = f.positive("successes.throughput.output_tokens_per_sec", what="output tokens per second of the run")
    match = _IP_NAME.match(file.path.name)
    stage = match["stage"] if match else None
    config_path, config = _inference_perf_config(file)
    conc = f.count("load_summary.concurrency", required=False)
    rate = f.number("load_summary.requested_rate", required=False)
    if conc:
        load, rate, how = "fixed-concurrency", None, f"concurrency {conc}"
    elif rate:
        load, how = "request-rate", f"requested {rate:g} requests/s" + (
            f" (achieved {obj['load_summary']['achieved_rate']:.3g}/s)"
            if isinstance(_get(obj, "load_summary.achieved_rate"), (int, float)) else "")
    else:
        load_cfg = (config or {}).get("load") or {}
        stages = load_cfg.get("stages") if isinstance(load_cfg, dict) else None
        kind = load_cfg.get("type", "constant") if isinstance(load_cfg, dict) else None
        if config is None:
            raise f.fail("load_summary", "states no load point (requested_rate or concurrency): a summary of all stages does "
                                         "not; import the stage_<i>_lifecycle_metrics.json files (one row per stage), or keep "
                                         "the run's config.yaml beside summary_lifecycle_metrics.json"
                                         + (f" (looked for {config_path})" if config_path else ""))
        if load_cfg.get("sweep") or not isinstance(stages, list) or len(stages) != 1 or not isinstance(stages[0], dict):
            n = len(stages) if isinstance(stages, list) else 0
            raise DataError(str(config_path), None, "load.stages",
                            f"{'a sweep' if load_cfg.get('sweep') else f'{n} stages'}: the summary mixes the load points; "
                            "import the stage_<i>_lifecycle_metrics.json files, one row per stage")
        if kind not in IP_LOADS:
            raise DataError(str(config_path), None, "load.type", f"{kind!r}: a replayed trace has no single load point; "
                                                                 f"accepted: {', '.join(IP_LOADS)}")
        st = stages[0]
        load = IP_LOADS[kind]
        value = st.get("concurrency_level") if load == "fixed-concurrency" else st.get("rate")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (
                load == "fixed-concurrency" and value != int(value)):
            field = "concurrency_level" if load == "fixed-concurrency" else "rate"
            raise DataError(str(config_path), None, f"load.stages[0].{field}", f"{value!r} is not a positive "
                                                                                 f"{'whole number' if field == 'concurrency_level' else 'number'}")
        conc, rate = (int(value), None) if load == "fixed-concurrency" else (None, float(value))
        how = f"{kind} load, " + (f"concurrency {conc}" if conc else f"{rate:g} requests/s") + f" (from {config_path.name})"
    p_min, p_max = f.number("successes.prompt_len.min", required=False), f.number("successes.prompt_len.max", required=False)
    o_min, o_max = f.number("successes.output_len.min", required=False), f.number("successes.output_len.max", required=False)
    fixed = None not in (p_min, p_max, o_min, o_max) and p_min == p_max and o_min == o_max
    failures = f.count("failures.count", required=False)
    model = _get(config, "server.model_name") or _get(config, "tokenizer.pretrained_model_name_or_path")
    return dict(
        load_kind=load, concurrency=conc, request_rate_per_s=rate, completed=completed, input_total=inp, output_total=out,
        tokens_per_s=tps, ttft_ms=_latency_ms(f, "successes.latency.time_to_first_token.mean", 1000.0),
        tpot_ms=_latency_ms(f, "successes.latency.time_per_output_token.mean", 1000.0), fixed=fixed, day=None, model=model,
        model_field="server.model_name (config.yaml)", line=None, tool=_inference_perf_layout(obj),
        detail=(f"{'stage ' + stage + ': ' if stage else ''}{how}" + (f"; {failures} failed requests" if failures else "")
                + "; latencies converted from seconds; TPOT is time_per_output_token"),
    )


def read_runs(path: Path) -> tuple[_File, str, list[dict[str, Any]]]:
    """The file, its format name and its runs (the fields each states), or a DataError."""
    file = _File(Path(path))
    value, lines = file.parse()
    if lines is not None:
        runs = []
        for n, obj in lines:
            if not _is_vllm(obj):
                raise DataError(str(file.path), n, None, f"JSON lines are read as vLLM --append-result runs, but this line is "
                                                         f"not one (no completed, output_throughput or mean_ttft_ms); accepted: {ACCEPTED}")
            runs.append(_vllm_run(file, obj, n))
        return file, "vllm", runs
    if _is_inference_perf(value):
        return file, "inference-perf", [_inference_perf_run(file, value)]
    if _is_guidellm(value):
        return file, "guidellm", _guidellm_runs(file, value)
    if _is_vllm(value):
        return file, "vllm", [_vllm_run(file, value, None)]
    if isinstance(value, list) and value and all(isinstance(v, dict) and "benchmark" in v and "metric" in v for v in value):
        raise DataError(str(file.path), 1, None, "is PyTorch OSS benchmark records (the *.pytorch.json vLLM writes beside its "
                                                 f"result), not a result this importer reads: import the result file itself; accepted: {ACCEPTED}")
    shape = "a JSON object" if isinstance(value, dict) else f"a JSON {type(value).__name__.replace('str', 'string')}"
    raise DataError(str(file.path), 1, None, f"{shape} of none of the three benchmark formats; accepted: {ACCEPTED}")


# ---------------------------------------------------------------------------------------------
# The import


def _resolve(file: _File, flag: str, func: Callable[..., str], value: str, db_path: Path | None) -> str:
    try:
        return func(value, db_path=db_path)
    except UnknownIdError as exc:
        raise DataError(str(file.path), None, flag, str(exc)) from None


def _given_count(file: _File, flag: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DataError(str(file.path), None, flag, f"{value!r} is not a positive whole number")
    return value


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def import_benchmark(path: Path, *, model: str, gpu: str, gpus: int, engine: str, engine_version: str | None = None,
                     precision: str | None = None, kv_precision: str | None = None, tensor_parallel: int | None = None,
                     observed_on: dt.date | None = None, source_id: str | None = None, db_path: Path | None = None,
                     imports: Path | None = None) -> ImportReport:
    """Import your own benchmark result file as throughput_measured rows (one per run), all or nothing.

    Parameters
    ----------
    path : a vLLM ``bench serve --save-result`` JSON (or ``--append-result`` JSON lines), a GuideLLM
        report JSON or an inference-perf lifecycle report; the format is read from the content
    model, gpu, engine : what was served, on what, by what (ids or aliases); none of the files records them reliably
    gpus : GPUs behind the benchmarked endpoint [count]
    engine_version : the engine release (default 'unstated')
    precision : weight precision (default: the model's release precision, recorded as uncertain)
    kv_precision : KV-cache precision where you set one (default: empty, the engine default)
    tensor_parallel : GPUs per replica (default: 1 on one GPU, else unstated)
    observed_on : date of the runs (default: the file's own date, else today)
    source_id : source to cite (default ``user-benchmark-<12 hex of the file's sha256>``)

    Each run's lengths are its totals divided by its completed requests, its figure the output
    tokens per second of the whole endpoint, its latencies the means (TPOT excludes the first
    token). A run the throughput model cannot set up (a precision the GPU does not run, weights
    that do not fit) is refused, since calibrate could not use it.
    """
    from costmodel.models.deployment import resolve_deployment
    from costmodel.models.throughput import estimate

    path = Path(path)
    file, _, runs = read_runs(path)
    where = str(path)
    gpus = _given_count(file, "--gpus", gpus)
    fit_flag = "--gpus" if tensor_parallel is None else "--tensor-parallel"
    if tensor_parallel is not None:
        tensor_parallel = _given_count(file, "--tensor-parallel", tensor_parallel)
        if tensor_parallel > gpus or gpus % tensor_parallel:
            raise DataError(where, None, "--tensor-parallel", f"{tensor_parallel} does not divide the {gpus} GPUs into whole replicas")
    elif gpus == 1:
        tensor_parallel = 1
    if observed_on is not None and not isinstance(observed_on, dt.date):
        raise DataError(where, None, "--observed-on", f"{observed_on!r} is not a date")
    model_id = _resolve(file, "--model", catalog.resolve_model_id, model, db_path)
    gpu_id = _resolve(file, "--gpu", catalog.resolve_gpu_id, gpu, db_path)
    engine_id = _resolve(file, "--engine", catalog.resolve_engine_id, engine, db_path)
    if precision is not None:
        weight_precision = _resolve(file, "--precision", catalog.resolve_precision_id, precision, db_path)
    else:
        weight_precision = catalog.get_model(model_id, db_path=db_path).release_precision_id
        if not weight_precision:
            raise DataError(where, None, "--precision", f"{model_id} has no release precision in the store: give --precision")
    kv_id = _resolve(file, "--kv-precision", catalog.resolve_precision_id, kv_precision, db_path) if kv_precision else None
    try:
        release = catalog.engine_version(engine_id, engine_version or "unstated", db_path=db_path)
        version = release.engine_version
    except UnknownIdError as exc:
        if engine_version:
            raise DataError(where, None, "--engine-version", str(exc)) from None
        version = "unstated"
    if source_id is not None and not _ID_RE.match(source_id):
        raise DataError(where, None, "--source-id", f"{source_id!r}: a source id is lower-case letters, digits, '.' and '-'")
    source_id = source_id or f"{SOURCE_PREFIX}-{file.digest}"
    for run in runs:  # the file's own model name, where it names one the catalog knows, must be the model given
        named = run["model"]
        if isinstance(named, str) and named.strip():
            try:
                file_model = catalog.resolve_model_id(named, db_path=db_path)
            except CostmodelError:
                continue
            if file_model != model_id:
                raise DataError(where, run["line"], run["model_field"],
                                f"the file benchmarked {named!r} ({file_model}), not --model {model} ({model_id})")
    # The throughput model must be able to set the run up, or calibrate would stop on it.
    try:
        dep = resolve_deployment(model_id, gpu_id, precision=weight_precision, kv_precision=kv_id, engine=engine_id,
                                 engine_version=None if version == "unstated" else version, db_path=db_path)
    except CostmodelError as exc:
        raise DataError(where, None, "--precision", f"the throughput model cannot set this deployment up: {exc}") from None
    today = dt.date.today()
    rows = []
    for index, run in enumerate(runs, 1):
        inp = run["input_total"] / run["completed"]
        out = run["output_total"] / run["completed"]
        try:
            estimate(dep, gpus, max(round(inp), 1), max(round(out), 1), concurrency=run["concurrency"], tensor_parallel=tensor_parallel)
        except CostmodelError as exc:
            raise DataError(where, run["line"], fit_flag,
                            f"run {index}: the throughput model cannot set this run up ({exc}), so calibrate could not use it") from None
        day = observed_on
        if day is None:
            day = run["day"]
            if isinstance(day, DataError):
                raise day
            day = day or today
        latency = run["ttft_ms"] is not None or run["tpot_ms"] is not None
        rows.append({
            "measurement_id": f"{catalog.USER_PUBLISHER_PREFIX}{file.digest}-{index}",
            "publisher": f"{catalog.USER_PUBLISHER_PREFIX}{file_slug(path.stem)}",
            "model_id": model_id, "weight_precision_id": weight_precision, "kv_precision_id": kv_id, "gpu_id": gpu_id,
            "gpu_count": gpus, "tensor_parallel": tensor_parallel, "pipeline_parallel": None, "expert_parallel": None,
            "data_parallel": None, "attention_dp": None, "engine_id": engine_id, "engine_version": version, "engine_build": None,
            "settings": "unknown", "max_num_seqs": None, "max_num_batched_tokens": None, "chunked_prefill": None,
            "gpu_memory_utilization_share": None, "load_kind": run["load_kind"], "dataset": DATASET,
            "input_tokens_mean": inp, "output_tokens_mean": out, "length_distribution": "fixed" if run["fixed"] else "dataset",
            "num_prompts": run["completed"], "concurrency": run["concurrency"], "request_rate_per_s": run["request_rate_per_s"],
            "ttft_limit_ms": None, "ttft_limit_statistic": None, "tpot_limit_ms": None, "tpot_limit_statistic": None,
            "measured_ttft_ms": run["ttft_ms"], "measured_tpot_ms": run["tpot_ms"],
            "measured_latency_statistic": "mean" if latency else None, "tokens_per_s": run["tokens_per_s"],
            "tokens_per_s_kind": "output-per-system", "precision_certain": precision is not None, "exclude_reason": None,
            "source_id": source_id, "observed_on": day,
            "note": f"your benchmark {path.name} ({run['tool']}), run {index}"
                    + (f" (line {run['line']})" if run["line"] else "") + f": {run['detail']}"
                    + ("" if precision is not None else f"; precision not given: {weight_precision} (release precision) assumed"),
        })
    known = _check_already_imported(where, rows, db_path)
    frame = pl.DataFrame([{k: _str(v) for k, v in r.items()} for r in rows], schema={k: pl.String for k in rows[0]})
    tools = sorted({r["tool"] for r in runs})
    sources = pl.DataFrame([{"source_id": source_id, "title": f"your benchmark: {path.name}",
                             "url_or_citation": str(path.resolve()), "licence": "your data", "retrieved_on": today.isoformat(),
                             "note": f"imported with costmodel import benchmark: {', '.join(tools)}; sha256 {file.digest}..."}])
    added, already, files = append("throughput_measured", frame, label=f"benchmark-{path.stem}",
                                   sources=None if len(known) == len(rows) else sources, db_path=db_path, imports=imports)
    return ImportReport("benchmark", str(path), "throughput_measured", len(rows), added, already, [], files)


DEPLOYMENT_COLUMNS = {"model_id": "--model", "gpu_id": "--gpu", "gpu_count": "--gpus", "tensor_parallel": "--tensor-parallel",
                      "engine_id": "--engine", "engine_version": "--engine-version", "weight_precision_id": "--precision",
                      "kv_precision_id": "--kv-precision"}


def _check_already_imported(where: str, rows: list[dict[str, Any]], db_path: Path | None) -> set[str]:
    """The rows' ids already in the store. Importing the same file again adds nothing; stating another
    deployment for it is an error, not a silent skip."""
    ids = [r["measurement_id"] for r in rows]
    cols = ", ".join(DEPLOYMENT_COLUMNS)
    old = store.query(f"SELECT measurement_id, {cols} FROM throughput_measured WHERE list_contains(?, measurement_id)",
                      [ids], db_path=db_path)
    mine = {r["measurement_id"]: r for r in rows}
    for prev in old.iter_rows(named=True):
        new = mine[prev["measurement_id"]]
        for col, flag in DEPLOYMENT_COLUMNS.items():
            if prev[col] != new[col]:
                raise DataError(where, None, flag, f"this file was imported before as {prev['measurement_id']} with {col} "
                                                   f"{prev[col]!r}, now {new[col]!r}: one result file is one deployment; "
                                                   "nothing imported")
    return set(old["measurement_id"].to_list())
