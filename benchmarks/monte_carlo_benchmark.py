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
from costmodel.sweep import apply_draws, default_ranges, draw_triangular, evaluate, monte_carlo, scenario_row


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
    from costmodel import cost
    from costmodel.scenarios import resolve_api, resolve_self_host

    resolved, price = resolve_self_host(sh, w), resolve_api(api, w)
    per_mtok = cost.api_usd_per_mtok(w.effective_input_share, w.cached_input_share, price.input_usd_per_mtok,
                                     price.output_usd_per_mtok, price.cached_input_usd_per_mtok, price.batch_discount_share)
    base = scenario_row(resolved, w, per_mtok)
    ranges = {k: v for k, v in default_ranges(base, resolved, price.label).items() if not k.startswith("_")}
    rows = apply_draws(base, draw_triangular(ranges, args.samples, 0))
    start = time.perf_counter()
    evaluate(rows)
    floor = time.perf_counter() - start
    print(f"monte_carlo: {args.samples:,} samples in {whole:.2f} s = {args.samples / whole:,.0f} samples/s "
          f"(P50 saving {result['saving_multiple_p50']:.3f})")
    print(f"floor (evaluate alone): {args.samples / floor:,.0f} samples/s; the whole call is {whole / floor:.1f}x the floor")


if __name__ == "__main__":
    main()
