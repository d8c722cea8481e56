"""Benchmark: the seeded Monte Carlo of the sensitivity report, samples per second.

Run by hand: `.venv/bin/python benchmarks/monte_carlo_benchmark.py [--samples N]`. Prints the whole
monte_carlo() call (store look-ups, draws, scenario rows, evaluation, quantiles) and, as the floor
in the same run, the evaluation of the same rows alone (polars expressions). Target (issue 12):
at least 2 million samples/s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import time

from costmodel.scenarios import ApiOption, SelfHostOption, Workload
from costmodel.scenarios.sweep import apply_draws, draw_triangular, evaluate, monte_carlo, resolve_scenario, stated_ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2_000_000)
    args = parser.parse_args()
    w = Workload(tokens_per_month=5e9)
    sh = SelfHostOption(model="llama-3.1-8b", gpu="l40s")
    api = ApiOption.parse("together/llama-3.1-8b")
    monte_carlo(w, sh, api, samples=1000, seed=0)  # warm: store, caches, imports
    start = time.perf_counter()
    result = monte_carlo(w, sh, api, samples=args.samples, seed=0)
    whole = time.perf_counter() - start
    resolved, price, base = resolve_scenario(w, sh, api)
    ranges = stated_ranges(base, resolved, price.label)
    rows = apply_draws(base, draw_triangular(ranges, args.samples, 0))
    start = time.perf_counter()
    evaluate(rows)
    floor = time.perf_counter() - start
    print(f"monte_carlo: {args.samples:,} samples in {whole:.2f} s = {args.samples / whole:,.0f} samples/s "
          f"(P50 saving {result['saving_multiple_p50']:.3f})")
    print(f"floor (evaluate alone): {args.samples / floor:,.0f} samples/s; the whole call is {whole / floor:.1f}x the floor")


if __name__ == "__main__":
    main()
