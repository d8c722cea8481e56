"""The seed article's claims: the verdict rules on hand-computed figures, and the table on the built store."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from costmodel.store import paths as _paths
from costmodel.scenarios import claims
from costmodel import memory
from costmodel.scenarios.claims import (
    CONDITIONS,
    DOES_NOT_HOLD,
    HOLDS,
    amount_tolerances,
    break_even_ops,
    price_band,
    share_tolerance,
    verdict_for_amount,
    verdict_for_comparison,
    verdict_for_fit,
    verdict_for_multiples,
    verdict_for_share,
    weakest,
)
from costmodel.formatting import number

from .conftest import DATA

CLAIMS = [  # the keys analysis.seed_claims and tests/test_reports.py use
    "Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16",
    "Llama 3.1 8B fits a 16 GB GPU in INT4",
    "Mistral 7B needs 14 GB in BF16 and 5 GB in INT4",
    "Mixtral 8x7B needs 90 GB in BF16 and 24 GB in INT4",
    "Llama 3.1 405B runs on 8x A100 in BF16",
    "Gemma 3 4B fits on a Raspberry Pi 5 (INT4)",
    "DeepSeek R1's API is 96% cheaper than o1",
    "Below ~10M tokens/month an API is cheaper than self-hosting any open model",
    "At billions of tokens/month self-hosting beats API cost by 10-100x",
]
MISTRAL = "Mistral 7B needs 14 GB in BF16 and 5 GB in INT4"
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


# ---------------------------------------------------------------------------------------------
# Rules on hand-computed figures


def test_weakest_part_decides() -> None:
    assert weakest([HOLDS, HOLDS]) == HOLDS
    assert weakest([HOLDS, CONDITIONS]) == CONDITIONS
    assert weakest([CONDITIONS, DOES_NOT_HOLD, HOLDS]) == DOES_NOT_HOLD


@pytest.mark.parametrize(("claimed", "expected"), [
    (8.9, DOES_NOT_HOLD),  # below the weights (10) by more than 10%: 8.9 < 9.0
    (9.1, CONDITIONS),     # within 10% of the weights, short of serving (12) by more than 10%: 9.1 < 10.8
    (10.7, CONDITIONS),
    (10.9, HOLDS),         # within 10% of serving: 10.9 >= 10.8
    (13.1, HOLDS),         # above serving, within 10%: 13.1 <= 13.2
    (13.3, DOES_NOT_HOLD),  # overstates the need by more than 10%
])
def test_amount_rule_either_side_of_each_threshold(claimed: float, expected: str) -> None:
    assert verdict_for_amount(claimed, 10.0, 12.0, 0.10) == expected


def test_amount_rule_tolerance_moves_the_verdict() -> None:
    # Mistral 7B BF16 as the store has it: 14 GB claimed, 14.48 GB of weights, 16.73 GB serving one 4K sequence
    assert verdict_for_amount(14.0, 14.48, 16.73, 0.0) == DOES_NOT_HOLD
    assert verdict_for_amount(14.0, 14.48, 16.73, 0.10) == CONDITIONS
    assert verdict_for_amount(14.0, 14.48, 16.73, 0.17) == HOLDS  # 1 - 14 / 16.73 = 16.3%
    with pytest.raises(ValueError, match="serving"):
        verdict_for_amount(14.0, 15.0, 14.5, 0.1)


@pytest.mark.parametrize(("claimed", "weights", "serving", "reading", "holding"), [
    (9.0, 10.0, 12.0, 0.10, 0.25),  # 1 - 9/10, 1 - 9/12
    (11.0, 10.0, 12.0, 0.0, 1 / 12),  # covers the weights at any tolerance
    (15.0, 10.0, 12.0, 0.25, 0.25),  # overstated: 15/12 - 1 either way
])
def test_amount_tolerances_are_where_the_rule_changes(claimed: float, weights: float, serving: float, reading: float,
                                                      holding: float) -> None:
    got = amount_tolerances(claimed, weights, serving)
    assert got == pytest.approx((reading, holding))
    eps = 1e-6
    if reading > 0:
        assert verdict_for_amount(claimed, weights, serving, reading - eps) == DOES_NOT_HOLD
    assert verdict_for_amount(claimed, weights, serving, holding + eps) == HOLDS
    if holding > reading:
        assert verdict_for_amount(claimed, weights, serving, holding - eps) == CONDITIONS


@pytest.mark.parametrize(("available", "expected"), [
    (10.0, HOLDS), (12.0, HOLDS),    # weights + runtime 8, one sequence 2 more: 10 needed
    (9.99, CONDITIONS), (8.0, CONDITIONS),  # weights and runtime fit, a whole sequence does not
    (7.99, DOES_NOT_HOLD),
])
def test_fit_rule(available: float, expected: str) -> None:
    assert verdict_for_fit(10.0, 8.0, available) == expected


def test_fit_rule_rejects_a_floor_above_the_requirement() -> None:
    with pytest.raises(ValueError, match="floor"):
        verdict_for_fit(8.0, 10.0, 9.0)


def test_share_rule_compares_price_ratios() -> None:
    # claimed 96% cheaper: R1 at 4% of o1. At 3.75% the gap is 0.25/3.75 = 6.7%; at 5% it is 1/5 = 20%
    assert share_tolerance(0.96, 0.9625) == pytest.approx(0.0025 / 0.0375)
    assert share_tolerance(0.96, 0.95) == pytest.approx(0.2)
    assert verdict_for_share(0.96, [0.9625, 0.9625], 0.10) == HOLDS
    assert verdict_for_share(0.96, [0.9625, 0.95], 0.10) == CONDITIONS
    assert verdict_for_share(0.96, [0.9625, 0.95], 0.21) == HOLDS
    assert verdict_for_share(0.96, [0.95, 0.99], 0.19) == DOES_NOT_HOLD  # 0.99: 1% against 4%, a gap of 300%
    assert verdict_for_share(0.96, [0.9625, 0.9625], 0.06) == DOES_NOT_HOLD


def test_price_band_edges() -> None:
    low, high = price_band(0.96, 15.0, 0.10)
    assert (low, high) == pytest.approx((15 * 0.04 / 1.1, 15 * 0.04 / 0.9))  # $0.545 to $0.667
    for price, expected in [(low * 1.001, HOLDS), (high * 0.999, HOLDS), (low * 0.99, DOES_NOT_HOLD), (high * 1.01, DOES_NOT_HOLD)]:
        assert verdict_for_share(0.96, [1 - price / 15.0], 0.10) == expected


def test_comparison_rule() -> None:
    api = 1.80
    assert verdict_for_comparison(api, [1954.0, 1500.42], [454.0, 2.0]) == HOLDS
    assert verdict_for_comparison(api, [1954.0, 1500.42], [454.0, 0.42]) == CONDITIONS  # only the operations cost carries it
    assert verdict_for_comparison(api, [1954.0, 1.80], [454.0, 1.80]) == DOES_NOT_HOLD  # a tie is not "cheaper"
    assert verdict_for_comparison(api, [1954.0, 1.81], [454.0, 1.81]) == HOLDS
    assert break_even_ops(api, [454.0, 0.42]) == pytest.approx(1.38)
    assert break_even_ops(api, [454.0, 2.0]) == pytest.approx(-0.20)
    with pytest.raises(ValueError):
        verdict_for_comparison(api, [], [])


def test_multiples_rule() -> None:
    assert verdict_for_multiples([26.0, 4.3, 0.94], 10.0) == CONDITIONS
    assert verdict_for_multiples([10.0, 12.0], 10.0) == HOLDS
    assert verdict_for_multiples([9.99, 3.0], 10.0) == DOES_NOT_HOLD


# ---------------------------------------------------------------------------------------------
# The table on the built store


def _table(built_db: Path, **patch: float) -> pl.DataFrame:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(_paths.ENV_DB, str(built_db))
        mp.setenv(_paths.ENV_DATA_DIR, str(DATA))
        for name, value in patch.items():
            mp.setattr(claims, name, value)
        return claims.seed_claims()


@pytest.fixture(scope="module")
def table(built_db: Path) -> pl.DataFrame:
    return _table(built_db)


def verdicts(frame: pl.DataFrame) -> dict[str, str]:
    return dict(zip(frame["claim"], frame["verdict"]))


def row(frame: pl.DataFrame, claim: str) -> dict[str, str]:
    return frame.filter(pl.col("claim") == claim).row(0, named=True)


def test_table_shape_and_keys(table: pl.DataFrame) -> None:
    assert table.columns == ["claim", "verdict", "seed_figure", "computed", "flips_when", "assumptions"]
    assert table["claim"].to_list() == CLAIMS
    assert set(table["verdict"]) <= {HOLDS, CONDITIONS, DOES_NOT_HOLD}
    assert all(dtype == pl.String for dtype in table.dtypes)
    for column in ("seed_figure", "computed", "flips_when", "assumptions"):
        for text in table[column]:
            assert text and not SCIENTIFIC.search(text), (column, text)


def test_mistral_holds_for_the_weights_only(db: Path, table: pl.DataFrame) -> None:
    r = row(table, MISTRAL)
    assert r["verdict"] == CONDITIONS
    serving = memory("mistral-7b", "bf16", context_tokens=4096)
    assert "one 4K sequence" in r["flips_when"]
    assert f"{number(serving.total_gb, 1)} GB in BF16" in r["flips_when"]
    assert f"{number(serving.weights_gb, 1)} GB in BF16" in r["computed"]


def test_405b_on_8_a100_does_not_hold(table: pl.DataFrame) -> None:
    r = row(table, "Llama 3.1 405B runs on 8x A100 in BF16")
    assert r["verdict"] == DOES_NOT_HOLD
    assert "would hold on 16" in r["flips_when"]


def test_fit_verdicts_agree_with_the_memory_model(db: Path, table: pl.DataFrame) -> None:
    for claim, _figure, model, precision, gpu, gpus, engine, context, _reading in claims.FIT_CLAIMS:
        m = memory(model, precision, gpu=gpu, gpus=gpus, engine=engine, context_tokens=context)
        assert (row(table, claim)["verdict"] == HOLDS) == m.fits, claim


def test_verdicts_the_report_tests_rely_on(table: pl.DataFrame) -> None:
    got = verdicts(table)
    assert got["Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16"] == HOLDS
    assert got["Gemma 3 4B fits on a Raspberry Pi 5 (INT4)"] == HOLDS
    assert got["DeepSeek R1's API is 96% cheaper than o1"] == HOLDS


def test_tolerance_is_read_not_written_in(built_db: Path, table: pl.DataFrame) -> None:
    strict = verdicts(_table(built_db, TOLERANCE_SHARE=0.0))
    assert strict[MISTRAL] == DOES_NOT_HOLD  # 14 GB is below the 14.5 GB of BF16 weights
    assert strict["DeepSeek R1's API is 96% cheaper than o1"] == DOES_NOT_HOLD  # 3.67% and 3.65% are not 4%
    loose = verdicts(_table(built_db, TOLERANCE_SHARE=0.25))
    assert loose[MISTRAL] == HOLDS  # 14 and 5 GB within a quarter of 16.7 and 6.4 GB
    unchanged = [c for c in CLAIMS if c not in (MISTRAL, "Mixtral 8x7B needs 90 GB in BF16 and 24 GB in INT4",
                                                 "DeepSeek R1's API is 96% cheaper than o1")]
    assert {c: strict[c] for c in unchanged} == {c: verdicts(table)[c] for c in unchanged}


def test_price_claim_follows_the_prices(db: Path) -> None:
    launch = claims.price_claim("2025-03-01")
    assert launch["verdict"] == HOLDS
    assert "$0.545 to $0.667 input" in launch["flips_when"]
    later = claims.price_claim("2025-09-10")  # R1 $0.56/$1.68: 96.3% cheaper on input, 97.2% on output
    assert later["verdict"] == CONDITIONS
    assert claims.price_claim("2025-10-10")["verdict"] == DOES_NOT_HOLD  # R1 $0.28/$0.42


def test_small_volume_claim_turns_on_the_operations_cost(db: Path, table: pl.DataFrame) -> None:
    default = claims.small_volume_claim(1e7)
    no_ops = claims.small_volume_claim(1e7, ops_usd_per_month=0.0)
    assert default["verdict"] == row(table, CLAIMS[7])["verdict"]
    assert default["verdict"] != no_ops["verdict"]
    assert default["verdict"] == CONDITIONS and no_ops["verdict"] == DOES_NOT_HOLD
    assert "serverless" in default["computed"] and "L4 on-demand" in default["computed"]
    assert "below $" in default["flips_when"] and "/month of operations" in default["flips_when"]


def test_large_volume_claim_names_the_apis_that_meet_10x(table: pl.DataFrame) -> None:
    r = row(table, CLAIMS[8])
    multiples = [float(m) for m in re.findall(r"([\d.]+)x(?:;|$)", r["computed"])]
    assert len(multiples) == 3
    assert r["verdict"] == verdict_for_multiples(multiples, 10.0)
    assert "meets 10x against openai/o1" in r["flips_when"]
