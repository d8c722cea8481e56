"""Typed look-ups of models, GPUs and precisions, resolving aliases.

``resolve_model_id('meta-llama/Llama-3.1-8B-Instruct')`` gives ``'llama-3.1-8b'``;
``resolve_gpu_id('H100')`` gives ``'h100-sxm'``. An unknown name raises UnknownIdError
listing the closest known ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import polars as pl

from costmodel import store
from costmodel.store import cached
from functools import lru_cache
from costmodel.errors import CostmodelError, UnknownIdError

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


@cached
def _names(kind: str, db_key: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """(alias or id -> id, known ids) for 'model', 'gpu' or 'precision'."""
    db_path = Path(db_key) if db_key else None
    table, alias_table, id_col = {
        "model": ("models", "model_aliases", "model_id"),
        "GPU": ("gpus", "gpu_aliases", "gpu_id"),
        "precision": ("precisions", "precision_aliases", "precision_id"),
        "engine": ("engines", None, "engine_id"),
    }[kind]
    ids = tuple(store.query(f"SELECT {id_col} FROM {table} ORDER BY 1", db_path=db_path)[id_col].to_list())
    mapping: dict[str, str] = {}
    if alias_table:
        aliases = store.query(f"SELECT alias, {id_col} FROM {alias_table}", db_path=db_path)
        mapping.update(dict(zip(aliases["alias"].to_list(), aliases[id_col].to_list())))
    mapping.update({i: i for i in ids})  # an id always names itself, whatever an alias says
    return mapping, ids


def _resolve(kind: str, name: str, db_path: Path | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise UnknownIdError(kind, str(name), [])
    mapping, ids = _names(kind, str(db_path or ""))
    for cand in _candidates(name):
        if cand in mapping:
            return mapping[cand]
    raise UnknownIdError(kind, name, _suggestions(kind, _candidates(name)[-1], db_key=str(db_path or "")))


@cached
def _suggestions(kind: str, spelling: str, db_key: str) -> tuple[str, ...]:
    """The closest known ids to an unknown name (difflib over every id and alias: slow, so remembered)."""
    mapping, _ = _names(kind, db_key)
    near = store.closest(spelling, list(mapping), n=30)
    return tuple(list(dict.fromkeys(mapping[n] for n in near))[:5])


def resolve_model_id(name: str, *, db_path: Path | None = None) -> str:
    """Project model id for an id, alias or Hugging Face repo name (case-insensitive)."""
    return _resolve("model", name, db_path)


def resolve_gpu_id(name: str, *, db_path: Path | None = None) -> str:
    """Project GPU id for an id or alias such as 'H100' or 'NVIDIA H100 80GB HBM3'."""
    return _resolve("GPU", name, db_path)


def resolve_precision_id(name: str, *, db_path: Path | None = None) -> str:
    """Precision id (bf16, fp8, awq, nvfp4, mxfp4, q4_k_m, ...) for an id or alias (int4, fp4, w8a8), case-insensitive."""
    return _resolve("precision", name, db_path)


def resolve_engine_id(name: str, *, db_path: Path | None = None) -> str:
    """Engine id (vllm, sglang, tensorrt-llm, llama.cpp, ollama, ...), case-insensitive."""
    return _resolve("engine", name, db_path)


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
    release_precision_id: str | None  # precision of the official checkpoint: the default of every estimate
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
    tdp_w: float | None  # empty where the maker publishes none
    interconnect: str
    interconnect_gb_per_s: float | None
    source_id: str
    observed_on: dt.date
    note: str | None


@cached
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


@cached
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


# ---------------------------------------------------------------------------------------------
# Precisions, engines and their defaults


@dataclasses.dataclass(frozen=True)
class Precision:
    """One row of the precisions table (bits per weight [bit], scales included)."""

    precision_id: str
    bits_per_weight: float
    embedding_bits_per_weight: float
    number_format: str
    tensor_format: str  # tensor-core format where native: bf16, fp16, fp8, int8, fp4; none for weight-only formats
    applies_to: str  # all-linear or moe-experts
    description: str
    source_id: str
    observed_on: dt.date
    note: str | None


@cached
def _precision(precision_id: str, db_key: str) -> Precision:
    frame = store.query("SELECT * FROM precisions WHERE precision_id = ?", [precision_id], db_path=Path(db_key) if db_key else None)
    return Precision(**frame.row(0, named=True))


def get_precision(name: str, *, db_path: Path | None = None) -> Precision:
    """The precision for an id or alias, as a typed record."""
    return _precision(resolve_precision_id(name, db_path=db_path), str(db_path or ""))


@dataclasses.dataclass(frozen=True)
class PrecisionSupport:
    """How an engine runs a weight precision on a GPU family, and the row that says so."""

    support: str  # native, weight-only or unsupported
    scope: str  # the engine id or 'all' of the deciding row
    source_id: str
    note: str


@cached
def _support_rows(db_key: str) -> dict[tuple[str, str, str], PrecisionSupport]:
    frame = store.query("SELECT scope, gpu_family, precision_id, support, source_id, note FROM precision_support",
                        db_path=Path(db_key) if db_key else None)
    return {(r["scope"], r["gpu_family"], r["precision_id"]): PrecisionSupport(r["support"], r["scope"], r["source_id"], r["note"])
            for r in frame.iter_rows(named=True)}


def precision_support(engine_id: str, gpu_family: str, precision_id: str, *, db_path: Path | None = None) -> PrecisionSupport | None:
    """The most specific precision_support row (the engine, the engine it is based on, then 'all'); None if no row."""
    rows = _support_rows(str(db_path or ""))
    for scope in (*engine_chain(engine_id, db_path=db_path), "all"):
        hit = rows.get((scope, gpu_family, precision_id))
        if hit:
            return hit
    return None


@cached
def _lineage(db_key: str) -> dict[str, str]:
    frame = store.query("SELECT engine_id, based_on_engine_id FROM engine_lineage", db_path=Path(db_key) if db_key else None)
    return dict(zip(frame["engine_id"].to_list(), frame["based_on_engine_id"].to_list()))


def engine_chain(engine_id: str, *, db_path: Path | None = None) -> tuple[str, ...]:
    """The engine and the engines it is based on, nearest first (ollama -> llama.cpp)."""
    lineage = _lineage(str(db_path or ""))
    chain = [engine_id]
    while chain[-1] in lineage and lineage[chain[-1]] not in chain:
        chain.append(lineage[chain[-1]])
    return tuple(chain)


@lru_cache(maxsize=4096)
def version_key(version: str) -> tuple[int, ...]:
    """Sortable key of an engine release: its numbers in order (0.6.3.post1 -> (0, 6, 3, 1); b4500 -> (4500,))."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


@dataclasses.dataclass(frozen=True)
class EngineVersion:
    """An engine release and the version line the calibration groups it in."""

    engine_id: str
    engine_version: str
    version_line: str
    released_on: dt.date | None


@cached
def _engine_versions(engine_id: str, db_key: str) -> tuple[EngineVersion, ...]:
    frame = store.query("SELECT engine_id, engine_version, version_line, released_on FROM engine_versions WHERE engine_id = ?",
                        [engine_id], db_path=Path(db_key) if db_key else None)
    rows = [EngineVersion(**r) for r in frame.iter_rows(named=True)]
    return tuple(sorted(rows, key=lambda v: (v.engine_version != "unstated", v.released_on or dt.date.min, version_key(v.engine_version))))


def engine_version(engine_id: str, version: str | None = None, *, db_path: Path | None = None) -> EngineVersion:
    """A known release of an engine; None or '' gives the newest release in the store.

    An unknown release is an error listing the known ones.
    """
    versions = _engine_versions(engine_id, str(db_path or ""))
    known = [v for v in versions if v.engine_version != "unstated"]
    if not version:
        if not known:
            return next(v for v in versions) if versions else EngineVersion(engine_id, "unstated", "unstated", None)
        return known[-1]
    want = version.strip().lower().removeprefix("v")
    for v in versions:
        if v.engine_version == want:
            return v
    raise UnknownIdError(f"{engine_id} version", version, [v.engine_version for v in reversed(known)][:8])


def _specificity(condition: str) -> tuple[int, float]:
    """How specific a device condition is: (class, tightness). A GPU family beats a vendor or device
    class, which beats a memory bound, which beats 'any'; of two memory bounds the tighter wins."""
    if condition == "any":
        return (0, 0.0)
    if condition.startswith("model_context_tokens"):
        return (4, 0.0)  # a rule on the model (vLLM V0's long-context defaults) beats any device rule
    m = re.fullmatch(r"gpu_memory_gib(>=|<)([0-9.]+)", condition)
    if m:
        return (1, float(m.group(2)) if m.group(1) == ">=" else -float(m.group(2)))
    return (3 if condition.startswith("gpu_family=") else 2, 0.0)


def _condition_holds(condition: str, gpu: Gpu | None, context_tokens: int | None = None) -> bool:
    if condition == "any":
        return True
    m = re.fullmatch(r"model_context_tokens(>|<=)([0-9]+)", condition)
    if m:
        if context_tokens is None:
            return False
        return context_tokens > int(m.group(2)) if m.group(1) == ">" else context_tokens <= int(m.group(2))
    if gpu is None:
        return False
    m = re.fullmatch(r"(device_class|gpu_family|vendor)=(.+)", condition)
    if m:
        return str(getattr(gpu, m.group(1))).lower() == m.group(2)
    m = re.fullmatch(r"gpu_memory_gib(>=|<)([0-9.]+)", condition)
    if m:
        limit = float(m.group(2))
        return gpu.memory_gib >= limit if m.group(1) == ">=" else gpu.memory_gib < limit
    return False


@cached
def _runtime_rows(input_id: str, db_key: str) -> tuple[dict, ...]:
    frame = store.query("SELECT * FROM runtime_inputs WHERE input_id = ?", [input_id], db_path=Path(db_key) if db_key else None)
    return tuple(frame.iter_rows(named=True))


@dataclasses.dataclass(frozen=True)
class RuntimeValue:
    """A runtime input as it applies to one engine release on one GPU, with the row it came from."""

    input_id: str
    value: float
    unit: str
    scope: str
    engine_version_from: str
    condition: str
    source_id: str
    note: str


def runtime_value(input_id: str, engine_id: str = "all", version: str | None = None, gpu: Gpu | None = None, *,
                  context_tokens: int | None = None, db_path: Path | None = None) -> RuntimeValue:
    """The runtime_inputs row that applies: the engine (or the engine it is based on) before 'all', a matching
    condition before 'any', the latest engine_version_from not after ``version`` whose range holds it.

    ``version`` None or 'unstated': the rows still in force (no engine_version_until).
    ``context_tokens``: the model's maximum context, for rules on it (model_context_tokens>32768).
    """
    rows = _runtime_rows(input_id, str(db_path or ""))
    chain = (*engine_chain(engine_id, db_path=db_path), "all") if engine_id != "all" else ("all",)
    vkey = version_key(version) if version and version != "unstated" else None
    best, best_rank = None, None
    for r in rows:
        if r["scope"] not in chain or not _condition_holds(r["condition"], gpu, context_tokens):
            continue
        start = version_key(r["engine_version_from"])
        until = r["engine_version_until"]
        if vkey is None:
            if until:
                continue
        elif start > vkey or (until and vkey >= version_key(until)):
            continue
        cls, tight = _specificity(r["condition"])
        rank = (-chain.index(r["scope"]), cls, start, tight, r["observed_on"])
        if best_rank is None or rank > best_rank:
            best, best_rank = r, rank
    if best is None:
        raise CostmodelError(f"runtime_inputs has no {input_id!r} for engine {engine_id!r}"
                             + (f" {version}" if version else "") + " or scope 'all'")
    return RuntimeValue(input_id, float(best["value"]), best["unit"], best["scope"], best["engine_version_from"],
                        best["condition"], best["source_id"], best["note"])


def supported_precisions(engine_id: str, gpu_family: str, *, db_path: Path | None = None) -> list[str]:
    """Weight precisions an engine runs on a GPU family, natively or weight-only (for error messages)."""
    frame = store.query("SELECT precision_id, tensor_format FROM precisions ORDER BY precision_id", db_path=db_path)
    out = []
    for pid, fmt in frame.iter_rows():
        if fmt == "none":
            out.append(pid)
            continue
        row = precision_support(engine_id, gpu_family, pid, db_path=db_path)
        if row and row.support != "unsupported":
            out.append(pid + (" (weight-only)" if row.support == "weight-only" else ""))
    return out


USER_PUBLISHER_PREFIX = "user-"
"""Publisher prefix of a user's own benchmark runs (costmodel import benchmark)."""


@dataclasses.dataclass(frozen=True)
class MeasuredRun:
    """A measurement of the very deployment asked about (a user's imported benchmark)."""

    measurement_id: str
    gpus: int
    tensor_parallel: int | None
    input_tokens: float
    output_tokens: float
    concurrency: int | None
    output_tokens_per_s: float  # for the whole system [token/s]


@cached
def _user_runs(db_path: Path | None) -> pl.DataFrame:
    """Every usable imported run of a user (one query per store build; ``user_measurements`` filters it)."""
    return store.query(
        "SELECT model_id, gpu_id, weight_precision_id, engine_id, measurement_id, gpu_count, tensor_parallel, "
        "coalesce(t.input_tokens_mean, d.input_tokens_mean) AS inp, coalesce(t.output_tokens_mean, d.output_tokens_mean) AS out, "
        "concurrency, tokens_per_s, tokens_per_s_kind "
        "FROM throughput_measured t JOIN benchmark_datasets d USING (dataset) "
        "WHERE starts_with(publisher, ?) AND exclude_reason IS NULL "
        "AND tokens_per_s_kind IN ('output-per-system', 'output-per-gpu', 'total-per-system')",
        [USER_PUBLISHER_PREFIX], db_path=db_path)


@cached
def user_measurements(model_id: str, gpu_id: str, precision_id: str, engine_id: str, *,
                      db_path: Path | None = None) -> tuple[MeasuredRun, ...]:
    """A user's imported, usable measurements of exactly this model, GPU, precision and engine."""
    frame = _user_runs(db_path).filter((pl.col("model_id") == model_id) & (pl.col("gpu_id") == gpu_id)
                                       & (pl.col("weight_precision_id") == precision_id) & (pl.col("engine_id") == engine_id))
    anchors = []
    for r in frame.iter_rows(named=True):
        if not r["inp"] or not r["out"]:
            continue
        tps = r["tokens_per_s"]
        if r["tokens_per_s_kind"] == "output-per-gpu":
            tps *= r["gpu_count"]
        elif r["tokens_per_s_kind"] == "total-per-system":
            tps *= r["out"] / (r["inp"] + r["out"])
        anchors.append(MeasuredRun(r["measurement_id"], r["gpu_count"], r["tensor_parallel"], r["inp"], r["out"], r["concurrency"], tps))
    return tuple(anchors)
