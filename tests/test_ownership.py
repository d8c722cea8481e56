"""Ownership inputs a user can set: named profiles and single overrides, in Python, the CLI and report parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costmodel import CostmodelError
from costmodel.models import cost
from costmodel.outputs.cli import main
from costmodel.outputs.reports import check_parameters
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, crossover, ownership_inputs, resolve_self_host

W = Workload(tokens_per_month=1e8)


def test_home_profile_has_no_colocation_no_team_and_pue_one(db: Path) -> None:
    inputs = ownership_inputs("home")
    assert (inputs["pue_ratio"], inputs["colocation_usd_per_kw_month"], inputs["ops_usd_per_month"]) == (1.0, 0.0, 0.0)
    base = ownership_inputs()
    assert base["colocation_usd_per_kw_month"] > 0 and base["ops_usd_per_month"] > 0
    sh = resolve_self_host(SelfHostOption(model="llama-3.1-8b", gpu="rtx-4090", pricing_mode="buy", ownership_profile="home"), W)
    o = sh.ownership
    # one card: straight-line depreciation of the street price to its residual value; energy only while busy
    depreciation = o["purchase_usd_per_gpu"] * (1 - o["residual_value_share"]) / (o["depreciation_years"] * 12)
    assert cost.own_usd_per_month(1, load=0.0, **o) == pytest.approx(depreciation)
    assert sh.ops_usd_per_month == 0 and "home ownership profile" in sh.price_source


def test_single_overrides_replace_the_store_values(db: Path) -> None:
    option = SelfHostOption(model="llama-3.1-8b", gpu="rtx-4090", pricing_mode="buy", ownership_profile="home",
                            purchase_usd_per_gpu=1200, power_usd_per_kwh=0.31, pue_ratio=1.05, colocation_usd_per_kw_month=10,
                            depreciation_years=3, residual_value_share=0.2)
    o = resolve_self_host(option, W).ownership
    assert (o["purchase_usd_per_gpu"], o["power_usd_per_kwh"], o["pue_ratio"], o["colocation_usd_per_kw_month"],
            o["depreciation_years"], o["residual_value_share"]) == (1200, 0.31, 1.05, 10, 3, 0.2)
    # by hand: 1,200 x 0.8 / 36 depreciation + 0.45 kW x 10 colocation, at no load
    assert cost.own_usd_per_month(1, load=0.0, **o) == pytest.approx(1200 * 0.8 / 36 + 0.45 * 10)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("pue_ratio", 0.5, "pue_ratio must be a number from 1 to 3 [ratio], got 0.5"),
    ("power_usd_per_kwh", -0.1, "power_usd_per_kwh must be a number from 0 to 2 [USD/kWh]"),
    ("residual_value_share", 1.5, "residual_value_share must be a number from 0 to 0.95"),
    ("depreciation_years", float("nan"), "depreciation_years must be a number from 0.5 to 15"),
    ("purchase_usd_per_gpu", 1e308, "purchase_usd_per_gpu must be a number from 50 to 2,000,000"),
    ("ownership_profile", "castle", "ownership_profile 'castle' is not one of datacenter, colocation, office, home"),
])
def test_out_of_range_ownership_is_one_clear_error(field: str, value: object, words: str) -> None:
    with pytest.raises(CostmodelError) as info:
        SelfHostOption(model="llama-3.1-8b", gpu="rtx-4090", pricing_mode="buy", **{field: value})
    assert words in str(info.value)


def test_cli_flags_reach_the_answer(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["crossover", "--model", "llama-3.1-8b", "--gpu", "rtx-4090", "--pricing-mode", "buy", "--api", "openai/gpt-4o-mini",
            "--tokens-per-month", "1e8", "--ownership-profile", "home", "--power-usd-per-kwh", "0.31", "--pue", "1.1",
            "--purchase-usd-per-gpu", "1200", "--depreciation-years", "3", "--residual-value-share", "0.2",
            "--colocation-usd-per-kw-month", "0", "--json"]
    assert main(args) == 0
    a = json.loads(capsys.readouterr().out)["assumptions"]
    assert a["ownership"]["power_usd_per_kwh"] == 0.31 and a["ownership"]["pue_ratio"] == 1.1
    assert a["ownership"]["purchase_usd_per_gpu"] == 1200 and a["ops_usd_per_month"] == 0
    assert main(args[:-1] + ["--pue", "9"]) == 1
    assert "pue_ratio must be a number from 1 to 3" in capsys.readouterr().err


def test_report_parameters_are_range_checked_before_a_kernel_starts(db: Path) -> None:
    checked = check_parameters("crossover", {"ownership_profile": "home", "pue_ratio": "1.3", "purchase_usd_per_gpu": -1})
    assert checked == {"ownership_profile": "home", "pue_ratio": 1.3, "purchase_usd_per_gpu": -1.0}
    with pytest.raises(CostmodelError, match="report crossover: parameter pue_ratio: pue_ratio must be a number from 1 to 3"):
        check_parameters("crossover", {"pue_ratio": 7})
    with pytest.raises(CostmodelError, match="parameter ownership_profile: ownership_profile 'castle' is not one of"):
        check_parameters("crossover", {"ownership_profile": "castle"})


def test_a_home_card_is_not_costed_like_a_colocated_server(db: Path) -> None:
    """Issue 11: a home RTX 4090 was costed with $200/kW/month colocation and a $1,500/month team."""
    api = ApiOption.parse("openai/gpt-4o-mini")
    home = crossover(W, SelfHostOption(model="llama-3.1-8b", gpu="rtx-4090", pricing_mode="buy", ownership_profile="home"), api)
    default = crossover(W, SelfHostOption(model="llama-3.1-8b", gpu="rtx-4090", pricing_mode="buy"), api)
    assert default.self_host_usd_per_month - home.self_host_usd_per_month >= 1500  # the team alone
