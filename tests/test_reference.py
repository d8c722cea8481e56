"""Cross-checks against ../shared/reference where it exists (a user's clone has no ../shared)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from costmodel import store

from .conftest import SHARED_REFERENCE

pytestmark = pytest.mark.skipif(
    not SHARED_REFERENCE.is_dir(), reason="../shared/reference is absent (only the project workspace has it)"
)


def test_every_measured_throughput_figure_is_carried(db: Path) -> None:
    ours = set(store.query("SELECT tokens_per_s FROM throughput_measured", db_path=db)["tokens_per_s"])
    with (SHARED_REFERENCE / "measured_throughput.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            assert float(row["tokens_per_s"]) in ours, row["source"]


def test_gpu_specs_match_the_reference(db: Path) -> None:
    names = {"H100 SXM": "h100-sxm", "H200 SXM": "h200", "A100 80GB SXM": "a100-80gb", "L40S": "l40s",
             "L4": "l4", "MI300X": "mi300x", "RTX 4090": "rtx-4090", "B200 SXM (HGX)": "b200"}
    gpus = {r["gpu_id"]: r for r in store.query("SELECT * FROM gpus", db_path=db).to_dicts()}
    with (SHARED_REFERENCE / "gpu_specs.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["gpu"] not in names:
                continue
            ours = gpus[names[row["gpu"]]]
            assert ours["memory_bandwidth_gb_per_s"] == float(row["mem_bandwidth_gbs"])
            assert ours["bf16_dense_tflops"] == float(row["bf16_dense_tflops"])


def test_model_architectures_match_the_reference(db: Path) -> None:
    models = {r["model_id"]: r for r in store.query("SELECT * FROM models", db_path=db).to_dicts()}
    with (SHARED_REFERENCE / "model_architectures.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            ours = models[row["model_id"]]
            for col in ("num_layers", "hidden_size", "num_kv_heads", "head_dim", "context_tokens"):
                assert ours[col] == int(row[col]), (row["model_id"], col)
