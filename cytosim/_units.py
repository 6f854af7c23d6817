"""Units: one lazily built pint registry, and time conversions for simulation boundaries."""

from __future__ import annotations

import functools
import math
from typing import Any

from .exceptions import ModelError, ParameterError


@functools.cache
def registry() -> Any:
    """The pint UnitRegistry cytosim uses, with ``cell`` and ``IU`` defined (built once)."""
    import pint

    ureg: Any = pint.UnitRegistry()
    ureg.define("cell = [cell] = cells")
    ureg.define("international_unit = [activity] = IU")
    return ureg


def hours_per(time_unit: str) -> float:
    """How many hours one *time_unit* lasts (``"min"`` -> 1/60).

    >>> hours_per("day")
    24.0
    """
    try:
        return float(registry().Quantity(1.0, time_unit).to("hour").magnitude)
    except Exception as err:  # pint raises several unrelated types for bad units
        raise ModelError(f"time unit {time_unit!r} is not a unit of time: {err}") from err


def to_time(value: Any, time_unit: str, what: str) -> float:
    """Return *value* (a number in *time_unit* or a pint Quantity) as a float in *time_unit*."""
    if hasattr(value, "to") and hasattr(value, "magnitude"):
        try:
            value = value.to(time_unit).magnitude
        except Exception as err:
            raise ParameterError(f"`{what}` = {value!r} cannot be converted to the model's time "
                                 f"unit {time_unit!r}: {err}") from err
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"`{what}` must be a finite number (in {time_unit}) or a pint "
                             f"Quantity of time, got {value!r}")
    return float(value)
