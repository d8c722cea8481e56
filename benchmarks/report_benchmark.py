"""Benchmark: one report against the floor of papermill plus nbconvert; the manifest sequentially vs in parallel.

Run by hand: `.venv/bin/python benchmarks/report_benchmark.py [--repeat N] [--batch]`. Measures, in one run and
alternating so both see the same machine load:

(a) one report: ``costmodel.outputs.reports.run_report('crossover')`` in this process (parameters checked, notebook
    executed by papermill in a fresh kernel, self-contained HTML, figures JSON and workbook written);
(b) the floor: ``papermill.execute_notebook`` of a one-cell notebook (``1 + 1``) in a fresh kernel, then
    ``nbconvert.HTMLExporter`` on the result, in this same process.

The floor script imports jsonschema without the IRI grammar, as reports do (``--baseline``: reports as before).
Both are warmed once first (imports, store build), so the figures are per report in a running process; then
each runs again in a fresh interpreter (``costmodel report crossover`` against a script doing (b)), where the
parent's imports count too. Prints the best of N and the ratios. Target (issue 14): one report at most 1.3x
the in-process floor. With ``--batch`` also the 8-report manifest with 1 and with all cores (issue 5: the
batch at least 1.6x faster on 2 cores than one after another).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from costmodel.outputs import reports
from costmodel import store

FLOOR_SCRIPT = reports._NO_IRI_GRAMMAR + """
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


def report(out_dir: Path) -> float:
    started = time.perf_counter()
    reports.run_report("crossover", {}, out_dir=out_dir)
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
        reports.KERNEL_ARGUMENTS[:] = ["--IPKernelApp.log_level=ERROR"]
    store.ensure_built()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        src = one_cell_notebook(tmp_path / "one_cell.ipynb")
        report(tmp_path / "warm")
        floor(src, tmp_path / "warm_floor.ipynb")
        reps, floors = [], []
        for i in range(args.repeat):
            floors.append(floor(src, tmp_path / f"floor{i}.ipynb"))
            reps.append(report(tmp_path / f"r{i}"))
        print(f"one report (crossover), in process: best {min(reps):.2f} s, worst {max(reps):.2f} s over {args.repeat} runs")
        print(f"floor (papermill one-cell notebook + nbconvert HTML), in process: best {min(floors):.2f} s, "
              f"worst {max(floors):.2f} s")
        print(f"ratio: {min(reps) / min(floors):.2f}x the floor (target: at most 1.3x)")
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
            timings = {}
            for workers in (1, os.cpu_count() or 2):
                t = time.perf_counter()
                results = reports.run_all(manifest, workers=workers, out_dir=tmp_path / f"w{workers}")
                timings[workers] = time.perf_counter() - t
                failed = [r for r in results if "error" in r]
                print(f"{len(runs)} reports with {workers} worker(s): {timings[workers]:.1f} s"
                      + (f" ({len(failed)} failed)" if failed else ""))
            if len(timings) == 2:
                seq, par = timings[1], timings[max(timings)]
                print(f"speed-up: {seq / par:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
