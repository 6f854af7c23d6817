"""Therapy presets: sourced pharmacokinetics and label regimens for cytokine-targeting drugs.

A :class:`Therapy` bundles a drug's linear PK model (volumes, clearances, absorption rate and
bioavailability, each a pint quantity in the unit its source uses), its regimen as
:class:`~cytosim.interventions.Dose` records, the sources of every value (exactly one of them
for the terminal half-life the preset reproduces) and every assumption made. It is an
intervention: ``therapy.prepare(network)`` adds the PK compartments to a copy of the network
(:func:`~cytosim.interventions.pk_compartments`, values converted with pint into the network's
``time_unit``) and returns the regimen in that time unit, so
``cs.simulate(net, ..., interventions=[therapy])`` works on any network, in hours or days.

Drug amounts are in mg, volumes in L, so ``<drug>_conc`` is in mg/L (= ug/mL). Subcutaneous
presets put the dose in the depot ``<drug>_depot`` and multiply it by the bioavailability F.
Where a source gives only apparent values (``V/F``, ``CL/F``), the preset stores the physical
values ``V = F * (V/F)`` and ``CL = F * (CL/F)`` and gives F on the dose: concentrations are
then exactly those of the apparent model whatever F is, and amounts in the body are physical
(which matters once the drug binds its target).

Target binding (drug-cytokine complexes), inter-individual variability, covariates,
anti-drug antibodies and target-mediated clearance are not modelled; each preset says so.

Examples
--------
>>> import cytosim as cs
>>> from cytosim.therapies import infliximab, terminal_half_life
>>> therapy = infliximab()
>>> round(terminal_half_life(therapy, "day"), 1)
10.0
>>> net, [schedule] = therapy.prepare(cs.Network(time_unit="day"))
>>> schedule.dose_times()[:5]
[0.0, 14.0, 42.0, 98.0, 154.0]
>>> round(schedule.doses[0].amount_in_unit(), 6)  # mg: 3 mg/kg x 70 kg
210.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._units import registry
from .exceptions import ParameterError
from .interventions import Dose, DosingSchedule, _number, pk_compartments
from .network import Network

__all__ = ["Therapy", "adalimumab", "aldesleukin", "anakinra", "disposition_rates",
           "etanercept", "il10", "infliximab", "terminal_half_life"]

HALF_LIFE = "terminal half-life"
ROUTES = ("iv", "sc")

# --------------------------------------------------------------------------- citations
# Status as in the project's research note (pk.md): "verified" = read in the source text,
# "verified (2nd)" = read in a secondary page quoting it, "recalled" = not found in a source,
# "derived" = computed here from verified numbers.
TERNANT_2014 = ("Ternant D et al. Relationship between inflammation and infliximab "
                "pharmacokinetics in rheumatoid arthritis. Br J Clin Pharmacol 2014, "
                "doi:10.1111/bcp.12313 (abstract; verified)")
FASANMADE_2009 = ("Fasanmade AA et al. Population pharmacokinetic analysis of infliximab in "
                  "patients with ulcerative colitis. Eur J Clin Pharmacol 2009;65:1211-1228, "
                  "doi:10.1007/s00228-009-0718-4 (abstract; verified)")
FASANMADE_2009_RA = ("Fasanmade AA et al. Eur J Clin Pharmacol 2009;65:1211-1228, "
                     "introduction: infliximab half-life 8-12 days in RA, citing RA data "
                     "(verified (2nd))")
REMICADE_LABEL = ("Remicade (infliximab) US prescribing information, Dosage and Administration "
                  "(RA): 3 mg/kg at weeks 0, 2 and 6, then every 8 weeks (verified (2nd)); "
                  "infusion over not less than 2 hours (recalled)")
TERNANT_2015 = ("Ternant D et al. Pharmacokinetics and concentration-effect relationship of "
                "adalimumab in rheumatoid arthritis. Br J Clin Pharmacol 2015;79(2):286-297, "
                "doi:10.1111/bcp.12509 (abstract; verified)")
HUMIRA_LABEL = ("Humira (adalimumab) prescribing information (Abbott 2006) as quoted: F 64%, "
                "40 mg every other week, t1/2 about 2 weeks (10-20 days), steady-state trough "
                "about 5 ug/mL without and 8-9 ug/mL with methotrexate (verified (2nd))")
ENBREL_US_PI = ("Enbrel (etanercept) US Full Prescribing Information 2005 as quoted: single "
                "25 mg SC in RA patients, mean t1/2 102 h, clearance 160 mL/h "
                "(verified (2nd))")
ENBREL_SMPC = ("Enbrel SmPC (Swiss Fachinformation), Pharmacokinetics: absolute "
               "bioavailability 76%; 50 mg once weekly in RA at steady state Cmax 2.4 mg/L, "
               "Cmin 1.2 mg/L, AUC(tau) 297 mg h/L; 50 mg weekly or 25 mg twice weekly "
               "(verified)")
FANG_2010 = ("Fang Y et al. Acta Pharmacol Sin 2010;31(11):1500-1507, doi:10.1038/aps.2010.113, "
             "Table 3 as transcribed in nlmixr2lib (Fang_2010_etanercept): ka 0.0605 1/h, for "
             "rhTNFR-Fc, a Chinese etanercept product, not Enbrel (verified (2nd))")
KONRAD_1990 = ("Konrad MW et al. Pharmacokinetics of recombinant interleukin 2 in humans. "
               "Cancer Res 1990;50(7):2009-2017 (abstract; verified): after an IV bolus the "
               "level is dose / plasma volume (650 U/mL for 1e6 U/m**2), half-lives 12.9 min "
               "then 85 min, clearance about 120 mL/min; SC levels about 2% of the IV bolus "
               "level")
PROLEUKIN_LABEL = ("Proleukin (aldesleukin) US label: 18 MIU = 1.1 mg (Description); 600,000 "
                   "IU/kg every 8 h, at most 14 doses per cycle (Dosage, verified (2nd)); "
                   "given as a 15-minute IV infusion (recalled)")
PROLEUKIN_SMPC = ("Proleukin EU SmPC as quoted and Swiss Fachinformation: SC bioavailability "
                  "31-47%, SC Tmax 2-6 h; terminal t1/2 100-123 min and clearance 155-420 "
                  "mL/min in cancer patients (verified / verified (2nd))")
PISCITELLI = ("Piscitelli SC, Wells MJ, Metcalf JA, Baseler M, Stevens R, Davey RT. "
              "Pharmacokinetics and pharmacodynamics of subcutaneously administered "
              "interleukin-2 in HIV-infected patients. Pharmacotherapy (abstract read; year "
              "and pages not checked): 12-18 MIU/day SC, Tmax 4.4 +/- 1.8 h, lag 27 min, "
              "elimination t1/2 3.3 +/- 0.9 h")
LOW_DOSE_IL2 = ("low-dose IL-2 for regulatory T cells: about 1-3 MIU/day SC (project note "
                "models.md section 4; recalled, not a label regimen)")
KINERET_LABEL = ("Kineret (anakinra) label as quoted: 100 mg SC daily; absolute F 95%; RA "
                 "Tmax 3-7 h, terminal t1/2 4-6 h (verified (2nd))")
ANAKINRA_CHINESE_RA = ("The pharmacokinetics of interleukin-1 receptor antagonist in Chinese "
                       "subjects with rheumatoid arthritis. Pharmacol Res 2004, "
                       "doi:10.1016/j.phrs.2004.02.002 (abstract; verified): 15 RA patients, "
                       "1 mg/kg SC, Tmax 2-6 h, Cmax 687 +/- 197 ng/mL, t1/2 3.76 +/- 1 h, "
                       "CL/F 150 +/- 52 mL/min")
HUHN_1996 = ("Huhn RD et al. Pharmacokinetics and immunomodulatory properties of intravenously "
             "administered recombinant human interleukin-10 in healthy volunteers. Blood "
             "1996;87(2):699-705 (abstract; verified): terminal t1/2 2.3-3.7 h")
HUHN_1997 = ("Huhn RD et al. Pharmacodynamics of subcutaneous recombinant human interleukin-10 "
             "in healthy volunteers. Clin Pharmacol Ther 1997;62(2):171-180, "
             "doi:10.1016/S0009-9236(97)90065-5 (abstract; verified): SC 1-50 ug/kg, terminal "
             "t1/2 2.7-4.5 h, apparent volume 0.70-1.35 L/kg")
RADWANSKI_1998 = ("Radwanski E et al. Pharmacokinetics and leukocyte responses of recombinant "
                  "human interleukin-10. Pharm Res 1998;15(12):1895-1901, "
                  "doi:10.1023/a:1011918425629 (abstract; read here, not yet in pk.md): 25 "
                  "ug/kg IV and SC crossover in 17 healthy volunteers; IV CL 65 mL/kg/h, Vss 70 "
                  "mL/kg, t1/2 1.94 h; SC absolute bioavailability 42%")
FUCHS_1996 = ("Fuchs AC et al. Clinical, hematologic, and immunological effects of "
              "interleukin-10 in humans. J Clin Immunol 1996;16(5):291-303 (abstract; "
              "verified): IV bolus peaks 208 and 505 ng/mL at 2-5 min after 10 and 25 ug/kg; "
              "terminal t1/2 3.18 h")

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
        topics = [topic for topic, _ in self.sources]
        if topics.count(HALF_LIFE) != 1:
            raise ParameterError(f"{self.name}: `sources` must name exactly one "
                                 f"{HALF_LIFE!r} source, found {topics.count(HALF_LIFE)}")

    @property
    def half_life_source(self) -> str:
        """The one source of the terminal half-life this preset reproduces."""
        return dict(self.sources)[HALF_LIFE]

    @property
    def target(self) -> str:
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
                              **values)
        return net, [self.schedule(time_unit)]


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


# --------------------------------------------------------------------------- presets
def infliximab(dose_mg_per_kg: float = 3.0, weeks: Sequence[float] = (0.0, 2.0, 6.0),
               then_every_weeks: float = 8.0, n_maintenance: int = 6,
               weight_kg: float = 70.0, infusion_hours: float = 2.0,
               drug: str = "infliximab") -> Therapy:
    """Infliximab IV in rheumatoid arthritis: two-compartment pop-PK and the label regimen.

    Parameters
    ----------
    dose_mg_per_kg : float
        Dose per infusion in mg/kg (label RA dose 3 mg/kg; up to 10 mg/kg allowed).
    weeks : sequence of float
        Induction infusions, in weeks from the first (label: 0, 2, 6).
    then_every_weeks : float
        Maintenance interval in weeks after the last induction dose (label: 8; 4 allowed).
    n_maintenance : int
        Number of maintenance infusions (default 6: the first year, up to week 54).
    weight_kg : float
        Body weight in kg for the mg/kg dose (default 70).
    infusion_hours : float
        Infusion duration in hours (default 2 h, the label's minimum: "not less than 2
        hours", recalled).
    drug : str
        Node name of the drug.

    Returns
    -------
    Therapy
        IV, two compartments: V1 = 2.3 L and CL = 0.019 L/h (Ternant 2014, RA, typical
        values), Q = 7.14 L/day and V2 = 4.13 L borrowed from the ulcerative colitis model of
        Fasanmade 2009 (Ternant's Q and V2 are not in its abstract). Terminal half-life
        ln 2 / beta = 10.0 days.

    Notes
    -----
    The terminal half-life is compared with **8-12 days in RA** (Fasanmade 2009,
    introduction, citing RA data). With the ankylosing spondylitis Q and V2 (1.72 L/day,
    2.94 L) it would be 8.7 days; the UC model alone gives 12.9 days. Ternant 2014's
    covariates (V1 rises with weight, CL +20% with CRP 3 -> 14 mg/L, CL -30% with
    methotrexate) are not applied, and its reference weight is not in the abstract, so the
    typical values are used for any *weight_kg* (which scales the dose only).

    References
    ----------
    Ternant 2014, Br J Clin Pharmacol, doi:10.1111/bcp.12313; Fasanmade 2009, Eur J Clin
    Pharmacol 65:1211, doi:10.1007/s00228-009-0718-4; Remicade US label.

    Examples
    --------
    >>> import cytosim as cs
    >>> infliximab(n_maintenance=2).schedule("week").dose_times()
    [0.0, 2.0, 6.0, 14.0, 22.0]
    >>> induction = infliximab(n_maintenance=0)
    >>> tc = cs.simulate(cs.Network(time_unit="day"), t_end=56.0, interventions=[induction])
    >>> round(float(tc["infliximab_conc"][-1]), 1)  # mg/L at week 8, before the 4th dose
    14.2
    """
    dose = _number(dose_mg_per_kg, "dose_mg_per_kg", positive=True)
    weight = _weight(weight_kg)
    duration = _number(infusion_hours, "infusion_hours", positive=True)
    induction = [_number(w, "weeks") for w in weeks]
    if not induction or any(b <= a for a, b in zip(induction, induction[1:], strict=False)):
        raise ParameterError(f"`weeks` must be increasing and not empty, got {tuple(weeks)}")
    n_maintenance = _count(n_maintenance, "n_maintenance", minimum=0)
    every = _number(then_every_weeks, "then_every_weeks", positive=True)
    amount = _q(dose, "mg/kg")
    infusion = float(_q(duration, "h").to("week").magnitude)
    records = [Dose(drug, amount, time=w, duration=infusion, weight=weight) for w in induction]
    if n_maintenance:
        records.append(Dose(drug, amount, time=induction[-1] + every, ii=every,
                            addl=n_maintenance - 1, duration=infusion, weight=weight))
    return Therapy(
        name="infliximab", drug=drug, route="iv",
        volume=_q(2.3, "L"), clearance=_q(0.019, "L/h"),
        peripheral_volume=_q(4.13, "L"), intercompartmental_clearance=_q(7.14, "L/day"),
        regimen=tuple(records), regimen_time_unit="week",
        sources=((HALF_LIFE, FASANMADE_2009_RA),
                 ("V1, CL (RA)", TERNANT_2014),
                 ("Q, V2 (borrowed from ulcerative colitis)", FASANMADE_2009),
                 ("regimen", REMICADE_LABEL)),
        assumptions=COMMON_ASSUMPTIONS + (
            f"body weight {weight:g} kg scales the mg/kg dose only; PK typical values are "
            "used for any weight (Ternant 2014's reference weight is not in its abstract)",
            "population: RA (Ternant 2014, n = 84) for V1 and CL; Q and V2 borrowed from the "
            "ulcerative colitis model (Fasanmade 2009, n = 482)",
            "methotrexate and CRP effects on CL not applied (typical values)",
            f"constant-rate infusion over {duration:g} h (the label's minimum duration)",
        ))


def adalimumab(dose_mg: float = 40.0, every_weeks: float = 2.0, n_doses: int = 26,
               weight_kg: float = 70.0, bioavailability: float = 0.64,
               drug: str = "adalimumab") -> Therapy:
    """Adalimumab SC in rheumatoid arthritis: one compartment with first-order absorption.

    Parameters
    ----------
    dose_mg : float
        Dose per injection in mg (label: 40 mg).
    every_weeks : float
        Interval in weeks (label: 2, every other week; 1 allowed without methotrexate).
    n_doses : int
        Number of injections (default 26: one year every other week).
    weight_kg : float
        Body weight in kg (recorded only: doses are flat and the PK has no weight effect).
    bioavailability : float
        Absolute SC bioavailability F (label: 0.64, healthy adults, single 40 mg).
    drug : str
        Node name of the drug.

    Returns
    -------
    Therapy
        SC, one compartment: V/F = 10.8 L, CL/F = 0.32 L/day, ka = 0.28 1/day (Ternant 2015,
        RA, 40 mg every other week, n = 30), stored as V = F V/F = 6.91 L and
        CL = F CL/F = 0.205 L/day with F = 0.64 on the dose. Terminal half-life
        ln 2 V/CL = 23.4 days.

    Notes
    -----
    **F handled consistently.** Ternant's values are apparent (divided by the unknown F of
    each patient). The preset multiplies both by the label's F and gives F on the dose, so
    the concentration ``F dose / V`` is exactly that of the apparent model for any F, while
    body amounts are physical. Changing *bioavailability* therefore changes amounts, not
    concentrations. The derived V = 6.9 L and CL = 8.5 mL/h compare with the label's
    Vss 4.7-6.0 L and IV CL about 12 mL/h.

    **Terminal half-life source:** Ternant 2015's typical values themselves
    (ln 2 x 10.8 / 0.32 = 23.4 days, derived), so the simulated check tests the
    implementation, not the estimate. The label's "about 2 weeks (10-20 days)" is shorter:
    **the sources disagree** (23.4 days lies 17% above the label's upper end; the label's own
    CL and Vss give about 13 days). The steady-state trough at 40 mg every other week is
    8.0 ug/mL, close to the label's 8-9 ug/mL with methotrexate and 60% above its about
    5 ug/mL without; Ternant's abstract does not give the methotrexate fraction.

    References
    ----------
    Ternant 2015, Br J Clin Pharmacol 79:286, doi:10.1111/bcp.12509; Humira label.

    Examples
    --------
    >>> therapy = adalimumab(n_doses=3)
    >>> therapy.schedule("day").dose_times()
    [0.0, 14.0, 28.0]
    >>> round(therapy.volume.to("L").magnitude, 3), round(therapy.clearance.magnitude, 4)
    (6.912, 0.2048)
    """
    dose = _number(dose_mg, "dose_mg", positive=True)
    every = _number(every_weeks, "every_weeks", positive=True)
    n_doses = _count(n_doses, "n_doses")
    f = _fraction(bioavailability)
    weight = _weight(weight_kg)
    record = Dose(f"{drug}_depot", _q(dose, "mg"), time=0.0, ii=every, addl=n_doses - 1,
                  bioavailability=f, weight=weight)
    return Therapy(
        name="adalimumab", drug=drug, route="sc",
        volume=_q(10.8 * f, "L"), clearance=_q(0.32 * f, "L/day"),
        absorption_rate=_q(0.28, "1/day"), bioavailability=f,
        regimen=(record,), regimen_time_unit="week",
        sources=((HALF_LIFE, "Ternant 2015 typical values: t1/2 = ln 2 x (V/F) / (CL/F) = "
                             "23.4 days (derived); " + TERNANT_2015),
                 ("V/F, CL/F, ka (RA)", TERNANT_2015),
                 ("F, regimen, exposure", HUMIRA_LABEL)),
        assumptions=COMMON_ASSUMPTIONS + (
            "population: RA (Ternant 2015, n = 30, 40 mg every other week); methotrexate "
            "co-medication as in that study (fraction not in the abstract)",
            f"apparent V/F and CL/F multiplied by the label's F = {f:g} (healthy adults) to "
            "physical V and CL, F given on the dose: concentrations do not depend on F",
            f"flat dose; body weight {weight:g} kg recorded only",
            "terminal half-life (23.4 days) longer than the label's 10-20 days: sources "
            "disagree",
        ))


def _fraction(value: Any) -> float:
    f = _number(value, "bioavailability", positive=True)
    if f > 1:
        raise ParameterError(f"`bioavailability` must be <= 1, got {value!r}")
    return f


def etanercept(dose_mg: float = 50.0, every_weeks: float = 1.0, n_doses: int = 52,
               weight_kg: float = 70.0, bioavailability: float = 0.76,
               drug: str = "etanercept") -> Therapy:
    """Etanercept SC in rheumatoid arthritis: one compartment with first-order absorption.

    Parameters
    ----------
    dose_mg : float
        Dose per injection in mg (label: 50 mg weekly, or 25 mg twice weekly).
    every_weeks : float
        Interval in weeks (1; 0.5 for twice weekly).
    n_doses : int
        Number of injections (default 52: one year weekly).
    weight_kg : float
        Body weight in kg (recorded only: flat dose, no weight effect on PK).
    bioavailability : float
        Absolute SC bioavailability F (SmPC: 0.76 from population PK; 0.58 in earlier
        studies, Zhou 2005). Concentrations do not depend on it (see Notes).
    drug : str
        Node name of the drug.

    Returns
    -------
    Therapy
        SC, one compartment: CL/F = 0.160 L/h and t1/2 = 102 h (US label 2005, single 25 mg
        in RA), hence V/F = CL/F t1/2 / ln 2 = 23.5 L (derived); ka = 0.0605 1/h (Fang 2010,
        a different product). Stored as V = F V/F and CL = F CL/F with F on the dose.

    Notes
    -----
    The label's 160 mL/h follows a subcutaneous dose, so it is read as CL/F. The SmPC's
    bi-exponential volumes (central 7.6 L, Vss 10.4 L) are **not used**: no intercompartmental
    clearance comes with them, and with this clearance the Q that gives a 102 h terminal
    phase (about 0.025 L/h) makes the weekly steady state swing from 3.4-3.9 to 0.4-0.6 mg/L,
    against the SmPC's own 2.4 and 1.2 mg/L; they presumably belong to another (IV)
    clearance that pk.md does not have. The one-compartment model instead reproduces
    the SmPC's steady state at 50 mg weekly (Cmax 2.5 vs 2.4 mg/L, Cmin 1.1 vs 1.2 mg/L,
    AUC 313 vs 297 mg h/L). The only verified ka (Fang 2010) is for rhTNFR-Fc, a Chinese
    etanercept product; its 1 h lag time is ignored. The single-dose peak then falls at 41 h
    (Zhou 2005: 48-60 h).

    **Terminal half-life source:** the US label (102 h in RA). V/F is derived from it, so
    the simulated check tests the implementation; Zhou 2005 gives 70-100 h.

    References
    ----------
    Enbrel US PI 2005; Enbrel SmPC; Fang 2010, Acta Pharmacol Sin 31:1500,
    doi:10.1038/aps.2010.113; Zhou 2005, J Clin Pharmacol 45:490.

    Examples
    --------
    >>> therapy = etanercept()
    >>> round(therapy.volume.magnitude / therapy.bioavailability, 1)  # V/F in L
    23.5
    >>> round(terminal_half_life(therapy), 1)
    102.0
    """
    dose = _number(dose_mg, "dose_mg", positive=True)
    every = _number(every_weeks, "every_weeks", positive=True)
    n_doses = _count(n_doses, "n_doses")
    f = _fraction(bioavailability)
    weight = _weight(weight_kg)
    cl_over_f = _q(160.0, "mL/h").to("L/h")
    v_over_f = (cl_over_f * _q(102.0, "h") / math.log(2.0)).to("L")
    record = Dose(f"{drug}_depot", _q(dose, "mg"), time=0.0, ii=every, addl=n_doses - 1,
                  bioavailability=f, weight=weight)
    return Therapy(
        name="etanercept", drug=drug, route="sc",
        volume=v_over_f * f, clearance=cl_over_f * f, absorption_rate=_q(0.0605, "1/h"),
        bioavailability=f, regimen=(record,), regimen_time_unit="week",
        sources=((HALF_LIFE, ENBREL_US_PI),
                 ("CL/F (RA); V/F derived with the half-life", ENBREL_US_PI),
                 ("F, regimen, steady-state exposure", ENBREL_SMPC),
                 ("ka (different product)", FANG_2010),
                 ("F 58%, Tmax 48-60 h, t1/2 70-100 h", "Zhou H. Clinical pharmacokinetics of "
                  "etanercept. J Clin Pharmacol 2005;45(5):490-497, "
                  "doi:10.1177/0091270004273321 (abstract; verified)")),
        assumptions=COMMON_ASSUMPTIONS + (
            "population: RA (label, single 25 mg SC)",
            "label clearance after SC read as CL/F; V/F = CL/F x 102 h / ln 2 (derived)",
            f"apparent values multiplied by F = {f:g} (SmPC) to physical V and CL, F given "
            "on the dose: concentrations do not depend on F",
            "ka from rhTNFR-Fc (Fang 2010, a Chinese etanercept product), lag time ignored",
            "one compartment: the SmPC's central 7.6 L / Vss 10.4 L are not used",
            f"flat dose; body weight {weight:g} kg recorded only",
        ))


ALDESLEUKIN_REGIMENS = ("high_dose", "low_dose")
ALDESLEUKIN_IU_PER_MG = 18e6 / 1.1  # Proleukin label: 18 MIU = 1.1 mg


def aldesleukin(regimen: str = "high_dose", weight_kg: float = 70.0,
                n_doses: int | None = None, daily_miu: float = 1.0, bsa_m2: float = 1.8,
                infusion_minutes: float = 15.0, sc_bioavailability: float = 0.39,
                drug: str = "aldesleukin") -> Therapy:
    """Aldesleukin (recombinant IL-2): high-dose IV or low-dose SC.

    Parameters
    ----------
    regimen : {"high_dose", "low_dose"}
        ``"high_dose"``: 600,000 IU/kg IV every 8 h, at most 14 doses (label).
        ``"low_dose"``: *daily_miu* million IU SC once a day (the 1-3 MIU/day regimens of
        low-dose IL-2 for regulatory T cells; recalled, not a label regimen).
    weight_kg : float
        Body weight in kg for the IU/kg dose (default 70).
    n_doses : int, optional
        Number of doses (default 14 for ``high_dose``, at most 14; 5 daily doses for
        ``low_dose``).
    daily_miu : float
        Low-dose amount in million IU per day (default 1).
    bsa_m2 : float
        Body surface area in m**2 that scales the central (plasma) volume (default 1.8, a
        70 kg, 170 cm adult by the Mosteller formula).
    infusion_minutes : float
        High-dose infusion duration (default 15 min, recalled from the label).
    sc_bioavailability : float
        SC bioavailability F (default 0.39, the midpoint of the SmPC's 31-47%).
    drug : str
        Node name of the drug (distinct from any endogenous ``IL2`` node).

    Returns
    -------
    Therapy
        Two compartments derived from Konrad 1990 (below); ``low_dose`` adds an SC depot
        with ka = ln 2 / 3.3 h. Amounts in mg with 18 MIU = 1.1 mg (label).

    Notes
    -----
    **Derivation of the IV model (Konrad 1990).** After an IV bolus the level equals the
    dose over the plasma volume, 650 U/mL for 1e6 U/m**2, so V1 = 1e6 / 650 mL = 1.538
    L/m**2 (2.77 L at 1.8 m**2). The level falls with half-lives 12.9 min (alpha) then 85
    min (beta); the clearance is about 120 mL/min (7.2 L/h). With k10 = CL/V1:
    k21 = alpha beta / k10, k12 = alpha + beta - k10 - k21, Q = k12 V1, V2 = Q / k21, which
    gives k10 = 2.60 1/h, Q = 1.40 L/h and V2 = 2.31 L (and needs beta < CL/V1 < alpha,
    i.e. a BSA between 1.45 and 9.6 m**2 with this clearance). The EU SmPC reports a longer
    terminal half-life (100-123 min) and a higher clearance (155-420 mL/min) in cancer
    patients; the label says about 30% of a dose is in plasma at the end of a short infusion,
    more distribution than Konrad's bolus data imply. These are not used.

    **SC absorption.** F = 0.39 (SmPC 31-47%). ka = ln 2 / 3.3 h = 0.21 1/h from the SC
    elimination half-life of Piscitelli (3.3 h in HIV patients, 12-18 MIU/day), read as
    absorption-limited (flip-flop) because it is longer than the IV 85 min. This reproduces
    Konrad's SC level of about 2% of the IV bolus level, but peaks at 1.1 h, earlier than the
    SmPC's 2-6 h and Piscitelli's 4.4 h (absorption after a 27 min lag, with a plateau of
    about 8 h in Konrad, which first-order absorption cannot produce).

    **Terminal half-life sources:** IV: Konrad 1990 (85 min); SC: Piscitelli (3.3 h). Both
    are inputs of the derivation, so the simulated checks test the implementation.

    References
    ----------
    Konrad 1990, Cancer Res 50:2009; Proleukin US label and EU SmPC; Piscitelli et al.,
    Pharmacotherapy.

    Examples
    --------
    >>> therapy = aldesleukin()
    >>> round(therapy.regimen[0].amount_in_unit(), 4)  # mg: 600,000 IU/kg x 70 kg
    2.5667
    >>> round(terminal_half_life(therapy, "min"), 1)
    85.0
    >>> low = aldesleukin("low_dose")
    >>> round(terminal_half_life(low), 2), low.schedule("day").dose_times()
    (3.3, [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    regimen = _choice(regimen, ALDESLEUKIN_REGIMENS, "aldesleukin regimen")
    weight = _weight(weight_kg)
    bsa = _number(bsa_m2, "bsa_m2", positive=True)
    f = _fraction(sc_bioavailability)
    ln2 = math.log(2.0)
    alpha, beta = ln2 / 12.9, ln2 / 85.0  # 1/min
    v1 = _q(1e6 / 650.0, "mL/m**2") * _q(bsa, "m**2")
    clearance = _q(120.0, "mL/min")
    q, v2 = _two_compartment_from_half_lives(alpha, beta, clearance.to("L/min").magnitude,
                                             v1.to("L").magnitude)
    high = regimen == "high_dose"
    extra: tuple[str, ...]
    if n_doses is None:
        n_doses = 14 if high else 5
    n_doses = _count(n_doses, "n_doses")
    if high:
        if n_doses > 14:
            raise ParameterError(f"`n_doses` = {n_doses}: the label allows at most 14 "
                                 "high-dose doses per cycle")
        minutes = _number(infusion_minutes, "infusion_minutes", positive=True)
        record = Dose(drug, _q(600000.0, "IU/kg"), time=0.0, ii=8.0, addl=n_doses - 1,
                      duration=minutes / 60.0, weight=weight,
                      specific_activity=ALDESLEUKIN_IU_PER_MG)
        route, ka, dose_f = "iv", None, 1.0
        half_life, regimen_source = (HALF_LIFE, KONRAD_1990), ("regimen", PROLEUKIN_LABEL)
        extra = (f"600,000 IU/kg x {weight:g} kg every 8 h as {minutes:g}-minute infusions, "
                 f"{n_doses} doses (one cycle)",)
    else:
        daily = _number(daily_miu, "daily_miu", positive=True)
        record = Dose(f"{drug}_depot", _q(daily * 1e6, "IU"), time=0.0, ii=24.0,
                      addl=n_doses - 1, bioavailability=f, weight=weight,
                      specific_activity=ALDESLEUKIN_IU_PER_MG)
        route, ka, dose_f = "sc", _q(ln2 / 3.3, "1/h"), f
        half_life, regimen_source = (HALF_LIFE, PISCITELLI), ("regimen", LOW_DOSE_IL2)
        extra = (f"{daily:g} MIU SC once daily for {n_doses} days (low-dose regimen, "
                 "recalled)",
                 "SC absorption first order, ka = ln 2 / 3.3 h (flip-flop reading of "
                 "Piscitelli's SC half-life); no lag time; peak at 1.1 h, earlier than the "
                 "reported 2-6 h",
                 "SC PK from 12-18 MIU/day in HIV patients extrapolated linearly to low "
                 "doses",
                 f"SC bioavailability {f:g} (midpoint of the SmPC's 31-47%)",
                 f"flat dose in IU; body weight {weight:g} kg recorded only")
    return Therapy(
        name=f"aldesleukin ({regimen})", drug=drug, route=route,
        volume=v1.to("L"), clearance=clearance,
        peripheral_volume=_q(v2, "L"), intercompartmental_clearance=_q(q, "L/min"),
        absorption_rate=ka, bioavailability=dose_f,
        regimen=(record,), regimen_time_unit="h",
        sources=(half_life,
                 ("V1 (plasma volume), CL, alpha and beta half-lives", KONRAD_1990),
                 ("specific activity, high-dose regimen", PROLEUKIN_LABEL),
                 ("SC bioavailability, SC Tmax; other IV values not used", PROLEUKIN_SMPC),
                 regimen_source),
        assumptions=COMMON_ASSUMPTIONS + (
            f"V1 = plasma volume 1.538 L/m**2 x {bsa:g} m**2 (Konrad 1990, derived); Q and "
            "V2 derived from the 12.9 and 85 min half-lives and CL 120 mL/min",
            "Konrad's bolus data used; the SmPC's 100-123 min and 155-420 mL/min not used",
            "specific activity 18 MIU per 1.1 mg (label); no soluble IL-2 receptor binding",
        ) + extra)


def anakinra(dose_mg: float = 100.0, every_days: float = 1.0, n_doses: int = 28,
             weight_kg: float = 70.0, bioavailability: float = 0.95,
             drug: str = "anakinra") -> Therapy:
    """Anakinra SC daily in rheumatoid arthritis: one compartment with first-order absorption.

    Parameters
    ----------
    dose_mg : float
        Dose per injection in mg (label: 100 mg daily).
    every_days : float
        Interval in days (label: 1; 2 when creatinine clearance < 30 mL/min).
    n_doses : int
        Number of injections (default 28: four weeks).
    weight_kg : float
        Body weight in kg (recorded only: flat dose, no weight effect on PK).
    bioavailability : float
        Absolute SC bioavailability F (label: 0.95).
    drug : str
        Node name of the drug.

    Returns
    -------
    Therapy
        SC, one compartment, from the Chinese RA study (1 mg/kg SC, n = 15): CL/F = 150
        mL/min = 9.0 L/h and t1/2 = 3.76 h, hence V/F = CL/F t1/2 / ln 2 = 48.8 L (derived);
        ka = 0.330 1/h (derived) places the single-dose peak at 4 h, the middle of the
        study's Tmax range 2-6 h. Stored as V = F V/F and CL = F CL/F with F on the dose.

    Notes
    -----
    Both apparent values come from one study, so they are consistent with each other: the
    model's single 1 mg/kg (70 mg) peak is 686 ng/mL against the study's 687 +/- 197 ng/mL.
    **Terminal half-life source:** the same study (3.76 h), an input of the derivation, so
    the simulated check tests the implementation. **The label disagrees slightly:** 4-6 h
    (3.76 h is 6% below its lower end). V/F = 48.8 L exceeds extracellular water; it is an
    apparent value of the SC profile, not an IV disposition volume.

    References
    ----------
    Pharmacol Res 2004, doi:10.1016/j.phrs.2004.02.002; Kineret label.

    Examples
    --------
    >>> therapy = anakinra(n_doses=3)
    >>> therapy.schedule("h").dose_times()
    [0.0, 24.0, 48.0]
    >>> round(therapy.absorption_rate.magnitude, 3), round(terminal_half_life(therapy), 2)
    (0.33, 3.76)
    """
    dose = _number(dose_mg, "dose_mg", positive=True)
    every = _number(every_days, "every_days", positive=True)
    n_doses = _count(n_doses, "n_doses")
    f = _fraction(bioavailability)
    weight = _weight(weight_kg)
    cl_over_f = _q(150.0, "mL/min").to("L/h")
    half_life = 3.76  # h
    v_over_f = (cl_over_f * _q(half_life, "h") / math.log(2.0)).to("L")
    ka = _ka_for_tmax(math.log(2.0) / half_life, 4.0)
    record = Dose(f"{drug}_depot", _q(dose, "mg"), time=0.0, ii=every, addl=n_doses - 1,
                  bioavailability=f, weight=weight)
    return Therapy(
        name="anakinra", drug=drug, route="sc",
        volume=v_over_f * f, clearance=cl_over_f * f, absorption_rate=_q(ka, "1/h"),
        bioavailability=f, regimen=(record,), regimen_time_unit="day",
        sources=((HALF_LIFE, ANAKINRA_CHINESE_RA),
                 ("CL/F, t1/2 (V/F derived), Tmax (ka derived)", ANAKINRA_CHINESE_RA),
                 ("F, regimen; t1/2 4-6 h and Tmax 3-7 h in RA", KINERET_LABEL)),
        assumptions=COMMON_ASSUMPTIONS + (
            "population: Chinese RA patients, 1 mg/kg SC single dose (n = 15)",
            "V/F = CL/F x 3.76 h / ln 2 (derived); ka chosen so the peak is at 4 h, the "
            "midpoint of the study's 2-6 h, on the branch ka > k",
            f"apparent values multiplied by the label's F = {f:g} to physical V and CL, F "
            "given on the dose: concentrations do not depend on F",
            f"flat dose; body weight {weight:g} kg recorded only; normal renal function",
        ))


IL10_ROUTES = ("iv", "sc")


def il10(dose_ug_per_kg: float = 25.0, route: str = "iv", n_doses: int = 1,
         every_hours: float = 24.0, weight_kg: float = 70.0,
         drug: str = "rhIL10") -> Therapy:
    """Exogenous recombinant human IL-10: two-compartment IV disposition, optional SC depot.

    Parameters
    ----------
    dose_ug_per_kg : float
        Dose in ug/kg (studied: 0.1-100 ug/kg IV, 1-50 ug/kg SC; default 25, the dose of the
        IV/SC crossover that gives the PK).
    route : {"iv", "sc"}
        IV bolus into the central amount, or SC injection into the depot.
    n_doses : int
        Number of doses (default 1: the studies gave single doses).
    every_hours : float
        Interval between repeated doses in hours.
    weight_kg : float
        Body weight in kg: scales the dose and every volume and clearance (per-kg values).
    drug : str
        Node name (default ``rhIL10``, distinct from an endogenous ``IL10`` node).

    Returns
    -------
    Therapy
        Healthy-volunteer PK, per kg: V1 = 48.8 mL/kg, CL = 65 mL/kg/h, Vss = 70 mL/kg,
        terminal half-life 1.94 h IV; SC F = 0.42 and ka = ln 2 / 3.6 h.

    Notes
    -----
    **Derivation.** Radwanski 1998 (25 ug/kg IV and SC crossover) gives CL 65 mL/kg/h,
    Vss 70 mL/kg and t1/2 1.94 h (polyexponential IV disposition) and F = 42%. The central
    volume is taken from the IV bolus peaks of Fuchs 1996 (208 and 505 ng/mL at 2-5 min
    after 10 and 25 ug/kg: 48.1 and 49.5 mL/kg, mean 48.8 mL/kg, about the plasma volume).
    With k10 = CL/V1, r = (Vss - V1)/V1 and beta = ln 2 / 1.94 h,
    k21 = beta (k10 - beta) / (k10 - (1 + r) beta) = 0.425 1/h, V2 = Vss - V1 = 21.2 mL/kg,
    Q = k21 V2 = 9.0 mL/kg/h. SC: the terminal half-life after SC, 2.7-4.5 h (Huhn 1997,
    midpoint 3.6 h), is longer than the IV one and is read as absorption-limited:
    ka = ln 2 / 3.6 h. Check: the model's apparent SC volume (CL/F) / ka = 0.80 L/kg lies in
    Huhn 1997's 0.70-1.35 L/kg.

    **Terminal half-life sources:** IV: Radwanski 1998 (1.94 h); SC: Huhn 1997 (2.7-4.5 h).
    Both enter the derivation, so the simulated checks test the implementation. **Sources
    disagree on the IV half-life:** Huhn 1996 reports 2.3-3.7 h and Fuchs 1996 3.18 h (the
    later, low concentrations weigh on the terminal phase; assay sensitivity differs).

    References
    ----------
    Radwanski 1998, Pharm Res 15:1895; Fuchs 1996, J Clin Immunol 16:291; Huhn 1996, Blood
    87:699; Huhn 1997, Clin Pharmacol Ther 62:171.

    Examples
    --------
    >>> therapy = il10()
    >>> round(therapy.regimen[0].amount_in_unit(), 3)  # mg: 25 ug/kg x 70 kg
    1.75
    >>> round(terminal_half_life(therapy), 2), round(terminal_half_life(il10(route="sc")), 2)
    (1.94, 3.6)
    """
    route = _choice(route, IL10_ROUTES, "IL-10 route")
    dose = _number(dose_ug_per_kg, "dose_ug_per_kg", positive=True)
    n_doses = _count(n_doses, "n_doses")
    every = _number(every_hours, "every_hours", positive=n_doses > 1)
    weight = _weight(weight_kg)
    kg = _q(weight, "kg")
    v1 = (_q((10.0 / 208.0 + 25.0 / 505.0) / 2.0, "L/kg") * kg).to("L")
    clearance = (_q(65.0, "mL/kg/h") * kg).to("L/h")
    vss = (_q(70.0, "mL/kg") * kg).to("L")
    beta = math.log(2.0) / 1.94
    q, v2 = _two_compartment_from_vss(beta, clearance.magnitude, v1.magnitude, vss.magnitude)
    sc = route == "sc"
    f = 0.42 if sc else 1.0
    record = Dose(f"{drug}_depot" if sc else drug, _q(dose, "ug/kg"), time=0.0, ii=every,
                  addl=n_doses - 1, bioavailability=f, weight=weight)
    return Therapy(
        name=f"IL-10 ({route})", drug=drug, route=route,
        volume=v1, clearance=clearance,
        peripheral_volume=_q(v2, "L"), intercompartmental_clearance=_q(q, "L/h"),
        absorption_rate=_q(math.log(2.0) / 3.6, "1/h") if sc else None, bioavailability=f,
        regimen=(record,), regimen_time_unit="h",
        sources=((HALF_LIFE, HUHN_1997 if sc else RADWANSKI_1998),
                 ("CL, Vss, IV half-life, SC bioavailability", RADWANSKI_1998),
                 ("V1 from IV bolus peaks", FUCHS_1996),
                 ("IV half-life 2.3-3.7 h (not used)", HUHN_1996),
                 ("SC half-life (ka), SC apparent volume (check)", HUHN_1997)),
        assumptions=COMMON_ASSUMPTIONS + (
            "population: healthy volunteers (no inflammation, no disease)",
            f"per-kg volumes, clearances and dose scaled to {weight:g} kg",
            "V1 from the IV bolus peak concentrations (Fuchs 1996), taken at 2-5 min as the "
            "initial level",
            "SC absorption first order and slower than elimination (flip-flop): ka = ln 2 / "
            "3.6 h",
            "the recombinant protein is a separate node from endogenous IL-10 (no shared "
            "receptor-mediated clearance)",
        ))
