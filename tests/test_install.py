"""Installs: the core package from its wheel in a fresh venv outside the repository (a finance script's
install: no papermill, Altair, Jupyter or ibis), and the bundled genai-prices data it builds the store from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
import tomllib
import venv
import zipfile
from pathlib import Path

import polars as pl
import pytest

from costmodel import store

from .conftest import DATA, REPO

OPTIONAL = ("papermill", "altair", "vl_convert", "nbformat", "ipykernel", "jupyter_core", "jupyterlab", "ibis",
            "pyspark", "aiconfigurator_core")
"""Modules of the extras (reports, logs, spark, aiconfigurator) and of Jupyter: absent from a core install."""
CROSSOVER = ("crossover", "--model", "llama-3.1-8b", "--gpu", "H100", "--api", "together/llama-3.1-8b",
             "--tokens-per-month", "5e9")


# ---------------------------------------------------------------------------------------------
# the bundled genai-prices data


def test_bundled_genai_prices_data_loads():
    frame, skipped = store.genai_price_frame(dt.date(2026, 11, 28))
    assert frame.height >= 1000, f"only {frame.height} API prices from genai-prices {store.GENAI_PRICES_VERSION}"
    assert frame["provider"].n_unique() >= 20 and skipped >= 0
    assert frame["source_id"].unique().to_list() == [store.GENAI_PRICES_SOURCE_ID]
    assert (frame["input_usd_per_mtok"] > 0).all()
    # OpenAI's list price of GPT-4o since 2024-08-06: $2.50 in, $10.00 out per million tokens
    gpt_4o = frame.filter((pl.col("provider") == "openai") & (pl.col("provider_model_id") == "gpt-4o")
                          & (pl.col("context_tier_start_tokens") == 0) & (pl.col("service_tier") == "standard")
                          & pl.col("effective_until").is_null())
    assert gpt_4o.height == 1, gpt_4o
    assert gpt_4o.row(0, named=True)["input_usd_per_mtok"] == pytest.approx(2.5)
    assert gpt_4o.row(0, named=True)["output_usd_per_mtok"] == pytest.approx(10.0)


def test_installed_genai_prices_is_in_the_declared_range():
    from packaging.requirements import Requirement

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    genai = next(Requirement(r) for r in declared if r.startswith("genai-prices"))
    assert "==" not in str(genai.specifier), "a library states a range, not an exact pin"
    assert genai.specifier.contains(store.GENAI_PRICES_VERSION)
    assert store.SOURCED_GENAI_PRICES_VERSION in genai.specifier


@pytest.mark.slow
def test_a_newer_genai_prices_release_is_dated_by_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(store, "GENAI_PRICES_VERSION", "0.2.99")
    monkeypatch.setattr(store, "GENAI_PRICES_SOURCE_ID", "genai-prices-0.2.99")
    path = tmp_path / "costmodel.duckdb"
    store.build(path, DATA)
    source = store.query("SELECT * FROM sources WHERE source_id = 'genai-prices-0.2.99'", db_path=path)
    assert source.height == 1 and source["retrieved_on"][0] == dt.date.today()
    assert "0.2.3" in source["note"][0]
    rows = store.query("SELECT source_id, min(observed_on) AS first, count(*) AS n FROM api_prices "
                       "WHERE starts_with(source_id, 'genai-prices') GROUP BY ALL", db_path=path)
    assert rows["source_id"].to_list() == ["genai-prices-0.2.99"]
    assert rows["first"][0] == dt.date.today() and rows["n"][0] >= 1000


# ---------------------------------------------------------------------------------------------
# the core package in a fresh venv


@dataclasses.dataclass
class CoreVenv:
    root: Path
    bin: Path
    wheel: Path
    env: dict[str, str]
    built: subprocess.CompletedProcess
    seconds: dict[str, float]

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        work = self.root / "elsewhere"
        work.mkdir(exist_ok=True)
        return subprocess.run(args, cwd=work, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=900)

    def python(self, code: str, **kw) -> subprocess.CompletedProcess:
        return self.run(str(self.bin / "python"), "-c", code, **kw)

    def costmodel(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run(str(self.bin / "costmodel"), *args, **kw)


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> CoreVenv:
    """The wheel built from this checkout, installed without extras (dependencies from PyPI) into a new venv."""
    root = tmp_path_factory.mktemp("install")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COSTMODEL_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["XDG_CACHE_HOME"] = str(root / "cache")  # the user cache folder the store goes to
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    seconds = {}
    started = time.perf_counter()
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "dist"),
                            str(REPO)], env=env, capture_output=True, text=True, timeout=900)
    assert wheel.returncode == 0, wheel.stderr[-3000:]
    seconds["wheel"] = time.perf_counter() - started
    (wheel_path,) = (root / "dist").glob("costmodel-*.whl")
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    started = time.perf_counter()
    pip = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel_path)], cwd=root,
                         env=env, capture_output=True, text=True, timeout=1800)
    assert pip.returncode == 0, pip.stderr[-3000:]
    seconds["pip install"] = time.perf_counter() - started
    venv_ = CoreVenv(root, bin_dir, wheel_path, env, None, seconds)  # type: ignore[arg-type]
    started = time.perf_counter()
    venv_.built = venv_.costmodel("db", "build", "--json")
    seconds["db build"] = time.perf_counter() - started
    print(f"\ncore install: wheel {wheel_path.stat().st_size / 1e6:.2f} MB, "
          + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return venv_


@pytest.mark.slow
def test_the_wheel_ships_license_types_and_one_version(core: CoreVenv):
    names = zipfile.ZipFile(core.wheel).namelist()
    assert "costmodel/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), [n for n in names if "dist-info" in n]
    assert "costmodel/_data/models.csv" in names and "costmodel/_notebooks/crossover.ipynb" in names
    shown = core.python("import costmodel, importlib.metadata as m; "
                        "print(costmodel.__version__, m.version('costmodel'), m.metadata('costmodel')['License-Expression'])")
    assert shown.returncode == 0, shown.stderr
    source, metadata, licence = shown.stdout.split()
    assert source == metadata and licence == "MIT"
    assert f"costmodel-{source}-" in core.wheel.name


@pytest.mark.slow
def test_core_install_has_no_reports_jupyter_or_ibis(core: CoreVenv):
    found = core.python("import importlib.util, json; "
                        f"print(json.dumps({{m: importlib.util.find_spec(m) is not None for m in {list(OPTIONAL)!r}}}))")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {m: False for m in OPTIONAL}


@pytest.mark.slow
def test_pip_install_outside_the_repo(core: CoreVenv):
    imported = core.python("import costmodel, costmodel.store.paths as p; print(p.data_dir()); print(p.db_path())")
    assert imported.returncode == 0, imported.stderr
    data_dir, db_path = imported.stdout.split()
    assert str(REPO) not in data_dir and data_dir.endswith("costmodel/_data")
    assert db_path.startswith(str(core.root / "cache"))

    assert core.built.returncode == 0, core.built.stderr
    assert json.loads(core.built.stdout)["rows_per_table"]["models"] >= 30
    info = core.costmodel("db", "info", "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["tables"]["api_prices"]["rows"] >= 1000

    # COSTMODEL_DB overrides the location
    again = core.costmodel("gpus", "H100", "--json", env={"COSTMODEL_DB": str(core.root / "custom.duckdb")})
    assert again.returncode == 0, again.stderr
    assert (core.root / "custom.duckdb").is_file()
    assert sys.version_info >= (3, 11)


@pytest.mark.slow
def test_core_install_answers_crossover_like_the_checkout(core: CoreVenv, db: Path):
    from costmodel.outputs.cli import main

    assert core.built.returncode == 0, core.built.stderr
    answered = core.costmodel(*CROSSOVER, "--json")
    assert answered.returncode == 0, answered.stderr
    theirs = json.loads(answered.stdout)
    assert theirs["self_host_usd_per_month"] > 0 and theirs["api_usd_per_month"] > 0
    # the same figures as this checkout's full install on the same data
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*CROSSOVER, "--json"]) == 0
    ours = json.loads(out.getvalue())
    for key in ("self_host_usd_per_month", "api_usd_per_month", "break_even_tokens_per_month", "gpus"):
        assert theirs[key] == pytest.approx(ours[key]), key

    # the Python API of a finance script, and nothing optional imported on the way
    script = ("import sys, costmodel\n"
              "from costmodel import ApiOption, SelfHostOption, Workload, crossover\n"
              "r = crossover(Workload(tokens_per_month=5e9), SelfHostOption(model='llama-3.1-8b', gpu='H100'),\n"
              "              ApiOption.parse('together/llama-3.1-8b'))\n"
              "print(r.api_usd_per_month)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in {'papermill', 'altair', 'ibis', 'nbformat'}))\n")
    api = core.python(script)
    assert api.returncode == 0, api.stderr
    monthly, imported = api.stdout.splitlines()
    assert float(monthly) == pytest.approx(ours["api_usd_per_month"]) and imported == "[]"


@pytest.mark.slow
def test_optional_features_without_their_extra_say_which_to_install(core: CoreVenv):
    report = core.costmodel("report", "crossover")
    assert report.returncode == 1, report.stderr
    assert report.stderr.count("\n") == 1 and "Traceback" not in report.stderr
    assert "needs the 'reports' extra" in report.stderr and "pip install 'costmodel[reports]'" in report.stderr
    assert not (core.root / "elsewhere" / "reports").exists() or not any((core.root / "elsewhere" / "reports").iterdir())

    log = core.root / "log.csv"
    log.write_text("timestamp,model,input_tokens,output_tokens\n2026-01-01T00:00:00,m,100,10\n")
    profiled = core.costmodel("workload", str(log))
    assert profiled.returncode == 1, profiled.stderr
    assert profiled.stderr.count("\n") == 1 and "Traceback" not in profiled.stderr
    assert "needs the 'logs' extra" in profiled.stderr and "pip install 'costmodel[logs]'" in profiled.stderr
