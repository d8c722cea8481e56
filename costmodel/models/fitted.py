"""The throughput calibration in force: the stored fit, its multipliers and bands, looked up per deployment.

``calibration`` fits these (and writes them to ``data/``); this module only reads what the store
holds, so that resolving a deployment never needs the fitting code.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.errors import CostmodelError
from costmodel.models.throughput import FIT_PARAMETERS, Calibration, Efficiency, scaled_split

PARAMETER_NAMES = [p.name for p in FIT_PARAMETERS]
"""Names of the fitted parameters, the columns of throughput_calibration."""

LEVELS = ("engine", "engine-line", "engine-gpu-family", "model")
"""Levels of the hierarchical multipliers, applied together (their product scales the pooled fit)."""
KINDS = {"engine": ("efficiency", "fixed"), "engine-line": ("efficiency", "fixed"), "engine-gpu-family": ("efficiency",),
         "model": ("efficiency",)}
"""What each level scales: efficiencies (kernels), fixed times (scheduler and launch costs), or both."""
BAND_MIN_SOURCES = 3
"""Publishers a band group needs to use its own residuals; thinner groups fall back to a wider one."""

@dataclasses.dataclass(frozen=True)
class Multiplier:
    """One fitted multiplier and the evidence behind it."""

    level: str
    key: str
    value: float
    sources: int
    rows: int
    measurement_ids: tuple[str, ...]
    kind: str = "efficiency"  # efficiency (efficiencies x value, at most 1) or fixed (fixed times / value)


@dataclasses.dataclass(frozen=True)
class Fit:
    """A pooled fit and its hierarchical multipliers, keyed by (level, kind, key)."""

    pooled: Efficiency
    multipliers: dict[tuple[str, str, str], Multiplier]

    def multiplier_for(self, keys: dict[str, str]) -> tuple[float, float, tuple[tuple[str, str, float], ...]]:
        """(efficiency multiplier, fixed-time multiplier, those applied) for a row's or a deployment's keys."""
        applied = []
        eff = fixed = 1.0
        for level in LEVELS:
            for kind in KINDS[level]:
                m = self.multipliers.get((level, kind, keys.get(level, "")))
                if m is not None:
                    applied.append((level if kind == "efficiency" else f"{level} fixed times", m.key, m.value))
                    if kind == "efficiency":
                        eff *= m.value
                    else:
                        fixed *= m.value
        return eff, fixed, tuple(applied)

    def efficiency_for_keys(self, keys: dict[str, str]) -> Efficiency:
        m_eff, m_fix, _ = self.multiplier_for(keys)
        return scaled_split(self.pooled, m_eff, m_fix)

    def efficiency_for_row(self, setup: Any) -> Efficiency:
        """The efficiency for a measured row's set-up (``calibration.RowSetup``: anything with ``key(level)``)."""
        return self.efficiency_for_keys({lv: setup.key(lv) for lv in LEVELS})


def latest_fit_id(*, db_path: Path | None = None) -> str:
    """The fit in force: the newest user refit, else the shipped one."""
    frame = store.query("SELECT fit_id FROM throughput_calibration ORDER BY fitted_on DESC, (fit_id = 'shipped'), fit_id DESC LIMIT 1",
                        db_path=db_path)
    if frame.height == 0:
        raise CostmodelError("the store has no throughput calibration; run `costmodel calibrate`")
    return frame["fit_id"][0]


@store.cached
def _stored_fit(db_key: str) -> tuple[str, Fit, pl.DataFrame, str]:
    db_path = Path(db_key) if db_key else None
    fit_id = latest_fit_id(db_path=db_path)
    row = store.query("SELECT * FROM throughput_calibration WHERE fit_id = ?", [fit_id], db_path=db_path).row(0, named=True)
    pooled = Efficiency(**{n: row[n] for n in PARAMETER_NAMES})
    mults = {}
    for m in store.query("SELECT * FROM throughput_calibration_multipliers WHERE fit_id = ?", [fit_id], db_path=db_path).iter_rows(named=True):
        mults[(m["level"], m["kind"], m["key"])] = Multiplier(m["level"], m["key"], m["multiplier"], m["sources_used"],
                                                              m["rows_used"], tuple(m["measurement_ids"].split()), m["kind"])
    bands = store.query("SELECT * FROM throughput_calibration_bands WHERE fit_id = ?", [fit_id], db_path=db_path)
    return fit_id, Fit(pooled, mults), bands, str(row["fitted_on"])


@store.cached
def _evidence(db_key: str) -> pl.DataFrame:
    return store.query(
        "SELECT DISTINCT t.publisher, t.engine_id, g.gpu_family, lower(g.vendor) AS gpu_vendor, t.model_id "
        "FROM throughput_measured t JOIN gpus g USING (gpu_id) WHERE t.exclude_reason IS NULL",
        db_path=Path(db_key) if db_key else None)


@store.cached
def calibration_for(engine_id: str, version_line: str, gpu: catalog.Gpu, model_id: str, *,
                    db_path: Path | None = None) -> Calibration:
    """The calibration in force for an engine release line on a GPU, serving a model.

    Multipliers of the engine (or the engine it is based on, for a wrapper without its own rows),
    its version line, the engine on the GPU family, and the model; the band from the stored
    leave-one-source-out residual quantiles of the most specific group with enough publishers,
    widened by the publishers behind this engine on this GPU vendor.
    """
    key = str(db_path or "")
    _, fitted, bands, fitted_on = _stored_fit(key)
    evidence = _evidence(key)
    chain = catalog.engine_chain(engine_id, db_path=db_path)
    measured_engine = next((e for e in chain if evidence.filter(pl.col("engine_id") == e).height), engine_id)
    keys = {"engine": measured_engine, "engine-line": f"{measured_engine}/{version_line}",
            "engine-gpu-family": f"{measured_engine}/{gpu.gpu_family}", "model": model_id}
    total, fixed, applied = fitted.multiplier_for(keys)
    vendor = gpu.vendor.lower()
    sources = evidence.filter((pl.col("engine_id") == measured_engine) & (pl.col("gpu_family") == gpu.gpu_family))["publisher"].n_unique()
    vendor_sources = evidence.filter((pl.col("engine_id") == measured_engine) & (pl.col("gpu_vendor") == vendor))["publisher"].n_unique()
    model_sources = evidence.filter(pl.col("model_id") == model_id)["publisher"].n_unique()
    low_log, high_log, group = _stored_band(bands, measured_engine, vendor)
    widen = 1.0 + 1.0 / max(min(sources, vendor_sources) if sources else 0, 1)
    return Calibration(
        efficiency=scaled_split(fitted.pooled, total, fixed), multiplier=total, fixed_multiplier=fixed, multipliers=applied,
        band_low_ratio=math.exp(low_log * widen), band_high_ratio=math.exp(high_log * widen), band_group=group,
        sources=sources, model_sources=model_sources, fitted_on=fitted_on,
    )


def _stored_band(bands: pl.DataFrame, engine_id: str, vendor: str) -> tuple[float, float, str]:
    for kind, key in (("engine-gpu-vendor", f"{engine_id}/{vendor}"), ("engine", engine_id), ("gpu-vendor", vendor)):
        hit = bands.filter((pl.col("group_kind") == kind) & (pl.col("group_key") == key) & (pl.col("sources_used") >= BAND_MIN_SOURCES))
        if hit.height:
            r = hit.row(0, named=True)
            return r["band_low_log"], r["band_high_log"], f"{kind} {key}"
    r = bands.filter(pl.col("group_kind") == "all").row(0, named=True)
    return r["band_low_log"], r["band_high_log"], "all"


def stored_fit(*, db_path: Path | None = None) -> Fit:
    """The fit in force (pooled parameters and multipliers)."""
    return _stored_fit(str(db_path or ""))[1]
