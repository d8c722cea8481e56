"""Costs and break-even: hand-computed cases, properties, the vectorised sweep, sensitivity, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel import CostmodelError, UnknownIdError
from costmodel.models import cost
from costmodel.outputs.cli import main
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, compare, crossover, resolve_api
from costmodel.scenarios.sweep import SCENARIO_COLUMNS, evaluate, evaluate_loop, monte_carlo, sweep, tornado

from .conftest import REPO

# The hand-computed case: $2/GPU-hour, one GPU, 1,000 output tokens/s, input share 0.5,
# API $1/M in and out, no operations cost, peak-to-mean 1, utilisation 1.
HAND = dict(mode="on-demand", capacity_tokens_per_s=cost.capacity_tokens_per_s(1000, 0.5), gpus_per_replica=1,
            usd_per_gpu_hour=2.0, peak_to_mean=1.0, utilisation=1.0, min_replicas=1, ops_usd_per_month=0.0)
OWN = dict(purchase_usd_per_gpu=30_000, server_overhead_share=0.35, residual_value_share=0.3, depreciation_years=4,
           power_kw_per_gpu=1.275, pue_ratio=1.2, power_usd_per_kwh=0.08, colocation_usd_per_kw_month=200)


def test_hand_computed_break_even() -> None:
    # capacity 2,000 tokens/s = 5.256e9 tokens/month; $2 x 730 h = $1,460/month; at $1/M: 1.46e9 tokens
    assert HAND["capacity_tokens_per_s"] == 2000
    assert cost.break_even_tokens_per_month(1.0, **HAND) == pytest.approx(1.46e9)
    assert cost.self_host_usd_per_month(1.46e9, **HAND) == (pytest.approx(1460.0), 1)
    # at $0.10/M the API is cheaper than even a full replica ($1,460 / 5,256 M tokens = $0.278/M): never
    assert cost.break_even_tokens_per_month(0.10, **HAND) is None


def test_replicas_cover_the_peak() -> None:
    per_month_at_full = 2000 * cost.SECONDS_PER_MONTH  # 5.256e9
    assert cost.replicas_needed(per_month_at_full, 2000, 1.0, 1.0, 1) == 1
    assert cost.replicas_needed(per_month_at_full * 1.001, 2000, 1.0, 1.0, 1) == 2
    assert cost.replicas_needed(per_month_at_full, 2000, 2.0, 0.5, 1) == 4  # peak x2 at half utilisation
    assert cost.replicas_needed(1.0, 2000, 1.0, 1.0, 3) == 3  # the minimum holds at no load


def test_ownership_hand_computed() -> None:
    # depreciation 30,000 x 1.35 x 0.7 / 48 = 590.625; colocation 1.275 kW x $200 = 255; energy at 50% load
    energy = 1.275 * 0.5 * 1.2 * 730 * 0.08
    assert cost.own_usd_per_month(1, load=0.5, **OWN) == pytest.approx(590.625 + 255 + energy)
    fixed, per_token = cost.unit_costs("buy", capacity_tokens_per_s=2000, gpus_per_replica=1, usd_per_gpu_hour=None,
                                       utilisation=1.0, ownership=OWN)
    assert fixed == pytest.approx(590.625 + 255)
    # energy for a month at full load equals per-token energy x a full month of tokens
    assert per_token * 2000 * cost.SECONDS_PER_MONTH == pytest.approx(1.275 * 1.2 * 730 * 0.08)


def test_serverless_bills_busy_time_only() -> None:
    # 1e9 tokens at 2,000 tokens/s and utilisation 0.5 = 1e6 s busy = 277.8 h x 2 GPUs x $4
    assert cost.serverless_usd_per_month(1e9, 2000, 2, 4.0, 0.5) == pytest.approx(1e9 / 1000 / 3600 * 8)
    kw = dict(HAND, mode="serverless", usd_per_gpu_hour=4.0, ops_usd_per_month=100.0)
    be = cost.break_even_tokens_per_month(10.0, **kw)
    per_token = 4.0 / 3600 / 2000
    assert be == pytest.approx(100.0 / (10e-6 - per_token))


def test_api_blended_price() -> None:
    # 80% input of which half cached at $0.1, input $1, output $4, batch half off
    assert cost.api_usd_per_mtok(0.8, 0.5, 1.0, 4.0, 0.1) == pytest.approx(0.8 * (0.5 * 1 + 0.5 * 0.1) + 0.2 * 4)
    assert cost.api_usd_per_mtok(0.8, 0.5, 1.0, 4.0, None) == pytest.approx(0.8 + 0.8)  # no cached price: full input
    assert cost.api_usd_per_mtok(0.5, 0, 1, 1, batch_discount_share=0.5) == pytest.approx(0.5)


price = st.floats(0.01, 50)
settings_ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
scenario = st.fixed_dictionaries(dict(
    mode=st.sampled_from(["on-demand", "serverless", "buy"]), capacity_tokens_per_s=st.floats(10, 1e5),
    gpus_per_replica=st.sampled_from([1, 2, 4, 8]), usd_per_gpu_hour=st.floats(0.1, 20), peak_to_mean=st.floats(1, 6),
    utilisation=st.floats(0.05, 1), min_replicas=st.integers(0, 4), ops_usd_per_month=st.sampled_from([0.0, 1500.0, 20000.0]),
))


@settings_
@given(kw=scenario, volume=st.floats(1e3, 1e13), factor=st.floats(1.001, 10))
def test_cost_rises_with_volume_and_price(kw: dict, volume: float, factor: float) -> None:
    kw = dict(kw, ownership=OWN)
    c1, _ = cost.self_host_usd_per_month(volume, **kw)
    c2, _ = cost.self_host_usd_per_month(volume * factor, **kw)
    assert c2 >= c1 >= 0
    dearer = dict(kw, usd_per_gpu_hour=kw["usd_per_gpu_hour"] * factor,
                  ownership=dict(OWN, purchase_usd_per_gpu=OWN["purchase_usd_per_gpu"] * factor))
    assert cost.self_host_usd_per_month(volume, **dearer)[0] >= c1
    assert cost.api_usd_per_month(volume * factor, 1.0) > cost.api_usd_per_month(volume, 1.0) > 0


@settings_
@given(kw=scenario, api_price=price)
def test_costs_agree_at_break_even(kw: dict, api_price: float) -> None:
    kw = dict(kw, ownership=OWN)
    be = cost.break_even_tokens_per_month(api_price, **kw)
    if be is None:
        # never: at every volume tried, self-hosting costs more than the API
        for v in (1e6, 1e8, 1e10, 1e12, 1e14):
            assert cost.self_host_usd_per_month(v, **kw)[0] > cost.api_usd_per_month(v, api_price) * (1 - 1e-9)
        return
    self_cost = cost.self_host_usd_per_month(be, **kw)[0]
    api_cost = cost.api_usd_per_month(be, api_price)
    assert self_cost == pytest.approx(api_cost, rel=1e-6, abs=1e-6)
    if be > 1:  # just below the break-even the API is still cheaper
        below = be * (1 - 1e-6)
        assert cost.self_host_usd_per_month(below, **kw)[0] >= cost.api_usd_per_month(below, api_price) * (1 - 1e-6)


def test_sweep_expressions_match_scalar_functions() -> None:
    import random

    rng = random.Random(7)
    rows = []
    for _ in range(3000):
        serverless = rng.random() < 0.25
        rows.append({
            "tokens_per_month": 10 ** rng.uniform(5, 12), "capacity_tokens_per_s": rng.uniform(50, 20000),
            "fixed_usd_per_replica_month": 0.0 if serverless else rng.uniform(100, 40000),
            "variable_usd_per_token": rng.uniform(0, 2e-6) if serverless else rng.choice([0.0, rng.uniform(0, 1e-7)]),
            "serverless": serverless, "peak_to_mean": rng.uniform(1, 5), "utilisation": rng.uniform(0.1, 1),
            "min_replicas": rng.choice([0, 1, 3]), "ops_usd_per_month": rng.choice([0.0, 1500.0]),
            "api_usd_per_mtok": 10 ** rng.uniform(-2, 1.5),
        })
    vec = evaluate(pl.DataFrame(rows, schema=SCENARIO_COLUMNS)).to_dicts()
    loop = evaluate_loop(rows)
    for a, b in zip(vec, loop):
        for col in ("replicas", "self_host_usd_per_month", "api_usd_per_month", "break_even_tokens_per_month", "saving_multiple"):
            if b[col] is None:
                assert a[col] is None
            else:
                assert a[col] == pytest.approx(b[col], rel=1e-12, abs=1e-9)
    # and the loop's break-even is the scalar cost module's, for rent rows
    for r in loop[:200]:
        if r["serverless"] or r["variable_usd_per_token"]:
            continue
        cap = r["capacity_tokens_per_s"]
        hourly = r["fixed_usd_per_replica_month"] / cost.HOURS_PER_MONTH
        be = cost.break_even_tokens_per_month(r["api_usd_per_mtok"], mode="on-demand", capacity_tokens_per_s=cap,
                                              gpus_per_replica=1, usd_per_gpu_hour=hourly, peak_to_mean=r["peak_to_mean"],
                                              utilisation=r["utilisation"], min_replicas=r["min_replicas"],
                                              ops_usd_per_month=r["ops_usd_per_month"])
        assert (be is None) == (r["break_even_tokens_per_month"] is None)
        if be is not None:
            assert be == pytest.approx(r["break_even_tokens_per_month"], rel=1e-9)


def test_crossover_from_the_store(db: Path) -> None:
    w = Workload(tokens_per_month=1e9, input_share=0.5, peak_to_mean=1.0)
    sh = SelfHostOption(model="llama-3.1-8b", gpu="h100", gpu_usd_per_hour=2.0, gpus_per_replica=1, output_tokens_per_s=1000,
                        target_utilisation=1.0, ops_usd_per_month=0)
    result = crossover(w, sh, ApiOption(input_usd_per_mtok=1, output_usd_per_mtok=1))
    assert result.break_even_tokens_per_month == pytest.approx(1.46e9)
    assert result.self_host_usd_per_month == pytest.approx(1460) and result.api_usd_per_month == pytest.approx(1000)
    assert result.saving_multiple == pytest.approx(1000 / 1460)
    d = result.to_dict()
    assert {"break_even_tokens_per_month", "self_host_usd_per_month", "api_usd_per_month", "replicas", "saving_multiple"} <= set(d)
    assert crossover(w, sh, ApiOption(input_usd_per_mtok=0.1, output_usd_per_mtok=0.1)).break_even_tokens_per_month is None


def test_crossover_uses_store_prices_and_model(db: Path) -> None:
    w = Workload(tokens_per_month=5e9)
    result = crossover(w, SelfHostOption(model="llama-3.1-8b", gpu="h100", precision="fp8"), ApiOption.parse("together/llama-3.1-8b"))
    a = result.to_dict()["assumptions"]
    assert a["api_input_usd_per_mtok"] == pytest.approx(0.18)
    assert "median on-demand price" in a["gpu_price_source"]
    assert a["output_tokens_per_s_per_replica"] > 1000
    low, high = result.break_even_tokens_per_month_low, result.break_even_tokens_per_month_high
    # the band's high throughput gives the lower break-even; at its low end self-hosting may never pay (None)
    assert low <= result.break_even_tokens_per_month
    assert high is None or result.break_even_tokens_per_month <= high
    tps_low, tps_high = a["output_tokens_per_s_band"]
    assert tps_low <= a["output_tokens_per_s_per_replica"] <= tps_high


def test_deepseek_time_windows_are_averaged(db: Path) -> None:
    w = Workload(tokens_per_month=1e9)
    result = crossover(w, SelfHostOption(model="llama-3.1-8b", gpu="h100", gpu_usd_per_hour=2, output_tokens_per_s=1000),
                       ApiOption.parse("deepseek/deepseek-chat"), as_of="2025-03-01")
    # DeepSeek's page before 2025-09-05: $0.27 in 00:30-16:30 (16 h), $0.135 in 16:30-00:30 (8 h)
    assert result.api.input_usd_per_mtok == pytest.approx((0.27 * 16 + 0.135 * 8) / 24)
    assert result.api.source == "deepseek-api-pricing"


def test_a_dated_provider_price_beats_undated_package_rows(db: Path) -> None:
    """genai-prices still carries R1's 2025 peak/off-peak prices; DeepSeek's own dated notices rule the endpoint."""
    w = Workload(tokens_per_month=1e9)
    v31 = resolve_api(ApiOption.parse("deepseek/deepseek-reasoner"), w, as_of="2025-09-15")
    assert (v31.input_usd_per_mtok, v31.output_usd_per_mtok, v31.source) == (0.56, 1.68, "deepseek-api-pricing")
    cut = resolve_api(ApiOption.parse("deepseek/deepseek-reasoner"), w, as_of="2026-01-15")
    assert (cut.input_usd_per_mtok, cut.output_usd_per_mtok, cut.source) == (0.28, 0.42, "deepseek-pricing-v3.2")
    launch = resolve_api(ApiOption.parse("deepseek/deepseek-r1"), w, as_of="2025-03-01")
    assert (launch.input_usd_per_mtok, launch.output_usd_per_mtok) == ((0.55 * 16 + 0.135 * 8) / 24, (2.19 * 16 + 0.55 * 8) / 24)


def test_a_retired_endpoint_says_when_it_ended(db: Path) -> None:
    with pytest.raises(CostmodelError, match="no price in force on 2026-11-01.*ended on 2026-07-24"):
        resolve_api(ApiOption.parse("deepseek/deepseek-reasoner"), Workload(tokens_per_month=1e9), as_of="2026-11-01")


def test_compare_table(db: Path) -> None:
    w = Workload(tokens_per_month=3e9)
    frame = compare(w, [SelfHostOption(model="llama-3.1-70b", gpu="h200", precision="fp8"),
                        SelfHostOption(model="llama-3.1-70b", gpu="h200", precision="fp8", pricing_mode="buy"),
                        SelfHostOption(model="llama-3.1-70b", gpu="h100", precision="fp8", pricing_mode="serverless"),
                        ApiOption.parse("together/llama-3.3-70b"), ApiOption.parse("openai/gpt-4o", batch=True)])
    # long: each of the 3 self-host options once per API (2), each API once
    assert frame.height == 3 * 2 + 2
    for col in ("option", "usd_per_month", "usd_per_mtok", "replicas", "gpus", "utilisation", "versus",
                "break_even_tokens_per_month", "saving_multiple"):
        assert col in frame.columns
    assert not any("__" in c for c in frame.columns)  # no column named after an option
    hosts = frame.filter(pl.col("kind") == "self-host")
    assert hosts["versus"].n_unique() == 2 and hosts["option"].n_unique() == 3
    assert frame.filter(pl.col("kind") == "api")["versus"].null_count() == 2
    # saving multiple = the API's monthly cost / the self-host option's, row by row
    api_cost = dict(frame.filter(pl.col("kind") == "api").select("option", "usd_per_month").iter_rows())
    for r in hosts.iter_rows(named=True):
        assert r["saving_multiple"] == pytest.approx(api_cost[r["versus"]] / r["usd_per_month"], rel=1e-12)
    gpt4o = frame.filter(pl.col("option").str.contains("gpt-4o"))
    assert gpt4o["input_usd_per_mtok"][0] == pytest.approx(1.25)  # $2.50 with the 50% batch discount
    serverless = frame.filter(pl.col("pricing_mode") == "serverless")
    assert serverless["replicas"][0] == 0


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Workload(tokens_per_month=0), CostmodelError, "tokens_per_month must be a positive"),
        (lambda: Workload(tokens_per_month=-5), CostmodelError, "tokens_per_month must be a positive"),
        (lambda: Workload(tokens_per_month=1e9, input_share=1.2), CostmodelError, r"input_share must be a share in \[0, 1\)"),
        (lambda: Workload(tokens_per_month=1e9, cached_input_share=-0.1), CostmodelError, "cached_input_share must be a share"),
        (lambda: Workload(tokens_per_month=1e9, peak_to_mean=0.5), CostmodelError, "peak_to_mean must be at least 1"),
        (lambda: SelfHostOption(model="m", gpu="g", target_utilisation=1.5), CostmodelError, "target_utilisation must be a share"),
        (lambda: SelfHostOption(model="m", gpu="g", gpu_usd_per_hour=-1), CostmodelError, "gpu_usd_per_hour must be a positive"),
        (lambda: SelfHostOption(model="m", gpu="g", pricing_mode="monthly"), CostmodelError, "pricing_mode 'monthly' is not one of"),
        (lambda: ApiOption(input_usd_per_mtok=0, output_usd_per_mtok=1), CostmodelError, "input_usd_per_mtok must be a positive"),
        (lambda: ApiOption.parse("gpt-4o"), CostmodelError, "must be PROVIDER/MODEL"),
    ],
)
def test_bad_options(make, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        make()


def test_bad_store_lookups(db: Path) -> None:
    w = Workload(tokens_per_month=1e9)
    with pytest.raises(UnknownIdError, match="closest known: together"):
        crossover(w, SelfHostOption(model="llama-3.1-8b", gpu="h100", gpu_usd_per_hour=2), ApiOption.parse("togther/llama-3.1-8b"))
    with pytest.raises(UnknownIdError, match="unknown together model 'llama-9'"):
        crossover(w, SelfHostOption(model="llama-3.1-8b", gpu="h100", gpu_usd_per_hour=2), ApiOption.parse("together/llama-9"))
    with pytest.raises(CostmodelError, match="cannot be served on up to 8 x t4"):
        crossover(w, SelfHostOption(model="llama-3.1-405b", gpu="t4"), ApiOption(input_usd_per_mtok=1, output_usd_per_mtok=1))
    with pytest.raises(CostmodelError, match="no purchase price for a10 .*give purchase_usd_per_gpu"):
        crossover(w, SelfHostOption(model="llama-3.1-8b", gpu="a10", pricing_mode="buy"), ApiOption(input_usd_per_mtok=1, output_usd_per_mtok=1))


def test_crossover_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["crossover", "--model", "llama-3.1-8b", "--gpu", "H100", "--tokens-per-month", "1e9", "--gpu-usd-per-hour", "2",
            "--gpus-per-replica", "1", "--output-tokens-per-s", "1000", "--input-share", "0.5", "--peak-to-mean", "1",
            "--utilisation", "1", "--min-replicas", "1", "--ops-usd-per-month", "0", "--api-input-usd-per-mtok", "1",
            "--api-output-usd-per-mtok", "1", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["break_even_tokens_per_month"] == pytest.approx(1.46e9)
    assert out["replicas"] == 1 and out["saving_multiple"] == pytest.approx(1000 / 1460)
    args[args.index("--api-input-usd-per-mtok") + 1] = "0.1"
    args[args.index("--api-output-usd-per-mtok") + 1] = "0.1"
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["break_even_tokens_per_month"] is None
    assert main(["crossover", "--model", "llama-3.1-8b", "--gpu", "h100", "--tokens-per-month", "-1", "--api", "together/llama-3.1-8b"]) == 1
    assert "tokens_per_month must be a positive" in capsys.readouterr().err


def test_cost_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--model", "llama-3.1-8b", "--gpu", "l40s", "--gpu", "h100", "--pricing-mode", "on-demand",
                 "--pricing-mode", "serverless", "--api", "together/llama-3.1-8b", "--tokens-per-month", "1e9",
                 "--precision", "fp8", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5 and rows[-1]["kind"] == "api"


def test_sweep_grid(db: Path) -> None:
    frame = sweep(["llama-3.1-8b", "llama-3.1-405b"], ["h100", "l4"], ["on-demand", "buy"], [1e8, 1e10],
                  ["together/llama-3.1-8b"], precision="fp8")
    ok = frame.filter(pl.col("status") == "ok")
    # 8B on both GPUs, rented or bought; 405B fits 8 x H100 (rented or bought) but no 8 x L4
    assert ok.height == 1 * 2 * 2 * 2 + 1 * 1 * 2 * 2
    skipped = frame.filter(pl.col("status") != "ok")
    assert skipped.height == 2 and skipped["status"].str.contains("cannot be served").all()  # one row per option
    # more volume never costs less
    by = ok.sort("tokens_per_month").group_by(["model_id", "gpu_id", "pricing_mode"], maintain_order=True).agg(pl.col("self_host_usd_per_month"))
    for costs in by["self_host_usd_per_month"].to_list():
        assert costs == sorted(costs)


def test_sensitivity_is_seeded_and_ordered(db: Path) -> None:
    w = Workload(tokens_per_month=2e9)
    sh = SelfHostOption(model="llama-3.1-8b", gpu="l40s", precision="fp8")
    api = ApiOption.parse("together/llama-3.1-8b")
    t = tornado(w, sh, api)
    assert set(t["input"]) == {"gpu_price", "throughput", "utilisation", "peak_to_mean", "ops_usd_per_month", "api_price"}
    assert t["swing"].to_list() == sorted(t["swing"].to_list(), reverse=True)
    ops = t.filter(pl.col("input") == "ops_usd_per_month").row(0, named=True)
    assert ops["saving_low"] > ops["saving_high"]  # no ops cost: self-hosting saves more
    a = monte_carlo(w, sh, api, samples=2000, seed=3)
    b = monte_carlo(w, sh, api, samples=2000, seed=3)
    assert a["saving_multiple_p50"] == b["saving_multiple_p50"]
    assert a["saving_multiple_p10"] <= a["saving_multiple_p50"] <= a["saving_multiple_p90"]
    if a["break_even_tokens_per_month_p10"] is not None:
        assert a["break_even_tokens_per_month_p10"] <= a["break_even_tokens_per_month_p50"] <= a["break_even_tokens_per_month_p90"]
    assert 0 <= a["never_share"] <= 1
    c = monte_carlo(w, sh, api, samples=2000, seed=4)
    assert c["saving_multiple_p50"] != a["saving_multiple_p50"]


def test_finance_example_runs(db: Path) -> None:
    """The example in the README and examples/ runs as a script and prints the break-even."""
    script = REPO / "examples" / "finance_break_even.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "break-even" in out.stdout and "tokens/month" in out.stdout
    readme = (REPO / "README.md").read_text()
    assert script.read_text().split('"""', 2)[2].strip() in readme  # the README shows the same code


def test_batch_and_flex_shares_are_priced_at_the_providers_tiers(db: Path) -> None:
    """A workload that sends 30% through batch and 20% through flex: gpt-5 has both tiers at half price."""
    w = Workload(tokens_per_month=1e9, batch_share=0.3, flex_share=0.2)
    api = resolve_api(ApiOption.parse("openai/gpt-5"), w, as_of="2026-12-01")
    assert api.input_usd_per_mtok == pytest.approx(0.5 * 1.25 + 0.3 * 0.625 + 0.2 * 0.625)
    assert api.output_usd_per_mtok == pytest.approx(0.5 * 10 + 0.5 * 5)
    assert "30% at its batch tier" in api.source and "20% at its flex tier" in api.source
    # before the package's variants start, batch falls back to OpenAI's flat 50% and flex to the standard price
    early = resolve_api(ApiOption.parse("openai/gpt-5"), w, as_of="2026-09-01")
    assert early.output_usd_per_mtok == pytest.approx(0.5 * 10 + 0.3 * 5 + 0.2 * 10)
    assert "flat discount of 50%" in early.source and "no flex tier recorded" in early.source
    with pytest.raises(CostmodelError, match="batch_share \\+ flex_share must be at most 1"):
        Workload(tokens_per_month=1e9, batch_share=0.7, flex_share=0.5)


def test_vectorised_draws_apply_like_the_scalar_rule(db: Path) -> None:
    """apply_draws (polars, all draws at once) gives the rows _apply gives one draw at a time."""
    from costmodel.scenarios.sweep import Range, _apply, apply_draws, draw_triangular

    base = {"tokens_per_month": 2e9, "capacity_tokens_per_s": 3000.0, "fixed_usd_per_replica_month": 2500.0,
            "variable_usd_per_token": 1e-8, "serverless": True, "peak_to_mean": 2.0, "utilisation": 0.7, "min_replicas": 1,
            "ops_usd_per_month": 1500.0, "api_usd_per_mtok": 0.5}
    ranges = {"gpu_price": Range(0.8, 1.0, 1.3, "t"), "throughput": Range(0.5, 1.0, 1.4, "t"), "utilisation": Range(0.4, 0.7, 0.9, "t"),
              "peak_to_mean": Range(1.5, 2.0, 3.0, "t"), "ops_usd_per_month": Range(0, 1500, 15000, "t"), "api_price": Range(0.7, 1.0, 1.2, "t")}
    draws = draw_triangular(ranges, 50, seed=1)
    vectorised = apply_draws(base, draws).to_dicts()
    for d, row in zip(draws.to_dicts(), vectorised):
        expected = _apply(base, d)
        assert row == pytest.approx({k: expected[k] for k in row}, rel=1e-12)
    assert draws["ops_usd_per_month"].min() >= 0 and draws["gpu_price"].max() <= 1.3


def test_asymmetric_ranges_explain_the_monte_carlo_median(db: Path) -> None:
    """Issue 12: the sensitivity headline's saving lay below the Monte Carlo P10 unexplained. Drawn alone, the operations
    range (0 to 15,000 around 1,500) lowers the median saving; the report text names each range that moves it."""
    from costmodel.outputs import analysis
    from costmodel.scenarios.sweep import asymmetry_effects

    w = Workload(tokens_per_month=5e9)
    sh = SelfHostOption(model="llama-3.1-8b", gpu="l40s")
    api = ApiOption.parse("together/llama-3.1-8b")
    effects = asymmetry_effects(w, sh, api, samples=3000, seed=1)
    ops = effects.filter(pl.col("input") == "ops_usd_per_month").row(0, named=True)
    assert ops["median_shift_share"] < -0.05 and ops["low"] == 0 and ops["high"] == 15000
    symmetric = effects.filter(pl.col("input") == "utilisation").row(0, named=True)
    assert symmetric["central"] == pytest.approx(0.7)
    summary = {k: v for k, v in monte_carlo(w, sh, api, samples=3000, seed=1).items() if k != "draws"}
    text = analysis.monte_carlo_reconciliation(summary, effects)
    saving_text, break_even_text = text.split("\n\n")
    assert "Operations [USD/month]" in saving_text and f"{ops['median_shift_share'] * 100:+.0f}%" in saving_text
    assert ("inside" in saving_text) == (summary["saving_multiple_p10"] <= effects["central_saving_multiple"][0]
                                         <= summary["saving_multiple_p90"])
    # here self-hosting never pays at the central values: the text says so and which ranges make it pay in some draws
    assert effects["central_break_even_tokens_per_month"][0] is None and "never pays" in break_even_text
    throughput = effects.filter(pl.col("input") == "throughput").row(0, named=True)
    assert f"pays in {1 - throughput['never_share']:.0%}" in break_even_text


def test_break_even_reconciliation_names_the_ranges_that_move_it(db: Path) -> None:
    """Issue 12: where the central break-even lies outside the Monte Carlo P10-P90, the report says which asymmetric range
    moves the median break-even and by how much (the percentage is the one the single-range draws give)."""
    from costmodel.outputs import analysis
    from costmodel.scenarios.sweep import asymmetry_effects

    w = Workload(tokens_per_month=3e9)
    sh = SelfHostOption(model="llama-3.1-70b", gpu="h100")
    api = ApiOption.parse("openai/gpt-4o")
    effects = asymmetry_effects(w, sh, api, samples=3000, seed=2)
    central = effects["central_break_even_tokens_per_month"][0]
    assert central == pytest.approx(crossover(w, sh, api).break_even_tokens_per_month, rel=1e-9)
    summary = {k: v for k, v in monte_carlo(w, sh, api, samples=3000, seed=2).items() if k != "draws"}
    text = analysis.monte_carlo_reconciliation(summary, effects).split("\n\n")[1]
    inside = summary["break_even_tokens_per_month_p10"] <= central <= summary["break_even_tokens_per_month_p90"]
    assert ("inside" in text) == inside
    ops = effects.filter(pl.col("input") == "ops_usd_per_month").row(0, named=True)
    shift = ops["median_break_even_tokens_per_month"] / central - 1
    assert shift > 0.05  # operations drawn 0-15,000 around 1,500 raise the median break-even
    assert f"Operations [USD/month] ({ops['range_source']}): median {shift * 100:+.0f}%" in text
