"""Filgrastim (recombinant methionyl human G-CSF), SC or IV."""

from __future__ import annotations

import math

from ..interventions import Dose, _number
from ._base import (
    COMMON_ASSUMPTIONS,
    HALF_LIFE,
    Therapy,
    _choice,
    _count,
    _fraction,
    _q,
    _weight,
)

# --------------------------------------------------------------------------- citations
# Status as in the project's research notes (pk.md, ifn_gcsf.md): "verified (2nd)" = read in a
# secondary page quoting the source, "transcribed" = one public code transcription only.
FILGRASTIM_SMPC = ("Filgrastim SmPC (Grastofil / Neutromax text, section 5.2), verified (2nd): "
                   "first-order clearance after IV and SC dosing, serum elimination half-life "
                   "about 3.5 h, clearance about 0.6 mL/min/kg, volume of distribution in "
                   "blood about 150 mL/kg, dose and serum concentration linearly related (IV "
                   "and SC), no accumulation over 28 days of continuous infusion")
FILGRASTIM_LABEL = ("Neupogen (filgrastim) US label, dosage section as quoted by drugs.com, "
                    "verified (2nd): 5 ug/kg/day as a single daily SC injection or short IV "
                    "infusion, at least 24 h after cytotoxic chemotherapy, for up to 2 weeks or "
                    "until the ANC has reached 10,000/mm3 after the expected nadir")
KRZYZANSKI_2010 = ("Krzyzanski W et al. filgrastim PK/PD in healthy adults after IV and SC "
                   "doses (PubMed 20881223), transcribed in metrumresearchgroup/page-2018-"
                   "mrgsolve model/gcsf.cpp (transcribed, the paper's tables not read): SC "
                   "bioavailability F = 0.626, first-order absorption ka = 0.642 1/h; its "
                   "disposition is target-mediated (receptors on neutrophils)")

FILGRASTIM_ROUTES = ("sc", "iv")


def filgrastim(dose_ug_per_kg: float = 5.0, route: str = "sc", n_doses: int = 10,
               every_hours: float = 24.0, start_hours: float = 24.0, weight_kg: float = 70.0,
               bioavailability: float = 0.626, drug: str = "filgrastim") -> Therapy:
    """Filgrastim daily after chemotherapy: one compartment, optional SC depot.

    Parameters
    ----------
    dose_ug_per_kg : float
        Dose per injection in ug/kg (label: 5 ug/kg/day).
    route : {"sc", "iv"}
        SC injection into the depot (default) or an IV bolus into the central amount (the
        label's short IV infusion is given as a bolus).
    n_doses : int
        Number of daily doses (default 10; the label gives up to 14, until the ANC recovers).
    every_hours : float
        Interval between doses in hours (label: 24).
    start_hours : float
        Time of the first dose in hours after chemotherapy (label: at least 24 h).
    weight_kg : float
        Body weight in kg: scales the dose, the volume and the clearance (per-kg values).
    bioavailability : float
        SC bioavailability F (default 0.626, Krzyzanski 2010 as transcribed); ignored for IV.
    drug : str
        Node name (default ``filgrastim``, distinct from an endogenous ``GCSF`` node).

    Returns
    -------
    Therapy
        Per kg: V = 150 mL/kg, terminal half-life 3.5 h (SmPC), hence CL = V ln 2 / 3.5 h =
        0.495 mL/min/kg (derived); SC ka = 0.642 1/h and F = 0.626.

    Notes
    -----
    **Linearisation.** Filgrastim is also cleared by G-CSF receptors on neutrophils, so its
    clearance rises with the neutrophil count (target-mediated disposition, as in the
    Krzyzanski model); the SmPC nevertheless describes first-order clearance and a linear
    dose-concentration relation, and this preset uses the SmPC's linear one-compartment
    values for both routes. **The SmPC's numbers disagree by 17%:** V ln 2 / t1/2 gives 0.495
    mL/min/kg against its "about 0.6"; the half-life is kept (it is the value the preset
    reproduces) and the clearance derived. SC absorption (ka, F) is borrowed from the
    transcribed Krzyzanski 2010 model, whose own disposition (V 2.56 L plus receptor binding)
    is not used. ka > CL/V, so the terminal phase after SC dosing is elimination (3.5 h), not
    absorption. **Terminal half-life source:** the SmPC (3.5 h), an input of the derivation.

    References
    ----------
    Filgrastim SmPC section 5.2; Neupogen US label section 2.1; Krzyzanski et al. 2010 (PubMed
    20881223).

    Examples
    --------
    >>> from cytosim.therapies import terminal_half_life
    >>> therapy = filgrastim(n_doses=3)
    >>> therapy.schedule("h").dose_times()
    [24.0, 48.0, 72.0]
    >>> round(therapy.regimen[0].amount_in_unit(), 3)  # mg: 5 ug/kg x 70 kg
    0.35
    >>> round(terminal_half_life(therapy), 2), round(terminal_half_life(filgrastim(route="iv")), 2)
    (3.5, 3.5)
    """
    route = _choice(route, FILGRASTIM_ROUTES, "filgrastim route")
    dose = _number(dose_ug_per_kg, "dose_ug_per_kg", positive=True)
    n_doses = _count(n_doses, "n_doses")
    every = _number(every_hours, "every_hours", positive=n_doses > 1)
    start = _number(start_hours, "start_hours")
    weight = _weight(weight_kg)
    f = _fraction(bioavailability)
    kg = _q(weight, "kg")
    volume = (_q(150.0, "mL/kg") * kg).to("L")
    half_life = _q(3.5, "h")
    clearance = (volume * math.log(2.0) / half_life).to("L/h")
    sc = route == "sc"
    f = f if sc else 1.0
    record = Dose(f"{drug}_depot" if sc else drug, _q(dose, "ug/kg"), time=start, ii=every,
                  addl=n_doses - 1, bioavailability=f, weight=weight)
    return Therapy(
        name=f"filgrastim ({route})", drug=drug, route=route,
        volume=volume, clearance=clearance,
        absorption_rate=_q(0.642, "1/h") if sc else None, bioavailability=f,
        regimen=(record,), regimen_time_unit="h",
        sources=((HALF_LIFE, FILGRASTIM_SMPC),
                 ("volume of distribution, linear first-order clearance", FILGRASTIM_SMPC),
                 ("regimen: 5 ug/kg/day, >= 24 h after chemotherapy, up to 2 weeks",
                  FILGRASTIM_LABEL),
                 ("SC absorption rate ka and bioavailability F", KRZYZANSKI_2010)),
        assumptions=COMMON_ASSUMPTIONS + (
            "population: adults (the SmPC's values hold for healthy volunteers and cancer "
            "patients alike)",
            f"per-kg volume, clearance and dose scaled to {weight:g} kg",
            "linearised: receptor-mediated (neutrophil-dependent) clearance folded into one "
            "first-order clearance CL = V ln 2 / 3.5 h, derived from the SmPC's volume and "
            "half-life (17% below its 'about 0.6 mL/min/kg')",
            "SC absorption first order with ka = 0.642 1/h and F = 0.626 from the transcribed "
            "Krzyzanski 2010 model, combined with the SmPC's disposition",
            "the recombinant protein is a separate node from endogenous G-CSF; its action on "
            "granulopoiesis is not part of the preset",
        ))
