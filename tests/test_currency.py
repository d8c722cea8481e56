"""Currencies (issue 13): sourced monthly rates, the rate in force on each date, and every amount converted with it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from costmodel import CostmodelError, formatting, store
from costmodel.catalog import currency
from costmodel.outputs.cli import main


def stored(code: str, month: str) -> float:
    return store.query("SELECT units_per_usd FROM exchange_rates WHERE currency = ? AND month = ?", [code, month])["units_per_usd"][0]


def test_the_rate_in_force_is_its_months_or_the_newest_before(db: Path) -> None:
    r = currency.rate("eur", "2025-03-17")
    assert r.currency == "EUR" and r.month == dt.date(2025, 3, 1) and r.units_per_usd == stored("EUR", "2025-03-01")
    assert r.source_id == "fed-h10-monthly" and r.rate_kind == "monthly-average" and "CAVEAT" not in r.describe()
    newest = store.query("SELECT max(month) AS m FROM exchange_rates WHERE currency = 'EUR'")["m"][0]
    later = currency.rate("EUR", newest + dt.timedelta(days=150))
    assert later.month == newest and later.age_days == 150 and "CAVEAT: the newest rate in the store is from" in later.describe()
    assert currency.rate("USD", "2020-01-01").units_per_usd == 1.0
    with pytest.raises(CostmodelError, match=r"no JPY rate on or before 2023-12-31: the store's JPY rates run from 2024-01"):
        currency.rate("JPY", "2023-12-31")
    with pytest.raises(CostmodelError, match="currency 'XYZ' has no exchange rate in the store; accepted: USD, "):
        currency.rate("XYZ")
    assert {"EUR", "GBP", "JPY", "CNY", "INR", "CAD", "CHF"} <= set(currency.currencies())


def test_rates_are_plausible_central_bank_figures(db: Path) -> None:
    """Magnitudes a reader can check: a euro near 0.85-0.97 per dollar, a yen 140-162, a rupee 82-96 in 2024-2026."""
    frame = store.table("exchange_rates")
    for code, low, high in (("EUR", 0.84, 0.97), ("JPY", 139, 162), ("INR", 82, 96), ("GBP", 0.72, 0.83), ("CHF", 0.76, 0.93)):
        values = frame.filter(pl.col("currency") == code)["units_per_usd"]
        assert values.len() >= 24 and low <= values.min() and values.max() <= high, (code, values.min(), values.max())


def test_records_and_frames_convert_and_say_the_currency(db: Path) -> None:
    r = currency.rate("EUR", "2025-03-01")
    out = currency.convert_record({"usd_per_month": 100.0, "replicas": 2, "nested": {"api_usd_per_mtok": 4.0},
                                   "output_tokens_per_s_band": [1.0, 2.0], "usd_band": [10.0, None]}, r)
    assert out == {"eur_per_month": 100.0 * r.units_per_usd, "replicas": 2, "nested": {"api_eur_per_mtok": 4.0 * r.units_per_usd},
                   "output_tokens_per_s_band": [1.0, 2.0], "eur_band": [10.0 * r.units_per_usd, None]}
    history = pl.DataFrame({"observed_on": [dt.date(2024, 2, 10), dt.date(2025, 11, 30)], "usd_per_gpu_hour": [2.0, 3.0]})
    converted = currency.convert_frame(history, "GBP", date_column="observed_on")
    assert converted["eur_per_gpu_hour" if False else "gbp_per_gpu_hour"].to_list() == pytest.approx(
        [2.0 * stored("GBP", "2024-02-01"), 3.0 * stored("GBP", "2025-11-01")])
    assert converted["fx_month"].to_list() == [dt.date(2024, 2, 1), dt.date(2025, 11, 1)]
    with pytest.raises(CostmodelError, match="no GBP rate for 2023-05-01"):
        currency.convert_frame(history.with_columns(observed_on=pl.lit(dt.date(2023, 5, 1))), "GBP", date_column="observed_on")


def test_people_read_the_currency_and_its_symbol() -> None:
    with formatting.in_currency("EUR", 0.9):
        assert formatting.money(1000.0) == "€900" and formatting.label("usd_per_month") == "Monthly cost [EUR]"
        assert formatting.cell("usd_per_mtok", 2.0) == "€1.80"
    assert formatting.money(1000.0) == "$1,000"  # the context ends
    assert formatting.label("gbp_per_gpu_hour") == "GPU price [GBP/GPU-hour]" and formatting.cell("gbp_per_gpu_hour", 2.5) == "£2.50"
    assert formatting.excel_format("jpy_per_month", pl.Float64) == '"¥"#,##0'


def test_cli_currency_converts_and_names_the_rate(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["crossover", "--model", "llama-3.1-70b", "--gpu", "h100", "--api", "openai/gpt-4o", "--tokens-per-month", "3e9",
            "--as-of", "2026-03-15"]
    assert main([*base, "--json"]) == 0
    usd = json.loads(capsys.readouterr().out)
    assert main([*base, "--currency", "EUR", "--json"]) == 0
    eur = json.loads(capsys.readouterr().out)
    rate = stored("EUR", "2026-03-01")
    assert eur["self_host_eur_per_month"] == pytest.approx(usd["self_host_usd_per_month"] * rate)
    assert eur["api_eur_per_month"] == pytest.approx(usd["api_usd_per_month"] * rate)
    assert eur["currency"]["units_per_usd"] == rate and eur["currency"]["source_id"] == "fed-h10-monthly"
    assert "self_host_usd_per_month" not in eur and eur["break_even_tokens_per_month"] == usd["break_even_tokens_per_month"]
    assert main([*base, "--currency", "EUR"]) == 0
    text = capsys.readouterr().out
    assert "€" in text and "$" not in text.split("Amounts in EUR")[0]
    assert f"Amounts in EUR: converted at {rate:,.4f} EUR per USD, the monthly average of 2026-03 (fed-h10-monthly)" in text
    assert main([*base, "--currency", "XYZ"]) == 1 and "accepted: USD" in capsys.readouterr().err


def test_price_history_converts_each_observation_at_its_months_rate(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "--gpu", "h100", "--all", "--json"]) == 0
    usd = pl.DataFrame(json.loads(capsys.readouterr().out))
    assert main(["prices", "--gpu", "h100", "--all", "--currency", "JPY", "--json"]) == 0
    jpy = pl.DataFrame(json.loads(capsys.readouterr().out))
    months = jpy["fx_month"].unique()
    assert months.len() > 1  # several months, several rates
    for u, j in zip(usd.head(40).iter_rows(named=True), jpy.head(40).iter_rows(named=True)):
        month = dt.date.fromisoformat(u["observed_on"]).replace(day=1)
        expected = stored("JPY", str(min(month, dt.date(2026, 6, 1))))
        assert j["jpy_per_gpu_hour"] == pytest.approx(u["usd_per_gpu_hour"] * expected)


def test_a_price_file_may_carry_its_own_currency(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A contract in euros: the row's prices are converted at the rate of its month, and the note says which rate."""
    import shutil

    from costmodel.store import paths as _paths
    from costmodel.catalog.importers import import_prices_csv

    private = tmp_path / "store.duckdb"
    shutil.copy(db, private)
    monkeypatch.setenv(_paths.ENV_DB, str(private))
    monkeypatch.setenv(_paths.ENV_IMPORTS_DIR, str(tmp_path / "imports"))
    path = tmp_path / "contract.csv"
    path.write_text("kind,provider,item,pricing_mode,usd_per_gpu_hour,input_usd_per_mtok,output_usd_per_mtok,"
                    "cached_input_usd_per_mtok,observed_on,note,currency\n"
                    "gpu,euro-cloud,H100,on-demand,2.00,,,,2025-03-10,framework agreement,EUR\n"
                    "api,openai,gpt-4o,,,2.0,8.0,,2025-03-10,,eur\n")
    import_prices_csv(path, db_path=private)
    rate = stored("EUR", "2025-03-01")
    row = store.query("SELECT usd_per_gpu_hour, note FROM gpu_prices WHERE provider = 'euro-cloud'", db_path=private).row(0, named=True)
    assert row["usd_per_gpu_hour"] == pytest.approx(2.0 / rate)
    assert f"converted from EUR at {rate:,.4f} EUR per USD (monthly-average of 2025-03, fed-h10-monthly)" in row["note"]
    api = store.query("SELECT output_usd_per_mtok FROM api_prices WHERE provider = 'openai' AND starts_with(source_id, 'user-prices')",
                      db_path=private)
    assert api["output_usd_per_mtok"][0] == pytest.approx(8.0 / rate)
    bad = tmp_path / "bad.csv"
    bad.write_text(path.read_text().replace("2025-03-10,framework agreement,EUR", "2025-03-10,framework agreement,XYZ"))
    with pytest.raises(CostmodelError, match=r"bad.csv, line 2, field currency: currency 'XYZ' has no exchange rate"):
        import_prices_csv(bad, db_path=private)
    store.release(private)
