"""Cost model: what serving a monthly token volume costs, self-hosted or through an API.

Pure scalar functions (numbers in, numbers out); ``costmodel.scenarios`` looks the inputs up and
``costmodel.scenarios.sweep`` evaluates the same formulas as polars expressions over grids.

Definitions (issue 4): tokens per month are input plus output tokens; a month is 730 hours.
A replica's capacity in total tokens/s is its output tokens/s divided by (1 - input share).
Replicas carry the peak (mean x peak-to-mean) at the target utilisation, never fewer than the
minimum. The break-even volume is the smallest monthly volume at which self-hosting costs no
more than the API, or None when the API's price per token is at or below self-hosting's cost
per token with every provisioned replica as full as the utilisation target and peak allow.
"""

from __future__ import annotations

import math

HOURS_PER_MONTH = 730.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * SECONDS_PER_HOUR
TOKENS_PER_MTOK = 1e6
MONTHS_PER_YEAR = 12.0
W_PER_KW = 1000.0


def capacity_tokens_per_s(output_tokens_per_s: float, input_share: float) -> float:
    """Total (input + output) tokens/s a replica carries at the workload's mix [token/s]."""
    return output_tokens_per_s / (1.0 - input_share)


def replicas_needed(tokens_per_month: float, capacity_tokens_per_s: float, peak_to_mean: float,
                    utilisation: float, min_replicas: int) -> int:
    """Replicas that carry the peak rate at the target utilisation, at least ``min_replicas`` [count].

    tokens_per_month [token/month]; capacity_tokens_per_s of one replica [token/s];
    peak_to_mean [ratio >= 1]; utilisation target [fraction]; min_replicas [count].
    """
    peak_tokens_per_s = tokens_per_month / SECONDS_PER_MONTH * peak_to_mean
    need = math.ceil(peak_tokens_per_s / (capacity_tokens_per_s * utilisation) - 1e-12)
    return max(int(min_replicas), need)


def load_share(tokens_per_month: float, capacity_tokens_per_s: float, replicas: int) -> float:
    """Average busy share of the provisioned replicas [fraction]."""
    return tokens_per_month / SECONDS_PER_MONTH / (capacity_tokens_per_s * replicas)


def rent_usd_per_month(gpus: int, usd_per_gpu_hour: float) -> float:
    """Rented GPUs held all month [USD/month]."""
    return gpus * usd_per_gpu_hour * HOURS_PER_MONTH


def serverless_usd_per_month(tokens_per_month: float, capacity_tokens_per_s: float, gpus_per_replica: int,
                             usd_per_gpu_hour: float, utilisation: float) -> float:
    """Per-second GPUs billed only while serving (scale to zero) [USD/month].

    Busy time is the volume over the replica's capacity, stretched by the utilisation target
    (batches run less full than at saturation).
    """
    busy_hours = tokens_per_month / (capacity_tokens_per_s * utilisation) / SECONDS_PER_HOUR
    return busy_hours * gpus_per_replica * usd_per_gpu_hour


def own_usd_per_month(gpus: int, purchase_usd_per_gpu: float, server_overhead_share: float,
                      residual_value_share: float, depreciation_years: float, power_kw_per_gpu: float,
                      load: float, pue_ratio: float, power_usd_per_kwh: float,
                      colocation_usd_per_kw_month: float) -> float:
    """Owned GPUs: straight-line depreciation to residual value, energy and colocation [USD/month].

    purchase_usd_per_gpu [USD]; server_overhead_share adds the host, networking and chassis
    [fraction of GPU price]; residual_value_share at the end of ``depreciation_years`` [fraction];
    power_kw_per_gpu at full load including the host [kW]; load is the busy share [fraction];
    pue_ratio [ratio]; power_usd_per_kwh [USD/kWh]; colocation_usd_per_kw_month is billed on the
    full power_kw_per_gpu [USD/kW/month].
    """
    capex = gpus * purchase_usd_per_gpu * (1.0 + server_overhead_share)
    depreciation = capex * (1.0 - residual_value_share) / (depreciation_years * MONTHS_PER_YEAR)
    energy = gpus * power_kw_per_gpu * load * pue_ratio * HOURS_PER_MONTH * power_usd_per_kwh
    return depreciation + energy + colocation_usd_per_month(gpus, power_kw_per_gpu, colocation_usd_per_kw_month)


def colocation_usd_per_month(gpus: int, power_kw_per_gpu: float, colocation_usd_per_kw_month: float) -> float:
    """Colocation of owned GPUs, billed on their full power [USD/month]."""
    return gpus * power_kw_per_gpu * colocation_usd_per_kw_month


def energy_usd_per_token(gpus: int, power_kw_per_gpu: float, pue_ratio: float, power_usd_per_kwh: float,
                         capacity_tokens_per_s: float) -> float:
    """Energy of owned GPUs per token served: full power for the busy time one token takes [USD/token]."""
    return gpus * power_kw_per_gpu * pue_ratio * power_usd_per_kwh / (SECONDS_PER_HOUR * capacity_tokens_per_s)


def api_usd_per_mtok(input_share: float, cached_input_share: float, input_usd_per_mtok: float,
                     output_usd_per_mtok: float, cached_input_usd_per_mtok: float | None = None,
                     batch_discount_share: float = 0.0) -> float:
    """Blended API price per million tokens of the workload's mix [USD/Mtok].

    cached_input_share is the share of input tokens served from the provider's prompt cache
    [fraction]; without a cached price those tokens pay the input price.
    """
    cached = input_usd_per_mtok if cached_input_usd_per_mtok is None else cached_input_usd_per_mtok
    per_input = (1.0 - cached_input_share) * input_usd_per_mtok + cached_input_share * cached
    blended = input_share * per_input + (1.0 - input_share) * output_usd_per_mtok
    return blended * (1.0 - batch_discount_share)


def api_usd_per_month(tokens_per_month: float, usd_per_mtok: float) -> float:
    """API bill for a month [USD/month]."""
    return tokens_per_month / TOKENS_PER_MTOK * usd_per_mtok


def unit_costs(mode: str, *, capacity_tokens_per_s: float, gpus_per_replica: int, usd_per_gpu_hour: float | None,
               utilisation: float, ownership: dict[str, float] | None = None) -> tuple[float, float]:
    """(fixed cost per replica-month [USD], variable cost per token [USD]) of a way of getting GPUs.

    rent (on-demand, spot, reserved): a replica costs its GPU-hours all month, nothing per token.
    serverless: nothing fixed; each token costs its share of busy GPU time at the utilisation.
    buy: depreciation and colocation are fixed per replica; energy is per token, because
    power x load sums to the busy time the volume needs (power_kw x PUE x $/kWh / capacity).
    """
    if mode == "serverless":
        return 0.0, gpus_per_replica * usd_per_gpu_hour / (SECONDS_PER_HOUR * capacity_tokens_per_s * utilisation)
    if mode == "buy":
        o = ownership or {}
        fixed = own_usd_per_month(gpus_per_replica, load=0.0, **o)
        return fixed, energy_usd_per_token(gpus_per_replica, o["power_kw_per_gpu"], o["pue_ratio"], o["power_usd_per_kwh"],
                                           capacity_tokens_per_s)
    return rent_usd_per_month(gpus_per_replica, usd_per_gpu_hour), 0.0


def self_host_usd_per_month(tokens_per_month: float, *, mode: str, capacity_tokens_per_s: float,
                            gpus_per_replica: int, usd_per_gpu_hour: float | None, peak_to_mean: float,
                            utilisation: float, min_replicas: int, ops_usd_per_month: float,
                            ownership: dict[str, float] | None = None) -> tuple[float, int]:
    """Monthly self-hosting cost and replicas for one way of getting GPUs [USD/month, count].

    mode is rent (on-demand, spot, reserved-1y, reserved-3y), serverless or buy; ``ownership``
    holds the inputs of ``own_usd_per_month`` (except gpus and load) for mode 'buy'.
    """
    fixed, per_token = unit_costs(mode, capacity_tokens_per_s=capacity_tokens_per_s, gpus_per_replica=gpus_per_replica,
                                  usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation, ownership=ownership)
    replicas = 0 if mode == "serverless" else replicas_needed(tokens_per_month, capacity_tokens_per_s, peak_to_mean,
                                                               utilisation, min_replicas)
    return replicas * fixed + per_token * tokens_per_month + ops_usd_per_month, replicas


def break_even_tokens_per_month(api_usd_per_mtok_: float, *, mode: str, capacity_tokens_per_s: float,
                                gpus_per_replica: int, usd_per_gpu_hour: float | None, peak_to_mean: float,
                                utilisation: float, min_replicas: int, ops_usd_per_month: float,
                                ownership: dict[str, float] | None = None) -> float | None:
    """Smallest tokens/month at which self-hosting costs no more than the API, or None (never).

    With F the fixed cost of a replica-month, v the variable cost per token, p the API price per
    token and V_r the tokens/month one replica carries at the peak and utilisation targets,
    self-hosting costs r F + v V + ops with r = max(r0, ceil(V / V_r)). Within the band of r
    replicas the costs meet at V = (r F + ops) / (p - v), inside the band once
    r >= ops / ((p - v) V_r - F); so r* = max(r0, ceil(ops / ((p - v) V_r - F))) and
    V* = (r* F + ops) / (p - v). Never when p - v <= F / V_r: then even full replicas cost more per
    token than the API.
    """
    p = api_usd_per_mtok_ / TOKENS_PER_MTOK
    fixed, per_token = unit_costs(mode, capacity_tokens_per_s=capacity_tokens_per_s, gpus_per_replica=gpus_per_replica,
                                  usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation, ownership=ownership)
    margin = p - per_token
    if mode == "serverless":
        return ops_usd_per_month / margin if margin > 0 else None
    per_replica = capacity_tokens_per_s * utilisation / peak_to_mean * SECONDS_PER_MONTH
    slack = margin * per_replica - fixed
    if margin <= 0 or slack <= 0:
        return None
    r0 = max(int(min_replicas), 1)
    r = max(r0, math.ceil(ops_usd_per_month / slack - 1e-12))
    return (r * fixed + ops_usd_per_month) / margin
