"""Benchmark: `costmodel db build` against the floor of DuckDB loading the same CSVs under the same schema.

Run by hand: `.venv/bin/python benchmarks/build_benchmark.py [--repeat N]`. Measures, in one run and
alternating so both see the same machine load:

(a) the build: ``costmodel.store.build`` into a temporary path (every rule checked, genai-prices loaded,
    build_info written, checkpointed) — what `costmodel db build` runs, without its summary print;
(b) the floor: a fresh DuckDB file executing ``schema.sql`` (tables, constraints and comments, in one
    transaction) and ``INSERT INTO t BY NAME SELECT * FROM read_csv(...)`` for every data CSV in load order,
    then a checkpoint. DuckDB enforces the same NOT NULL, CHECK, primary and foreign keys. The floor does
    not load the genai-prices rows (they are no CSV), so it is the stricter side of the comparison.

Prints the best of N for both and the ratio. Target (issue 14): build at most 1.5x the floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from costmodel.store import paths as _paths
from costmodel import store


def floor(db_path: Path, data_dir: Path) -> float:
    started = time.perf_counter()
    con = duckdb.connect(str(db_path))
    try:
        con.execute("BEGIN")
        con.execute(store.schema_sql())
        con.execute("COMMIT")
        for table in store.table_order():
            csv = data_dir / f"{table}.csv"
            if csv.is_file():
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_csv(?, header = true)", [str(csv)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - started


def build(db_path: Path, data_dir: Path) -> float:
    started = time.perf_counter()
    store.build(db_path, data_dir)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data_dir = _paths.data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "warm.duckdb", data_dir)  # imports, genai-prices snapshot, OS cache: paid once by both
        builds, floors = [], []
        for i in range(args.repeat):
            floors.append(floor(Path(tmp) / f"floor{i}.duckdb", data_dir))
            builds.append(build(Path(tmp) / f"build{i}.duckdb", data_dir))
    b, f = min(builds), min(floors)
    print(f"store build (costmodel db build): best {b:.2f} s, worst {max(builds):.2f} s over {args.repeat} runs")
    print(f"floor (DuckDB: schema.sql + INSERT ... read_csv per CSV): best {f:.2f} s, worst {max(floors):.2f} s")
    print(f"ratio: {b / f:.2f}x the floor (target: at most 1.5x)")


if __name__ == "__main__":
    main()
