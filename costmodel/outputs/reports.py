"""Running the notebooks as reports: papermill, parameter checks, offline HTML, batch runs.

``run_report('crossover', {'model_id': 'llama-3.1-8b'})`` checks the parameters against the
notebook's ``parameters`` cell and the store (unknown ids fail before any cell runs),
executes the notebook with papermill on a kernel from ``kernels`` (started ahead and warmed), and writes ``reports/crossover__model_id-llama-3.1-8b.ipynb``
and ``.html``. The HTML is self-contained: code hidden, charts as inline SVG, no scripts or
stylesheets from the network, and a footer with the sources and the data's as-of date. Files
appear only when both are complete (written to temporary names, then renamed).

``run_all('reports/runs.toml')`` validates a whole manifest first, then runs its reports in
parallel across the cores; a failing report does not stop the others. Ctrl-C stops the batch and
says what was written; the workers die with their parent; temporary files a killed run left are
removed by the next run.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import html
import os
import re
import signal
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from costmodel.store import paths as _paths
from costmodel import catalog
from costmodel.errors import CostmodelError, require

WORKBOOK_MIME = "application/vnd.costmodel.workbook+json"
"""The output that carries a report's workbook sheets (``analysis.workbook``)."""
ID_PARAMETERS = {"model_id": "model", "gpu_id": "GPU", "precision": "precision", "edge_device": "GPU", "api_model": "model"}
"""Parameters whose values are store ids, checked before the kernel starts."""
TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _light_jsonschema() -> None:
    """jsonschema imported without building the IRI grammar (see ``kernels.NO_IRI_GRAMMAR``)."""
    from costmodel.outputs.kernels import NO_IRI_GRAMMAR

    exec(NO_IRI_GRAMMAR, {})


_ENGINE = "costmodel"
"""The papermill engine of reports: nbclient on a kernel given by ``kernels.take`` and killed when the notebook is done."""


def _register_engine() -> None:
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine(_ENGINE)
        return  # registered by an earlier report in this process
    except PapermillException:
        pass

    class GivenKernelEngine(NBClientEngine):
        """papermill's nbclient engine on an already started kernel (``km``), which it kills at the end."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False, stdout_file: Any = None,
                                     stderr_file: Any = None, start_timeout: int = 60, execution_timeout: Any = None,
                                     **kwargs: Any) -> Any:
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger

            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                                             kernel_name=kernel_name, log=logger, log_output=log_output,
                                             stdout_file=stdout_file, stderr_file=stderr_file,
                                             shutdown_kernel="immediate", **kwargs)
            return client.execute(cleanup_kc=True)  # the kernel is ours: stop its channels and kill it

    papermill_engines.register(_ENGINE, GivenKernelEngine)


def notebooks_dir() -> Path:
    """Folder of the report notebooks: the checkout's notebooks/, else the packaged copy."""
    root = _paths.checkout_root()
    if root is not None and (root / "notebooks").is_dir():
        return root / "notebooks"
    return _paths.PACKAGE_DIR / "_notebooks"


def reports_dir() -> Path:
    """Where reports are written: $COSTMODEL_REPORTS_DIR, the checkout's reports/, else ./reports."""
    if os.environ.get("COSTMODEL_REPORTS_DIR"):
        return Path(os.environ["COSTMODEL_REPORTS_DIR"])
    root = _paths.checkout_root()
    return root / "reports" if root is not None else Path.cwd() / "reports"


def available() -> list[str]:
    """Names of the report notebooks."""
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb") if not p.name.startswith("_"))


def parameters(name: str) -> dict[str, dict[str, Any]]:
    """The notebook's parameters: name -> {default, type, help} from its ``parameters`` cell."""
    require("reports", "a report")
    _light_jsonschema()
    import papermill

    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name) or name not in available():
        from costmodel.store import closest

        near = closest(str(name), available()) if isinstance(name, str) else []
        raise CostmodelError(f"unknown report {name!r}: a report is named by one of {', '.join(available())} "
                             "(a name, not a path)" + (f"; closest: {', '.join(near)}" if near else ""))
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        from costmodel.store import closest

        raise CostmodelError(f"unknown report {name!r}; available: {', '.join(available())}"
                             + (f" (closest: {', '.join(closest(name, available()))})" if closest(name, available()) else ""))
    found = papermill.inspect_notebook(str(path))
    out = {}
    for key, info in found.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            raise CostmodelError(f"report {name}: parameter {key} must default to a literal, not {info['default']!r}") from None
        annotated = re.sub(r"^Optional\[(\w+)\]$", r"\1", info.get("inferred_type_name") or "")
        type_name = annotated if annotated in TYPES else type(default).__name__
        if default is not None and annotated in TYPES and not isinstance(default, TYPES[annotated]):
            raise CostmodelError(f"report {name}: parameter {key} is annotated {annotated} but defaults to {info['default']}")
        out[key] = {"default": default, "type": type_name if type_name in TYPES else "str", "help": info["help"],
                    "optional": default is None or (info.get("inferred_type_name") or "").startswith("Optional[")}
    return out


def _coerce(name: str, key: str, value: Any, type_name: str) -> Any:
    target = TYPES[type_name]
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if target is bool:
                if text.lower() in ("true", "1", "yes"):
                    return True
                if text.lower() in ("false", "0", "no"):
                    return False
                raise ValueError
            if target is int:
                number = float(text)
                if number != int(number):
                    raise ValueError
                return int(number)
            return target(text)
        except ValueError:
            pass
    raise CostmodelError(f"report {name}: parameter {key} = {value!r} is not a {type_name}")


def check_parameters(name: str, given: dict[str, Any], *, db_path: Path | None = None) -> dict[str, Any]:
    """Given parameters typed like the notebook's defaults, with store ids resolved; errors name the parameter."""
    spec = parameters(name)
    unknown = [k for k in given if k not in spec]
    if unknown:
        raise CostmodelError(f"report {name}: unknown parameter {unknown[0]!r}; accepted: {', '.join(spec)}")
    checked = {}
    for key, value in given.items():
        if value is None and spec[key]["optional"]:
            checked[key] = None
            continue
        value = _coerce(name, key, value, spec[key]["type"])
        if key in ID_PARAMETERS and value == "" and spec[key]["optional"]:
            pass  # an Optional id left empty is not given (the planner: then a family or a quality floor, checked below)
        elif key in ID_PARAMETERS:
            resolver = {"model": catalog.resolve_model_id, "GPU": catalog.resolve_gpu_id,
                        "precision": catalog.resolve_precision_id}[ID_PARAMETERS[key]]
            value = resolver(value, db_path=db_path)
        if key == "workload_from" and value:
            value = _check_log(name, value)
        if key == "ownership_profile" and value:
            from costmodel.scenarios import check_ownership_profile

            _named(name, key, check_ownership_profile, value)
        if key in OWNERSHIP_PARAMETERS and isinstance(value, float) and value >= 0:
            from costmodel.scenarios import check_ownership_override

            _named(name, key, lambda v, _k=key: check_ownership_override(_k, v), value)
        if key == "currency":
            from costmodel.catalog.currency import check_currency

            value = _named(name, key, lambda v: check_currency(v, db_path=db_path), value)
        if key == "api" and value:
            from costmodel.scenarios import ApiOption, Workload, resolve_api

            resolve_api(ApiOption.parse(value), Workload(tokens_per_month=1.0), db_path=db_path)
        checked[key] = value
    _check_domain(name, {**{k: v["default"] for k, v in spec.items()}, **checked}, set(checked))
    return checked


WORKLOAD_PARAMETERS = {"tokens_per_month": "tokens_per_month", "small_tokens_per_month": "tokens_per_month",
                       "large_tokens_per_month": "tokens_per_month", "input_tokens": "input_tokens_per_request",
                       "output_tokens": "output_tokens_per_request", "peak_to_mean": "peak_to_mean",
                       "batch_share": "batch_share", "flex_share": "flex_share"}
"""Report parameters that are Workload fields: checked by constructing a Workload, as the CLI and Python do."""
OPTION_PARAMETERS = {"pricing_mode": "pricing_mode", "utilisation": "target_utilisation", "ops_usd_per_month": "ops_usd_per_month"}
"""Report parameters that are SelfHostOption fields: checked by constructing a SelfHostOption."""
COUNT_PARAMETERS = {"samples": (1, 10_000_000), "seed": (0, 2**63 - 1), "worst_rows": (1, 100_000)}
"""Whole-number report parameters and their accepted ranges."""
HORIZON_PARAMETERS = ("months", "discount_rate_per_year", "volume_growth_per_month", "api_price_change_per_year",
                      "gpu_price_change_per_year")
"""Report parameters that are horizon Trends fields: checked by constructing Trends."""
ENUM_PARAMETERS = {"color_by": ("engine_id", "gpu_vendor", "model_family", "run_kind")}
"""Report parameters with a fixed set of accepted values."""


def _check_domain(name: str, values: dict[str, Any], given: set[str]) -> None:
    """The given parameters through the same checks as the CLI and Python API (Workload, SelfHostOption), before a kernel
    starts; an error names the parameter."""
    from costmodel.scenarios import SelfHostOption, Workload

    for key, field in WORKLOAD_PARAMETERS.items():
        if key in given:
            kwargs = {field: values[key]}
            if field != "tokens_per_month":
                kwargs["tokens_per_month"] = 1.0
            _named(name, key, lambda _v, _kw=kwargs: Workload(**_kw), values[key])
    for key, field in OPTION_PARAMETERS.items():
        if key in given:
            _named(name, key, lambda _v, _f=field: SelfHostOption(model="-", gpu="-", **{_f: _v}), values[key])
    if {"model_id", "family", "benchmark"} <= set(values) and given & {"model_id", "family", "benchmark", "reference", "min_score_pct"}:
        from costmodel.scenarios.plan import candidate_models

        try:
            candidate_models(model=values["model_id"] or None, family=values["family"] or None,
                             benchmark=values["benchmark"] or None, reference=values.get("reference") or None,
                             min_score_pct=values["min_score_pct"] if values.get("min_score_pct", -1) >= 0 else None)
        except CostmodelError as exc:
            raise CostmodelError(f"report {name}: {exc}") from None
    horizon = {k: values[k] for k in HORIZON_PARAMETERS if k in values}
    if horizon and set(horizon) & given:
        from costmodel.scenarios.horizon import Trends

        try:
            Trends(**horizon)
        except CostmodelError as exc:
            raise CostmodelError(f"report {name}: {exc}") from None
    for key, accepted in ENUM_PARAMETERS.items():
        if key in given and values[key] not in accepted:
            raise CostmodelError(f"report {name}: parameter {key} = {values[key]!r} is not one of {', '.join(accepted)}")
    for key, (low, high) in COUNT_PARAMETERS.items():
        if key in given and not low <= values[key] <= high:
            raise CostmodelError(f"report {name}: parameter {key} = {values[key]!r} must be a whole number from {low:,} to {high:,}")


OWNERSHIP_PARAMETERS = ("purchase_usd_per_gpu", "power_usd_per_kwh", "pue_ratio", "colocation_usd_per_kw_month",
                        "depreciation_years", "residual_value_share")
"""Report parameters overriding one ownership input (negative: not given), range-checked before a kernel starts."""


def _named(report: str, key: str, check: Any, value: Any) -> Any:
    """``check(value)``'s result, its error prefixed with the report and the parameter."""
    try:
        return check(value)
    except CostmodelError as exc:
        raise CostmodelError(f"report {report}: parameter {key}: {exc}") from None


def _check_log(name: str, value: str) -> str:
    """A request log parameter as an absolute path (the kernel runs in notebooks/), checked to exist."""
    from costmodel.scenarios.usage import LOG_FORMATS

    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise CostmodelError(f"report {name}: parameter workload_from = {value!r}: no such file ({path})")
    if not path.name.lower().endswith(tuple(LOG_FORMATS)):
        raise CostmodelError(f"report {name}: parameter workload_from = {value!r}: unknown log format; "
                             f"accepted: {', '.join(LOG_FORMATS)}")
    return str(path)


def output_stem(name: str, params: dict[str, Any]) -> str:
    """reports/ file name for a run: NAME__key-value__key-value (sorted keys, filesystem-safe; a log by its file name)."""
    parts = [name] + [f"{k}-{_slug(Path(v).name if k == 'workload_from' else v)}" for k, v in sorted(params.items())]
    return "__".join(parts)


def _slug(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_") or "empty"


def run_report(name: str, params: dict[str, Any] | None = None, *, out_dir: Path | None = None,
               db_path: Path | None = None, keep_warm: bool = True) -> dict[str, Any]:
    """Execute one report notebook and write its .ipynb, .html, .json (and .xlsx); returns paths and timing.

    keep_warm: start the next report's kernel as this one's is taken (``kernels``), so that a process running
    several reports (a script, a notebook server, the workers of ``report --all``) finds it started and warmed.
    The command ``costmodel report NAME`` runs one report and passes False.
    """
    require("reports", "a report")
    from costmodel.outputs import kernels

    started = time.perf_counter()
    cwd = str(notebooks_dir())
    kernel = None
    kernels.prepare(cwd, ahead=False)  # no spare that fits: this report's kernel starts now, warming up while the parameters are checked
    try:
        _light_jsonschema()
        _register_engine()
        checked = check_parameters(name, params or {}, db_path=db_path)
        out_dir = Path(out_dir) if out_dir else reports_dir()
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(name, out_dir, exc) from None
        remove_leftovers(out_dir)
        kernel = kernels.take(cwd)
        if keep_warm:
            kernels.prepare(cwd)
        return _write_report(name, checked, out_dir, kernel, started)
    finally:
        if kernel is not None:
            kernels.finish(kernel)
        if not keep_warm:
            kernels.discard()


def _write_report(name: str, checked: dict[str, Any], out_dir: Path, kernel: Any, started: float) -> dict[str, Any]:
    import papermill

    stem = output_stem(name, checked)
    final_nb, final_html, final_json = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html", out_dir / f"{stem}.json"
    tmp_nb = out_dir / f".{stem}.{os.getpid()}.tmp.ipynb"
    tmp_html = out_dir / f".{stem}.{os.getpid()}.tmp.html"
    tmp_json = out_dir / f".{stem}.{os.getpid()}.tmp.json"
    tmp_xlsx = out_dir / f".{stem}.{os.getpid()}.tmp.xlsx"
    final_xlsx = out_dir / f"{stem}.xlsx"
    try:
        nb = papermill.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(tmp_nb), parameters=checked,
                                   kernel_name=kernel.manager.kernel_name, progress_bar=False, cwd=str(notebooks_dir()),
                                   engine_name=_ENGINE, km=kernel.manager, request_save_on_cell_execute=False)
        tmp_html.write_text(to_html(nb), encoding="utf-8")
        import json

        figures = headline_figures(nb)
        sheets = workbook_sheets(nb)
        if sheets:
            write_workbook(tmp_xlsx, sheets)
        tmp_json.write_text(json.dumps({"report": name, "parameters": checked, "figures": figures}, indent=2, default=str) + "\n",
                            encoding="utf-8")
        os.replace(tmp_nb, final_nb)
        os.replace(tmp_json, final_json)
        if sheets:
            os.replace(tmp_xlsx, final_xlsx)
        os.replace(tmp_html, final_html)
    except BaseException as exc:
        for p in (tmp_nb, tmp_html, tmp_json, tmp_xlsx):
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass  # the next run sweeps it (remove_leftovers)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(exc, OSError):  # a read-only folder, a full disk: the old report stays as it was
            raise _write_error(name, out_dir, exc) from None
        if exc.__class__.__name__ == "PapermillExecutionError":
            raise CostmodelError(f"report {name} failed in cell {getattr(exc, 'exec_count', '?')}: "
                                 f"{getattr(exc, 'ename', '')}: {getattr(exc, 'evalue', exc)}") from None
        raise
    return {"report": name, "parameters": checked, "ipynb": str(final_nb), "html": str(final_html), "json": str(final_json),
            "xlsx": str(final_xlsx) if sheets else None,
            "seconds": round(time.perf_counter() - started, 2), "figures": figures}


def _write_error(name: str, out_dir: Path, exc: OSError) -> CostmodelError:
    reason = exc.strerror or str(exc)
    return CostmodelError(f"report {name}: cannot write to {out_dir} ({reason}); the reports already there are unchanged; "
                          "free some space or set COSTMODEL_REPORTS_DIR to a writable folder")


TEMP_NAME = re.compile(r"^\.(?P<stem>.+)\.(?P<pid>\d+)\.tmp\.(?:ipynb|html|json|xlsx)$")
"""Temporary files of a report being written: .STEM.PID.tmp.EXT (renamed to STEM.EXT when complete)."""


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Delete the temporary files that killed report runs left in ``out_dir`` (those whose process is gone)."""
    removed = []
    try:
        candidates = list(Path(out_dir).glob(".*.tmp.*"))
    except OSError:
        return removed
    names = set(available())
    for path in candidates:
        match = TEMP_NAME.match(path.name)
        if (match is None or match["stem"].split("__")[0] not in names or _alive(int(match["pid"]))
                or path.is_symlink() or not path.is_file()):
            continue  # not a report's temporary file, or its run is still going
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass  # a read-only folder: the run itself will say so
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or a number no process has: keep the file
    return True


def _notebook(notebook: Path | Any) -> Any:
    """An executed notebook: a path is read (nbformat), a notebook node (papermill's result) is used as it is."""
    if isinstance(notebook, (str, os.PathLike)):
        import nbformat

        return nbformat.read(str(notebook), as_version=4)
    return notebook


def workbook_sheets(notebook: Path | Any) -> dict[str, Any] | None:
    """The sheets a notebook handed over with ``analysis.workbook`` (the last such output), if any."""

    nb = _notebook(notebook)
    for cell in reversed(nb.cells):
        for output in reversed(cell.get("outputs", [])):
            if WORKBOOK_MIME in output.get("data", {}):
                return output["data"][WORKBOOK_MIME]
    return None


def write_workbook(path: Path, sheets: dict[str, Any]) -> None:
    """An .xlsx workbook, one sheet per table: labelled columns, real numbers with money, volume and share formats."""
    import polars as pl
    import xlsxwriter

    from costmodel import formatting

    with xlsxwriter.Workbook(str(path)) as book:
        for sheet in sheets["sheets"]:
            name, rows = sheet["name"], sheet["rows"]
            frame = (pl.DataFrame(rows, schema=sheet["columns"], orient="row", infer_schema_length=None) if rows
                     else pl.DataFrame({"note": ["no rows"]}))
            frame = frame.with_columns(pl.col(c).map_elements(lambda v: formatting.cell(c, v), return_dtype=pl.String)
                                       for c in frame.columns if isinstance(frame[c].dtype, (pl.List, pl.Struct, pl.Array)))
            labels: dict[str, str] = {}
            for c in frame.columns:  # a label already taken keeps the later column's raw name (headers must differ)
                labels[c] = formatting.label(c) if formatting.label(c) not in labels.values() else c
            formats = {labels[c]: f for c in frame.columns if (f := formatting.excel_format(c, frame[c].dtype)) is not None}
            frame = frame.rename(labels)
            frame.write_excel(book, worksheet=name[:31], autofit=True, column_formats=formats or None,
                              header_format={"bold": True, "text_wrap": True}, dtype_formats={pl.Date: "yyyy-mm-dd"})


def headline_figures(notebook: Path | Any) -> dict[str, Any] | None:
    """The last JSON object a notebook printed (its headline figures), if any."""
    import json

    nb = _notebook(notebook)
    for cell in reversed(nb.cells):
        for output in reversed(cell.get("outputs", [])):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                try:
                    value = json.loads(output["text"].strip().splitlines()[-1])
                except (ValueError, IndexError):
                    continue
                return value if isinstance(value, dict) else {"rows": value}
    return None


# ---------------------------------------------------------------------------------------------
# Offline HTML

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
.table-wrap { max-width: 100%; overflow-x: auto; }
td { overflow-wrap: anywhere; max-width: 28em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.chart svg { max-width: 100%; height: auto; }
.answer { border-left: 4px solid #2b6cb0; background: #f4f8fc; padding: 0.2em 1em; margin: 1em 0; }
footer { border-top: 1px solid #ccc; margin-top: 2em; font-size: 0.85em; color: #444; }
"""


SAFE_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
             "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "caption", "div", "span", "del", "sup", "sub"}
"""Markup a report's HTML outputs may keep (tables, text, links); everything else is removed by the sanitiser."""
SAFE_ATTRIBUTES = {"td": {"class", "align"}, "th": {"class", "align"}, "div": {"class"}, "span": {"class"}, "a": {"href", "title"},
                   "table": {"class"}}


def safe_html(fragment: str) -> str:
    """HTML from a notebook output, through nh3 (ammonia): no script, event handler, style or remote resource survives."""
    import nh3

    return nh3.clean(fragment, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def _markdown() -> Any:
    """Markdown renderer with raw HTML escaped: text from parameters, logs or imported files stays text."""
    import mistune

    return mistune.create_markdown(escape=True, plugins=["strikethrough", "footnotes", "table"])


def to_html(notebook: Path | Any) -> str:
    """Self-contained HTML of an executed notebook: Markdown and outputs, code hidden, charts inline."""
    markdown = _markdown()

    nb = _notebook(notebook)
    title = "costmodel report"
    body: list[str] = []
    answers: list[str] = []
    answer_at = 0  # the answer goes right under the title, before the description
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            source = cell.source
            if title == "costmodel report":
                m = re.search(r"^#\s+(.+)$", source, re.M)
                if m:
                    title = m.group(1).strip()
                    body.append(markdown(source[: m.end()]))
                    answer_at = len(body)
                    source = source[m.end():]
            body.append(markdown(source))
            continue
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if _is_answer(output):
                answers.append(_output_html(output, markdown))
            else:
                body.append(_output_html(output, markdown))
    if answers:
        body.insert(answer_at, '<div class="answer">' + "\n".join(answers) + "</div>")
    html_doc = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
                f"<style>{_CSS}</style></head><body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n")
    return _strip_remote(html_doc)


def _is_answer(output: Any) -> bool:
    """True for the output a notebook displayed with ``analysis.answer``: the report's answer."""
    meta = output.get("metadata", {}).get("costmodel", {})
    return isinstance(meta, dict) and meta.get("role") == "answer"


def _output_html(output: Any, markdown: Any) -> str:
    kind = output.get("output_type")
    if WORKBOOK_MIME in output.get("data", {}):
        return ""  # the tables handed to the workbook, written beside the HTML
    if kind == "stream":
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        if output.get("name") != "stdout" or _is_figures(text):
            return ""  # the machine figures go to the .json beside the .html, not into the page
        return f"<pre>{html.escape(text)}</pre>"
    if kind == "error":
        return f"<pre>{html.escape(output.get('ename', ''))}: {html.escape(output.get('evalue', ''))}</pre>"
    data = output.get("data", {})
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        svg = "".join(svg) if isinstance(svg, list) else svg
        return f"<div class=\"chart\">{_safe_svg(svg)}</div>"
    if "text/markdown" in data:
        md = data["text/markdown"]
        return markdown("".join(md) if isinstance(md, list) else md)
    if "text/html" in data:
        fragment = data["text/html"]
        return safe_html("".join(fragment) if isinstance(fragment, list) else fragment)
    if "text/plain" in data:
        return f"<pre>{html.escape(data['text/plain'])}</pre>"
    return ""


def _safe_svg(svg: str) -> str:
    """A chart's SVG without script, foreignObject, event handlers or javascript: links (vl-convert escapes its text;
    this is the second line of defence)."""
    svg = re.sub(r"<script\b.*?</script\s*>", "", svg, flags=re.I | re.S)
    svg = re.sub(r"<foreignObject\b.*?</foreignObject\s*>", "", svg, flags=re.I | re.S)
    svg = re.sub(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", "", svg, flags=re.I)
    return re.sub(r"(href\s*=\s*[\"'])\s*javascript:[^\"']*", r"\1#", svg, flags=re.I)


def _is_figures(text: str) -> bool:
    """True for the one-line JSON object a notebook prints as its machine-readable figures."""
    import json

    line = text.strip()
    if not (line.startswith(("{", "[")) and "\n" not in line):
        return False
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _strip_remote(doc: str) -> str:
    """Refuse any script or stylesheet that would load from the network."""
    doc = re.sub(r"<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", "", doc, flags=re.I)
    doc = re.sub(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", "", doc, flags=re.I)
    return doc


# ---------------------------------------------------------------------------------------------
# Batch runs


def load_manifest(path: Path, *, db_path: Path | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Runs of a TOML manifest ([[run]] tables with notebook and parameters), all checked first."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostmodelError(f"manifest {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CostmodelError(f"manifest {path}: not valid TOML ({exc})") from None
    runs = data.get("run")
    if not isinstance(runs, list) or not runs:
        raise CostmodelError(f"manifest {path}: needs [[run]] tables, each with notebook = \"NAME\" and a [run.parameters] table")
    checked = []
    for i, run in enumerate(runs, 1):
        extra = set(run) - {"notebook", "parameters"}
        if extra:
            raise CostmodelError(f"manifest {path}: run {i}: unknown key {sorted(extra)[0]!r}; accepted: notebook, parameters")
        if "notebook" not in run:
            raise CostmodelError(f"manifest {path}: run {i} has no notebook; available: {', '.join(available())}")
        try:
            checked.append((run["notebook"], check_parameters(run["notebook"], run.get("parameters", {}), db_path=db_path)))
        except CostmodelError as exc:
            raise CostmodelError(f"manifest {path}: run {i}: {exc}") from None
    return checked


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by Ctrl-C (or SIGTERM): what was written and what was not."""

    def __init__(self, results: list[dict[str, Any]], not_written: list[tuple[str, dict[str, Any]]]) -> None:
        self.results = results
        self.not_written = not_written
        written = [r for r in results if "error" not in r]
        super().__init__(f"interrupted: {len(written)} of {len(results) + len(not_written)} reports written")


class _Stopped(SystemExit):
    """Raised in a worker by SIGTERM (its parent stopping the batch, or dying): the report removes its temporary files."""


_IN_REPORT = False
"""True while this worker process runs a report (a stop then unwinds it; between reports it exits at once)."""
PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 20.0
"""How long a stopped worker may take to remove its temporary files before it is killed [s]."""


def _worker_init(parent_pid: int) -> None:
    """Set up a batch worker: dies with its parent, leaves Ctrl-C to the parent, stops cleanly on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole terminal group: the parent decides
    signal.signal(signal.SIGTERM, _stop_worker)
    if sys.platform.startswith("linux"):  # the kernel sends SIGTERM when the parent dies, even by SIGKILL
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(143)


def _stop_worker(signum: int, frame: Any) -> None:
    if hasattr(signal, "alarm"):  # removing the temporary files must not hang the stop
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(STOP_GRACE_S))
    if not _IN_REPORT:
        os._exit(128 + signum)
    raise _Stopped(128 + signum)


def _worker(name: str, params: dict[str, Any], out_dir: str, env: dict[str, str], keep_warm: bool) -> dict[str, Any]:
    global _IN_REPORT
    os.environ.update(env)
    _IN_REPORT = True
    try:
        return run_report(name, params, out_dir=Path(out_dir), keep_warm=keep_warm)
    except _Stopped as stop:  # run_report has removed its temporary files; the kernel exits with this process
        os._exit(stop.code if isinstance(stop.code, int) else 143)
    except Exception as exc:  # reported, not raised: one failure does not stop the batch
        return {"report": name, "parameters": params, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        _IN_REPORT = False


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_all(manifest: Path, *, workers: int | None = None, out_dir: Path | None = None,
            progress: Callable[[int, int, dict[str, Any]], None] | None = None,
            keep_warm: bool | None = None) -> list[dict[str, Any]]:
    """Run every report of a manifest in parallel; returns one result (or error) per run.

    keep_warm: each worker starts the kernel of its next report while it runs one (``run_report``); by default
    only when there are fewer workers than cores (12 reports on 2 cores: 2 workers 46 s, 58 s with spares).

    Ctrl-C (or SIGTERM) stops the batch: pending reports are cancelled, running ones stopped (their temporary
    files removed), and ``BatchInterrupted`` says what was written and what was not. Workers die with this
    process even when it is killed outright (Linux), and temporary files a killed run left are removed here.
    """
    runs = load_manifest(manifest)
    out = str(out_dir or reports_dir())
    remove_leftovers(Path(out))
    env = {k: v for k, v in os.environ.items() if k.startswith("COSTMODEL_")}
    workers = workers or max(os.cpu_count() or 1, 1)
    if keep_warm is None:  # a spare warms up on a core no worker uses; with a worker per core it only competes
        keep_warm = workers < (os.cpu_count() or 1)
    results: list[dict[str, Any]] = []
    # spawn, not fork: a forked worker would inherit this process's open DuckDB connection and threads
    import multiprocessing
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init, initargs=(os.getpid(),))
    futures: dict[cf.Future[dict[str, Any]], tuple[str, dict[str, Any]]] = {}
    try:
        for name, params in runs:
            futures[pool.submit(_worker, name, params, out, env, keep_warm)] = (name, params)
        for done, future in enumerate(cf.as_completed(futures), 1):
            result = future.result()
            results.append(result)
            if progress:
                progress(done, len(futures), result)
    except KeyboardInterrupt:
        _stop_pool(pool, futures)
        seen = {id(r) for r in results}
        completed = [f for f in futures if f.done() and not f.cancelled() and f.exception() is None]
        results += [f.result() for f in completed if id(f.result()) not in seen]  # finished as Ctrl-C came
        raise BatchInterrupted(results, [futures[f] for f in futures if f not in completed]) from None
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _stop_pool(pool: cf.ProcessPoolExecutor, futures: dict[cf.Future[Any], Any]) -> None:
    """Cancel the pending reports and stop the running ones (SIGTERM: each removes its temporary files), then wait."""
    for future in futures:
        future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor's own worker processes
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        process.join(max(deadline - time.monotonic(), 0.1))
        if process.is_alive():
            process.kill()
            process.join(5)


def print_progress(done: int, total: int, result: dict[str, Any]) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    filled = int(width * done / total)
    status = f"FAILED {result['report']}" if "error" in result else f"{Path(result['html']).name} ({result['seconds']} s)"
    print(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {status}", file=sys.stderr, flush=True)
