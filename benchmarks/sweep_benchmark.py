"""Benchmark: the vectorised sweep (polars expressions) against a per-scenario Python loop.

Run by hand: `.venv/bin/python benchmarks/sweep_benchmark.py [--scenarios N] [--loop-scenarios M]`.
Prints scenarios per second for both, the speed-up, and checks that both give identical
results on the scenarios the loop evaluates. Targets (issue 4): >= 1,000,000 scenarios/s and
>= 50x the loop on this 2-core machine.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import polars as pl

from costmodel.sweep import SCENARIO_COLUMNS, evaluate, evaluate_loop


def random_scenarios(n: int, seed: int = 0) -> pl.DataFrame:
    """n scenarios spanning volumes, GPU costs, capacities, utilisation, peaks and API prices."""
    rng = random.Random(seed)
    rows = {c: [] for c in SCENARIO_COLUMNS}
    for _ in range(n):
        serverless = rng.random() < 0.2
        rows["tokens_per_month"].append(10 ** rng.uniform(5, 12))
        rows["capacity_tokens_per_s"].append(rng.uniform(50, 50_000))
        rows["fixed_usd_per_replica_month"].append(0.0 if serverless else rng.uniform(200, 40_000))
        rows["variable_usd_per_token"].append(rng.uniform(1e-9, 2e-6) if serverless or rng.random() < 0.3 else 0.0)
        rows["serverless"].append(serverless)
        rows["peak_to_mean"].append(rng.uniform(1, 5))
        rows["utilisation"].append(rng.uniform(0.2, 1.0))
        rows["min_replicas"].append(rng.choice([0, 1, 2, 4]))
        rows["ops_usd_per_month"].append(rng.choice([0.0, 1500.0, 15000.0]))
        rows["api_usd_per_mtok"].append(10 ** rng.uniform(-2, 1.5))
    return pl.DataFrame(rows, schema=SCENARIO_COLUMNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=2_000_000)
    parser.add_argument("--loop-scenarios", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    print(f"building {args.scenarios:,} random scenarios ...", flush=True)
    base = random_scenarios(min(args.scenarios, 200_000))
    frame = pl.concat([base] * math.ceil(args.scenarios / base.height)).head(args.scenarios)

    best = math.inf
    for _ in range(args.repeats):
        t = time.perf_counter()
        result = evaluate(frame)
        best = min(best, time.perf_counter() - t)
    vec_rate = frame.height / best

    loop_rows = base.head(args.loop_scenarios).to_dicts()
    t = time.perf_counter()
    loop = evaluate_loop(loop_rows)
    loop_s = time.perf_counter() - t
    loop_rate = len(loop_rows) / loop_s

    # identical results on the scenarios both evaluated
    vec = result.head(len(loop_rows))
    mismatches = 0
    for col in ("replicas", "self_host_usd_per_month", "api_usd_per_month", "break_even_tokens_per_month", "saving_multiple"):
        for a, b in zip(vec[col].to_list(), (r[col] for r in loop)):
            if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)):
                mismatches += 1
    print(f"vectorised: {frame.height:,} scenarios in {best:.3f} s = {vec_rate:,.0f} scenarios/s (best of {args.repeats})")
    print(f"loop:       {len(loop_rows):,} scenarios in {loop_s:.3f} s = {loop_rate:,.0f} scenarios/s")
    print(f"speed-up:   {vec_rate / loop_rate:,.0f}x")
    print(f"identical results on {len(loop_rows):,} scenarios x 5 outputs: {'yes' if mismatches == 0 else f'NO, {mismatches} differ'}")
    never = result["break_even_tokens_per_month"].null_count()
    print(f"break-even found for {result.height - never:,}, never for {never:,}")


if __name__ == "__main__":
    main()
