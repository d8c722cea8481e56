"""Benchmark: request-log profiles against hand-written DuckDB SQL, and a 100M-row log in bounded memory.

Run by hand: `.venv/bin/python benchmarks/usage_benchmark.py [--rows 10000000] [--big-rows 100000000] [--repeat 3]`.

Targets (issue 14): profiling a 10M-row Parquet log takes at most 1.2x the hand-written DuckDB SQL
below, which computes the same figures (per model and for all traffic: requests, token sums, means,
p95s by linear interpolation, the span, the busiest hour and the hour-of-day profile) without any of
the input checks; both run in the same way (a fresh process each, timed from after the imports to the
figures in Python), alternating, best of --repeat. A 100M-row Parquet log is profiled with at most
2 GB peak resident memory (the profiling process's own peak, imports included, read from
getrusage of the finished child). The logs are written by DuckDB into a temporary folder on /tmp and
deleted afterwards. Prints figures and ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATE = """
COPY (
    SELECT TIMESTAMP '2026-10-01' + to_seconds((i * 30 * 86400 // {rows})::BIGINT) AS timestamp,
           'model-' || (h % 4)::VARCHAR AS model,
           (h % 3000 + 50)::INTEGER AS input_tokens,
           ((h // 3000) % 800 + 10)::INTEGER AS output_tokens,
           (CASE WHEN h % 3 = 0 THEN (h % 3000 + 50) // 2 ELSE 0 END)::INTEGER AS cached_input_tokens
    FROM (SELECT i, (i * 2654435761) % 4294967296 AS h FROM range({rows}) t(i))
) TO '{path}' (FORMAT parquet)
"""

# The floor: what a careful analyst would write in DuckDB by hand for the same figures.
HAND_SQL = """
WITH log AS (SELECT * FROM read_parquet($path)),
stats AS (
    SELECT GROUPING(model) AS g, model, count(*) AS requests, sum(input_tokens) AS input_sum,
           sum(output_tokens) AS output_sum, sum(cached_input_tokens) AS cached_sum,
           avg(input_tokens) AS input_mean, quantile_cont(input_tokens, 0.95) AS input_p95,
           avg(output_tokens) AS output_mean, quantile_cont(output_tokens, 0.95) AS output_p95,
           min(timestamp) AS t0, max(timestamp) AS t1
    FROM log GROUP BY GROUPING SETS ((model), ())
),
hourly AS (
    SELECT model, date_trunc('hour', timestamp) AS h, sum(input_tokens + output_tokens) AS tokens
    FROM log GROUP BY ALL
),
hourly_sets AS (
    SELECT GROUPING(model) AS g, model, h, sum(tokens) AS tokens FROM hourly GROUP BY GROUPING SETS ((model, h), (h))
),
peaks AS (SELECT g, model, max(tokens) AS peak FROM hourly_sets GROUP BY g, model),
hod AS (
    SELECT g, model, list(tokens ORDER BY hod) AS hod, list(hod ORDER BY hod) AS hours
    FROM (SELECT g, model, hour(h) AS hod, sum(tokens) AS tokens FROM hourly_sets GROUP BY g, model, hour(h))
    GROUP BY g, model
)
SELECT s.*, p.peak, d.hod, d.hours
FROM stats s JOIN peaks p USING (g) JOIN hod d USING (g)
WHERE s.model IS NOT DISTINCT FROM p.model AND s.model IS NOT DISTINCT FROM d.model
"""

HAND = """
import json, resource, sys, time
import duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.execute(sys.argv[2], {"path": sys.argv[1]}).fetchall()
names = [d[0] for d in con.description]
span = None
out = []
for row in rows:
    r = dict(zip(names, row))
    if r["g"]:
        span = max((r["t1"] - r["t0"]).total_seconds() / 3600, 1.0)
for row in sorted(rows, key=lambda row: (not row[0], row[1] or "")):
    r = dict(zip(names, row))
    total = int(r["input_sum"]) + int(r["output_sum"])
    hod = [0.0] * 24
    for h, v in zip(r["hours"], r["hod"]):
        hod[h] = float(v) / total
    out.append({"model": "all" if r["g"] else r["model"], "requests": r["requests"],
                "tokens_per_month": total / span * 730, "input_share": int(r["input_sum"]) / total,
                "cached_input_share": int(r["cached_sum"]) / int(r["input_sum"]),
                "input_tokens_mean": r["input_mean"], "input_tokens_p95": r["input_p95"],
                "output_tokens_mean": r["output_mean"], "output_tokens_p95": r["output_p95"],
                "peak_to_mean": float(r["peak"]) / (total / span), "hourly_profile": hod})
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "profiles": out}))
"""

PROFILE = """
import json, resource, sys, time
from costmodel.scenarios.usage import profile
import ibis, ibis.backends.duckdb  # imports are outside the timing, as duckdb's are for the hand SQL
t = time.perf_counter()
result = profile(sys.argv[1])
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "profiles": [p.to_dict() for p in result]}))
"""

FIELDS = ("requests", "tokens_per_month", "input_share", "cached_input_share", "input_tokens_mean", "input_tokens_p95",
          "output_tokens_mean", "output_tokens_p95", "peak_to_mean")


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(rows: int, path: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(); con.execute('SET enable_progress_bar = false'); con.execute(sys.argv[1])",
                    GENERATE.format(rows=rows, path=path)], check=True)
    return time.perf_counter() - t


def worst_difference(a: list[dict], b: list[dict]) -> float:
    """The largest relative difference between two sets of profiles (models must match)."""
    assert [p["model"] for p in a] == [p["model"] for p in b], ([p["model"] for p in a], [p["model"] for p in b])
    worst = 0.0
    for x, y in zip(a, b):
        pairs = [(x[f], y[f]) for f in FIELDS] + list(zip(x["hourly_profile"], y["hourly_profile"]))
        for u, v in pairs:
            worst = max(worst, abs(u - v) / max(abs(u), abs(v), 1e-300))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000, help="0 skips the bounded-memory run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="usage-benchmark-") as tmp:
        path = Path(tmp) / "log.parquet"
        seconds = generate(args.rows, path)
        print(f"generated {args.rows:,} requests ({path.stat().st_size / 1e6:.0f} MB Parquet) in {seconds:.1f} s")
        hand, ours = [], []
        for _ in range(args.repeat):
            hand.append(run(HAND, str(path), HAND_SQL))
            ours.append(run(PROFILE, str(path)))
        best_hand = min(hand, key=lambda r: r["seconds"])
        best_ours = min(ours, key=lambda r: r["seconds"])
        print(f"hand-written DuckDB SQL: best {best_hand['seconds']:.2f} s of {[round(r['seconds'], 2) for r in hand]}, "
              f"peak {best_hand['peak_mb']:,.0f} MB")
        print(f"costmodel.scenarios.usage.profile: best {best_ours['seconds']:.2f} s of {[round(r['seconds'], 2) for r in ours]}, "
              f"peak {best_ours['peak_mb']:,.0f} MB")
        print(f"ratio profile / hand SQL: {best_ours['seconds'] / best_hand['seconds']:.2f} (target at most 1.2)")
        print(f"largest relative difference between the two sets of figures: {worst_difference(best_ours['profiles'], best_hand['profiles']):.1e}")
        path.unlink()
        if args.big_rows:
            big = Path(tmp) / "big.parquet"
            seconds = generate(args.big_rows, big)
            print(f"generated {args.big_rows:,} requests ({big.stat().st_size / 1e6:,.0f} MB Parquet) in {seconds:.1f} s")
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            result = run(PROFILE, str(big))
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(f"profiled {result['profiles'][0]['requests']:,} requests in {result['seconds']:.1f} s, peak memory "
                  f"{result['peak_mb']:,.0f} MB (the child's own peak; largest child so far {children / 1024:,.0f} MB, "
                  f"before it {before / 1024:,.0f} MB; target at most 2,048 MB)")


if __name__ == "__main__":
    main()
