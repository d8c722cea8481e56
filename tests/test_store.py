"""The store: contents, idempotency, atomic builds, as-of queries, plain-DuckDB access."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from costmodel import DataError, StoreError, api_prices, gpu_prices, store
from costmodel.catalog import prices
from costmodel.store.dictionary import render

from .conftest import DATA, REPO, sha256

# The model ids DESIGN.md lists for the seed article (ranges written out).
SEED_MODEL_IDS = [
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-3.2-11b-vision", "llama-3.2-90b-vision",
    "llama-3.3-70b", "mistral-7b", "mixtral-8x7b", "codestral-22b", "deepseek-v3", "deepseek-r1",
    "deepseek-r1-distill-qwen-7b", "deepseek-r1-distill-qwen-14b", "deepseek-r1-distill-qwen-32b",
    "deepseek-r1-distill-llama-70b", "qwen-2.5-0.5b", "qwen-2.5-1.5b", "qwen-2.5-3b", "qwen-2.5-7b",
    "qwen-2.5-14b", "qwen-2.5-32b", "qwen-2.5-72b", "qwen-2.5-coder-1.5b", "qwen-2.5-coder-3b",
    "qwen-2.5-coder-7b", "qwen-2.5-coder-14b", "qwen-2.5-coder-32b", "qwq-32b", "gemma-3-1b",
    "gemma-3-4b", "gemma-3-12b", "gemma-3-27b", "phi-4", "phi-3.5-mini", "phi-3.5-moe",
]
DESIGN_GPU_IDS = [
    "rtx-3090", "rtx-4090", "t4", "l4", "a10g", "l40s", "a100-40gb", "a100-80gb", "h100-pcie",
    "h100-sxm", "h200", "b200", "mi300x", "raspberry-pi-5-8gb",
]
PRICE_GPUS = ["h100-sxm", "h200", "a100-80gb", "l40s", "l4", "a10g", "rtx-4090", "b200", "mi300x"]
FRONTIER = ["gpt-4o", "gpt-4o-mini", "o1", "claude-3.5-sonnet", "gemini-2.5-pro", "gemini-2.5-flash"]


def test_info_meets_the_issue_thresholds(db: Path) -> None:
    info = store.info(db_path=db)
    t = info["tables"]
    assert t["models"]["rows"] >= 30
    assert t["gpus"]["rows"] >= 14
    assert t["gpu_prices"]["rows"] >= 60
    assert info["providers"]["gpu_prices"] >= 8
    assert t["throughput_measured"]["rows"] >= 30
    assert t["api_prices"]["rows"] >= 1000
    for name, entry in t.items():
        if "rows_without_source_or_date" in entry:
            assert entry["rows_without_source_or_date"] == 0, name


def test_stale_rows_are_counted_against_today(db: Path) -> None:
    # The cloud-gpus archive rows were observed 2025-09-17: stale 180 days later, not before.
    before = store.info(today=dt.date(2026, 3, 15), db_path=db)["tables"]["gpu_prices"]["stale_rows"]
    after = store.info(today=dt.date(2026, 3, 17), db_path=db)["tables"]["gpu_prices"]["stale_rows"]
    archive = store.query(
        "SELECT count(*) AS n FROM gpu_prices WHERE observed_on = DATE '2025-09-17'", db_path=db
    )["n"][0]
    assert before == 0
    assert after == archive > 0


@pytest.mark.parametrize("model_id", SEED_MODEL_IDS)
def test_one_row_per_seed_model(db: Path, model_id: str) -> None:
    rows = store.query("SELECT * FROM models WHERE model_id = ?", [model_id], db_path=db)
    assert rows.height == 1
    row = rows.row(0, named=True)
    assert row["open_weights"]
    for column in ("total_params_b", "num_layers", "kv_layers", "hidden_size", "num_attention_heads",
                   "num_kv_heads", "head_dim", "vocab_size", "context_tokens", "attention_kind",
                   "licence", "source_id", "observed_on"):
        assert row[column] is not None, column


def test_frontier_models_and_their_api_prices(db: Path) -> None:
    for model_id in FRONTIER:
        prices = api_prices(model=model_id, db_path=db)
        assert prices.height >= 1, model_id
        assert (prices["input_usd_per_mtok"] > 0).all()


@pytest.mark.parametrize("gpu_id", DESIGN_GPU_IDS)
def test_design_gpus_present(db: Path, gpu_id: str) -> None:
    row = store.query("SELECT * FROM gpus WHERE gpu_id = ?", [gpu_id], db_path=db)
    assert row.height == 1
    assert row["memory_gib"][0] > 0 and row["memory_bandwidth_gb_per_s"][0] > 0


@pytest.mark.parametrize("gpu_id", PRICE_GPUS)
def test_each_required_gpu_has_a_price(db: Path, gpu_id: str) -> None:
    assert gpu_prices(gpu=gpu_id, db_path=db).height >= 1


def test_gpu_prices_cover_every_pricing_mode(db: Path) -> None:
    modes = set(store.query("SELECT DISTINCT pricing_mode FROM gpu_prices", db_path=db)["pricing_mode"])
    assert {"on-demand", "spot", "reserved-1y", "serverless"} <= modes


def test_published_spec_figures(db: Path) -> None:
    """Datasheet figures (dense, not sparsity) within 1%: H100 SXM 3.35 TB/s, 989 BF16 TFLOPS."""
    h100 = store.query("SELECT * FROM gpus WHERE gpu_id = 'h100-sxm'", db_path=db).row(0, named=True)
    assert h100["memory_bandwidth_gb_per_s"] == pytest.approx(3350, rel=0.01)
    assert h100["bf16_dense_tflops"] == pytest.approx(989, rel=0.01)
    assert h100["fp8_dense_tflops"] == pytest.approx(2 * h100["bf16_dense_tflops"], rel=0.01)
    a100 = store.query("SELECT fp8_dense_tflops FROM gpus WHERE gpu_id = 'a100-80gb'", db_path=db)
    assert a100["fp8_dense_tflops"][0] is None  # Ampere has no FP8


def test_seed_model_facts(db: Path) -> None:
    """The seed's Mixtral figures (46.7B total, 12.9B active) and the R1-distill AIME table."""
    mixtral = store.query("SELECT * FROM models WHERE model_id = 'mixtral-8x7b'", db_path=db).row(0, named=True)
    assert mixtral["total_params_b"] == pytest.approx(46.7, abs=0.05)
    assert mixtral["active_params_b"] == pytest.approx(12.9, abs=0.05)
    aime = store.query(
        "SELECT model_id, score_pct FROM benchmark_scores WHERE benchmark = 'aime-2024'", db_path=db
    )
    scores = dict(zip(aime["model_id"], aime["score_pct"]))
    assert scores["deepseek-r1-distill-qwen-7b"] == 55.5
    assert scores["deepseek-r1-distill-qwen-14b"] == 69.7
    assert scores["deepseek-r1-distill-qwen-32b"] == 72.6
    assert scores["deepseek-r1-distill-llama-70b"] == 70.0
    assert scores["deepseek-r1-distill-qwen-7b"] > scores["gpt-4o"]


def test_build_is_idempotent(tmp_path: Path, built_db: Path) -> None:
    again = tmp_path / "again.duckdb"
    store.build(again, DATA)
    store.build(again, DATA)  # the same input loaded twice over the same path
    a = duckdb.connect(str(built_db), read_only=True)
    b = duckdb.connect(str(again), read_only=True)
    try:
        for table in store.table_order():
            fa = a.sql(f"SELECT * FROM {table}").pl()
            fb = b.sql(f"SELECT * FROM {table}").pl()
            assert fa.sort(fa.columns).equals(fb.sort(fb.columns)), table
    finally:
        a.close()
        b.close()


def test_failure_injected_mid_build_leaves_old_store_byte_identical(old_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = sha256(old_store)

    def explode(table: str) -> None:
        if table == "gpu_prices":
            raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(store, "_BUILD_HOOKS", [explode])
    with pytest.raises(RuntimeError, match="injected"):
        store.build(old_store, DATA)
    assert sha256(old_store) == before
    assert sorted(p.name for p in old_store.parent.iterdir()) == [old_store.name]


def test_missing_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        store.build(tmp_path / "db.duckdb", tmp_path / "nowhere")


def test_gpu_prices_as_of(db: Path) -> None:
    old = gpu_prices("2025-12-31", db_path=db)
    assert old.height > 0
    assert old["observed_on"].max() <= dt.date(2025, 12, 31)
    now = gpu_prices("2026-11-28", db_path=db)
    # runpod H100 SXM community cloud: $1.99 in the 2025 archive; $2.69 observed 2026-09-25
    runpod_2026 = now.filter((pl.col("provider") == "runpod") & (pl.col("gpu_id") == "h100-sxm")
                             & (pl.col("instance_type") == "H100 SXM, Community Cloud"))
    assert runpod_2026["usd_per_gpu_hour"].to_list() == [2.69]
    assert gpu_prices("2020-01-01", db_path=db).height == 0


def test_gpu_prices_latest_observation_wins(tmp_path: Path, data_copy: Path) -> None:
    path = data_copy / "gpu_prices.csv"
    text = path.read_text()
    row = "lambda,h100-sxm,on-demand,any,1,1x H100 SXM,{price},lambda-pricing-2026-09,{day},test row\n"
    path.write_text(text + row.format(price=3.50, day="2026-10-01") + row.format(price=2.50, day="2026-11-01"))
    db = tmp_path / "hist.duckdb"
    store.build(db, data_copy)
    pick = lambda day: gpu_prices(day, gpu="h100-sxm", provider="lambda", db_path=db).filter(  # noqa: E731
        (pl.col("instance_type") == "1x H100 SXM") & (pl.col("region") == "any"))["usd_per_gpu_hour"].to_list()
    assert pick("2026-09-30") == [4.29]
    assert pick("2026-10-15") == [3.50]
    assert pick("2026-11-15") == [2.50]


def test_api_prices_as_of_follow_dated_history(db: Path) -> None:
    launch = api_prices("2025-03-01", provider_model_id="deepseek-reasoner", db_path=db)
    # the launch list: standard price by day, the night discount (UTC 16:30-00:30) cancelled on 2025-09-05
    assert launch.select("time_window_utc", "input_usd_per_mtok", "output_usd_per_mtok").rows() == [
        ("00:30-16:30", 0.55, 2.19), ("16:30-00:30", 0.135, 0.55)]
    v31 = api_prices("2025-09-10", provider_model_id="deepseek-reasoner", db_path=db)
    assert v31.select("time_window_utc", "input_usd_per_mtok", "output_usd_per_mtok").rows() == [("all-day", 0.56, 1.68)]
    # DeepSeek-V3.2-Exp's cut of 2025-09-29, from DeepSeek's own pricing page (issue 11's done-when)
    cut = api_prices("2025-12-01", provider_model_id="deepseek-reasoner", db_path=db)
    assert cut.select("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok").rows() == [(0.28, 0.42, 0.028)]
    assert cut["source_id"].to_list() == ["deepseek-pricing-v3.2"] and cut["dated"].to_list() == [True]
    # the ids were switched off on 2026-07-24: no price in force after, and the package's undated rows do not revive them
    assert api_prices("2026-12-01", provider_model_id="deepseek-reasoner", db_path=db).height == 0
    o1 = api_prices("2025-03-01", provider="openai", provider_model_id="o1", db_path=db)
    assert o1.select("input_usd_per_mtok", "output_usd_per_mtok").rows() == [(15.0, 60.0)]
    # "R1 96% cheaper than o1" at R1's launch list prices: 1 - 2.19/60 = 96.35%
    assert 1 - 2.19 / 60 == pytest.approx(0.9635, abs=1e-4)
    assert api_prices("2024-01-01", provider="openai", provider_model_id="o1", db_path=db).height == 0


def test_undated_package_rows_are_labelled_and_never_a_price_change(db: Path) -> None:
    """genai-prices rows without a start date apply at any date to endpoints with no dated record, labelled undated,
    and never enter the price history (issue 11: R1 drawn rising back to $2.19 in Nov 2026)."""
    gpt5 = api_prices("2026-12-01", provider="openai", provider_model_id="gpt-5", db_path=db)
    standard = gpt5.filter(pl.col("service_tier") == "standard")
    assert standard["dated"].to_list() == [False] and standard["effective_from"].to_list() == [None]
    early = api_prices("2026-01-01", provider="openai", provider_model_id="gpt-5", db_path=db)
    assert early["service_tier"].to_list() == ["standard"] and early["dated"].to_list() == [False]
    history = prices.api_price_history(provider="deepseek", provider_model_id="deepseek-reasoner", db_path=db)
    assert history["price_start"].is_sorted() and history["price_start"].min() >= dt.date(2025, 9, 5)
    assert "genai-prices-0.2.3" not in history["source_id"].to_list()
    assert prices.api_price_history(provider="openai", provider_model_id="gpt-5", db_path=db).height == 0


def test_genai_price_variants_are_service_tiers_from_their_start(db: Path) -> None:
    """genai-prices 0.2.3 ships batch, flex and priority variants of gpt-5 from October 2026 (partial overrides)."""
    today = api_prices("2026-12-01", provider="openai", provider_model_id="gpt-5", db_path=db)
    by_tier = {r["service_tier"]: (r["input_usd_per_mtok"], r["output_usd_per_mtok"]) for r in today.iter_rows(named=True)}
    assert by_tier == {"standard": (1.25, 10.0), "batch": (0.625, 5.0), "flex": (0.625, 5.0), "priority": (2.5, 20.0)}
    before = api_prices("2026-10-01", provider="openai", provider_model_id="gpt-5", db_path=db)
    assert before["service_tier"].to_list() == ["standard"]  # the variants start on 2026-10-12 / 10-14


def test_api_prices_genai_dated_periods(db: Path) -> None:
    """A genai-prices price with a later dated change applies before the change, not after."""
    dated = store.query(
        "SELECT provider, provider_model_id, min(effective_from) AS first_change FROM api_prices "
        "WHERE source_id = 'genai-prices-0.2.3' AND price_period = 1 AND effective_from < DATE '2026-11-28' "
        "AND context_tier_start_tokens = 0 AND time_window_utc = 'all-day' AND service_tier = 'standard' "
        "GROUP BY ALL ORDER BY ALL LIMIT 1",
        db_path=db,
    ).row(0, named=True)
    day_before = dated["first_change"] - dt.timedelta(days=1)
    kw = dict(provider=dated["provider"], provider_model_id=dated["provider_model_id"], db_path=db)
    standard = (pl.col("context_tier_start_tokens") == 0) & (pl.col("service_tier") == "standard")
    before = api_prices(day_before, **kw).filter(standard)
    after = api_prices(dated["first_change"], **kw).filter(standard)
    assert before["price_period"].to_list() == [0]
    assert after["price_period"].to_list() == [1]


def test_bad_as_of_is_a_clear_error(db: Path) -> None:
    with pytest.raises(DataError, match="not an ISO date"):
        gpu_prices("last tuesday", db_path=db)


def test_store_opens_in_plain_duckdb(built_db: Path) -> None:
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM models WHERE open_weights").fetchall()[0][0]
        assert n >= 30
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'gpu_prices' AND column_name = 'usd_per_gpu_hour'"
        ).fetchall()[0][0]
        assert "USD/h" in comment
    finally:
        con.close()


def test_data_dictionary_is_current() -> None:
    committed = (REPO / "data" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert committed == render(), "run `make dictionary` and commit data/DATA_DICTIONARY.md"


def test_every_table_has_a_csv_and_every_csv_a_table() -> None:
    tables = set(store.table_order()) - {"build_info"}
    csvs = {p.stem for p in DATA.glob("*.csv")}
    assert csvs == tables


def test_wheel_ships_every_csv() -> None:
    text = (REPO / "pyproject.toml").read_text()
    for csv_file in DATA.glob("*.csv"):
        assert f'"data/{csv_file.name}" = "costmodel/_data/{csv_file.name}"' in text, csv_file.name
