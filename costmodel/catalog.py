"""Typed look-ups of models, GPUs and precisions, resolving aliases.

``resolve_model_id('meta-llama/Llama-3.1-8B-Instruct')`` gives ``'llama-3.1-8b'``;
``resolve_gpu_id('H100')`` gives ``'h100-sxm'``. An unknown name raises UnknownIdError
listing the closest known ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from . import store
from .errors import UnknownIdError

_SUFFIXES = ("-instruct", "-chat", "-it", "-hf", "-base", "-pt")


def _norm(name: str) -> str:
    """Lower-case, spaces and underscores to hyphens, trimmed."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def _candidates(name: str) -> list[str]:
    """Spellings to try for a name: as given, without the org prefix, without chat suffixes."""
    out = [name.strip().lower(), _norm(name)]
    if "/" in out[1]:
        out.append(out[1].rsplit("/", 1)[1])
    for c in list(out):
        stripped = c
        changed = True
        while changed:
            changed = False
            for suffix in _SUFFIXES:
                if stripped.endswith(suffix):
                    stripped = stripped[: -len(suffix)]
                    changed = True
        out.append(stripped)
        if stripped.startswith("meta-"):
            out.append(stripped.removeprefix("meta-"))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=8)
def _names(kind: str, db_key: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """(alias or id -> id, known ids) for 'model', 'gpu' or 'precision'."""
    db_path = Path(db_key) if db_key else None
    table, alias_table, id_col = {
        "model": ("models", "model_aliases", "model_id"),
        "GPU": ("gpus", "gpu_aliases", "gpu_id"),
        "precision": ("precisions", None, "precision_id"),
    }[kind]
    ids = tuple(store.query(f"SELECT {id_col} FROM {table} ORDER BY 1", db_path=db_path)[id_col].to_list())
    mapping = {i: i for i in ids}
    if alias_table:
        aliases = store.query(f"SELECT alias, {id_col} FROM {alias_table}", db_path=db_path)
        mapping.update(dict(zip(aliases["alias"].to_list(), aliases[id_col].to_list())))
    return mapping, ids


def _resolve(kind: str, name: str, db_path: Path | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise UnknownIdError(kind, str(name), [])
    mapping, ids = _names(kind, str(db_path or ""))
    for cand in _candidates(name):
        if cand in mapping:
            return mapping[cand]
    near = store.closest(_candidates(name)[-1], list(mapping), n=30)
    suggestions = list(dict.fromkeys(mapping[n] for n in near))[:5]
    raise UnknownIdError(kind, name, suggestions)


def clear_cache() -> None:
    """Forget cached ids and records (after a rebuild of the store in the same process)."""
    _names.cache_clear()
    _record.cache_clear()
    _precision_bits.cache_clear()
    from .memory import _runtime_input
    from .scenarios import _replica_throughput_cached
    from .throughput import _calibration_for, _engine_ids, _measured_rows, _model_multiplier

    _measured_rows.cache_clear()
    _model_multiplier.cache_clear()
    _runtime_input.cache_clear()
    _replica_throughput_cached.cache_clear()
    _calibration_for.cache_clear()
    _engine_ids.cache_clear()


def resolve_model_id(name: str, *, db_path: Path | None = None) -> str:
    """Project model id for an id, alias or Hugging Face repo name (case-insensitive)."""
    return _resolve("model", name, db_path)


def resolve_gpu_id(name: str, *, db_path: Path | None = None) -> str:
    """Project GPU id for an id or alias such as 'H100' or 'NVIDIA H100 80GB HBM3'."""
    return _resolve("GPU", name, db_path)


def resolve_precision_id(name: str, *, db_path: Path | None = None) -> str:
    """Precision id (bf16, fp8, int4, q4_k_m, ...), case-insensitive."""
    return _resolve("precision", name, db_path)


@dataclasses.dataclass(frozen=True)
class Model:
    """One row of the models table (sizes in [billion] parameters, lengths in [token])."""

    model_id: str
    display_name: str
    open_weights: bool
    hf_repo: str | None
    family: str
    total_params_b: float | None
    active_params_b: float | None
    num_layers: int | None
    kv_layers: int | None
    sliding_window_layers: int | None
    sliding_window_tokens: int | None
    sliding_window_layer_pattern: str | None
    hidden_size: int | None
    intermediate_size: int | None
    num_attention_heads: int | None
    num_kv_heads: int | None
    head_dim: int | None
    vocab_size: int | None
    context_tokens: int | None
    attention_kind: str | None
    mla_kv_lora_rank: int | None
    mla_qk_rope_head_dim: int | None
    num_experts: int | None
    experts_per_token: int | None
    shared_experts: int | None
    tie_embeddings: bool | None
    licence: str
    commercial_use: str
    release_date: dt.date | None
    seed_discrepancy: str | None
    source_id: str
    observed_on: dt.date
    note: str | None

    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models."""
        return bool(self.num_experts)


@dataclasses.dataclass(frozen=True)
class Gpu:
    """One row of the gpus table (memory [GB], bandwidth [GB/s], throughput [TFLOP/s], power [W])."""

    gpu_id: str
    display_name: str
    vendor: str
    gpu_family: str
    device_class: str
    form_factor: str
    memory_gib: float
    memory_bandwidth_gb_per_s: float
    bf16_dense_tflops: float
    fp8_dense_tflops: float | None
    int8_dense_tops: float | None
    fp4_dense_tflops: float | None
    tdp_w: float
    interconnect: str
    interconnect_gb_per_s: float | None
    source_id: str
    observed_on: dt.date
    note: str | None


@lru_cache(maxsize=512)
def _record(kind: str, id_value: str, db_key: str) -> Model | Gpu:
    cls, table, id_col = {"model": (Model, "models", "model_id"), "GPU": (Gpu, "gpus", "gpu_id")}[kind]
    frame = store.query(f"SELECT * FROM {table} WHERE {id_col} = ?", [id_value], db_path=Path(db_key) if db_key else None)
    return cls(**frame.row(0, named=True))


def get_model(name: str, *, db_path: Path | None = None) -> Model:
    """The model for an id or alias, as a typed record."""
    return _record("model", resolve_model_id(name, db_path=db_path), str(db_path or ""))


def get_gpu(name: str, *, db_path: Path | None = None) -> Gpu:
    """The GPU or device for an id or alias, as a typed record."""
    return _record("GPU", resolve_gpu_id(name, db_path=db_path), str(db_path or ""))


@lru_cache(maxsize=64)
def _precision_bits(precision_id: str, db_key: str) -> tuple[float, float]:
    row = store.query("SELECT bits_per_weight, embedding_bits_per_weight FROM precisions WHERE precision_id = ?",
                      [precision_id], db_path=Path(db_key) if db_key else None).row(0)
    return float(row[0]), float(row[1])


def precision_bits(name: str, *, db_path: Path | None = None) -> tuple[float, float]:
    """(bits per weight, embedding bits per weight) of a precision id or alias [bit]."""
    return _precision_bits(resolve_precision_id(name, db_path=db_path), str(db_path or ""))


def models(*, open_weights: bool | None = None, db_path: Path | None = None) -> pl.DataFrame:
    """The models table, optionally only open-weight (True) or proprietary (False) models."""
    sql = "SELECT * FROM models"
    params: list[object] = []
    if open_weights is not None:
        sql += " WHERE open_weights = ?"
        params.append(open_weights)
    return store.query(sql + " ORDER BY family, total_params_b NULLS LAST, model_id", params, db_path=db_path)


def gpus(*, db_path: Path | None = None) -> pl.DataFrame:
    """The gpus table, largest memory first within each device class."""
    return store.query("SELECT * FROM gpus ORDER BY device_class, memory_gib DESC, gpu_id", db_path=db_path)
