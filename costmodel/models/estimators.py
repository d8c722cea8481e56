"""A second throughput estimator: NVIDIA aiconfigurator-core's measured op tables (optional package).

``aiconfigurator-core`` (Apache-2.0, no torch) ships per-kernel timings measured by NVIDIA
(GEMMs, attention, MoE, NCCL) for a few GPUs and three engines, and composes them into the
step times of in-flight batching. ``throughput(..., estimator="aiconfigurator")`` asks it for
the roofline's own operating point (same tensor parallelism, same batch per replica) and
reports its throughput and latencies instead; ``estimator="auto"`` does so only where the
store's ``throughput_estimator_choice`` says it validated better for that GPU family and engine.

Offline by construction: only model configs bundled in the package are used (aiconfigurator
would otherwise download a config.json from Hugging Face), and its download helpers are
disabled while it runs. The package is imported lazily: ``import costmodel`` does not load it.

Install: ``pip install "aiconfigurator-core>=0.12,<0.13"`` (x86_64 manylinux_2_28 wheels only;
pulls pandas and pyarrow, not torch).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import math
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from costmodel.errors import CostmodelError

AIC_DISTRIBUTION = "aiconfigurator-core"
AIC_REQUIREMENT = "aiconfigurator-core>=0.12,<0.13"
AIC_VERSION_SLOT = "current"
"""Which of aiconfigurator's queryable engine-version slots to use (current / previous / next)."""

AIC_SYSTEMS: dict[str, str] = {
    "h100-sxm": "h100_sxm",
    "h200": "h200_sxm",
    "b200": "b200_sxm",
    "b300": "b300_sxm",
    "gb200": "gb200",
    "gb300": "gb300",
    "l40s": "l40s",
    "a100-80gb": "a100_sxm",
    "rtx-pro-6000": "rtx_pro_6000_server",
}
"""Project gpu_id -> aiconfigurator system, only systems with measured data in 0.12 (a100_pcie, a30,
h100_pcie and l4 ship a YAML but no tables; b60 is Intel)."""

AIC_BACKENDS: dict[str, str] = {"vllm": "vllm", "sglang": "sglang", "tensorrt-llm": "trtllm"}
"""Project engine_id -> aiconfigurator backend."""


@dataclasses.dataclass(frozen=True)
class QuantModes:
    """aiconfigurator quant modes a project precision may run as, most likely first."""

    gemm: tuple[str, ...]  # common.GEMMQuantMode names
    moe: tuple[str, ...]  # common.MoEQuantMode names; () = no MoE tables for this precision
    experts_only: bool = False  # the precision covers only the routed experts (the other layers stay BF16)


AIC_PRECISIONS: dict[str, QuantModes] = {
    "bf16": QuantModes(("bfloat16",), ("bfloat16",)),
    # No FP16 GEMM tables: FP16 and BF16 tensor cores run at the same rate on every covered GPU.
    "fp16": QuantModes(("bfloat16",), ("bfloat16",)),
    # Per-tensor FP8 first (online quantisation of a BF16 checkpoint); block-scaled (DeepSeek, Qwen3-FP8)
    # and static ModelOpt FP8 where the bundled checkpoint says so or the tables have only those.
    "fp8": QuantModes(("fp8", "fp8_block", "fp8_static"), ("fp8", "fp8_block")),
    "int8": QuantModes(("sq",), ()),  # W8A8 SmoothQuant GEMMs; no INT8 MoE tables
    "awq": QuantModes(("int4_wo",), ("int4_wo",)),  # W4A16
    "gptq": QuantModes(("int4_wo",), ("int4_wo",)),
    "nvfp4": QuantModes(("nvfp4",), ("nvfp4",)),
    # gpt-oss: MXFP4 experts (x BF16 activations, or x MXFP8 on Blackwell), everything else BF16.
    "mxfp4": QuantModes(("bfloat16",), ("w4a16_mxfp4", "w4a8_mxfp4_mxfp8"), experts_only=True),
}
"""Project precision_id -> aiconfigurator GEMM and MoE quant modes (names from sdk/common.py)."""

AIC_KV_PRECISIONS: dict[str, str] = {"bf16": "bfloat16", "fp16": "bfloat16", "fp8": "fp8", "int8": "int8"}
"""Project KV-cache precision_id -> aiconfigurator KVCacheQuantMode name."""

_COMPUTE_FLOPS_KEY = {"bfloat16": "bfloat16_tc_flops", "int8": "int8_tc_flops", "fp8": "fp8_tc_flops", "fp4": "fp4_tc_flops"}
_COMPUTE_NAME = {"bfloat16": "BF16", "int8": "INT8", "fp8": "FP8", "fp4": "FP4"}
_MODEL_RESPELLINGS = ((re.compile(r"^meta-llama/Llama-3\.1-", re.I), "meta-llama/Meta-Llama-3.1-"),)
"""Our Hugging Face repo names -> the spelling aiconfigurator bundles (its Llama 3.1 configs keep the old 'Meta-' names)."""
_BENIGN_LOG = ("resolve_attention_lane_order",)
_ERROR_CHARS = 400


# ---------------------------------------------------------------------------------------------
# Package, systems and bundled models (cheap: files and small modules only)


def installed() -> bool:
    """True when aiconfigurator-core can be imported (checked without importing it)."""
    return importlib.util.find_spec("aiconfigurator_core") is not None


def _require_package() -> None:
    try:
        import aiconfigurator_core  # noqa: F401
    except ImportError:
        raise CostmodelError("aiconfigurator-core is not installed: pip install 'costmodel[aiconfigurator]' or pip install "
                             "aiconfigurator-core") from None


@lru_cache(maxsize=1)
def aic_version() -> str:
    """The installed aiconfigurator-core version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(AIC_DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def _package_dir() -> Path:
    spec = importlib.util.find_spec("aiconfigurator_core")
    if spec is None or not spec.submodule_search_locations:
        raise CostmodelError("aiconfigurator-core is not installed: pip install 'costmodel[aiconfigurator]' or pip install "
                             "aiconfigurator-core")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def bundled_models() -> frozenset[str]:
    """Hugging Face ids aiconfigurator resolves offline: in its DefaultHFModels and with a bundled config.json."""
    from aiconfigurator_core.sdk import common

    configured = os.environ.get("AICONFIGURATOR_MODEL_CONFIGS_PATH")
    folder = Path(configured) if configured else _package_dir() / "model_configs"
    return frozenset(m for m in common.DefaultHFModels if (folder / f"{m.replace('/', '--')}_config.json").is_file())


def bundled_model_id(hf_repo: str | None) -> str | None:
    """aiconfigurator's bundled spelling of one of our Hugging Face repos, or None when it bundles no config for it.

    Exact or case-insensitive matches, the old 'Meta-Llama-3.1-' names, and base/-Instruct twins
    (same architecture, so the same op shapes) are accepted.
    """
    if not hf_repo:
        return None
    by_lower = {m.lower(): m for m in bundled_models()}
    names = [hf_repo.strip()]
    for pattern, spelling in _MODEL_RESPELLINGS:
        if pattern.search(names[0]):
            names.append(pattern.sub(spelling, names[0]))
    for name in list(names):
        names.append(name[: -len("-Instruct")] if name.endswith("-Instruct") else name + "-Instruct")
    for name in names:
        if name.lower() in by_lower:
            return by_lower[name.lower()]
    return None


@lru_cache(maxsize=None)
def _system_gpu_spec(system: str) -> dict[str, Any]:
    """The 'gpu' section of a system YAML (tensor-core FLOPS per compute type)."""
    import yaml

    with open(_package_dir() / "systems" / f"{system}.yaml", encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get("gpu", {})


def _compute_dtype(kind: str, mode: str) -> str | None:
    from aiconfigurator_core.sdk import common

    enum = common.GEMMQuantMode if kind == "gemm" else common.MoEQuantMode
    return enum[mode].value.compute_dtype


def _hardware_runs(system: str, kind: str, mode: str) -> bool:
    """The system has tensor cores for the compute type of a quant mode (per its YAML)."""
    value = _system_gpu_spec(system).get(_COMPUTE_FLOPS_KEY.get(_compute_dtype(kind, mode) or "", ""))
    return isinstance(value, (int, float)) and value > 0 and math.isfinite(value)


def _hardware_modes(system: str, precision_id: str) -> QuantModes | None:
    """The quant modes of a precision this system's hardware runs, or None when it runs none of its GEMM modes."""
    q = AIC_PRECISIONS[precision_id]
    gemm = tuple(m for m in q.gemm if _hardware_runs(system, "gemm", m))
    moe = tuple(m for m in q.moe if _hardware_runs(system, "moe", m))
    return dataclasses.replace(q, gemm=gemm, moe=moe) if gemm else None


def precisions_on(gpu_id: str) -> list[str]:
    """Project precisions aiconfigurator can model on a covered GPU's hardware (data may still be missing)."""
    system = AIC_SYSTEMS[gpu_id]
    return [p for p in sorted(AIC_PRECISIONS) if _hardware_modes(system, p)]


def covers(model_hf_repo: str | None, gpu_id: str, engine_id: str, precision_id: str) -> bool:
    """Cheap check: installed, GPU and engine covered, model config bundled, precision runnable on the GPU.

    Necessary, not sufficient: the tables of one op (an MoE shape, an attention kernel) can
    still be missing, and ``aiconfigurator_estimate`` then raises.
    """
    if not installed() or gpu_id not in AIC_SYSTEMS or engine_id not in AIC_BACKENDS or precision_id not in AIC_PRECISIONS:
        return False
    try:
        return _hardware_modes(AIC_SYSTEMS[gpu_id], precision_id) is not None and bundled_model_id(model_hf_repo) is not None
    except Exception:  # a broken or different install: not covered
        return False


# ---------------------------------------------------------------------------------------------
# Cached aiconfigurator objects


@lru_cache(maxsize=None)
def _resolved_version(system: str, backend: str, slot: str) -> str:
    from aiconfigurator_core.sdk.perf_database import resolve_query_version

    return resolve_query_version(system, backend, slot)


@lru_cache(maxsize=None)
def _database(system: str, backend: str, version: str) -> Any:
    """aiconfigurator's PerfDatabase for one (system, backend, version); loads its tables lazily, once."""
    from aiconfigurator_core.sdk.perf_database import get_database

    db = get_database(system, backend, version)
    if db is None:
        raise CostmodelError(f"aiconfigurator-core {aic_version()} has no {backend} {version} tables for {system}")
    return db


@lru_cache(maxsize=256)
def _session(aic_model: str, system: str, backend: str, version: str, tp: int, attention_dp: int, moe_tp: int | None,
             moe_ep: int | None, gemm: str, moe: str, kv: str, fmha: str) -> tuple[Any, Any]:
    """(model, backend) for one model layout on one database.

    One backend object per (model, database): aiconfigurator's backends memoise ``run_agg`` by
    (isl, osl, batch, ctx_tokens) only, so a backend shared between models or GPUs returns the
    first one's result for all of them.
    """
    from aiconfigurator_core.sdk.backends.factory import get_backend
    from aiconfigurator_core.sdk.config_builders import build_model_config
    from aiconfigurator_core.sdk.models import get_model

    mc = build_model_config(tp_size=tp, pp_size=1, attention_dp_size=attention_dp, moe_tp_size=moe_tp, moe_ep_size=moe_ep,
                            gemm_quant_mode=gemm, kvcache_quant_mode=kv, fmha_quant_mode=fmha, moe_quant_mode=moe)
    return get_model(aic_model, mc, backend), get_backend(backend)


@lru_cache(maxsize=256)
def _checkpoint(aic_model: str) -> tuple[str, dict[str, str]]:
    """(architecture, quant modes the bundled checkpoint implies) of a bundled model."""
    from aiconfigurator_core.sdk.utils import get_model_config_from_model_path

    info = get_model_config_from_model_path(aic_model)
    raw = info.get("raw_config", {})
    arch = info.get("architecture") or (raw.get("architectures") or [""])[0]
    try:
        from aiconfigurator_core.sdk.models.helpers import _infer_quant_modes_from_raw_config

        inferred = {k: v.name for k, v in _infer_quant_modes_from_raw_config(raw, arch).items()}
    except Exception:  # private helper: without it the precision map's order decides
        inferred = {}
    return arch, inferred


@contextlib.contextmanager
def _quiet_and_offline() -> Iterator[None]:
    """While aiconfigurator runs: no Hugging Face downloads, and its per-run warnings kept off stderr."""
    from aiconfigurator_core.sdk import utils

    def refuse(model_path: str, *args: Any, **kwargs: Any) -> Any:
        raise CostmodelError(f"costmodel runs aiconfigurator offline: it will not download {model_path}'s config")

    saved = {name: getattr(utils, name) for name in ("_download_hf_config", "_download_hf_json") if hasattr(utils, name)}
    log = logging.getLogger("aiconfigurator_core")
    level = log.level
    if level == logging.NOTSET:  # nobody configured it: hide the benign warnings of every run
        log.setLevel(logging.ERROR)
    for name in saved:
        setattr(utils, name, refuse)
    try:
        yield
    finally:
        for name, func in saved.items():
            setattr(utils, name, func)
        log.setLevel(level)


def _one_line(exc: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(exc) or type(exc).__name__).strip()
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = f"unknown key {text}"
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


# ---------------------------------------------------------------------------------------------
# The estimate


def aiconfigurator_estimate(hf_repo: str, model_id: str, gpu_id: str, engine_id: str, *, gpus: int, tensor_parallel: int,
                            input_tokens: int, output_tokens: int, batch: int, precision_id: str, kv_precision_id: str,
                            is_moe: bool, attention_dp: bool = False, ctx_tokens: int | None = None) -> dict[str, Any]:
    """aiconfigurator-core's in-flight batching estimate of ``gpus`` GPUs in replicas of ``tensor_parallel``.

    ``batch`` sequences run at once on each replica (all its attention-DP ranks together when
    ``attention_dp``); prompts are prefilled in chunks of ``ctx_tokens`` per step (default: one
    whole prompt). Returns output_tokens_per_s (all output tokens, the first included, of all
    replicas), ttft_ms, tpot_ms, system, backend, backend_version, and what was run
    (aiconfigurator_version, quant modes, parallel layout, memory_gib_per_gpu, oom).
    Raises CostmodelError naming what is not covered and what is.
    """
    _require_package()
    from costmodel.checks import positive_int

    gpus, tp = positive_int("gpus", gpus), positive_int("tensor_parallel", tensor_parallel)
    batch, input_tokens = positive_int("batch", batch), positive_int("input_tokens", input_tokens)
    output_tokens = positive_int("output_tokens", output_tokens)
    if gpus % tp:
        raise CostmodelError(f"gpus ({gpus}) must be a multiple of tensor_parallel ({tp})")
    if output_tokens < 2:
        raise CostmodelError("aiconfigurator counts decode steps: it needs output_tokens of at least 2")
    if gpu_id not in AIC_SYSTEMS:
        raise CostmodelError(f"aiconfigurator-core {aic_version()} has no measured op tables for {gpu_id}; it covers: "
                             f"{', '.join(sorted(AIC_SYSTEMS))}")
    if engine_id not in AIC_BACKENDS:
        raise CostmodelError(f"aiconfigurator-core {aic_version()} does not model {engine_id}; it covers engines: "
                             f"{', '.join(sorted(AIC_BACKENDS))}")
    system, backend = AIC_SYSTEMS[gpu_id], AIC_BACKENDS[engine_id]
    if precision_id not in AIC_PRECISIONS:
        raise CostmodelError(f"aiconfigurator-core has no quant mode for {precision_id} weights; it covers precisions: "
                             f"{', '.join(sorted(AIC_PRECISIONS))}")
    if kv_precision_id not in AIC_KV_PRECISIONS:
        raise CostmodelError(f"aiconfigurator-core has no KV-cache mode for {kv_precision_id}; it covers KV precisions: "
                             f"{', '.join(sorted(AIC_KV_PRECISIONS))}")
    modes = _hardware_modes(system, precision_id)
    if modes is None or (is_moe and not modes.moe):
        needs = _COMPUTE_NAME.get(_compute_dtype("gemm", AIC_PRECISIONS[precision_id].gemm[0]) or "", "")
        why = f"{system} has no {needs} tensor cores" if modes is None else f"it has no {precision_id} MoE tables"
        raise CostmodelError(f"aiconfigurator-core cannot model {precision_id} weights on {gpu_id} ({why}); on {gpu_id} it "
                             f"covers: {', '.join(precisions_on(gpu_id))}")
    if modes.experts_only and not is_moe:
        raise CostmodelError(f"{precision_id} in aiconfigurator-core covers MoE experts only and {model_id} is dense; "
                             f"dense precisions on {gpu_id}: "
                             f"{', '.join(p for p in precisions_on(gpu_id) if not AIC_PRECISIONS[p].experts_only)}")
    aic_model = bundled_model_id(hf_repo)
    if aic_model is None:
        raise CostmodelError(f"aiconfigurator-core {aic_version()} bundles no config for {model_id} ({hf_repo or 'no Hugging Face repo'}) "
                             f"and costmodel never downloads one; it bundles: {', '.join(sorted(bundled_models()))}")

    what = f"{model_id} on {tp} x {gpu_id} with {engine_id}"
    try:
        version = _resolved_version(system, backend, AIC_VERSION_SLOT)
        with _quiet_and_offline():
            return _run(aic_model, system, backend, version, modes, gpus=gpus, tp=tp, input_tokens=input_tokens,
                        output_tokens=output_tokens, batch=batch, kv=AIC_KV_PRECISIONS[kv_precision_id], is_moe=is_moe,
                        attention_dp=attention_dp and is_moe and tp > 1, ctx_tokens=ctx_tokens or input_tokens)
    except CostmodelError as exc:
        raise CostmodelError(f"aiconfigurator could not estimate {what}: {_one_line(exc)}") from exc
    except Exception as exc:  # anything aiconfigurator raises, as one line
        raise CostmodelError(f"aiconfigurator could not estimate {what}: {type(exc).__name__}: {_one_line(exc)}") from exc


def _attempts(arch: str, inferred: dict[str, str], modes: QuantModes, backend: str, kv: str, is_moe: bool, tp: int,
              attention_dp: bool) -> list[tuple[str, str, str, int, int, int | None, int | None]]:
    """(gemm, moe, fmha, tp, attention_dp, moe_tp, moe_ep) to try in order: the most faithful first."""

    def first(candidates: tuple[str, ...], checkpoint: str | None) -> list[str]:
        return ([checkpoint] if checkpoint in candidates else []) + [c for c in candidates if c != checkpoint]

    gemms = first(modes.gemm, inferred.get("gemm_quant_mode"))
    moes = first(modes.moe, inferred.get("moe_quant_mode")) if is_moe else ["bfloat16"]
    # FP8 context attention only rides with an FP8 KV cache; vLLM's tables and the DSA / DeepSeek-V4
    # attention modules have BF16 FMHA only (aiconfigurator's own guards, models/helpers.py).
    fp8_fmha = kv == "fp8" and backend != "vllm" and arch not in (
        "DeepseekV32ForCausalLM", "GlmMoeDsaForCausalLM", "DeepseekV4ForCausalLM")
    fmhas = ["fp8", "bfloat16"] if fp8_fmha else ["bfloat16"]
    if not is_moe:
        layouts = [(tp, 1, None, None)]
    elif attention_dp:
        layouts = [(1, tp, 1, tp)]  # attention data-parallel, experts split by expert parallelism
    else:
        layouts = [(tp, 1, tp, 1), (tp, 1, 1, tp)] if tp > 1 else [(1, 1, 1, 1)]  # experts tensor-parallel, else expert-parallel
    return [(g, m, f, *layout) for layout in layouts for g in gemms for m in moes for f in fmhas]


def _run(aic_model: str, system: str, backend: str, version: str, modes: QuantModes, *, gpus: int, tp: int,
         input_tokens: int, output_tokens: int, batch: int, kv: str, is_moe: bool, attention_dp: bool,
         ctx_tokens: int) -> dict[str, Any]:
    from aiconfigurator_core.sdk.config import RuntimeConfig
    from aiconfigurator_core.sdk.errors import InterpolationDataNotAvailableError, PerfDataNotAvailableError

    db = _database(system, backend, version)
    arch, inferred = _checkpoint(aic_model)
    first_error: Exception | None = None
    for gemm, moe, fmha, a_tp, a_dp, moe_tp, moe_ep in _attempts(arch, inferred, modes, backend, kv, is_moe, tp, attention_dp):
        per_rank = max(1, round(batch / a_dp))
        try:
            model, engine = _session(aic_model, system, backend, version, a_tp, a_dp, moe_tp, moe_ep, gemm, moe, kv, fmha)
            summary = engine.run_agg(model, db, RuntimeConfig(batch_size=per_rank, isl=input_tokens, osl=output_tokens),
                                     ctx_tokens=ctx_tokens)
        except (PerfDataNotAvailableError, InterpolationDataNotAvailableError) as exc:  # no table for this mode: next one
            first_error = first_error or exc
            continue
        row = summary.get_summary_df().iloc[0]
        replicas = gpus // tp
        # aiconfigurator's tokens/s counts the osl - 1 decoded tokens of each request; ours counts all output tokens.
        per_replica = float(row["tokens/s"]) * output_tokens / (output_tokens - 1)
        return {
            "output_tokens_per_s": per_replica * replicas,
            "ttft_ms": float(row["ttft"]),
            "tpot_ms": float(row["tpot"]),
            "system": system,
            "backend": backend,
            "backend_version": str(db.version),
            "aiconfigurator_version": aic_version(),
            "model": aic_model,
            "replicas": replicas,
            "batch_per_replica": per_rank * a_dp,
            "ctx_tokens": ctx_tokens,
            "parallel": str(row["parallel"]),
            "gemm": str(row["gemm"]), "moe": str(row["moe"]) if is_moe else None, "kvcache": str(row["kvcache"]),
            "fmha": str(row["fmha"]),
            "memory_gib_per_gpu": float(row["memory"]),
            "oom": bool(summary.check_oom()),
        }
    assert first_error is not None
    raise first_error


# ---------------------------------------------------------------------------------------------
# Hooked into costmodel.models.throughput.throughput(estimator=...)


def auto_choice(gpu_family: str, engine_id: str, db_path: Path | None = None) -> str:
    """The estimator the store chose for a GPU family and engine (newest fit); 'roofline' when it chose none."""
    import duckdb

    from costmodel import store

    try:
        from costmodel.models.fitted import latest_fit_id

        frame = store.query("SELECT estimator FROM throughput_estimator_choice WHERE fit_id = ? AND gpu_family = ? "
                            "AND engine_id = ?", [latest_fit_id(db_path=db_path), gpu_family, engine_id], db_path=db_path)
    except (CostmodelError, duckdb.CatalogException):  # no store, or one built before the table existed
        return "roofline"
    if frame.height == 0:
        return "roofline"
    choice = str(frame["estimator"][0])
    return choice if choice in ("roofline", "aiconfigurator") else "roofline"


def second_opinion(estimator: str, dep: Any, roofline: Any, target: Any, *, db_path: Path | None = None) -> Any:
    """The roofline's estimate, re-estimated by aiconfigurator at the same split and batch (or unchanged).

    ``estimator``: "aiconfigurator" always asks it (errors if it does not cover the deployment);
    "auto" asks it only where the store chose it for the GPU family and engine and ``covers()``.
    ``target`` is the roofline's latency target; the batch it led to is kept, so aiconfigurator's
    latencies are those of that batch (means, not percentiles).
    """
    if estimator == "roofline":
        return roofline
    if estimator not in ("aiconfigurator", "auto"):
        raise CostmodelError(f"estimator must be one of roofline, aiconfigurator, auto, got {estimator!r}")
    from costmodel import catalog

    hf_repo = catalog.get_model(dep.arch.model_id, db_path=db_path).hf_repo
    if estimator == "auto":
        if auto_choice(dep.gpu.gpu_family, dep.engine_id, db_path) != "aiconfigurator" or not covers(
                hf_repo, dep.gpu.gpu_id, dep.engine_id, roofline.precision_id):
            return roofline
        try:
            return _replaced(dep, roofline, hf_repo)
        except CostmodelError as exc:
            note = f"auto chose aiconfigurator but it failed ({exc}), so this is the roofline's estimate"
            return dataclasses.replace(roofline, caveat=(roofline.caveat + "; " if roofline.caveat else "") + note)
    return _replaced(dep, roofline, hf_repo)


def _replaced(dep: Any, roofline: Any, hf_repo: str | None) -> Any:
    batch = max(1, roofline.concurrency // roofline.replicas)
    got = aiconfigurator_estimate(
        hf_repo or "", dep.arch.model_id, dep.gpu.gpu_id, dep.engine_id, gpus=roofline.gpus,
        tensor_parallel=roofline.tensor_parallel, input_tokens=roofline.input_tokens, output_tokens=roofline.output_tokens,
        batch=batch, precision_id=roofline.precision_id, kv_precision_id=roofline.kv_precision_id,
        is_moe=bool(dep.arch.num_experts), attention_dp=roofline.attention_dp,
        ctx_tokens=min(roofline.input_tokens, dep.limits.max_num_tokens))
    out = got["output_tokens_per_s"]
    ratio = out / roofline.output_tokens_per_s if roofline.output_tokens_per_s else 1.0
    note = (f"estimated by NVIDIA aiconfigurator-core {got['aiconfigurator_version']} ({got['backend']} "
            f"{got['backend_version']} op tables for {got['system']}) at the roofline's batch of {batch} per replica")
    if got["oom"]:
        note += f" (aiconfigurator's memory model says that batch does not fit: {got['memory_gib_per_gpu']:.0f} GiB per GPU)"
    return dataclasses.replace(
        roofline,
        output_tokens_per_s=out,
        input_tokens_per_s=roofline.input_tokens_per_s * ratio,
        output_tokens_per_s_low=roofline.output_tokens_per_s_low * ratio,
        output_tokens_per_s_high=roofline.output_tokens_per_s_high * ratio,
        ttft_ms=got["ttft_ms"],
        tpot_ms=got["tpot_ms"],
        output_tokens_per_s_per_user=1000.0 / got["tpot_ms"],
        latency_statistic="mean",
        caveat=(roofline.caveat + "; " if roofline.caveat else "") + note,
    )
