"""Which model is good enough: a quality floor over the store's published benchmark scores.

``meets_floor('gpqa-diamond', reference='gpt-4o')`` lists every model whose score on the benchmark is
at least the reference's. Scores from different evaluators are not comparable (harness, prompts,
sampling differ), so a candidate is compared with the reference inside one source that scored both
(the source scoring the most models on the benchmark first); only where no source scored both are
the two models' medians across sources compared, and the row says so. A model's score in a source
is its best metric there (a source that scores a hybrid model thinking and not thinking gives it the
better of the two: what the model can reach).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from costmodel import catalog, store
from costmodel.errors import CostmodelError

KINDS = {"gpqa-diamond": "reasoning", "gpqa": "reasoning", "gpqa-main": "reasoning", "aime-2024": "reasoning",
         "aime-2025": "reasoning", "math-500": "reasoning", "livecodebench": "coding", "humaneval": "coding",
         "humaneval-mul": "coding", "mmlu-pro": "knowledge", "mmlu": "knowledge", "mmlu-redux": "knowledge",
         "ifeval": "instruction following", "ifbench": "instruction following"}
"""What each benchmark measures."""


def scores(*, db_path: Path | None = None) -> pl.DataFrame:
    """Each model's best score per benchmark and source [%], with the number of models that source scored there."""
    frame = store.query("SELECT model_id, benchmark, source_id, max(score_pct) AS score_pct, arg_max(metric, score_pct) AS metric "
                        "FROM benchmark_scores GROUP BY ALL", db_path=db_path)
    return frame.with_columns(models_in_source=pl.len().over("benchmark", "source_id"))


def benchmarks(*, db_path: Path | None = None) -> pl.DataFrame:
    """The benchmarks the store has, what each measures, and how many models and sources score it."""
    frame = scores(db_path=db_path)
    return (frame.group_by("benchmark").agg(models=pl.col("model_id").n_unique(), sources=pl.col("source_id").n_unique())
            .with_columns(kind=pl.col("benchmark").replace_strict(KINDS, default="other")).sort("kind", "benchmark"))


def check_benchmark(benchmark: str, *, db_path: Path | None = None) -> str:
    """A benchmark the store has scores for; else one sentence naming the accepted ones."""
    known = benchmarks(db_path=db_path)["benchmark"].to_list()
    if benchmark not in known:
        from costmodel.store import closest

        near = closest(benchmark, known)
        raise CostmodelError(f"no scores for benchmark {benchmark!r} in the store; accepted: {', '.join(sorted(known))}"
                             + (f" (closest: {', '.join(near)})" if near else ""))
    return benchmark


def meets_floor(benchmark: str, *, reference: str | None = None, min_score_pct: float | None = None,
                db_path: Path | None = None) -> pl.DataFrame:
    """Every scored model against the floor: the reference model's score (compared within a shared source) or a stated
    minimum [%]. Columns model_id, score_pct, floor_pct, source_id, same_source, meets."""
    check_benchmark(benchmark, db_path=db_path)
    if (reference is None) == (min_score_pct is None):
        raise CostmodelError("a quality floor is either the score of a reference model or a minimum score, not both or neither")
    frame = scores(db_path=db_path).filter(pl.col("benchmark") == benchmark)
    if min_score_pct is not None:
        if not 0 <= min_score_pct <= 100:
            raise CostmodelError(f"min_score_pct must be between 0 and 100, got {min_score_pct!r}")
        best = frame.sort("models_in_source", descending=True).group_by("model_id", maintain_order=True).first()
        return best.select("model_id", "score_pct", pl.lit(float(min_score_pct)).alias("floor_pct"), "source_id",
                           pl.lit(True).alias("same_source"), (pl.col("score_pct") >= min_score_pct).alias("meets")).sort(
            "score_pct", descending=True)
    ref = catalog.resolve_model_id(reference, db_path=db_path)
    ref_rows = frame.filter(pl.col("model_id") == ref)
    if ref_rows.height == 0:
        scored = frame["model_id"].unique().sort().to_list()
        raise CostmodelError(f"{ref} has no {benchmark} score in the store, so it cannot set the floor; models scored on "
                             f"{benchmark}: {', '.join(scored[:20])}{' ...' if len(scored) > 20 else ''}")
    shared = frame.join(ref_rows.select("source_id", pl.col("score_pct").alias("floor_pct")), on="source_id")
    within = shared.sort("models_in_source", descending=True).group_by("model_id", maintain_order=True).first().with_columns(
        same_source=pl.lit(True))
    rest = frame.filter(~pl.col("model_id").is_in(within["model_id"].implode()))
    ref_median = float(ref_rows["score_pct"].median())
    across = (rest.group_by("model_id").agg(pl.col("score_pct").median(), pl.col("source_id").sort().str.join(", "))
              .with_columns(floor_pct=pl.lit(ref_median), same_source=pl.lit(False)))
    cols = ["model_id", "score_pct", "floor_pct", "source_id", "same_source"]
    out = pl.concat([within.select(cols), across.select(cols)])
    return out.with_columns(meets=pl.col("score_pct") >= pl.col("floor_pct")).sort("score_pct", descending=True)


def qualifying_models(benchmark: str, *, reference: str | None = None, min_score_pct: float | None = None,
                      db_path: Path | None = None) -> list[str]:
    """Model ids at or above the floor (the reference itself included)."""
    return meets_floor(benchmark, reference=reference, min_score_pct=min_score_pct, db_path=db_path).filter(
        pl.col("meets"))["model_id"].to_list()
