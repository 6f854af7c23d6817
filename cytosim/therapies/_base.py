"""The therapy preset type, its disposition maths and the helpers every preset uses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .._units import registry
from ..exceptions import ParameterError
from ..interventions import Dose, DosingSchedule, _number, pk_compartments
from ..network import Network
from ._binding import Binding

HALF_LIFE = "terminal half-life"
ROUTES = ("iv", "sc")

COMMON_ASSUMPTIONS = (
    "typical (population) values only: inter-individual variability ignored",
    "linear PK: no target binding, no target-mediated clearance, no anti-drug antibodies",
    "covariates (weight, albumin, CRP, co-medication) not modelled unless stated",
)


# --------------------------------------------------------------------------- the preset
@dataclass(frozen=True)
class Therapy:
    """A drug's linear PK model and regimen, with sources and assumptions.

    Parameters
    ----------
    name : str
        Preset name (``"infliximab"``...).
    drug : str
        Node name of the drug's central amount (the PK nodes are named after it).
    route : {"iv", "sc"}
        Where the regimen's doses go: the central amount, or the subcutaneous depot.
    volume, clearance : pint.Quantity
        Central volume ([volume]) and linear clearance ([volume]/[time]), physical (not
        divided by F).
    regimen : tuple of Dose
        Dose records whose ``time``, ``ii`` and ``duration`` are in *regimen_time_unit* and
        whose amounts are pint quantities (converted to mg with the record's weight and
        specific activity).
    regimen_time_unit : str
        Time unit of the regimen's records (``"week"``, ``"day"``, ``"h"``).
    peripheral_volume, intercompartmental_clearance : pint.Quantity, optional
        Two-compartment model: V2 ([volume]) and Q ([volume]/[time]).
    absorption_rate : pint.Quantity, optional
        First-order absorption rate ka (1/[time]) from the depot (required for ``"sc"``).
    bioavailability : float
        Fraction F of a subcutaneous dose that reaches the circulation (1 for IV).
    sources : tuple of (topic, citation) pairs
        Exactly one topic is ``"terminal half-life"``: the source of the half-life the
        preset reproduces.
    assumptions : tuple of str
        Every assumption made by the preset.
    binding : Binding, optional
        How the drug acts on its molecular target (binding kinetics, molar mass).
    target : str, optional
        The network node the drug acts on (a cytokine linked to the binding's catalogue
        target, or with its own ``molecular_weight``). Without it the preset is PK only.
    """

    name: str
    drug: str
    route: str
    volume: Any
    clearance: Any
    regimen: tuple[Dose, ...]
    regimen_time_unit: str
    peripheral_volume: Any = None
    intercompartmental_clearance: Any = None
    absorption_rate: Any = None
    bioavailability: float = 1.0
    sources: tuple[tuple[str, str], ...] = ()
    assumptions: tuple[str, ...] = ()
    binding: Binding | None = None
    target: str | None = None

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ParameterError(f"unknown route {self.route!r} for {self.name}; valid routes: "
                                 + ", ".join(repr(r) for r in ROUTES))
        if self.route == "sc" and self.absorption_rate is None:
            raise ParameterError(f"{self.name}: a subcutaneous therapy needs `absorption_rate`")
        if (self.peripheral_volume is None) != (self.intercompartmental_clearance is None):
            raise ParameterError(f"{self.name}: a two-compartment model needs both "
                                 "`peripheral_volume` and `intercompartmental_clearance`")
        checks = [("volume", "[volume]"), ("clearance", "[volume] / [time]"),
                  ("peripheral_volume", "[volume]"),
                  ("intercompartmental_clearance", "[volume] / [time]"),
                  ("absorption_rate", "1 / [time]")]
        for attr, dimension in checks:
            value = getattr(self, attr)
            if value is None:
                continue
            if not hasattr(value, "check") or not value.check(dimension):
                raise ParameterError(f"{self.name}: `{attr}` must be a pint quantity of "
                                     f"{dimension}, got {value!r}")
            _number(float(value.magnitude), attr, positive=attr != "clearance")
        _number(self.bioavailability, "bioavailability", positive=True)
        if self.bioavailability > 1:
            raise ParameterError(f"`bioavailability` must be <= 1, got {self.bioavailability}")
        _quantity(1.0, self.regimen_time_unit, "[time]", "regimen_time_unit")
        if self.target is not None and self.binding is None:
            raise ParameterError(f"{self.name}: `target` {self.target!r} given but the preset "
                                 "has no `binding` to act with")
        topics = [topic for topic, _ in self.sources]
        if topics.count(HALF_LIFE) != 1:
            raise ParameterError(f"{self.name}: `sources` must name exactly one "
                                 f"{HALF_LIFE!r} source, found {topics.count(HALF_LIFE)}")

    @property
    def half_life_source(self) -> str:
        """The one source of the terminal half-life this preset reproduces."""
        return dict(self.sources)[HALF_LIFE]

    @property
    def dose_node(self) -> str:
        """The node the regimen's doses go to (central amount or depot)."""
        return f"{self.drug}_depot" if self.route == "sc" else self.drug

    def pk_values(self, time_unit: str) -> dict[str, float]:
        """The PK values as plain numbers: volumes in L, clearances in L per *time_unit*,
        ``absorption_rate`` per *time_unit* (absent entries are omitted)."""
        out = {"volume": float(self.volume.to("L").magnitude),
               "clearance": float(self.clearance.to(f"L/{time_unit}").magnitude)}
        if self.peripheral_volume is not None:
            out["peripheral_volume"] = float(self.peripheral_volume.to("L").magnitude)
            out["intercompartmental_clearance"] = float(
                self.intercompartmental_clearance.to(f"L/{time_unit}").magnitude)
        if self.absorption_rate is not None:
            out["absorption_rate"] = float(self.absorption_rate.to(f"1/{time_unit}").magnitude)
        return out

    def schedule(self, time_unit: str) -> DosingSchedule:
        """The regimen with times and durations converted into *time_unit*."""
        factor = float(_quantity(1.0, self.regimen_time_unit, "[time]", "regimen_time_unit")
                       .to(time_unit).magnitude)
        doses = []
        for dose in self.regimen:
            changes: dict[str, Any] = {"time": dose.time * factor, "ii": dose.ii * factor}
            if dose.duration is not None:
                changes["duration"] = dose.duration * factor
            if dose.rate is not None:
                changes["rate"] = dose.rate / factor
            doses.append(replace(dose, **changes))
        return DosingSchedule(tuple(doses))

    def prepare(self, network: Network) -> tuple[Network, list[DosingSchedule]]:
        """A copy of *network* with the drug's PK compartments, and the regimen.

        Every PK value is converted with pint into the network's ``time_unit`` (for example
        L/day to L/h for a model in hours), and so are the regimen's times.
        """
        time_unit = network.time_unit
        _quantity(1.0, time_unit, "[time]", "the network's time_unit")
        values = self.pk_values(time_unit)
        net = pk_compartments(network, self.drug, unit="mg", volume_unit="L",
                              description=f"{self.drug} amount in the central compartment "
                                          f"({self.name} preset, {self.route.upper()})",
                              molecular_weight=(None if self.binding is None else
                                                self.binding.molar_mass()),
                              **values)
        if self.binding is not None and self.target is not None:
            net = self.binding.apply(net, self.drug, self.target,
                                     elimination_rate=values["clearance"] / values["volume"])
        return net, [self.schedule(time_unit)]


def acting_on(therapy: Therapy, target: str | None, binding: Binding,
              sources: tuple[tuple[str, str], ...], assumptions: tuple[str, ...]) -> Therapy:
    """*therapy* acting on the network node *target* through *binding* (unchanged when
    *target* is None), with the binding's sources and assumptions added."""
    if target is None:
        return therapy
    if not isinstance(target, str):
        raise ParameterError(f"{therapy.name}: `target` must be a node name, got {target!r}")
    linear = COMMON_ASSUMPTIONS[1]
    kept = tuple(a for a in therapy.assumptions if a != linear)
    return replace(therapy, binding=binding, target=target,
                   sources=therapy.sources + sources,
                   assumptions=kept + ("linear clearance of the free drug; no anti-drug "
                                       "antibodies",) + assumptions)


def _quantity(magnitude: float, unit: str, dimension: str, what: str) -> Any:
    try:
        quantity = registry().Quantity(magnitude, unit)
    except Exception as err:  # pint raises several unrelated types for bad units
        raise ParameterError(f"{what} {unit!r} is not a unit pint understands: {err}") from err
    if not quantity.check(dimension):
        raise ParameterError(f"{what} {unit!r} is not a unit of {dimension}")
    return quantity


def _rates_per_hour(therapy: Therapy) -> dict[str, float]:
    values = therapy.pk_values("h")
    rates = {"k10": values["clearance"] / values["volume"]}
    if "peripheral_volume" in values:
        rates["k12"] = values["intercompartmental_clearance"] / values["volume"]
        rates["k21"] = values["intercompartmental_clearance"] / values["peripheral_volume"]
    if "absorption_rate" in values:
        rates["ka"] = values["absorption_rate"]
    return rates


def disposition_rates(therapy: Therapy, time_unit: str = "h") -> tuple[float, ...]:
    """The disposition eigenvalues (alpha, beta) or (k,) in 1/*time_unit*, fastest first."""
    rates = _rates_per_hour(therapy)
    hours = float(_quantity(1.0, time_unit, "[time]", "time_unit").to("h").magnitude)
    k10 = rates["k10"]
    if "k12" not in rates:
        return (k10 * hours,)
    k12, k21 = rates["k12"], rates["k21"]
    total = k10 + k12 + k21
    root = math.sqrt(total * total - 4.0 * k10 * k21)
    beta = 2.0 * k10 * k21 / (total + root)  # the stable form of (total - root) / 2
    alpha = k10 * k21 / beta
    return (alpha * hours, beta * hours)


def terminal_half_life(therapy: Therapy, time_unit: str = "h") -> float:
    """The terminal half-life of the central concentration after one dose, in *time_unit*.

    ``ln 2`` over the slowest rate of the model as the regimen doses it: the elimination
    rate ``CL/V`` (one compartment) or ``beta``, the smaller root of
    ``s**2 - (k10 + k12 + k21) s + k10 k21`` (two compartments), and, for subcutaneous
    therapies, the absorption rate ``ka`` when it is slower (flip-flop kinetics).

    >>> from cytosim.therapies import adalimumab
    >>> round(terminal_half_life(adalimumab(), "day"), 1)  # ln 2 x 10.8 L / 0.32 L/day
    23.4
    """
    slowest = min(disposition_rates(therapy, time_unit))
    if therapy.route == "sc" and therapy.absorption_rate is not None:
        ka = float(therapy.absorption_rate.to(f"1/{time_unit}").magnitude)
        slowest = min(slowest, ka)
    return math.log(2.0) / slowest


# --------------------------------------------------------------------------- helpers
def _q(magnitude: float, unit: str) -> Any:
    return registry().Quantity(magnitude, unit)


def _count(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(f"`{what}` must be an integer >= {minimum}, got {value!r}")
    return value


def _choice(value: Any, valid: Sequence[str], what: str) -> str:
    if value not in valid:
        raise ParameterError(f"unknown {what} {value!r}; valid: "
                             + ", ".join(repr(v) for v in valid))
    return str(value)


def _ka_for_tmax(k: float, tmax: float) -> float:
    """The absorption rate ka > k giving a one-compartment peak at *tmax* (same time unit):
    the root of ``ln(ka/k) / (ka - k) = tmax``, unique because the left side falls from
    ``1/k`` (at ka = k) towards 0 as ka grows."""
    from scipy.optimize import brentq

    if not tmax * k < 1.0:
        raise ParameterError(f"no absorption rate faster than elimination peaks at {tmax:g} "
                             f"(the latest such peak is at 1/k = {1.0 / k:g})")

    def gap(ka: float) -> float:
        return math.log(ka / k) / (ka - k) - tmax

    return float(brentq(gap, k * (1.0 + 1e-9), k * 1e6, xtol=1e-14, rtol=1e-14))


def _two_compartment_from_half_lives(alpha: float, beta: float, clearance: float,
                                     volume: float) -> tuple[float, float]:
    """(Q, V2) of the two-compartment model with central volume *volume*, clearance
    *clearance* and disposition rates *alpha* > *beta* (consistent units).

    ``k10 = CL/V1``; the eigenvalues satisfy ``alpha beta = k10 k21`` and
    ``alpha + beta = k10 + k12 + k21``, so ``k21 = alpha beta / k10``,
    ``k12 = alpha + beta - k10 - k21``, ``Q = k12 V1`` and ``V2 = Q / k21``. A solution with
    ``k12 >= 0`` exists only for ``beta <= k10 <= alpha``.
    """
    k10 = clearance / volume
    if not beta < k10 < alpha:
        raise ParameterError(f"no two-compartment model has these half-lives with CL/V1 = "
                             f"{k10:.4g}: it must lie between beta = {beta:.4g} and alpha = "
                             f"{alpha:.4g} (check the volume)")
    k21 = alpha * beta / k10
    k12 = alpha + beta - k10 - k21
    q = k12 * volume
    return q, q / k21


def _two_compartment_from_vss(beta: float, clearance: float, volume: float,
                              vss: float) -> tuple[float, float]:
    """(Q, V2) of the two-compartment model with central volume *volume*, clearance
    *clearance*, steady-state volume *vss* and terminal rate *beta* (consistent units).

    With ``r = V2/V1 = (Vss - V1)/V1`` and ``k12 = r k21``, beta is a root of
    ``s**2 - (k10 + (1 + r) k21) s + k10 k21``, hence
    ``k21 = beta (k10 - beta) / (k10 - (1 + r) beta)`` (positive when ``CL/Vss > beta``).
    """
    k10 = clearance / volume
    ratio = (vss - volume) / volume
    if ratio <= 0 or not clearance / vss > beta:
        raise ParameterError("no two-compartment model has this Vss, clearance and terminal "
                             "rate (need Vss > V1 and CL/Vss > beta)")
    k21 = beta * (k10 - beta) / (k10 - (1.0 + ratio) * beta)
    v2 = vss - volume
    return k21 * v2, v2


def _weight(weight_kg: Any) -> float:
    return _number(weight_kg, "weight_kg", positive=True)


def _fraction(value: Any) -> float:
    f = _number(value, "bioavailability", positive=True)
    if f > 1:
        raise ParameterError(f"`bioavailability` must be <= 1, got {value!r}")
    return f
