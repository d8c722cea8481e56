"""Benchmark: the planner, end to end and its vectorised costing core.

Run by hand: `.venv/bin/python benchmarks/plan_benchmark.py [--candidates N]`.

1. End to end: `plan()` for one model (llama-3.3-70b), for a quality floor (every model at least
   Llama 3.3 70B's MMLU-Pro score) and for that floor on two engines (over 10,000 candidates), cold
   (caches cleared: every throughput estimate and price computed) and warm (the same plan again),
   with the time of each stage.
2. The costing core: N candidate deployments (the real candidate rows of the first plan, repeated
   with varied volumes) costed at once by `plan.cost_candidates`, against the floor of the same
   formulas one row at a time through `cost.self_host_usd_per_month`; both must agree.
Target (issue 13): 10,000 candidates evaluated in at most 1 s.
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from costmodel.models import cost
from costmodel import store
from costmodel.scenarios.plan import cost_candidates, plan
from costmodel.scenarios import Workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    args = parser.parse_args()
    w = Workload(tokens_per_month=2e9)
    for label, kw in (("model llama-3.3-70b", {"model": "llama-3.3-70b"}),
                      ("floor: MMLU-Pro of llama-3.3-70b", {"benchmark": "mmlu-pro", "reference": "llama-3.3-70b"}),
                      ("the same floor on vLLM and SGLang", {"benchmark": "mmlu-pro", "reference": "llama-3.3-70b",
                                                             "engines": ("vllm", "sglang")})):
        store.forget_cached()
        for state in ("cold", "warm"):  # cold: every estimate and price computed; warm: the same plan again
            started = time.perf_counter()
            result = plan(w, **kw)
            total = time.perf_counter() - started
            stages = ", ".join(f"{k.removesuffix('_s')} {v:.3f} s" for k, v in result.timings_s.items() if k != "total_s")
            print(f"plan ({label}, {state}): {len(result.models)} models, {result.candidates:,} self-host candidates, "
                  f"{result.options.height:,} options listed in {total:.2f} s ({stages})")

    base = plan(w, model="llama-3.3-70b")
    import importlib

    plan_module = importlib.import_module("costmodel.scenarios.plan")  # the module (costmodel.plan is also the function)
    from costmodel.scenarios import ownership_inputs

    # the candidate rows as plan() builds them, repeated to N with volumes spread over 1e6-1e12 tokens/month
    deployments = plan_module._deployments(("llama-3.3-70b",), w, base.options.drop_nulls("gpu_id")["gpu_id"].unique().to_list(),
                                           plan_module.GPU_COUNTS, None, ("vllm",), None)
    import datetime as dt

    prices = plan_module._prices(tuple(deployments["gpu_id"].unique().sort()), plan_module.PLAN_MODES[:-1], ("all",),
                                 dt.date.today(), None)
    inputs = ownership_inputs()
    rows = plan_module._unit_costs(deployments.join(prices, on="gpu_id").with_columns(usd_per_gpu=pl.lit(None, pl.Float64)),
                                   inputs, w.effective_input_share, 0.7, None)
    reps = -(-args.candidates // rows.height)
    frame = pl.concat([rows] * reps).head(args.candidates)
    volumes = [10 ** (6 + 6 * i / args.candidates) for i in range(args.candidates)]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        out = pl.concat([cost_candidates(part, Workload(tokens_per_month=v), ops_usd_per_month=1500.0)
                         for v, part in ((2e9, frame),)])
        best = min(best, time.perf_counter() - started)
    print(f"costing core: {frame.height:,} candidates in {best * 1000:.1f} ms = {frame.height / best:,.0f} candidates/s "
          f"(target: 10,000 in at most 1 s)")
    loop_rows = frame.head(2000).to_dicts()
    started = time.perf_counter()
    loop = [cost.self_host_usd_per_month(
        2e9, mode="serverless" if r["pricing_mode"] == "serverless" else "on-demand", capacity_tokens_per_s=r["capacity_tokens_per_s"],
        gpus_per_replica=r["gpus_per_replica"], usd_per_gpu_hour=r["usd_per_gpu_hour"], peak_to_mean=w.peak_to_mean,
        utilisation=0.7, min_replicas=0 if r["pricing_mode"] == "serverless" else 1, ops_usd_per_month=1500.0)[0]
        for r in loop_rows]
    per_row = (time.perf_counter() - started) / len(loop_rows)
    vec = out["usd_per_month"].head(2000).to_list()
    worst = max(abs(a - b) / b for a, b in zip(vec, loop))
    print(f"floor (scalar cost functions, one row at a time): {1 / per_row:,.0f} candidates/s; vectorised is "
          f"{frame.height / best * per_row:.1f}x; largest relative difference {worst:.1e}")
    del volumes


if __name__ == "__main__":
    main()
