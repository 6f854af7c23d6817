"""Aldesleukin (recombinant IL-2): high-dose IV and low-dose SC regimens."""

from __future__ import annotations

import math

from ..exceptions import ParameterError
from ..interventions import Dose, _number
from ._base import (
    COMMON_ASSUMPTIONS,
    HALF_LIFE,
    Therapy,
    _choice,
    _count,
    _fraction,
    _q,
    _two_compartment_from_half_lives,
    _weight,
)

# --------------------------------------------------------------------------- citations
# Status as in the project's research note (pk.md): "verified" = read in the source text,
# "verified (2nd)" = read in a secondary page quoting it, "recalled" = not found in a source,
# "derived" = computed here from verified numbers.
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
    >>> from cytosim.therapies import terminal_half_life
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
