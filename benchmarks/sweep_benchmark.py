"""Benchmark: the vectorised sweep (polars expressions) against a per-scenario Python loop.

Run by hand: `.venv/bin/python benchmarks/sweep_benchmark.py [--scenarios N] [--loop-scenarios M]`.
Prints scenarios per second for both, the speed-up, and checks that both give identical
results on the scenarios the loop evaluates. Targets (issue 4): >= 1,000,000 scenarios/s and
>= 50x the loop on this 2-core machine.

Then ``sweep()`` end to end on the store (6 models x 9 GPUs x 3 pricing modes x 50 volumes x 3 APIs)
against its own vectorised core (``sweep_grid``: the same resolved options crossed with the volumes
and APIs, and evaluated), in the same run. Target (issue 14): end to end at most 2x the core once the
store's reads are cached (a second sweep in the process, or any sweep after a first); the first
sweep in a fresh process is printed too.
"""

from __future__ import annotations

import argparse
import math
import random
import time

import polars as pl

from costmodel.scenarios.sweep import SCENARIO_COLUMNS, evaluate, evaluate_loop, sweep, sweep_grid

E2E_MODELS = ["llama-3.1-8b", "llama-3.1-70b", "qwen2.5-72b", "mistral-7b", "mixtral-8x7b", "gemma-2-27b"]
E2E_GPUS = ["h100", "a100-80gb", "l40s", "h200", "rtx-4090", "a10g", "l4", "mi300x", "b200"]
E2E_MODES = ["on-demand", "spot", "buy"]
E2E_VOLUMES = [10 ** (6 + i * 0.1) for i in range(50)]
E2E_APIS = ["openai/gpt-4o", "openai/gpt-4o-mini", "together/llama-3.3-70b"]


def end_to_end(repeats: int) -> None:
    """sweep() on the store against sweep_grid() on the same resolved options, best of ``repeats``."""
    import importlib

    sweep_module = importlib.import_module("costmodel.scenarios.sweep")  # the module (costmodel.sweep is the function)

    captured: dict[str, object] = {}
    real_grid = sweep_module.sweep_grid

    def capture(option_rows, volumes, api_prices, skipped=()):  # the core's inputs, as sweep() hands them over
        captured.update(option_rows=option_rows, volumes=volumes, api_prices=api_prices, skipped=skipped)
        return real_grid(option_rows, volumes, api_prices, skipped)

    sweep_module.sweep_grid = capture
    try:
        t = time.perf_counter()
        out = sweep(E2E_MODELS, E2E_GPUS, E2E_MODES, E2E_VOLUMES, E2E_APIS)
        first = time.perf_counter() - t
        e2e = math.inf
        for _ in range(repeats):
            t = time.perf_counter()
            sweep(E2E_MODELS, E2E_GPUS, E2E_MODES, E2E_VOLUMES, E2E_APIS)
            e2e = min(e2e, time.perf_counter() - t)
    finally:
        sweep_module.sweep_grid = real_grid
    core = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        sweep_grid(captured["option_rows"], captured["volumes"], captured["api_prices"], captured["skipped"])
        core = min(core, time.perf_counter() - t)
    options = len(captured["option_rows"]) + len(captured["skipped"])
    print(f"sweep() end to end: {options} options x {len(E2E_VOLUMES)} volumes x {len(E2E_APIS)} APIs = {out.height:,} rows")
    print(f"  first sweep in this process (store reads uncached): {first * 1e3:,.1f} ms")
    print(f"  end to end, store reads cached: {e2e * 1e3:,.1f} ms (best of {repeats})")
    print(f"  vectorised core (sweep_grid):   {core * 1e3:,.1f} ms (best of {repeats})")
    print(f"  ratio end to end / core: {e2e / core:.2f}x (target at most 2x)")


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
    end_to_end(max(args.repeats, 5))


if __name__ == "__main__":
    main()
