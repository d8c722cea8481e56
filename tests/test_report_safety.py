"""Reports are safe to forward: no string from a parameter, a request log or an imported file survives as markup,
and report names cannot reach outside notebooks/ or reports/."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from costmodel import CostmodelError, store
from costmodel.store import paths as _paths
from costmodel.outputs import reports
from costmodel.outputs.cli import main
from costmodel.catalog.importers import import_prices_csv

from .conftest import DATA

pytestmark = pytest.mark.slow

PAYLOADS = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '"><svg onload=alert(3)>',
            '<a href="javascript:alert(4)">x</a>', '<iframe srcdoc="<b>5</b>"></iframe>']
ACTIVE_TAGS = {"script", "iframe", "img", "object", "embed", "foreignobject", "link", "meta", "base", "form"}


class _Active(HTMLParser):
    """Collects elements and attributes that would run or load something in a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() in ACTIVE_TAGS and not (tag.lower() == "meta" and attrs == [("charset", "utf-8")]):
            self.found.append(f"<{tag}>")
        for key, value in attrs:
            if key.lower().startswith("on"):
                self.found.append(f"{tag} {key}=")
            if key.lower() in ("href", "src", "xlink:href", "action") and value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {key}=javascript:")


def live_markup(doc: str) -> list[str]:
    """Elements or attributes in the document that would run or load something (escaped text such as &lt;img is fine)."""
    parser = _Active()
    parser.feed(doc)
    return parser.found + [p for p in PAYLOADS if p in doc]


@pytest.fixture()
def hostile(built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A private store holding imports whose names and fields carry payloads, and a request log with a hostile model name."""
    db = tmp_path / "store" / "costmodel.duckdb"
    db.parent.mkdir()
    shutil.copy(built_db, db)
    monkeypatch.setenv(_paths.ENV_DB, str(db))
    monkeypatch.setenv(_paths.ENV_DATA_DIR, str(DATA))
    monkeypatch.setenv(_paths.ENV_IMPORTS_DIR, str(tmp_path / "imports"))
    files = tmp_path / "files"
    files.mkdir()
    prices = files / f"contract {PAYLOADS[0]}.csv"
    with prices.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "provider", "item", "pricing_mode", "usd_per_gpu_hour", "input_usd_per_mtok",
                         "output_usd_per_mtok", "cached_input_usd_per_mtok", "observed_on", "note"])
        writer.writerow(["gpu", "acme", "h100", "on-demand", "2.10", "", "", "", "2026-11-01", PAYLOADS[1]])
        writer.writerow(["api", "openai", "gpt-4o", "", "", "2.0", "8.0", "", "2026-11-01", PAYLOADS[2]])
    import_prices_csv(prices)
    start = dt.datetime(2026, 10, 1)
    pl.DataFrame({"timestamp": [start + dt.timedelta(minutes=5 * i) for i in range(400)],
                  "model": [PAYLOADS[3]] * 400, "input_tokens": [900] * 400, "output_tokens": [250] * 400,
                  }).write_parquet(files / "requests.parquet")
    yield {"db": db, "log": files / "requests.parquet", "out": tmp_path / "out"}
    store.release(db)


def test_no_payload_survives_in_any_report(hostile: dict[str, Path]) -> None:
    runs = [("crossover", {"workload_from": str(hostile["log"]), "log_model": PAYLOADS[3]}),
            ("sensitivity", {"workload_from": str(hostile["log"]), "log_model": PAYLOADS[3]})]
    runs += [(name, {}) for name in reports.available() if name not in ("crossover", "sensitivity")]
    for name, params in runs:
        result = reports.run_report(name, params, out_dir=hostile["out"])
        doc = Path(result["html"]).read_text(encoding="utf-8")
        assert not live_markup(doc), (name, live_markup(doc)[:3])
    crossover_doc = next(hostile["out"].glob("crossover__*.html")).read_text(encoding="utf-8")
    assert "&lt;a href=" in crossover_doc  # the log's model name is shown, as text


def test_rejected_parameters_never_start_a_kernel(hostile: dict[str, Path]) -> None:
    for params in ({"model_id": PAYLOADS[0]}, {"api": f"openai/{PAYLOADS[0]}"}, {"pricing_mode": PAYLOADS[1]}):
        with pytest.raises(CostmodelError):
            reports.run_report("crossover", params, out_dir=hostile["out"])
    assert not hostile["out"].exists() or not list(hostile["out"].iterdir())


@pytest.mark.parametrize("name", ["./../notebooks/seed_claims", "../x", "/abs/x", "seed_claims/../crossover", "CROSSOVER",
                                  "crossover.ipynb", ""])
def test_report_names_are_names_not_paths(name: str, tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in reports.notebooks_dir().iterdir())
    with pytest.raises(CostmodelError, match="unknown report"):
        reports.run_report(name, {}, out_dir=tmp_path / "out")
    assert main(["report", name]) == (2 if name == "" else 1)  # no name at all is a usage error
    assert re.search("unknown report|give a report name", capsys.readouterr().err)
    assert sorted(p.name for p in reports.notebooks_dir().iterdir()) == before
    assert not (tmp_path / "out").exists()


def test_manifest_entries_are_names_too(tmp_path: Path, db: Path) -> None:
    manifest = tmp_path / "runs.toml"
    manifest.write_text('[[run]]\nnotebook = "../notebooks/seed_claims"\n')
    with pytest.raises(CostmodelError, match="unknown report '../notebooks/seed_claims'"):
        reports.load_manifest(manifest)


def test_sanitiser_keeps_tables_and_drops_active_content() -> None:
    fragment = ('<table><tr><th>a</th><td class="num" onclick="x()">1</td></tr></table>'
                '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">l</a>')
    clean = reports.safe_html(fragment)
    assert '<td class="num">1</td>' in clean and "<table>" in clean
    assert not live_markup(clean)
    svg = '<svg><script>alert(1)</script><g onload="x()"><a href="javascript:y()"><text>t</text></a></g></svg>'
    assert not live_markup(reports._safe_svg(svg).replace("<svg>", ""))
