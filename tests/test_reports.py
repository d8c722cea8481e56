"""Reports: notebook parameters, fast failure on bad input, offline HTML, batch runs, a headless browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import openpyxl
import pytest

from costmodel import CostmodelError, UnknownIdError
from costmodel.outputs import reports
from costmodel.outputs.cli import main
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, crossover

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
REMOTE = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"']https?://", re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_thin_with_one_parameters_cell(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    spec = reports.parameters(path.stem)
    assert spec and all(p["help"] for p in spec.values())  # every parameter explains itself
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class) ", cell.source, re.M), "notebooks hold no logic"
            assert "sys.path" not in cell.source and "warnings.filter" not in cell.source
            assert not cell.get("outputs"), "commit notebooks without outputs"


def test_parameters_are_checked_before_any_cell_runs(db: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownIdError, match="closest known: llama-3.1-8b"):
        reports.run_report("crossover", {"model_id": "llama-3.1-9b"}, out_dir=tmp_path)
    with pytest.raises(CostmodelError, match="unknown parameter 'modelid'; accepted: model_id"):
        reports.run_report("crossover", {"modelid": "x"}, out_dir=tmp_path)
    with pytest.raises(CostmodelError, match="tokens_per_month = 'lots' is not a float"):
        reports.run_report("crossover", {"tokens_per_month": "lots"}, out_dir=tmp_path)
    with pytest.raises(UnknownIdError, match="API provider"):
        reports.run_report("crossover", {"api": "opnai/gpt-4o"}, out_dir=tmp_path)
    with pytest.raises(CostmodelError, match="unknown report 'crosover'"):
        reports.run_report("crosover", {}, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_output_names_follow_the_parameters() -> None:
    assert reports.output_stem("crossover", {"tokens_per_month": 5e9, "model_id": "llama-3.1-8b"}) == \
        "crossover__model_id-llama-3.1-8b__tokens_per_month-5e+09"
    assert reports.output_stem("crossover", {"api": "together/llama 3"}) == "crossover__api-together_llama_3"


def test_crossover_report_html_is_offline_and_matches_the_package(db: Path, tmp_path: Path) -> None:
    params = {"model_id": "llama-3.1-8b", "gpu_id": "l40s", "api": "together/llama-3.1-8b", "tokens_per_month": 5e9}
    result = reports.run_report("crossover", params, out_dir=tmp_path)
    html = Path(result["html"]).read_text()
    assert Path(result["ipynb"]).is_file()
    assert result["html"].endswith("crossover__api-together_llama-3.1-8b__gpu_id-l40s__model_id-llama-3.1-8b__tokens_per_month-5e+09.html")
    assert "<svg" in html and "<path" in html  # the chart is drawn inline
    assert not REMOTE.search(html), "no script, stylesheet or image from the network"
    assert "from costmodel" not in html  # code cells hidden
    assert "Sources and data as of" in html and "genai-prices-0.2.3" in html
    # the headline JSON printed by the notebook equals the package's answer for the same inputs
    nb = nbformat.read(result["ipynb"], as_version=4)
    printed = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("name") == "stdout"]
    figures = json.loads(printed[-1])
    # the report and the package default to the same precision: the model's release precision (bf16 for Llama 3.1)
    direct = crossover(Workload(tokens_per_month=5e9), SelfHostOption(model="llama-3.1-8b", gpu="l40s",
                                                                     target_utilisation=0.7, ops_usd_per_month=1500.0),
                       ApiOption.parse("together/llama-3.1-8b"))
    assert figures["self_host_usd_per_month"] == pytest.approx(direct.self_host_usd_per_month)
    assert figures["break_even_tokens_per_month"] == pytest.approx(direct.break_even_tokens_per_month)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(result[k]).name for k in ("html", "ipynb", "json", "xlsx"))
    # the machine figures are written beside the page, not printed into it
    beside = json.loads(Path(result["json"]).read_text())
    assert beside["figures"]["break_even_tokens_per_month"] == pytest.approx(direct.break_even_tokens_per_month)
    assert '"break_even_tokens_per_month"' not in html


def test_crossover_report_takes_its_workload_from_a_request_log(db: Path, tmp_path: Path) -> None:
    import datetime as dt

    import polars as pl

    from costmodel.scenarios.usage import profile_for

    logs, out = tmp_path / "logs", tmp_path / "out"
    logs.mkdir()
    start = dt.datetime(2026, 10, 1)
    n = 600  # a request every 6 minutes for 60 hours, busier 9:00-17:00, two models
    pl.DataFrame({
        "timestamp": [start + dt.timedelta(minutes=6 * i) for i in range(n)],
        "model": ["chat" if i % 3 else "batch" for i in range(n)],
        "input_tokens": [800 + (i % 7) * 100 for i in range(n)],
        "output_tokens": [200 + (i % 5) * 50 + (300 if 9 <= (i // 10) % 24 < 17 else 0) for i in range(n)],
        "cached_input_tokens": [(i % 4) * 100 for i in range(n)],
    }).write_parquet(logs / "requests.parquet")
    with pytest.raises(CostmodelError, match="workload_from = 'nope.parquet': no such file"):
        reports.run_report("crossover", {"workload_from": "nope.parquet"}, out_dir=out)
    (logs / "requests.xlsx").write_text("x")
    with pytest.raises(CostmodelError, match="unknown log format; accepted: .parquet"):
        reports.run_report("crossover", {"workload_from": str(logs / "requests.xlsx")}, out_dir=out)
    assert not out.exists() or list(out.iterdir()) == []

    params = {"model_id": "llama-3.1-8b", "gpu_id": "l40s", "api": "together/llama-3.1-8b",
              "workload_from": str(logs / "requests.parquet"), "log_model": "chat"}
    result = reports.run_report("crossover", params, out_dir=out)
    assert Path(result["html"]).name == ("crossover__api-together_llama-3.1-8b__gpu_id-l40s__log_model-chat__"
                                         "model_id-llama-3.1-8b__workload_from-requests.parquet.html")
    traffic = profile_for(logs / "requests.parquet", "chat")
    direct = crossover(traffic.workload(), SelfHostOption(model="llama-3.1-8b", gpu="l40s", precision="fp8",
                                                          target_utilisation=0.7, ops_usd_per_month=1500.0),
                       ApiOption.parse("together/llama-3.1-8b"))
    figures = result["figures"]
    assert figures["self_host_usd_per_month"] == pytest.approx(direct.self_host_usd_per_month)
    assert figures["api_usd_per_month"] == pytest.approx(direct.api_usd_per_month)
    html = Path(result["html"]).read_text()
    assert "Workload from the request log" in html and f"{traffic.requests:,} requests" in html
    assert traffic.peak_to_mean > 1.2  # the log's office-hours peak is what the report priced, not the default 2.0


def test_failing_report_leaves_nothing_behind(db: Path, tmp_path: Path) -> None:
    """A report that fails inside the kernel (valid parameters, a deployment that cannot be served) writes nothing."""
    with pytest.raises(CostmodelError, match="failed in cell .*cannot be served on up to 8 x l4"):
        reports.run_report("crossover", {"model_id": "llama-3.1-405b", "gpu_id": "l4"}, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_seed_claims_report_verdicts(db: Path, tmp_path: Path) -> None:
    result = reports.run_report("seed_claims", {}, out_dir=tmp_path)
    nb = nbformat.read(result["ipynb"], as_version=4)
    printed = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("name") == "stdout"]
    verdicts = {r["claim"]: r["verdict"] for r in json.loads(printed[-1])}
    assert verdicts["Llama 3.1 405B runs on 8x A100 in BF16"] == "does not hold"
    assert verdicts["Gemma 3 4B fits on a Raspberry Pi 5 (INT4)"] == "holds"
    assert verdicts["DeepSeek R1's API is 96% cheaper than o1"] == "holds"
    assert verdicts["Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16"] == "holds"
    # issue 12: it held only because of the $1,500/month operations assumption, and Mistral 7B's 14 GB is its weights alone
    assert verdicts["Below ~10M tokens/month an API is cheaper than self-hosting any open model"] == "holds only under stated conditions"
    assert verdicts["Mistral 7B needs 14 GB in BF16 and 5 GB in INT4"] == "holds only under stated conditions"
    sheet = openpyxl.load_workbook(result["xlsx"])["Claims"]
    header = [c.value for c in sheet[1]]
    assert "The verdict changes when" in header and sheet.max_row == len(verdicts) + 1


def test_manifest_is_validated_before_anything_runs(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[run]]\nnotebook = "crossover"\n\n[[run]]\nnotebook = "crossover"\n[run.parameters]\ngpu_id = "h1000"\n')
    with pytest.raises(CostmodelError, match=r"bad.toml: run 2: unknown GPU 'h1000'"):
        reports.run_all(bad, out_dir=tmp_path / "out")
    bad.write_text('[[run]]\nnotebok = "crossover"\n')
    with pytest.raises(CostmodelError, match="unknown key 'notebok'"):
        reports.run_all(bad, out_dir=tmp_path / "out")
    bad.write_text("not toml [")
    with pytest.raises(CostmodelError, match="not valid TOML"):
        reports.run_all(bad, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert reports.load_manifest(REPO / "reports" / "runs.toml")  # the committed manifest is valid


def test_run_all_keeps_going_and_exits_non_zero(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = tmp_path / "runs.toml"
    manifest.write_text(
        '[[run]]\nnotebook = "seed_claims"\n\n'
        '[[run]]\nnotebook = "crossover"\n[run.parameters]\nmodel_id = "llama-3.1-405b"\ngpu_id = "l4"\n\n'
        '[[run]]\nnotebook = "crossover"\n[run.parameters]\nmodel_id = "llama-3.1-8b"\ngpu_id = "l4"\n'
    )
    out = tmp_path / "out"
    monkeypatch.setenv("COSTMODEL_REPORTS_DIR", str(out))
    code = main(["report", "--all", "--manifest", str(manifest), "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert "2 of 3 reports written" in captured.out
    assert "FAILED crossover {'model_id': 'llama-3.1-405b', 'gpu_id': 'l4'}" in captured.err and "cannot be served" in captured.err
    assert "3/3" in captured.err  # the progress bar reached the end
    assert len(list(out.glob("*.html"))) == 2 and not list(out.glob(".*tmp*"))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _page_requests(html_path: Path, workdir: Path) -> tuple[str, set[str]]:
    """Render a page in headless Chromium; return the DOM and the http(s) URLs the page itself requested.

    Chromium's own background requests (time sync, updates) carry the initiator 'not an origin';
    requests a file:// page makes carry its opaque origin, so only those are returned.
    """
    netlog = workdir / "netlog.json"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={workdir / 'profile'}", f"--log-net-log={netlog}", "--virtual-time-budget=3000",
           "--dump-dom", f"file://{html_path}"]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    log = json.loads(netlog.read_text(errors="replace"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = {e["params"]["url"] for e in log["events"]
            if e["type"] == start and e["params"].get("initiator") != "not an origin"
            and e["params"].get("url", "").startswith(("http://", "https://"))}
    return dom.stdout, urls


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs Debian's chromium)")
def test_report_renders_in_a_headless_browser_without_network(db: Path, tmp_path: Path) -> None:
    # the detector sees a page's own remote request ...
    probe = tmp_path / "probe.html"
    probe.write_text('<html><body><img src="https://example.invalid/chart.png"></body></html>')
    (tmp_path / "a").mkdir()
    _, urls = _page_requests(probe, tmp_path / "a")
    assert urls == {"https://example.invalid/chart.png"}
    # ... and a report makes none, while its chart draws
    result = reports.run_report("crossover", {"model_id": "llama-3.1-8b", "gpu_id": "h100-sxm"}, out_dir=tmp_path)
    (tmp_path / "b").mkdir()
    dom, urls = _page_requests(Path(result["html"]), tmp_path / "b")
    assert dom.count("<svg") >= 1 and "tokens per month" in dom
    assert re.search(r"<path[^>]+d=\"M", dom)
    assert not urls, sorted(urls)


SCIENTIFIC = re.compile(r"\b\d(\.\d+)?e[+-]\d+\b", re.I)


SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
WORKBOOK_SHEETS = {"crossover": {"Answer", "Inputs", "Scenarios", "Sensitivity", "Sources"},
                   "sensitivity": {"Answer", "Inputs", "Scenarios", "Sensitivity", "Monte Carlo", "Sources"},
                   "horizon": {"Answer", "Inputs", "Scenarios", "Strategies", "Months", "Sources"},
                   "plan": {"Answer", "Scenarios", "Pareto front", "Sources"}}


@pytest.mark.slow
def test_every_report_reads_for_people(db: Path, tmp_path: Path) -> None:
    """Issue 12, every report at its defaults: no scientific notation in text, tables or chart labels; no snake_case
    column header; the answer first, right under the title; a workbook beside the HTML that opens with openpyxl, with
    the answer, the sources and (crossover, sensitivity) the inputs, scenarios and sensitivity, numbers as numbers."""
    for name in reports.available():
        result = reports.run_report(name, {}, out_dir=tmp_path)
        doc = Path(result["html"]).read_text(encoding="utf-8")
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(svg|style)\b.*?</\1>", " ", doc, flags=re.S | re.I))
        assert not SCIENTIFIC.search(visible), (name, SCIENTIFIC.findall(visible)[:3], SCIENTIFIC.search(visible))
        svg_text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", doc))
        assert not SCIENTIFIC.search(svg_text), (name, "chart", SCIENTIFIC.search(svg_text))
        headers = re.findall(r"<th>(.*?)</th>", doc, flags=re.S)
        assert headers and not [h for h in headers if SNAKE.fullmatch(h.strip())], (name, [h for h in headers if "_" in h])
        after_title = re.search(r"</h1>\s*(<[^>]+>)\s*<p>(.*?)</p>", doc, flags=re.S)
        assert after_title and after_title.group(1) == '<div class="answer">', (name, doc[doc.find("</h1>"):][:200])
        assert re.search(r"\d", after_title.group(2)), (name, "the answer states a figure", after_title.group(2))
        assert "application/vnd.costmodel" not in doc and "workbook sheets" not in doc
        book = openpyxl.load_workbook(result["xlsx"])
        assert {"Answer", "Sources"} <= set(book.sheetnames) and WORKBOOK_SHEETS.get(name, set()) <= set(book.sheetnames), (
            name, book.sheetnames)
        answer = book["Answer"]
        assert str(answer.cell(row=2, column=1).value).split()[0].strip("*") in re.sub(r"<[^>]+>", "", after_title.group(2))
        sources = book["Sources"]
        footer_ids = set(re.findall(r"<code>([^<]+)</code>:", doc.split("Sources and data as of")[-1]))
        assert footer_ids, (name, "a report names its sources")
        assert {sources.cell(row=r, column=1).value for r in range(2, sources.max_row + 1)} == footer_ids, name
        if name == "crossover":
            row = {answer.cell(row=1, column=c).value: answer.cell(row=2, column=c) for c in range(1, answer.max_column + 1)}
            cost = row["Self-host [USD/month]"]
            assert isinstance(cost.value, float) and cost.number_format.startswith("$"), (cost.value, cost.number_format)
            assert row["Break-even [tokens/month]"].number_format == "#,##0"
            inputs = [[c.value for c in r] for r in book["Inputs"].iter_rows()]
            assert inputs[0] == ["Assumption", "Value", "Number", "Origin", "Source"]
            assert {r[3] for r in inputs[1:]} >= {"parameter", "default", "store row", "computed"}
