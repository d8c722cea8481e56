"""The horizon (issue 13): monthly cash flows over 12-120 months, checked against hand computation."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest

from costmodel import CostmodelError
from costmodel.models import cost
from costmodel.catalog.prices import yearly_change_in_force
from costmodel.outputs.cli import main
from costmodel.scenarios.horizon import (
    Trends,
    break_even_month,
    fitted_api_trend,
    buy_cash_flows,
    horizon,
    present_value_factor,
    reserved_cash_flows,
    volumes,
)
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, crossover

W = Workload(tokens_per_month=3e9)
API = ApiOption.parse("openai/gpt-4o")
OPTION = SelfHostOption(model="llama-3.1-70b", gpu="h100-sxm")
OWNERSHIP = dict(purchase_usd_per_gpu=30_000.0, server_overhead_share=0.35, residual_value_share=0.3, depreciation_years=4.0,
                 power_kw_per_gpu=1.2, pue_ratio=1.5, power_usd_per_kwh=0.1, colocation_usd_per_kw_month=200.0)


@pytest.mark.parametrize("months", [12, 30, 48, 60])
def test_flat_horizon_is_months_times_the_monthly_cost(db: Path, months: int) -> None:
    """No trend, no growth, zero discount: every strategy costs exactly months x crossover's monthly cost; buying too,
    because the fleet still held at the end is credited at its straight-line book value (and at 60 months the first
    fleet is sold at its residual value when the second is bought)."""
    result = horizon(W, OPTION, API, Trends(months=months, api_price_change_per_year=0.0))
    for row in result.summary.iter_rows(named=True):
        if row["strategy"] == "api":
            monthly = crossover(W, OPTION, API).api_usd_per_month
        else:
            monthly = crossover(W, SelfHostOption(model="llama-3.1-70b", gpu="h100-sxm", pricing_mode=row["strategy"]),
                                API).self_host_usd_per_month
        assert row["total_usd"] == pytest.approx(months * monthly, rel=1e-12), row
        assert row["npv_usd"] == pytest.approx(row["total_usd"], rel=1e-12)
    assert set(result.summary["strategy"]) == {"on-demand", "spot", "reserved-1y", "reserved-3y", "buy", "api"}


def test_a_positive_discount_rate_lowers_both_present_values(db: Path) -> None:
    flat = horizon(W, OPTION, API, Trends(months=36, api_price_change_per_year=0.0)).to_dict()
    dear = horizon(W, OPTION, API, Trends(months=36, api_price_change_per_year=0.0, discount_rate_per_year=0.1)).to_dict()
    assert dear["self_host_npv_usd"] < flat["self_host_npv_usd"] and dear["api_npv_usd"] < flat["api_npv_usd"]
    # by hand: a constant monthly bill c is worth c x sum (1.1)^(-m/12)
    monthly = crossover(W, OPTION, API).api_usd_per_month
    assert dear["api_npv_usd"] == pytest.approx(monthly * sum(1.1 ** (-m / 12) for m in range(1, 37)), rel=1e-12)
    assert present_value_factor(0.1, 12) == pytest.approx(1 / 1.1)


def test_a_falling_api_price_moves_the_break_even_month_later(db: Path) -> None:
    buy = SelfHostOption(model="llama-3.1-70b", gpu="h100-sxm", pricing_mode="buy")
    flat = horizon(W, buy, API, Trends(months=60, api_price_change_per_year=0.0), strategies=("buy",)).to_dict()
    falling = horizon(W, buy, API, Trends(months=60, api_price_change_per_year=-0.3), strategies=("buy",)).to_dict()
    assert flat["break_even_month"] is not None and flat["break_even_month"] > 1  # the purchase has to pay back first
    assert falling["break_even_month"] is None or falling["break_even_month"] > flat["break_even_month"]
    assert falling["api_npv_usd"] < flat["api_npv_usd"]


def test_reservations_commit_the_busiest_month_of_each_term() -> None:
    vols = volumes(1e9, 0.1, 18)  # growing 10% a month
    kw = dict(capacity_tokens_per_s=1000.0, gpus_per_replica=2, usd_per_gpu_hour=2.0, peak_to_mean=2.0, utilisation=0.5,
              min_replicas=1, ops_usd_per_month=100.0, gpu_price_change_per_year=0.0)
    months, after = reserved_cash_flows(vols, term_months=12, **kw)
    first = max(cost.replicas_needed(v, 1000.0, 2.0, 0.5, 1) for v in vols[:12])
    second = max(cost.replicas_needed(v, 1000.0, 2.0, 0.5, 1) for v in vols[12:])
    assert [m["replicas"] for m in months] == [first] * 12 + [second] * 6
    assert months[0]["usd"] == pytest.approx(first * 2 * 2.0 * 730 + 100.0)
    assert after == pytest.approx(6 * second * 2 * 2.0 * 730)  # the 6 committed months after the horizon


def test_buying_pays_capex_up_front_and_credits_the_book_value() -> None:
    vols = [1e9] * 24
    kw = dict(capacity_tokens_per_s=1000.0, gpus_per_replica=1, peak_to_mean=2.0, utilisation=0.5, min_replicas=1,
              ops_usd_per_month=0.0, gpu_price_change_per_year=0.0)
    months = buy_cash_flows(vols, ownership=OWNERSHIP, **kw)
    replicas = cost.replicas_needed(1e9, 1000.0, 2.0, 0.5, 1)
    capex = replicas * 30_000.0 * 1.35
    running = replicas * 1.2 * 200.0 + 1.2 * 1.5 * 0.1 / (3600 * 1000.0) * 1e9
    assert months[0]["usd"] == pytest.approx(capex + running)
    assert months[1]["usd"] == pytest.approx(running)
    book = capex * (1 - 0.7 * 24 / 48)
    assert months[-1]["usd"] == pytest.approx(running - book)


def test_break_even_month_is_when_cumulative_cost_stays_below() -> None:
    assert break_even_month([100, 10, 10, 10], [40, 40, 40, 40]) == 3
    assert break_even_month([10, 100, 40], [40, 40, 40]) is None  # below in month 1, above from month 2 on
    assert break_even_month([10, 100, 10], [40, 40, 40]) == 3  # level again in month 3 (120 = 120)
    assert break_even_month([100, 100], [40, 40]) is None


def test_the_api_trend_is_fitted_to_the_price_in_force(db: Path) -> None:
    """gpt-4o: $15 output from 2024-05-13, $10 since 2024-10-01 and still in force; the trend runs to the as-of date."""
    history = pl.DataFrame({"price_start": [dt.date(2024, 5, 13), dt.date(2024, 10, 1)], "effective_until": [dt.date(2024, 10, 1), None],
                            "output_usd_per_mtok": [15.0, 10.0]})
    change, until = yearly_change_in_force(history, dt.date(2026, 12, 1))
    days = (dt.date(2026, 12, 1) - dt.date(2024, 5, 13)).days
    assert until == dt.date(2026, 12, 1) and change == pytest.approx((10 / 15) ** (365.25 / days) - 1)
    short = history.with_columns(price_start=pl.Series([dt.date(2026, 10, 1), dt.date(2026, 11, 1)]))
    assert yearly_change_in_force(short, dt.date(2026, 12, 1)) == (None, None)  # under 180 days: not fitted
    result = horizon(W, OPTION, API, Trends(months=12), strategies=("on-demand",), as_of="2026-12-01")
    assert result.api_price_change_per_year < 0 and result.api_trend_source.startswith("fitted: openai/gpt-4o")


@pytest.mark.parametrize(("trends", "message"), [
    (dict(months=0), "months must be a whole number from 1 to 120, got 0"),
    (dict(months=121), "from 1 to 120, got 121"),
    (dict(discount_rate_per_year=1.0), "discount_rate_per_year must be a number in (-0.5, 1)"),
    (dict(discount_rate_per_year=-0.5), "discount_rate_per_year must be a number in (-0.5, 1)"),
    (dict(api_price_change_per_year=-1.0), "api_price_change_per_year must be a number in above -1"),
    (dict(volume_growth_per_month=float("nan")), "volume_growth_per_month must be a number"),
])
def test_bad_trends_are_one_clear_sentence(trends: dict, message: str) -> None:
    with pytest.raises(CostmodelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Trends(**trends)


def test_overflowing_growth_is_refused() -> None:
    with pytest.raises(CostmodelError, match="volume_growth_per_month 5.0 over 120 months takes"):
        volumes(3e9, 5.0, 120)


def test_horizon_cli_json_and_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["horizon", "--model", "llama-3.1-70b", "--gpu", "h100", "--api", "openai/gpt-4o", "--tokens-per-month", "3e9",
            "--months", "24", "--api-price-change-per-year", "-0.2", "--volume-growth-per-month", "0.02"]
    assert main([*base, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"self_host_npv_usd", "api_npv_usd", "break_even_month", "monthly"} <= set(out)
    assert len(out["monthly"]) == 24 * len(out["strategies"]) and out["api_price_change_per_year"] == -0.2
    assert main(base) == 0
    text = capsys.readouterr().out
    assert "Present value [USD]" in text and "over 24 months" in text and "e+" not in text
    assert main([*base[:-4], "--months", "0"]) == 1 and "months must be a whole number" in capsys.readouterr().err


def test_one_price_trend_in_the_horizon_the_cli_and_the_price_history_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-4o $15 -> $10 on 2024-10-01, still in force: annualised over the 141 days between the cuts it would be -65% a
    year (what `prices history` printed before); to the price in force today, as the horizon projects, far less."""
    from costmodel.catalog import prices

    fitted, _ = fitted_api_trend(ApiOption.parse("openai/gpt-4o"))
    history = prices.api_price_history(model="gpt-4o")
    assert prices.endpoint_trends(history)[("openai", "gpt-4o")] == pytest.approx(fitted)
    assert prices.api_output_trend(history) == pytest.approx(fitted)  # one endpoint: its own trend
    assert main(["prices", "history", "--model", "gpt-4o"]) == 0
    printed = re.search(r"openai/gpt-4o: output price ([+-]\d+)% a year", capsys.readouterr().out)
    assert printed and int(printed.group(1)) == round(fitted * 100)
    between_cuts = (10 / 15) ** (365.25 / (dt.date(2024, 10, 1) - dt.date(2024, 5, 13)).days) - 1
    assert between_cuts < -0.6 and fitted > between_cuts / 2
