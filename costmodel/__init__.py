"""costmodel: self-host an open-weight LLM or pay an API per token?

Every figure traces to a sourced, dated row of the store or to a named assumption.

Public API (polars in, polars out; units in every name):

Store and catalog
    store.build()              build the DuckDB store from data/*.csv and genai-prices, atomically
    store.info()               rows, dates and stale rows per table
    store.query(sql)           read-only SQL on the store, as a polars DataFrame
    store.table(name)          one store table
    gpu_prices(as_of=...)      GPU rental prices in force on a date [USD/GPU-hour]
    api_prices(as_of=...)      API prices in force on a date [USD/M tokens]
    models(), gpus()           the catalog tables
    get_model(name), get_gpu(name)             typed records, aliases resolved
    resolve_model_id(name), resolve_gpu_id(name), resolve_precision_id(name)

Models (pure functions underneath; these wrappers look the inputs up in the store)
    memory(model, precision, gpu=..., gpus=...)        -> MemoryEstimate (weights_gb, kv_cache_gb, fits, ...)
    throughput(model, gpu, gpus, precision=..., ...)   -> ThroughputEstimate (output_tokens_per_s, band, ttft_ms, ...)
    calibration.calibrate(), calibration.validate()    refit / leave-one-out check of the throughput model

Decisions (scenarios: resolve every input once, then the models)
    crossover(workload, self_host, api)                -> Crossover (monthly costs, break-even, assumptions, caveats)
    compare(workload, options)                         one row per option
    Workload, SelfHostOption, ApiOption                what is served, and the two ways to serve it
    plan(workload, model=... | family=... | benchmark=..., reference=...)
                                                       -> Plan: every self-host option and API, ranked by monthly cost
    horizon(workload, self_host, api, Trends(...))     -> Horizon: monthly cash flows, NPV, break-even month
    quality.meets_floor(benchmark, reference=...)      models at or above a quality floor
    currency.rate(code, on)                            the sourced exchange rate in force

Errors
    CostmodelError             base class; DataError (file, line, field), UnknownIdError (closest ids)
"""

from __future__ import annotations

from .version import __version__

from . import store
from .catalog import (
    Gpu,
    Model,
    get_gpu,
    get_model,
    gpus,
    models,
    resolve_gpu_id,
    resolve_model_id,
    resolve_precision_id,
)
from .errors import CostmodelError, DataError, StoreError, UnknownIdError
from .memory import MemoryEstimate, memory
from .pricing import GpuPrice
from .scenarios import gpu_price
from .prices import api_prices, gpu_prices
from .throughput import ThroughputEstimate
from .deployment import throughput  # after the module import: costmodel.throughput is this function
from .scenarios import ApiOption, Crossover, SelfHostOption, Workload, compare, crossover
from .horizon import Horizon, Trends, horizon
from .plan import Plan, plan

__all__ = [
    "__version__",
    "store",
    "api_prices",
    "gpu_prices",
    "gpu_price",
    "GpuPrice",
    "models",
    "gpus",
    "get_model",
    "get_gpu",
    "Model",
    "Gpu",
    "resolve_model_id",
    "resolve_gpu_id",
    "resolve_precision_id",
    "memory",
    "MemoryEstimate",
    "throughput",
    "ThroughputEstimate",
    "Workload",
    "SelfHostOption",
    "ApiOption",
    "Crossover",
    "crossover",
    "compare",
    "plan",
    "Plan",
    "horizon",
    "Horizon",
    "Trends",
    "CostmodelError",
    "DataError",
    "StoreError",
    "UnknownIdError",
]
