"""One writer at a time: concurrent imports all land, a repeated import lands once, a killed import leaves all or none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from costmodel.store import paths as _paths
from costmodel.catalog import importers
from costmodel import store

from .conftest import DATA

pytestmark = pytest.mark.slow

IMPORT = "import sys; from costmodel.outputs.cli import main; sys.exit(main(sys.argv[1:]))"


def prices_file(folder: Path, name: str, provider: str, usd: float) -> Path:
    path = folder / f"{name}.csv"
    path.write_text("kind,provider,item,pricing_mode,usd_per_gpu_hour,input_usd_per_mtok,output_usd_per_mtok,"
                    f"cached_input_usd_per_mtok,observed_on,note\ngpu,{provider},h100,on-demand,{usd},,,,2026-11-01,contract {name}\n")
    return path


@pytest.fixture()
def private(built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private store and imports folder, as environment for child processes and this one."""
    db = tmp_path / "store" / "costmodel.duckdb"
    db.parent.mkdir()
    shutil.copy(built_db, db)
    env = {**os.environ, _paths.ENV_DB: str(db), _paths.ENV_DATA_DIR: str(DATA),
           _paths.ENV_IMPORTS_DIR: str(tmp_path / "imports")}
    for key in (_paths.ENV_DB, _paths.ENV_DATA_DIR, _paths.ENV_IMPORTS_DIR):
        monkeypatch.setenv(key, env[key])
    yield env
    store.release(db)


def negotiated(db: str) -> list[tuple[str, float]]:
    frame = store.query("SELECT provider, usd_per_gpu_hour FROM gpu_prices WHERE starts_with(source_id, 'user-prices') "
                        "ORDER BY provider", db_path=Path(db))
    return [tuple(r) for r in frame.iter_rows()]


def run_at_once(commands: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-c", IMPORT, *c], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for c in commands]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def test_four_imports_started_at_once_all_land(private: dict[str, str], tmp_path: Path) -> None:
    files = [prices_file(tmp_path, f"contract-{i}", f"acme-{i}", 2.0 + i / 10) for i in range(4)]
    results = run_at_once([["import", "prices-csv", str(f)] for f in files], private)
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    expected = [(f"acme-{i}", 2.0 + i / 10) for i in range(4)]
    assert negotiated(private[_paths.ENV_DB]) == expected
    # and a rebuild from the files (data/ plus the imports) has them all too
    store.build(Path(private[_paths.ENV_DB]), DATA, imports=Path(private[_paths.ENV_IMPORTS_DIR]))
    assert negotiated(private[_paths.ENV_DB]) == expected
    # the new providers were registered as negotiated ones
    segments = store.query("SELECT market_segment FROM gpu_providers WHERE starts_with(provider, 'acme-')",
                           db_path=Path(private[_paths.ENV_DB]))["market_segment"].unique().to_list()
    assert segments == ["negotiated"]


def test_the_same_import_twice_at_once_lands_once_and_the_next_build_succeeds(private: dict[str, str], tmp_path: Path) -> None:
    f = prices_file(tmp_path, "contract", "acme", 2.25)
    results = run_at_once([["import", "prices-csv", str(f)], ["import", "prices-csv", str(f)]], private)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert negotiated(private[_paths.ENV_DB]) == [("acme", 2.25)]
    imports = Path(private[_paths.ENV_IMPORTS_DIR])
    assert len(list((imports / "sources").glob("*.csv"))) == 1 and len(list((imports / "gpu_prices").glob("*.csv"))) == 1
    report = store.build(Path(private[_paths.ENV_DB]), DATA, imports=imports)
    assert report.rows_per_table["gpu_prices"] > 0
    assert negotiated(private[_paths.ENV_DB]) == [("acme", 2.25)]


def test_an_import_killed_before_its_files_are_in_place_leaves_nothing(private: dict[str, str], tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = Path(private[_paths.ENV_DB])
    imports = Path(private[_paths.ENV_IMPORTS_DIR])
    real = os.replace

    def die_on_rename(src, dst):  # the store is replaced, then the process dies before renaming its files
        if str(src).endswith(".partial"):
            raise KeyboardInterrupt("killed (injected)")
        return real(src, dst)

    monkeypatch.setattr(importers.os, "replace", die_on_rename)
    with pytest.raises(KeyboardInterrupt):
        importers.import_prices_csv(prices_file(tmp_path, "contract", "acme", 2.25), db_path=db, imports=imports)
    monkeypatch.setattr(importers.os, "replace", real)
    assert list(imports.glob("*/*.partial"))  # what a killed import leaves
    # the next command: the store no longer matches its files, so it is rebuilt without the import; the partials go
    store._VERIFIED.clear()
    store.ensure_built(db, DATA)
    with store.writer_lock(db):
        pass
    assert negotiated(str(db)) == []
    assert not list(imports.glob("*/*.partial")) and not list(imports.glob("*/*.csv"))


def test_leftovers_of_killed_builds_are_removed_by_the_next_writer(private: dict[str, str]) -> None:
    db = Path(private[_paths.ENV_DB])
    for name in (f"{db.name}.tmp-99999", f"{db.name}.tmp-99999.wal", f"{db.name}.import-99998"):
        (db.parent / name).write_bytes(b"half-written")
    with store.writer_lock(db):
        pass
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_a_writer_waits_and_then_says_who_holds_the_lock(private: dict[str, str]) -> None:
    db = Path(private[_paths.ENV_DB])
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from pathlib import Path; from costmodel import store\n"
                               f"with store.writer_lock(Path({str(db)!r})):\n    print('held', flush=True); time.sleep(20)"],
                              env=private, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(store.StoreError, match="another costmodel process has been writing .* for 1 s"):
            with store.writer_lock(db, timeout_s=1):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_imports_are_listed_and_one_can_be_undone(private: dict[str, str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from costmodel.outputs.cli import main

    db = Path(private[_paths.ENV_DB])
    importers.import_prices_csv(prices_file(tmp_path, "first", "acme-a", 2.0), db_path=db)
    importers.import_prices_csv(prices_file(tmp_path, "second", "acme-b", 3.0), db_path=db)
    listed = importers.list_imports()
    assert listed.height == 2 and listed["label"].to_list() == ["prices-first", "prices-second"]
    assert main(["import", "--list", "--json"]) == 0 and "prices-first" in capsys.readouterr().out
    first = listed["import_id"][0]
    assert main(["import", "--remove", first]) == 0
    assert negotiated(str(db)) == [("acme-b", 3.0)]
    assert importers.list_imports()["label"].to_list() == ["prices-second"]
    assert main(["import", "--remove", "nope"]) == 1
    assert "no import 'nope'; your imports:" in capsys.readouterr().err
