"""Benchmark: one report against the floor of papermill plus nbconvert; the manifest sequentially vs in parallel.

Run by hand: `.venv/bin/python benchmarks/report_benchmark.py [--repeat N] [--batch]`. Measures, in one run and
alternating so both see the same machine load:

(a) one report: ``costmodel.outputs.reports.run_report('crossover')`` in this process (parameters checked, notebook
    executed by papermill, self-contained HTML, figures JSON and workbook written), as a running process does it:
    on the spare kernel the previous report started and warmed (``costmodel.outputs.kernels``);
(a') the same with ``keep_warm=False``: every report starts its own kernel (warming up while the parameters are
    checked), as the first report of a process and the one-shot command do;
(b) the floor: ``papermill.execute_notebook`` of a one-cell notebook (``1 + 1``) in a fresh kernel, then
    ``nbconvert.HTMLExporter`` on the result, in this same process.

Nothing runs in the background while anything is timed: before each timing the spare kernel's warm-up is waited
for (``kernels.wait_ready``). The floor script imports jsonschema without the IRI grammar, as reports do
(``--baseline``: reports as before issue 14: no IRI fix, no warm-up, papermill's own kernel handling). All are
warmed once first (imports, store build), so the figures are per report in a running process; then each runs
again in a fresh interpreter (``costmodel report crossover`` against a script doing (b)), where the parent's
imports count too. Prints the best of N and the ratios. Target (issue 14): one report at most 1.3x the
in-process floor. With ``--batch`` also the manifest one report after another, on one worker with spare
kernels, and on a worker per core (issue 5: the batch at least 1.6x faster on 2 cores than one after another).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from costmodel.outputs import kernels, reports
from costmodel import store

FLOOR_SCRIPT = kernels.NO_IRI_GRAMMAR + """
import sys, nbformat, papermill
from nbconvert import HTMLExporter
src, out = sys.argv[1], sys.argv[2]
papermill.execute_notebook(src, out, kernel_name="python3", progress_bar=False)
body, _ = HTMLExporter().from_filename(out)
open(out + ".html", "w", encoding="utf-8").write(body)
"""


def one_cell_notebook(path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nb, str(path))
    return path


def floor(src: Path, out: Path) -> float:
    import papermill
    from nbconvert import HTMLExporter

    started = time.perf_counter()
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    body, _ = HTMLExporter().from_filename(str(out))
    out.with_suffix(".html").write_text(body, encoding="utf-8")
    return time.perf_counter() - started


def report(out_dir: Path, *, keep_warm: bool = True) -> float:
    kernels.wait_ready()  # the spare's warm-up, if any, is not timed against the next measurement
    started = time.perf_counter()
    reports.run_report("crossover", {}, out_dir=out_dir, keep_warm=keep_warm)
    return time.perf_counter() - started


def fresh(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", action="store_true", help="also time the manifest with 1 and all workers")
    parser.add_argument("--baseline", action="store_true",
                        help="reports as before issue 14 (jsonschema builds the IRI grammar in this process and each kernel)")
    args = parser.parse_args()
    if args.baseline:
        reports._light_jsonschema = lambda: None
        kernels.WARM_UP = ""
    store.ensure_built()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        src = one_cell_notebook(tmp_path / "one_cell.ipynb")
        report(tmp_path / "warm")
        floor(src, tmp_path / "warm_floor.ipynb")
        reps, colds, floors = [], [], []
        for i in range(args.repeat):
            kernels.discard()  # no spare: the floor and the next report start their kernels with nothing else running
            floors.append(floor(src, tmp_path / f"floor{i}.ipynb"))
            colds.append(report(tmp_path / f"c{i}", keep_warm=False))
            reports.run_report("crossover", {}, out_dir=tmp_path / f"s{i}")  # untimed: leaves a spare, as a running process has
            reps.append(report(tmp_path / f"r{i}"))
        kernels.discard()
        print(f"one report (crossover), in process on the spare kernel: best {min(reps):.2f} s, worst {max(reps):.2f} s "
              f"over {args.repeat} runs")
        print(f"one report, in process, starting its own kernel (keep_warm=False): best {min(colds):.2f} s, "
              f"worst {max(colds):.2f} s")
        print(f"floor (papermill one-cell notebook + nbconvert HTML), in process: best {min(floors):.2f} s, "
              f"worst {max(floors):.2f} s")
        print(f"ratio: {min(reps) / min(floors):.2f}x the floor on the spare kernel (target: at most 1.3x); "
              f"{min(colds) / min(floors):.2f}x starting its own")
        if not args.baseline:  # a fresh process runs the code as it is
            env = {**os.environ, "COSTMODEL_REPORTS_DIR": str(tmp_path / "cli")}
            cli, cli_floor = [], []
            for i in range(args.repeat):
                cli_floor.append(fresh([sys.executable, "-c", FLOOR_SCRIPT, str(src), str(tmp_path / f"cf{i}.ipynb")], env))
                cli.append(fresh([sys.executable, "-m", "costmodel.outputs.cli", "report", "crossover"], env))
            print(f"fresh process: `costmodel report crossover` best {min(cli):.2f} s; floor script best "
                  f"{min(cli_floor):.2f} s; ratio {min(cli) / min(cli_floor):.2f}x")
        if args.batch:
            manifest = Path(reports.reports_dir()) / "runs.toml"
            runs = reports.load_manifest(manifest)
            cores = os.cpu_count() or 2
            timings = {}
            for label, workers, keep_warm in (("one after another, each report starting its kernel", 1, False),
                                              ("one worker with a spare kernel", 1, True),
                                              (f"{cores} workers (the default)", cores, None)):
                t = time.perf_counter()
                results = reports.run_all(manifest, workers=workers, out_dir=tmp_path / f"w{label[:3]}", keep_warm=keep_warm)
                timings[label] = time.perf_counter() - t
                failed = [r for r in results if "error" in r]
                print(f"{len(runs)} reports, {label}: {timings[label]:.1f} s" + (f" ({len(failed)} failed)" if failed else ""))
            first, *_, last = timings
            print(f"speed-up: {timings[first] / timings[last]:.2f}x on {cores} cores against one after another")


if __name__ == "__main__":
    main()
