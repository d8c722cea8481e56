"""Clean stops and full disks: a stopped or killed batch leaves no process and no temporary file, Ctrl-C says
what was written, a killed build is swept by the next one, and a read-only folder or a full disk gives one line.

The batch tests start `costmodel report --all --workers 2` in a subprocess whose environment carries a marker;
every process it starts (workers, their kernels) inherits the marker, so /proc shows whether any is left.
Waits poll with generous timeouts; nothing asserts a duration.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from costmodel.store import paths as _paths
from costmodel.outputs import reports
from costmodel import store
from costmodel.outputs.cli import main

from .conftest import DATA, sha256

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and uses PR_SET_PDEATHSIG")

COSTMODEL = Path(sys.executable).parent / "costmodel"
RUNS = 4


def _marked(marker: str) -> list[int]:
    """Pids of live processes whose environment carries the marker."""
    needle = f"COSTMODEL_TEST_MARKER={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _poll(condition, timeout: float = 180.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


def _manifest(tmp_path: Path) -> Path:
    manifest = tmp_path / "runs.toml"
    manifest.write_text("".join(f'[[run]]\nnotebook = "crossover"\n[run.parameters]\ntokens_per_month = {i + 1}e9\n\n'
                                for i in range(RUNS)))
    return manifest


def _start_batch(tmp_path: Path, built_db: Path) -> tuple[subprocess.Popen[str], Path, str]:
    out = tmp_path / "out"
    marker = uuid.uuid4().hex
    env = {**os.environ, "COSTMODEL_REPORTS_DIR": str(out), _paths.ENV_DB: str(built_db), _paths.ENV_DATA_DIR: str(DATA),
           "COSTMODEL_TEST_MARKER": marker}
    proc = subprocess.Popen([str(COSTMODEL), "report", "--all", "--manifest", str(_manifest(tmp_path)), "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = _poll(lambda: out.is_dir() and list(out.glob(".*.tmp.ipynb")))  # papermill writes it as a report starts
    if not started:
        proc.kill()
        pytest.fail(f"no report started: {proc.communicate()[1][-2000:]}")
    return proc, out, marker


def test_ctrl_c_stops_the_batch_and_says_what_was_written(tmp_path: Path, built_db: Path) -> None:
    proc, out, marker = _start_batch(tmp_path, built_db)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    written = [line for line in lines if line.startswith("written: ")]
    not_written = [line for line in lines if line.startswith("not written: crossover")]
    assert any(line.startswith("costmodel: interrupted: ") for line in lines)
    assert not_written, stderr  # the pending reports were cancelled, not run after Ctrl-C
    assert len(written) + len(not_written) == RUNS
    htmls = sorted(p.name for p in out.glob("*.html"))
    assert htmls == sorted(Path(line.removeprefix("written: ")).name for line in written)
    assert _poll(lambda: not _marked(marker), timeout=60) and not _marked(marker)  # workers and kernels are gone
    assert not list(out.glob(".*tmp*"))  # the stopped reports removed their temporary files


def test_killing_the_parent_takes_its_workers_and_kernels_with_it(tmp_path: Path, built_db: Path) -> None:
    proc, out, marker = _start_batch(tmp_path, built_db)
    proc.kill()  # SIGKILL: no handler runs in the parent
    proc.communicate(timeout=60)
    at_kill = sorted(p.name for p in out.glob("*.html"))
    assert _poll(lambda: not _marked(marker), timeout=120) and not _marked(marker)
    # orphaned workers would have gone on writing reports; these stopped and removed their temporary files
    assert sorted(p.name for p in out.glob("*.html")) == at_kill
    assert len(at_kill) < RUNS
    assert not list(out.glob(".*tmp*"))


def test_sigterm_to_the_parent_stops_the_batch_like_ctrl_c(tmp_path: Path, built_db: Path) -> None:
    proc, out, marker = _start_batch(tmp_path, built_db)
    proc.terminate()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130 and "not written: crossover" in stderr, stderr[-2000:]
    assert _poll(lambda: not _marked(marker), timeout=60) and not _marked(marker)
    assert not list(out.glob(".*tmp*"))


def test_the_next_report_sweeps_temporary_files_of_killed_runs_only(tmp_path: Path, db: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no process has now
    leftovers = [out / f".crossover.{dead.pid}.tmp.{ext}" for ext in ("ipynb", "html", "json", "xlsx")]
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    running = out / f".crossover.{alive.pid}.tmp.html"  # a run still in progress in another process: kept
    users = [out / "notes.tmp.html", out / ".notes.tmp", out / f"crossover.{dead.pid}.tmp.html",  # not our naming
             out / f".backup.{dead.pid}.tmp.html"]  # no report is named backup
    for path in [*leftovers, running, *users]:
        path.write_text("half-written")
    try:
        result = reports.run_report("crossover", {}, out_dir=out)
    finally:
        alive.kill()
        alive.wait()
    assert Path(result["html"]).is_file()
    assert not any(p.exists() for p in leftovers)
    assert running.exists() and all(p.read_text() == "half-written" for p in users)


def test_a_killed_build_is_swept_by_the_next_build(tmp_path: Path) -> None:
    target = tmp_path / "store" / "costmodel.duckdb"
    env = {**os.environ, _paths.ENV_DATA_DIR: str(DATA), _paths.ENV_IMPORTS_DIR: str(tmp_path / "imports")}
    proc = subprocess.Popen([str(COSTMODEL), "--db", str(target), "db", "build"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pattern = f"{target.name}.tmp-{proc.pid}"
    assert _poll(lambda: target.parent.is_dir() and list(target.parent.glob(pattern + "*")), every=0.02), \
        f"the build never wrote its temporary file: {proc.communicate()[1][-2000:]}"
    proc.kill()
    proc.communicate(timeout=60)
    if target.exists():
        pytest.skip("the build finished before it was killed")
    assert list(target.parent.glob(pattern + "*"))  # what a killed build leaves
    store.build(target, DATA, imports=tmp_path / "imports")
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] > 0


# ---------------------------------------------------------------------------------------------
# Read-only folders and full disks (we may run as root, where chmod does not stop a write: simulated)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("costmodel:")]  # the build's progress lines aside
    assert len(lines) == 1, err
    assert lines[0].startswith("costmodel: error: ") and "internal error" not in lines[0] and "Traceback" not in err
    return lines[0]


def _failing_connect(real, reason: str, *, at_checkpoint: bool = False):
    """duckdb.connect that fails as DuckDB does on a read-only folder (at open) or a full disk (at the checkpoint)."""

    class Connection:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args, **kwargs):
            if sql == "CHECKPOINT":
                raise duckdb.IOException(f'IO Error: Could not write file "{self._path}": {reason}')
            return self._con.execute(sql, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._con, name)

    def connect(path=":memory:", *args, **kwargs):
        if ".tmp-" not in str(path):
            return real(path, *args, **kwargs)
        if not at_checkpoint:
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}": {reason}')
        wrapped = Connection(real(path, *args, **kwargs))
        wrapped._path = path
        return wrapped

    return connect


@pytest.mark.parametrize("case", ["read-only folder", "full disk at checkpoint", "full disk at rename"])
def test_build_onto_a_read_only_or_full_disk_gives_one_line_and_keeps_the_old_store(
        case: str, old_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = sha256(old_store)
    if case == "read-only folder":
        monkeypatch.setattr(store.duckdb, "connect", _failing_connect(duckdb.connect, "Read-only file system"))
    elif case == "full disk at checkpoint":
        monkeypatch.setattr(store.duckdb, "connect", _failing_connect(duckdb.connect, "No space left on device",
                                                                      at_checkpoint=True))
    else:
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if ".tmp-" in str(src):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(store.os, "replace", replace)
    monkeypatch.setenv(_paths.ENV_DATA_DIR, str(DATA))
    code = main(["--db", str(old_store), "db", "build"])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 1
    assert str(old_store) in line and "the old store is unchanged" in line
    assert ("Read-only file system" if case == "read-only folder" else "No space left on device") in line
    assert sha256(old_store) == before
    assert sorted(p.name for p in old_store.parent.iterdir()) == [old_store.name]  # no temporary file left


@pytest.mark.parametrize("err", [errno.EROFS, errno.ENOSPC])
def test_report_onto_a_read_only_or_full_disk_gives_one_line_and_keeps_the_old_report(
        err: int, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("COSTMODEL_REPORTS_DIR", str(out))
    stem = reports.output_stem("crossover", {})
    old = {out / f"{stem}.{ext}": f"old {ext}" for ext in ("html", "ipynb", "json")}
    for path, text in old.items():
        path.write_text(text)
    real_write = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.parent == out and ".tmp." in self.name:
            raise OSError(err, os.strerror(err), str(self))
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    code = main(["report", "crossover"])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 1 and str(out) in line and os.strerror(err) in line
    assert {p: p.read_text() for p in old} == old
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in old)  # no temporary file left


def test_report_into_a_folder_that_cannot_be_made_gives_one_line(db: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COSTMODEL_REPORTS_DIR", str(blocker / "reports"))  # mkdir fails (ENOTDIR), even as root
    code = main(["report", "crossover"])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 1 and str(blocker / "reports") in line
