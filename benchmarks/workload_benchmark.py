"""Benchmark: profile a synthetic 10-million-request log (Parquet) with the default DuckDB backend.

Run by hand: `.venv/bin/python benchmarks/workload_benchmark.py [--rows N]`. Prints the time and
the peak memory of the profiling process. Targets (issue 6): at most 5 s and below 2 GB on this
2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

PROFILE = """
import resource, sys, time
from costmodel.scenarios.usage import profile
t = time.perf_counter()
result = profile(sys.argv[1])
elapsed = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.2f} {peak_mb:.0f} {result[0].requests} {result[0].tokens_per_month:.0f} {result[0].peak_to_mean:.3f} {len(result) - 1}")
"""


def synthetic_log(rows: int, path: Path) -> None:
    """rows requests spread evenly over 30 days for 4 models; lengths deterministic (hash-based)."""
    i = pl.col("i")
    h = (i * 2654435761) % 4294967296  # Knuth multiplicative hash: deterministic pseudo-random
    seconds = (i.cast(pl.Float64) / rows * 30 * 86400).cast(pl.Int64)
    frame = pl.LazyFrame({"i": pl.int_range(0, rows, eager=True, dtype=pl.Int64)}).select(
        timestamp=pl.datetime(2026, 10, 1) + pl.duration(seconds=seconds),
        model=pl.concat_str(pl.lit("model-"), (h % 4).cast(pl.String)),
        input_tokens=(h % 3000 + 50).cast(pl.Int32),
        output_tokens=((h // 3000) % 800 + 10).cast(pl.Int32),
        cached_input_tokens=pl.when(h % 3 == 0).then(512).otherwise(0).cast(pl.Int32),
    )
    frame.collect().write_parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        t = time.perf_counter()
        synthetic_log(args.rows, path)
        print(f"generated {args.rows:,} requests ({path.stat().st_size / 1e6:.0f} MB Parquet) in {time.perf_counter() - t:.1f} s")
        out = subprocess.run([sys.executable, "-c", PROFILE, str(path)], capture_output=True, text=True, check=True)
        seconds, peak_mb, requests, per_month, ptm, models = out.stdout.split()
        print(f"profiled {int(requests):,} requests ({models} models) in {float(seconds):.2f} s, "
              f"peak memory {float(peak_mb):,.0f} MB (whole process, imports included)")
        print(f"tokens/month {float(per_month):,.0f}, peak-to-mean {ptm}")


if __name__ == "__main__":
    main()
