"""Anakinra (recombinant IL-1 receptor antagonist), SC."""

from __future__ import annotations

import math

from ..interventions import Dose, _number
from ._base import (
    COMMON_ASSUMPTIONS,
    HALF_LIFE,
    Therapy,
    _count,
    _fraction,
    _ka_for_tmax,
    _q,
    _weight,
    acting_on,
)
from ._binding import Binding

# --------------------------------------------------------------------------- citations
# Status as in the project's research note (pk.md): "verified" = read in the source text,
# "verified (2nd)" = read in a secondary page quoting it, "recalled" = not found in a source,
# "derived" = computed here from verified numbers.
KINERET_LABEL = ("Kineret (anakinra) label as quoted: 100 mg SC daily; absolute F 95%; RA "
                 "Tmax 3-7 h, terminal t1/2 4-6 h (verified (2nd))")
ANAKINRA_CHINESE_RA = ("The pharmacokinetics of interleukin-1 receptor antagonist in Chinese "
                       "subjects with rheumatoid arthritis. Pharmacol Res 2004, "
                       "doi:10.1016/j.phrs.2004.02.002 (abstract; verified): 15 RA patients, "
                       "1 mg/kg SC, Tmax 2-6 h, Cmax 687 +/- 197 ng/mL, t1/2 3.76 +/- 1 h, "
                       "CL/F 150 +/- 52 mL/min")
KINERET_MW = ("Kineret (anakinra) label, Description: 17.3 kDa, 153 amino acids (verified (2nd))")
DRIPPS_1991 = ("Dripps DJ et al. Interleukin-1 (IL-1) receptor antagonist binds to the 80-kDa "
               "IL-1 receptor but does not initiate IL-1 signal transduction. J Biol Chem 1991 "
               "(abstract; verified): IL-1ra binds the IL-1 receptor of murine EL4 cells with KD "
               "= 150 pM, approximately equal to that of IL-1 alpha and IL-1 beta")
AREND_1993 = ("Arend WP. Interleukin-1 receptor antagonist. Adv Immunol 1993;54:167 (abstract; "
              "verified): a 100-fold or greater excess of IL-1ra over IL-1 may be necessary to "
              "inhibit biological responses to IL-1 in vitro and in vivo")
ANAKINRA_KI_PM = 150.0  # Dripps 1991 (murine EL4 cells)


def anakinra(dose_mg: float = 100.0, every_days: float = 1.0, n_doses: int = 28,
             weight_kg: float = 70.0, bioavailability: float = 0.95,
             drug: str = "anakinra", target: str | None = None) -> Therapy:
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
    target : str, optional
        An IL-1 node of the network (linked to the catalogue's IL1B or IL1A) whose receptor
        the drug blocks: competitive antagonism with Ki = 150 pM (Dripps 1991), so every
        response to the cytokine reads ``C / (1 + [anakinra]/Ki)`` (kind ``antagonizes``);
        the cytokine's own amount is unchanged. Without it the preset is PK only.

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
    >>> from cytosim.therapies import terminal_half_life
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
    therapy = Therapy(
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
    binding = Binding(("IL1B", "IL1A"), _q(17300.0, "g/mol"), mechanism="antagonist",
                      ki=_q(ANAKINRA_KI_PM, "pM"))
    return acting_on(therapy, target, binding, (
        ("Ki at the IL-1 receptor", DRIPPS_1991),
        ("molar excess needed against IL-1", AREND_1993),
        ("molecular weight", KINERET_MW)), (
        f"competitive antagonism at IL-1R1 with Ki = {ANAKINRA_KI_PM:g} pM, the KD measured on "
        "murine EL4 cells (Dripps 1991); the cytokine's responses follow the Gaddum equation "
        "(apparent K multiplied by 1 + [anakinra]/Ki)",
        "the free central concentration is the one at the receptors; binding to receptors "
        "does not change the drug's or the cytokine's amount (receptors in excess of neither)"))
