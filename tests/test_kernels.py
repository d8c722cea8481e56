"""Report kernels started ahead (costmodel.outputs.kernels): a spare is a fresh kernel, fits its conditions, leaves nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("papermill", reason="the reports extra is not installed")

from costmodel.outputs import kernels, reports  # noqa: E402


def _children() -> set[int]:
    """Pids of this process's live child processes (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _gone(pids: set[int], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (pids & _children()):
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _run(kernel: kernels._Kernel, code: str) -> tuple[str, int]:
    """Run one cell on a taken kernel the way reports do (nbclient with the kernel given), return its stdout."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = NotebookClient(nb, km=kernel.manager, kernel_name=kernels.KERNEL_NAME, shutdown_kernel="immediate")
    with client.setup_kernel(cleanup_kc=True):
        client.execute_cell(nb.cells[0], 0)
    kernels.finish(kernel)
    return "".join(o.get("text", "") for o in nb.cells[0].outputs), nb.cells[0].execution_count


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for child processes")

PROBE = ("import sys, json\n"
         "print(json.dumps({'names': sorted(k for k in globals() if not k.startswith('_')),\n"
         "                  'polars': 'polars' in sys.modules, 'costmodel': 'costmodel.outputs.charts' in sys.modules}))")


def test_a_spare_is_a_fresh_kernel_with_the_libraries_loaded(tmp_path: Path) -> None:
    kernels.discard()
    cwd = str(reports.notebooks_dir())
    kernels.prepare(cwd)
    assert kernels.wait_ready(120)
    spare = kernels.take(cwd)
    warm_out, warm_count = _run(spare, PROBE)
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name=kernels.KERNEL_NAME)  # the same kernel without the warm-up
    run_sync(manager.start_kernel)(extra_arguments=list(kernels.KERNEL_ARGUMENTS), cwd=cwd)
    plain = kernels._Kernel(spare.key, manager, type("NoClient", (), {"stop_channels": lambda self: None})(), False)
    plain_out, _ = _run(plain, "import sys, json\nprint(json.dumps({'names': sorted(k for k in globals() if not k.startswith('_'))}))")
    warm, cold = json.loads(warm_out), json.loads(plain_out)
    assert warm["polars"] and warm["costmodel"]  # imported before the first cell
    assert warm_count == 1  # the warm-up left no execution count
    # the notebook namespace is what a fresh kernel has (the warm-up ran in a function and deleted it) ...
    assert warm["names"] == cold["names"]
    assert "polars" not in warm["names"] and "store" not in warm["names"]


def test_a_spare_started_under_other_conditions_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernels.discard()
    cwd = str(reports.notebooks_dir())
    kernels.prepare(cwd)
    before = dict(kernels.STATS)
    monkeypatch.setenv("COSTMODEL_TEST_MARK", "after the spare started")  # e.g. another COSTMODEL_DB
    kernel = kernels.take(cwd)
    assert kernels.STATS["discarded"] == before["discarded"] + 1 and kernels.STATS["cold"] == before["cold"] + 1
    out, _ = _run(kernel, "import os; print(os.environ.get('COSTMODEL_TEST_MARK'))")
    assert out.strip() == "after the spare started"
    kernels.prepare(cwd)
    kernel = kernels.take(str(tmp_path))  # another folder
    out, _ = _run(kernel, "import os; print(os.getcwd())")
    assert out.strip() == os.path.realpath(tmp_path)


def test_reports_on_a_spare_match_reports_on_their_own_kernel(db: Path, tmp_path: Path) -> None:
    kernels.discard()
    params = {"model_id": "llama-3.1-8b", "gpu_id": "l40s", "api": "together/llama-3.1-8b"}
    own = reports.run_report("crossover", params, out_dir=tmp_path / "own", keep_warm=False)
    assert not kernels.has_spare()
    before = dict(kernels.STATS)
    first = reports.run_report("crossover", params, out_dir=tmp_path / "first")
    assert kernels.has_spare() and kernels.wait_ready(120)
    second = reports.run_report("crossover", params, out_dir=tmp_path / "second")
    assert kernels.STATS["warm"] == before["warm"] + 1  # the second report ran on the spare the first one started
    for run in (first, second):
        assert run["figures"] == own["figures"]
        assert Path(run["html"]).read_text(encoding="utf-8") == Path(own["html"]).read_text(encoding="utf-8")
    counts = [c.get("execution_count") for c in json.loads(Path(second["ipynb"]).read_text())["cells"]
              if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))
    kernels.discard()


def test_no_kernel_outlives_its_report_or_the_spare(db: Path, tmp_path: Path) -> None:
    kernels.discard()
    before = _children()
    reports.run_report("crossover", {}, out_dir=tmp_path, keep_warm=False)
    assert not kernels.has_spare() and _gone(_children() - before)  # the report's kernel is killed at the end
    with pytest.raises(Exception, match="unknown parameter"):
        reports.run_report("crossover", {"modelid": "x"}, out_dir=tmp_path, keep_warm=False)
    assert not kernels.has_spare() and _gone(_children() - before)  # a refused report kills the kernel it started
    reports.run_report("crossover", {}, out_dir=tmp_path)
    spare = _children() - before
    assert kernels.has_spare() and len(spare) == 1
    kernels.discard()
    assert _gone(spare)


def test_the_spare_dies_with_its_process(tmp_path: Path) -> None:
    script = ("import sys\nfrom costmodel.outputs import kernels, reports\n"
              "kernels.prepare(str(reports.notebooks_dir()))\nassert kernels.wait_ready(120)\n"
              "print(kernels._SPARE.manager.provisioner.process.pid, flush=True)\n")
    for abrupt in (False, True):  # atexit kills it; without atexit (os._exit), ipykernel notices its parent is gone
        code = script + ("import os; os._exit(0)\n" if abrupt else "")
        pid = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 timeout=180).stdout.split()[-1])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        assert not _alive(pid), f"spare kernel {pid} outlived its process (abrupt={abrupt})"
