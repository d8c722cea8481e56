"""Benchmark: one report, and the 8-report manifest sequentially vs in parallel.

Run by hand: `.venv/bin/python benchmarks/report_benchmark.py`. Prints seconds per report and
the parallel speed-up. Targets (issue 5): one report in at most 10 s with the store built; the
batch at least 1.6x faster on 2 cores than one after another.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from costmodel import reports, store


def main() -> None:
    store.ensure_built()
    manifest = Path(reports.reports_dir()) / "runs.toml"
    runs = reports.load_manifest(manifest)
    with tempfile.TemporaryDirectory() as tmp:
        singles = []
        for _ in range(3):
            t = time.perf_counter()
            reports.run_report("crossover", {}, out_dir=Path(tmp) / "one")
            singles.append(time.perf_counter() - t)
        print(f"one report (crossover): best {min(singles):.2f} s, worst {max(singles):.2f} s over {len(singles)} runs")
        timings = {}
        for workers in (1, os.cpu_count() or 2):
            t = time.perf_counter()
            results = reports.run_all(manifest, workers=workers, out_dir=Path(tmp) / f"w{workers}")
            timings[workers] = time.perf_counter() - t
            failed = [r for r in results if "error" in r]
            print(f"{len(runs)} reports with {workers} worker(s): {timings[workers]:.1f} s"
                  + (f" ({len(failed)} failed)" if failed else ""))
        if len(timings) == 2:
            seq, par = timings[1], timings[max(timings)]
            print(f"speed-up: {seq / par:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
