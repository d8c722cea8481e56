"""costmodel: self-host an open-weight LLM or pay an API per token? Every figure traces to a sourced,
dated row of the store or to a named assumption. Polars in, polars out; units in every name.

    crossover(workload, self_host, api) -> Crossover   one pairing: monthly costs, break-even, caveats
    compare(workload, options)          -> DataFrame   long: one row per option and API counterpart
    sweep(models, gpus, modes, volumes, apis)          every combination, vectorised
    plan(workload, model=|family=|benchmark=)  -> Plan every self-host option and API, ranked
    horizon(workload, self_host, api, trends)  -> Horizon  monthly cash flows, NPV, pay-back month
    memory(model, precision, gpu=...), throughput(model, gpu, gpus, ...)   the models, inputs looked up
    gpu_prices(as_of=...), api_prices(as_of=...), gpu_price(gpu, mode)     prices in force
    get_model(name), get_gpu(name), models(), gpus(), resolve_*_id(name)   the catalog, aliases resolved
    store.build(), store.info(), store.query(sql)                          the DuckDB store
Errors: CostmodelError (DataError: file, line, field; UnknownIdError: closest ids; StoreError).
"""

from __future__ import annotations

from costmodel import store
from costmodel.catalog import (
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
from costmodel.models.deployment import memory, throughput  # the functions: bound after the modules load
from costmodel.errors import CostmodelError, DataError, StoreError, UnknownIdError
from costmodel.scenarios.horizon import Horizon, Trends, horizon
from costmodel.models.memory import MemoryEstimate
from costmodel.scenarios.plan import Plan, plan
from costmodel.catalog.prices import api_prices, gpu_prices
from costmodel.catalog.pricing import GpuPrice
from costmodel.scenarios import ApiOption, Crossover, SelfHostOption, Workload, compare, crossover, gpu_price
from costmodel.scenarios.sweep import sweep
from costmodel.models.throughput import ThroughputEstimate
from costmodel.version import __version__

__all__ = [
    "__version__", "store", "crossover", "compare", "sweep", "plan", "horizon", "Workload", "SelfHostOption", "ApiOption",
    "Crossover", "Plan", "Horizon", "Trends", "memory", "MemoryEstimate", "throughput", "ThroughputEstimate",
    "gpu_prices", "api_prices", "gpu_price", "GpuPrice", "models", "gpus", "get_model", "get_gpu", "Model", "Gpu",
    "resolve_model_id", "resolve_gpu_id", "resolve_precision_id", "CostmodelError", "DataError", "StoreError", "UnknownIdError",
]
