"""The seed article's claims, each verdict computed from the project's figures by one stated rule.

The seed article ("Open-Source and Open-Weight Models") makes nine claims this project can check:
memory figures, fits, a price ratio and two break-even statements. ``seed_claims`` recomputes
each from the store and gives it a verdict through one of the pure rule functions below
(``verdict_for_amount``, ``verdict_for_fit``, ``verdict_for_share``, ``verdict_for_comparison``,
``verdict_for_multiples``), never a literal per claim: change a price, a model record or
``TOLERANCE_SHARE`` and the verdicts move with them. Each row also says, in ``flips_when``, the
condition under which its verdict would change, computed from the same figures.

Verdicts: holds, holds only under stated conditions, does not hold. Sizes in GB are 1e9 bytes
(GPU memory is marketed in GiB, see ``costmodel.models.memory``); money in USD.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from costmodel import catalog, store
from costmodel.catalog import prices
from costmodel.errors import CostmodelError
from costmodel.formatting import money, number, percent, significant, volume
from costmodel.models.deployment import memory
from costmodel.models.memory import BYTES_PER_GB, GIB_BYTES, MemoryEstimate
from costmodel.scenarios import ApiOption, Crossover, SelfHostOption, Workload, crossover, gpu_price

HOLDS = "holds"
CONDITIONS = "holds only under stated conditions"
DOES_NOT_HOLD = "does not hold"
VERDICTS = (DOES_NOT_HOLD, CONDITIONS, HOLDS)
"""The verdicts from weakest to strongest; a claim made of parts gets its weakest part's (``weakest``)."""

TOLERANCE_SHARE = 0.10
"""How far a claimed figure may sit from the project's and still count as the same figure [fraction of the project's figure].

The article rounds: it gives memory in whole GB ("5GB", "14GB") and shares in whole percent
("96%"), worked out from parameter counts (billions x bytes, GB and GiB used alike) rather than
measured. A figure within a tenth of the project's is read as that figure rounded; a wider gap
is a different figure. Read at call time, so setting it (or monkeypatching it) moves the verdicts.
"""

SERVING_CONTEXT_TOKENS = 4096
"""One sequence of this length is what "model X needs N GB" must leave room for to serve it [token]."""
FIT_CONTEXT_TOKENS = 8192
"""Context of one sequence in the "fits on GPU X" claims about Llama 3.1 [token] (the memory model's default)."""
PRICE_DATE = "2025-03-01"
"""API prices in force on this date test the R1-vs-o1 claim: after R1's launch, before the article's later edits."""
CLAIMED_SAVING_SHARE = 0.96
"""The article: DeepSeek R1's API is 96% cheaper than o1 [fraction]."""
CLAIMED_MULTIPLE = 10.0
"""The article: at billions of tokens/month self-hosting beats API cost by 10-100x; the lower end is tested [ratio]."""

SMALL_MODEL = "llama-3.1-8b"
SMALL_PRECISION = "fp8"
SMALL_API = "together/llama-3.1-8b"
LARGE_MODEL = "llama-3.1-70b"
LARGE_GPU = "h200"
LARGE_APIS = ("openai/o1", "openai/gpt-4o", "together/llama-3.3-70b")

DEVICE_CLASS_ORDER = ("datacenter", "workstation", "consumer")
"""Among NVIDIA cards of one memory size, the one named in a flips_when sentence is the first of these classes."""


# ---------------------------------------------------------------------------------------------
# The rules: pure functions of figures


def weakest(verdicts: Iterable[str]) -> str:
    """The weakest of several verdicts: a claim of several parts holds only as far as its weakest part."""
    return min(verdicts, key=VERDICTS.index)


def _all_some_none(flags: Sequence[bool]) -> str:
    """holds when every flag is true, holds only under stated conditions when some are, does not hold when none is."""
    if not flags:
        raise ValueError("no figures to judge")
    if all(flags):
        return HOLDS
    return CONDITIONS if any(flags) else DOES_NOT_HOLD


def verdict_for_amount(claimed_gb: float, weights_gb: float, serving_gb: float, tolerance_share: float) -> str:
    """Verdict on "model X needs ``claimed_gb``" against the project's weights and what serving needs.

    claimed_gb : the article's figure [GB]
    weights_gb : the weights alone (``memory(...).weights_gb``) [GB]
    serving_gb : weights + KV cache of one sequence + runtime overhead (``memory(...).total_gb``) [GB]
    tolerance_share : how far a figure may sit from the project's and count as it [fraction of the project's figure]

    does not hold: the figure is more than the tolerance below the weights (the weights alone do
    not fit in it) or more than the tolerance above what serving needs (it overstates the need).
    holds: the figure is within the tolerance of serving's need, or above it.
    holds only under stated conditions: the figure covers the weights but not serving one
    sequence: it is right only read as "the weights need".
    """
    if serving_gb < weights_gb:
        raise ValueError(f"serving_gb {serving_gb} is below weights_gb {weights_gb}: serving holds the weights")
    if claimed_gb < weights_gb * (1 - tolerance_share) or claimed_gb > serving_gb * (1 + tolerance_share):
        return DOES_NOT_HOLD
    if claimed_gb >= serving_gb * (1 - tolerance_share):
        return HOLDS
    return CONDITIONS


def amount_tolerances(claimed_gb: float, weights_gb: float, serving_gb: float) -> tuple[float, float]:
    """The tolerances at which ``verdict_for_amount`` changes [fraction of the project's figure].

    Returns (reading, holding): below ``reading`` the figure does not hold at all; from
    ``reading`` to ``holding`` it holds for the weights only; from ``holding`` on it holds.
    """
    reading = max(1 - claimed_gb / weights_gb, claimed_gb / serving_gb - 1, 0.0)
    return reading, max(1 - claimed_gb / serving_gb, reading)


def verdict_for_fit(required_gb: float, floor_gb: float, available_gb: float) -> str:
    """Verdict on "model X fits on GPU Y" from memory needed and memory the engine may use.

    required_gb : weights + runtime overhead + KV cache of one sequence of the stated context [GB]
    floor_gb : weights + runtime overhead, no KV cache [GB]
    available_gb : memory the engine may use on the deployment (``memory(...).usable_gb``) [GB]

    holds when the required memory fits; holds only under stated conditions when the weights and
    runtime fit but not a whole sequence of the stated context (shorter sequences only); does not
    hold when even the weights and runtime do not fit. For engines that give the KV cache all the
    memory left (vLLM, llama.cpp) "holds" is exactly ``memory(...).fits``.
    """
    if floor_gb > required_gb:
        raise ValueError(f"floor_gb {floor_gb} exceeds required_gb {required_gb}: the floor is part of the requirement")
    if required_gb <= available_gb:
        return HOLDS
    return CONDITIONS if floor_gb <= available_gb else DOES_NOT_HOLD


def share_tolerance(claimed_saving_share: float, computed_saving_share: float) -> float:
    """Tolerance a saving claim needs to match a computed saving [fraction of the computed price ratio].

    A saving share s ("A is s cheaper than B") is a price ratio 1 - s (A's price as a share of
    B's); the gap is measured on that ratio, relative to the computed one.
    """
    computed_ratio = 1 - computed_saving_share
    if computed_ratio <= 0:
        raise ValueError(f"computed saving {computed_saving_share} leaves no price to compare")
    return abs((1 - claimed_saving_share) - computed_ratio) / computed_ratio


def verdict_for_share(claimed_saving_share: float, computed_saving_shares: Sequence[float], tolerance_share: float) -> str:
    """Verdict on "A's price is ``claimed_saving_share`` below B's" on each price compared (input, output).

    claimed_saving_share, computed_saving_shares : 1 - price_A / price_B [fraction]
    tolerance_share : allowed gap on the price ratio, relative to the computed ratio [fraction]

    Rule, price by price: the claimed ratio 1 - s matches the computed ratio r when
    |(1 - s) - r| <= tolerance x r (``share_tolerance``). The ratio, not the saving, is compared:
    savings hide differences (86% and 96% cheaper are prices 3.5x apart), so a tolerance on the
    saving would pass almost any large saving. holds when every price matches, holds only under
    stated conditions when some do, does not hold when none does.
    """
    return _all_some_none([share_tolerance(claimed_saving_share, s) <= tolerance_share for s in computed_saving_shares])


def price_band(claimed_saving_share: float, reference_usd: float, tolerance_share: float) -> tuple[float, float]:
    """Prices of A [USD] at which ``verdict_for_share`` matches the claim, B charging ``reference_usd`` [USD]:
    the ratio r must lie in [(1 - s) / (1 + tolerance), (1 - s) / (1 - tolerance)]."""
    ratio = 1 - claimed_saving_share
    high = math.inf if tolerance_share >= 1 else reference_usd * ratio / (1 - tolerance_share)
    return reference_usd * ratio / (1 + tolerance_share), high


def verdict_for_comparison(api_usd_per_month: float, with_ops_usd_per_month: Sequence[float],
                           without_ops_usd_per_month: Sequence[float]) -> str:
    """Verdict on "an API is cheaper than self-hosting any open model" at one volume [USD/month].

    api_usd_per_month : the API's bill
    with_ops_usd_per_month : each self-host option's cost with the operations cost
    without_ops_usd_per_month : the same options with no operations cost (GPU time only)

    holds when the API costs less than every option both ways; holds only under stated
    conditions when it costs less than every option with operations but not without (the
    operations cost carries the claim); does not hold when some option costs no more than the
    API even with operations.
    """
    if not with_ops_usd_per_month or not without_ops_usd_per_month:
        raise ValueError("no self-host option to compare with")
    if any(c <= api_usd_per_month for c in with_ops_usd_per_month):
        return DOES_NOT_HOLD
    return HOLDS if all(c > api_usd_per_month for c in without_ops_usd_per_month) else CONDITIONS


def break_even_ops(api_usd_per_month: float, without_ops_usd_per_month: Sequence[float]) -> float:
    """Operations cost below which the cheapest self-host option beats the API [USD/month]:
    the API's bill less the cheapest option's cost without operations (at or below 0: none ever does)."""
    return api_usd_per_month - min(without_ops_usd_per_month)


def verdict_for_multiples(multiples: Sequence[float], minimum_multiple: float) -> str:
    """Verdict on "self-hosting beats API cost by at least ``minimum_multiple``" [ratio].

    multiples : API cost / self-host cost, one per API compared [ratio]
    holds when every multiple reaches the minimum, holds only under stated conditions when some
    do, does not hold when none does.
    """
    return _all_some_none([m >= minimum_multiple for m in multiples])


# ---------------------------------------------------------------------------------------------
# Text for people


def _gb(value: float) -> str:
    return f"{number(value, 1)} GB"


def _pct_up(share: float) -> str:
    """A tolerance as a percentage rounded up to 0.1%: "holds with a tolerance of X" is then true at X."""
    return percent(math.ceil(share * 1000 - 1e-9) / 1000, 1)


def _pct_down(share: float) -> str:
    """A tolerance as a percentage rounded down to 0.1%: "does not hold below X" is then true below X."""
    return percent(math.floor(share * 1000 + 1e-9) / 1000, 1)


def _multiple(value: float) -> str:
    return f"{significant(value, 2)}x"


def _tokens(context_tokens: int) -> str:
    return f"{number(context_tokens / 1024)}K" if context_tokens % 1024 == 0 else number(context_tokens)


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _row(claim: str, verdict: str, seed_figure: str, computed: str, flips_when: str, assumptions: str) -> dict[str, str]:
    return {"claim": claim, "verdict": verdict, "seed_figure": seed_figure, "computed": computed, "flips_when": flips_when,
            "assumptions": assumptions}


# ---------------------------------------------------------------------------------------------
# Memory amounts: "model X needs N GB"


MEMORY_CLAIMS = (
    ("Mistral 7B needs 14 GB in BF16 and 5 GB in INT4", "mistral-7b", "Mistral 7B, VRAM: 14GB BF16, 5GB INT4",
     (("bf16", "BF16", 14.0), ("int4", "INT4", 5.0))),
    ("Mixtral 8x7B needs 90 GB in BF16 and 24 GB in INT4", "mixtral-8x7b", "Mixtral 8x7B, VRAM: 90GB BF16, 24GB INT4",
     (("bf16", "BF16", 90.0), ("int4", "INT4", 24.0))),
)
"""(claim, model, what the article states, ((precision, label, claimed GB), ...))."""


def card_at_least(marketed_gb: float, *, db_path: Path | None = None) -> catalog.Gpu | None:
    """The smallest NVIDIA card (no edge device) marketed with at least ``marketed_gb`` of memory [GB as marketed,
    i.e. GiB]: the card a reader of "needs N GB" would buy; datacenter cards first among equals, then by id."""
    frame = (catalog.gpus(db_path=db_path)
             .filter((pl.col("vendor") == "NVIDIA") & pl.col("device_class").is_in(DEVICE_CLASS_ORDER)
                     & (pl.col("memory_gib") >= marketed_gb))
             .with_columns(rank=pl.col("device_class").replace_strict(DEVICE_CLASS_ORDER, list(range(len(DEVICE_CLASS_ORDER)))))
             .sort("memory_gib", "rank", "gpu_id"))
    return catalog.get_gpu(frame["gpu_id"][0], db_path=db_path) if frame.height else None


def _amount_claim(claim: str, model: str, seed_figure: str, parts: Sequence[tuple[str, str, float]], tolerance: float,
                  db_path: Path | None) -> dict[str, str]:
    judged = []
    for precision, label, claimed in parts:
        m = memory(model, precision, context_tokens=SERVING_CONTEXT_TOKENS, db_path=db_path)
        card = card_at_least(claimed, db_path=db_path)
        on_card = (memory(model, precision, gpu=card.gpu_id, context_tokens=SERVING_CONTEXT_TOKENS, db_path=db_path)
                   if card else None)
        judged.append((label, claimed, m, verdict_for_amount(claimed, m.weights_gb, m.total_gb, tolerance),
                       amount_tolerances(claimed, m.weights_gb, m.total_gb), card, on_card))
    verdict = weakest(j[3] for j in judged)
    reading = max(j[4][0] for j in judged)
    holding = max(j[4][1] for j in judged)
    seq = _tokens(SERVING_CONTEXT_TOKENS)
    first = judged[0][2]
    computed = (f"weights {_join([f'{_gb(m.weights_gb)} in {label}' for label, _, m, *_ in judged])}; serving one {seq} sequence "
                f"(KV cache {_gb(first.kv_cache_gb)}, runtime overhead {_gb(first.overhead_gb)}) needs "
                f"{_join([f'{_gb(m.total_gb)} in {label}' for label, _, m, *_ in judged])}")
    why = []
    for label, claimed, m, part, _tol, card, on_card in judged:
        if part == CONDITIONS:
            text = f"serving one {seq} sequence needs {_gb(m.total_gb)} in {label}, more than the stated {number(claimed)} GB"
            if on_card is not None:
                holds_it = "holds it" if on_card.fits else (f"does not hold it (needs {on_card.min_gpus})" if on_card.min_gpus
                                                            else "does not hold it")
                text += f", so a {number(card.memory_gib)} GB card ({card.display_name}, {_gb(on_card.usable_gb)} usable) {holds_it}"
            why.append(text)
        elif part == DOES_NOT_HOLD:
            if claimed < m.weights_gb:
                why.append(f"the {label} weights alone are {_gb(m.weights_gb)}, "
                           f"{percent(m.weights_gb / claimed - 1, 1)} above the stated "
                           f"{number(claimed)} GB")
            else:
                why.append(f"the stated {number(claimed)} GB in {label} is {percent(claimed / m.total_gb - 1, 1)} above the "
                           f"{_gb(m.total_gb)} serving one {seq} sequence needs")
    if verdict == HOLDS:
        tail = (f"would stop holding outright with a tolerance below {_pct_down(holding)}" if holding > 0
                else "holds at any tolerance")
        flips = f"holds for serving one {seq} sequence; {tail}"
    elif verdict == CONDITIONS:
        flips = (f"holds for the weights alone: {'; '.join(why)}; would hold outright with a tolerance of {_pct_up(holding)}"
                 + (f" and not at all below {_pct_down(reading)}" if reading > 0 else ""))
    else:
        flips = (f"does not hold: {'; '.join(why)}; would hold for the weights with a tolerance of {_pct_up(reading)} "
                 f"and outright with one of {_pct_up(holding)}")
    arch = catalog.get_model(model, db_path=db_path)
    bits = {m.precision_id: catalog.get_precision(m.precision_id, db_path=db_path).bits_per_weight for _, _, m, *_ in judged}
    precisions = _join([f"{label} = {m.precision_id} ({number(bits[m.precision_id], 2)} bits a weight)"
                        for label, _, m, *_ in judged])
    resident = f", all {arch.num_experts} experts resident" if arch.num_experts else ""
    assumptions = (f"{number(arch.total_params_b, 2)}B parameters{resident}; {precisions}; GB = a billion bytes; "
                   f"a figure counts within {percent(tolerance)} of the project's (TOLERANCE_SHARE); serving = weights + "
                   f"{first.kv_precision_id.upper()} KV cache of one {seq} sequence + {first.engine_id} runtime overhead")
    return _row(claim, verdict, seed_figure, computed, flips, assumptions)


# ---------------------------------------------------------------------------------------------
# Fits: "model X fits on GPU Y"


FIT_CLAIMS = (
    ("Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16", "8B: fits on a single RTX 4090 (24GB) in BF16",
     "llama-3.1-8b", "bf16", "rtx-4090", 1, "vllm", FIT_CONTEXT_TOKENS, "the claim's card"),
    ("Llama 3.1 8B fits a 16 GB GPU in INT4", "8B: ... or a 16GB GPU in INT4",
     "llama-3.1-8b", "int4", "t4", 1, "vllm", FIT_CONTEXT_TOKENS, "a T4 stands for the 16 GB GPUs"),
    ("Llama 3.1 405B runs on 8x A100 in BF16", "405B: Requires multi-GPU (8x A100 for BF16)",
     "llama-3.1-405b", "bf16", "a100-80gb", 8, "vllm", FIT_CONTEXT_TOKENS, "the 80 GB A100, the generous reading"),
    ("Gemma 3 4B fits on a Raspberry Pi 5 (INT4)", "Gemma 3 4B fits on a Raspberry Pi 5 (INT4)",
     "gemma-3-4b", "q4_k_m", "raspberry-pi-5-8gb", 1, "llama.cpp", SERVING_CONTEXT_TOKENS,
     "Q4_K_M GGUF stands for INT4 on the 8 GB board"),
)
"""(claim, what the article states, model, precision, GPU, GPUs, engine, context tokens, reading of the claim)."""


def fit_figures(m: MemoryEstimate) -> tuple[float, float, float]:
    """(required, floor, available) [GB] of a memory estimate on a GPU, as ``verdict_for_fit`` takes them."""
    if m.usable_gb is None:
        raise ValueError("the estimate has no GPU: give memory() a gpu")
    return m.total_gb, m.weights_gb + m.overhead_gb, m.usable_gb


def _fit_claim(claim: str, seed_figure: str, model: str, precision: str, gpu: str, gpus: int, engine: str, context: int,
               reading: str, db_path: Path | None) -> dict[str, str]:
    m = memory(model, precision, gpu=gpu, gpus=gpus, engine=engine, context_tokens=context, db_path=db_path)
    required, floor, available = fit_figures(m)
    verdict = verdict_for_fit(required, floor, available)
    device = catalog.get_gpu(gpu, db_path=db_path)
    seq = _tokens(context)
    where = f"{gpus}x {device.display_name}" if gpus > 1 else device.display_name
    computed = (f"weights {_gb(m.weights_gb)} + runtime {_gb(m.overhead_gb)} + one {seq} sequence {_gb(m.kv_cache_gb)} = "
                f"{_gb(required)} of {_gb(available)} usable on {where}")
    usable_share = available / (device.memory_gib * gpus * GIB_BYTES / BYTES_PER_GB)
    if verdict == HOLDS:
        flips = (f"holds with {_gb(available - required)} to spare (room for {number(m.max_concurrency)} sequences of {seq} tokens); "
                 f"would not hold with under {_gb(required)} usable, i.e. on a device marketed with under "
                 f"{number(required * BYTES_PER_GB / GIB_BYTES / usable_share / gpus, 1)} GB at {m.engine_id}'s "
                 f"{percent(usable_share)} usable share")
    elif verdict == CONDITIONS:
        longest = (available - floor) * BYTES_PER_GB / m.kv_cache_bytes_per_token
        flips = (f"holds only for sequences under {number(longest)} tokens: {_gb(required - available)} short of one {seq} sequence "
                 f"on {where}")
    else:
        more = (f"would hold on {number(m.min_gpus)} (the fewest the engine splits it over that hold the weights, runtime and "
                f"one {seq} sequence)" if m.min_gpus else "would not hold on any GPU count tried")
        flips = (f"{_gb(required - available)} short on {where} (the weights and runtime alone are {_gb(floor - available)} over); "
                 f"{more}")
    if engine == "llama.cpp":
        from costmodel.models.deployment import throughput

        t = throughput(model, gpu, precision=precision, engine=engine, input_tokens=100, output_tokens=200, db_path=db_path)
        computed += (f"; about {number(t.output_tokens_per_s, 1)} tokens/s ({number(t.output_tokens_per_s_low, 1)} to "
                     f"{number(t.output_tokens_per_s_high, 1)}) for one stream")
    assumptions = (f"{reading}; {m.precision_id} weights, {m.kv_precision_id} KV cache, {m.engine_id} memory budget "
                   f"({percent(usable_share)} of device memory usable); one sequence of {number(context)} tokens")
    return _row(claim, verdict, seed_figure, computed, flips, assumptions)


# ---------------------------------------------------------------------------------------------
# Price ratio: "DeepSeek R1's API is 96% cheaper than o1"


def standard_price(provider: str, provider_model_id: str, as_of: str, *, db_path: Path | None = None) -> tuple[float, float] | None:
    """(input, output) list price [USD per million tokens] in force on ``as_of`` on the standard tier, in the dearest
    time window (DeepSeek's standard hours, not its off-peak discount); None when the endpoint has none then."""
    rows = prices.api_prices(as_of, provider=provider, provider_model_id=provider_model_id, db_path=db_path)
    rows = rows.filter(pl.col("service_tier") == "standard").sort("input_usd_per_mtok", "output_usd_per_mtok", descending=True)
    if not rows.height:
        return None
    return float(rows["input_usd_per_mtok"][0]), float(rows["output_usd_per_mtok"][0])


def _price_changes(endpoints: Sequence[tuple[str, str]], after: str, db_path: Path | None) -> list[str]:
    """Dates after ``after`` on which a dated price of one of the endpoints starts (ISO dates)."""
    found: set[str] = set()
    for provider, model_id in endpoints:
        dates = store.query("SELECT DISTINCT effective_from FROM api_prices WHERE provider = ? AND provider_model_id = ? "
                            "AND effective_from > CAST(? AS DATE) ORDER BY 1", [provider, model_id, after], db_path=db_path)
        found.update(str(d) for d in dates["effective_from"])
    return sorted(found)


def price_claim(as_of: str | None = None, *, tolerance_share: float | None = None, db_path: Path | None = None) -> dict[str, str]:
    """The R1-vs-o1 price claim's row with the prices in force on ``as_of`` (default ``PRICE_DATE``), judged by
    ``verdict_for_share`` at ``tolerance_share`` (default ``TOLERANCE_SHARE``)."""
    as_of = PRICE_DATE if as_of is None else as_of
    tolerance = TOLERANCE_SHARE if tolerance_share is None else tolerance_share
    claim = "DeepSeek R1's API is 96% cheaper than o1"
    r1_id, o1_id = ("deepseek", "deepseek-reasoner"), ("openai", "o1")
    r1 = standard_price(*r1_id, as_of, db_path=db_path)
    o1 = standard_price(*o1_id, as_of, db_path=db_path)
    if r1 is None or o1 is None:
        raise CostmodelError(f"the store has no standard price for deepseek/deepseek-reasoner or openai/o1 in force on {as_of}, "
                             "so the R1 price claim cannot be checked")
    savings = [1 - r1[0] / o1[0], 1 - r1[1] / o1[1]]
    verdict = verdict_for_share(CLAIMED_SAVING_SHARE, savings, tolerance)
    needed = max(share_tolerance(CLAIMED_SAVING_SHARE, s) for s in savings)
    computed = (f"R1 {money(r1[0])}/{money(r1[1])} vs o1 {money(o1[0])}/{money(o1[1])} per million input/output tokens: "
                f"{percent(savings[0], 1)} cheaper on input, {percent(savings[1], 1)} on output (R1 charges "
                f"{percent(1 - savings[0], 2)} and {percent(1 - savings[1], 2)} of o1's prices)")
    (in_lo, in_hi), (out_lo, out_hi) = (price_band(CLAIMED_SAVING_SHARE, o1[0], tolerance),
                                        price_band(CLAIMED_SAVING_SHARE, o1[1], tolerance))
    band = (f"at o1's {money(o1[0])}/{money(o1[1])} it holds while R1 charges {money(in_lo, 3)} to {money(in_hi, 3)} input and "
            f"{money(out_lo, 3)} to {money(out_hi, 3)} output per million")
    tol = (f"it would stop holding with a tolerance below {_pct_down(needed)}" if verdict == HOLDS
           else f"it would hold with a tolerance of {_pct_up(needed)}")
    later = []
    for day in _price_changes((r1_id, o1_id), as_of, db_path):
        r1_then, o1_then = standard_price(*r1_id, day, db_path=db_path), standard_price(*o1_id, day, db_path=db_path)
        if r1_then is None or o1_then is None:
            continue
        then = verdict_for_share(CLAIMED_SAVING_SHARE, [1 - r1_then[0] / o1_then[0], 1 - r1_then[1] / o1_then[1]], tolerance)
        if then != verdict and not any(v == then for _, v in later):
            later.append((f"R1 {money(r1_then[0])}/{money(r1_then[1])} against o1 {money(o1_then[0])}/{money(o1_then[1])} "
                          f'from {day} makes the verdict "{then}"', then))
    flips = f"{band}; {tol}" + (f"; {_join([t for t, _ in later])}" if later else "")
    assumptions = (f"standard-tier list prices in force on {as_of} (DeepSeek's standard hours, not its off-peak discount); "
                   f"each price's ratio must be within {percent(tolerance)} of the claimed 4% (TOLERANCE_SHARE), on input and output")
    return _row(claim, verdict, "DeepSeek R1, API cost: 96% cheaper than o1", computed, flips, assumptions)


# ---------------------------------------------------------------------------------------------
# Small volumes: "Below ~10M tokens/month an API is cheaper than self-hosting any open model"


def _option_label(c: Crossover, db_path: Path | None) -> str:
    gpu = catalog.get_gpu(c.self_host.gpu_id, db_path=db_path)
    n = c.self_host.gpus_per_replica
    return f"{gpu.display_name if n == 1 else f'{n}x {gpu.display_name}'} {c.self_host.mode}"


def small_volume_options(workload: Workload, *, db_path: Path | None = None) -> list[SelfHostOption]:
    """The self-host options the small-volume claim is checked against: Llama 3.1 8B FP8 on one L4 on-demand,
    on the cheapest GPU-hour among the GPUs that hold it (and the engine serves it on), and serverless on the GPU
    whose per-second billing costs least at the workload's volume. Operations cost left at the default."""
    base = SelfHostOption(model=SMALL_MODEL, gpu="l4", precision=SMALL_PRECISION)
    api = ApiOption.parse(SMALL_API)
    candidates: dict[str, list[tuple[float, str]]] = {"on-demand": [], "serverless": []}
    for gpu_id in catalog.gpus(db_path=db_path)["gpu_id"]:
        try:
            if not memory(SMALL_MODEL, SMALL_PRECISION, gpu=gpu_id, db_path=db_path).fits:
                continue
        except CostmodelError:
            continue
        for mode in candidates:
            try:
                candidates[mode].append((gpu_price(gpu_id, mode, db_path=db_path).usd_per_gpu_hour, gpu_id))
            except CostmodelError:
                pass
    options = [base]

    def servable(option: SelfHostOption) -> Crossover | None:
        try:
            return crossover(workload, option, api, db_path=db_path)
        except CostmodelError:  # the engine does not run the precision there, or no throughput
            return None

    for _, gpu_id in sorted(candidates["on-demand"]):
        option = SelfHostOption(model=SMALL_MODEL, gpu=gpu_id, precision=SMALL_PRECISION, ops_usd_per_month=0.0)
        if servable(option) is not None:
            if gpu_id != base.gpu:
                options.append(SelfHostOption(model=SMALL_MODEL, gpu=gpu_id, precision=SMALL_PRECISION))
            break
    serverless = []
    for _, gpu_id in candidates["serverless"]:
        got = servable(SelfHostOption(model=SMALL_MODEL, gpu=gpu_id, precision=SMALL_PRECISION, pricing_mode="serverless",
                                      ops_usd_per_month=0.0))
        if got is not None:
            serverless.append((got.self_host_usd_per_month, gpu_id))
    if serverless:
        options.append(SelfHostOption(model=SMALL_MODEL, gpu=min(serverless)[1], precision=SMALL_PRECISION, pricing_mode="serverless"))
    return options


def small_volume_claim(tokens_per_month: float = 1e7, *, ops_usd_per_month: float | None = None,
                       db_path: Path | None = None) -> dict[str, str]:
    """The small-volume claim's row at ``tokens_per_month`` [token/month].

    Every option of ``small_volume_options`` is priced with the operations cost (``ops_usd_per_month``,
    default the store's ownership_inputs value) and without (0), against Together's Llama 3.1 8B; the
    verdict is ``verdict_for_comparison`` of those costs.
    """
    workload = Workload(tokens_per_month=tokens_per_month)
    api = ApiOption.parse(SMALL_API)
    with_ops, without_ops = [], []
    for option in small_volume_options(workload, db_path=db_path):
        with_ops.append(crossover(workload, dataclasses.replace(option, ops_usd_per_month=ops_usd_per_month), api, db_path=db_path))
        without_ops.append(crossover(workload, dataclasses.replace(option, ops_usd_per_month=0.0), api, db_path=db_path))
    api_usd = with_ops[0].api_usd_per_month
    costs_with = [c.self_host_usd_per_month for c in with_ops]
    costs_without = [c.self_host_usd_per_month for c in without_ops]
    verdict = verdict_for_comparison(api_usd, costs_with, costs_without)
    ops = with_ops[0].self_host.ops_usd_per_month
    labels = [_option_label(c, db_path) for c in without_ops]
    computed = (f"at {volume(tokens_per_month)} Together's Llama 3.1 8B costs {money(api_usd)}/month; self-hosting Llama 3.1 8B FP8 "
                f"costs " + "; ".join(f"{money(w)} on {label} ({money(wo)} without operations)"
                                      for label, w, wo in zip(labels, costs_with, costs_without)))
    threshold = break_even_ops(api_usd, costs_without)
    cheapest = costs_without.index(min(costs_without))
    who = f"{labels[cheapest]} at {money(costs_without[cheapest])}/month of GPU time"
    if threshold <= 0:
        flips = (f"no operations cost flips it: even with none the cheapest option, {who}, costs {money(-threshold)}/month more "
                 f"than the API's {money(api_usd)}")
    elif verdict == DOES_NOT_HOLD:
        flips = (f"does not hold while operations cost less than {money(threshold)}/month (here {money(ops)}): below that "
                 f"{who} costs less than the API's {money(api_usd)}")
    else:
        flips = (f"holds only with the operations cost: below {money(threshold)}/month of operations (the project assumes "
                 f"{money(ops)}) {who} costs less than the API's {money(api_usd)}")
    assumptions = (f"default workload (1,000 input and 250 output tokens a request, peak-to-mean 2); on-demand options keep one "
                   f"replica up all month at the median GPU-hour price; serverless bills busy GPU-seconds at the replica's "
                   f"batched throughput (no cold starts or minimum billing modelled); operations {money(ops)}/month for every option")
    return _row("Below ~10M tokens/month an API is cheaper than self-hosting any open model", verdict,
                "Key Facts: Below ~10M tokens/month: API is cheaper than self-hosting any open model", computed, flips, assumptions)


# ---------------------------------------------------------------------------------------------
# Large volumes: "At billions of tokens/month self-hosting beats API cost by 10-100x"


def _large_volume_claim(tokens_per_month: float, db_path: Path | None) -> dict[str, str]:
    workload = Workload(tokens_per_month=tokens_per_month)
    option = SelfHostOption(model=LARGE_MODEL, gpu=LARGE_GPU, precision="fp8")
    runs = [crossover(workload, option, ApiOption.parse(api), db_path=db_path) for api in LARGE_APIS]
    multiples = [c.saving_multiple for c in runs]
    verdict = verdict_for_multiples(multiples, CLAIMED_MULTIPLE)
    sh_usd = runs[0].self_host_usd_per_month
    gpus = f"{runs[0].gpus} GPU" + ("" if runs[0].gpus == 1 else "s")
    computed = (f"at {volume(tokens_per_month)} Llama 3.1 70B FP8 on H200 costs {money(sh_usd)}/month ({gpus}); "
                + "; ".join(f"{api} {money(c.api_usd_per_month)}/month, {_multiple(c.saving_multiple)}"
                            for api, c in zip(LARGE_APIS, runs)))
    meet = [f"{api} ({_multiple(m)})" for api, m in zip(LARGE_APIS, multiples) if m >= CLAIMED_MULTIPLE]
    miss = [f"{api} ({_multiple(m)})" for api, m in zip(LARGE_APIS, multiples) if m < CLAIMED_MULTIPLE]
    floor_api = min(runs, key=lambda c: c.api_usd_per_month)
    floor_name = LARGE_APIS[runs.index(floor_api)]
    need = floor_api.api_usd_per_month / CLAIMED_MULTIPLE
    head = f"meets {_multiple(CLAIMED_MULTIPLE)} against " + (_join(meet) if meet else "none")
    head += f" but not against {_join(miss)}" if miss else " of the APIs compared"
    if miss:
        flips = (f"{head}; would hold against all {len(runs)} if self-hosting cost at most {money(need)}/month (a tenth of "
                 f"{floor_name}'s {money(floor_api.api_usd_per_month)}), not {money(sh_usd)}")
    else:
        flips = f"{head}; would stop holding if self-hosting cost more than {money(need)}/month (a tenth of {floor_name}'s bill)"
    assumptions = (f"on-demand median GPU prices; default workload; operations {money(runs[0].self_host.ops_usd_per_month)}/month; "
                   f"the lower end ({_multiple(CLAIMED_MULTIPLE)}) is tested, beating the API by more still beats it")
    return _row("At billions of tokens/month self-hosting beats API cost by 10-100x", verdict,
                "At scale (billions of tokens/month), self-hosting beats API cost by 10-100x", computed, flips, assumptions)


# ---------------------------------------------------------------------------------------------
# The table


COLUMNS = ("claim", "verdict", "seed_figure", "computed", "flips_when", "assumptions")


def seed_claims(*, small_tokens_per_month: float = 1e7, large_tokens_per_month: float = 5e9,
                db_path: Path | None = None) -> pl.DataFrame:
    """The seed article's nine checkable claims: verdict, the article's figure, the project's, when the verdict flips.

    Every verdict comes from a rule function of this module applied to figures from the store;
    ``TOLERANCE_SHARE`` is read when called. Columns: claim, verdict, seed_figure, computed,
    flips_when, assumptions (all text).
    """
    tolerance = TOLERANCE_SHARE
    fits = {c[0]: c for c in FIT_CLAIMS}
    amounts = {c[0]: c for c in MEMORY_CLAIMS}
    rows: list[dict[str, Any]] = [
        _fit_claim(*fits["Llama 3.1 8B fits on an RTX 4090 (24 GB) in BF16"], db_path=db_path),
        _fit_claim(*fits["Llama 3.1 8B fits a 16 GB GPU in INT4"], db_path=db_path),
        *(_amount_claim(*c, tolerance=tolerance, db_path=db_path) for c in amounts.values()),
        _fit_claim(*fits["Llama 3.1 405B runs on 8x A100 in BF16"], db_path=db_path),
        _fit_claim(*fits["Gemma 3 4B fits on a Raspberry Pi 5 (INT4)"], db_path=db_path),
        price_claim(PRICE_DATE, tolerance_share=tolerance, db_path=db_path),
        small_volume_claim(small_tokens_per_month, db_path=db_path),
        _large_volume_claim(large_tokens_per_month, db_path),
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS})
