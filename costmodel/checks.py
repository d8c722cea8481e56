"""Checks of user-given numbers, with errors that name the parameter and what is accepted."""

from __future__ import annotations

import math
from typing import Any

from costmodel.errors import CostmodelError


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)


def positive(name: str, value: Any) -> float:
    """``value`` as a float if it is a finite number above 0."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise CostmodelError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int if it is a whole number above 0."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0 or int(value) != value:
        raise CostmodelError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def share(name: str, value: Any, *, upper_open: bool = False) -> float:
    """``value`` as a float if it is a fraction in [0, 1] (or [0, 1) with ``upper_open``)."""
    if not _is_number(value) or value < 0 or value > 1 or (upper_open and value >= 1):
        raise CostmodelError(f"{name} must be a share in {'[0, 1)' if upper_open else '[0, 1]'}, got {value!r}")
    return float(value)
