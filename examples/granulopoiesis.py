"""Docetaxel-induced neutropenia with and without filgrastim (Friberg et al. 2002 model).

Simulates the bundled `granulopoiesis` model over three weeks after docetaxel 100 mg/m2 (1-h
infusion, body surface area 1.8 m2): the neutrophil count falls to its nadir near day 7.6,
recovers by day 15-16 and rebounds near day 20, while endogenous G-CSF rises as neutrophils fall.
With filgrastim 5 ug/kg/day SC for 10 days from day 1 (the label regimen, `filgrastim()` preset)
the nadir is shallower and the count never falls below 1e9/L (2.4 days without), about as much
as prophylactic G-CSF removed in the placebo-controlled trial (Crawford et al. 1991: grade IV
neutropenia 6 -> 1 day). Started only once the count is below 1e9/L, even 12 ug/kg/day shortens
it by 0.3 day, against the 1 day reported by Maher et al. 1994: the model has no marrow reserve
for G-CSF to release, and new cells reach the blood one transit time (3.7 days) later.

The filgrastim effect is an assumption (no published link to this model): filgrastim multiplies
the proliferation rate by 1 + EG C / (EC50G + C), C its plasma concentration in ng/mL, EC50G =
3.21 ng/mL (filgrastim potency of the transcribed Krzyzanski 2010 model), EG = 0.25. The G-CSF
effects of Quartino 2014 and Krzyzanski 2010, tried in its place, do not transfer to this model
(see tests/test_model_granulopoiesis.py).

Run: python examples/granulopoiesis.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import cytosim as cs
from cytosim.therapies import Therapy
from cytosim.therapies.filgrastim import filgrastim

SETTINGS = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-10}
T_END = 504.0  # h: 21 days
DOCETAXEL = cs.Dose("DTX", amount="100 mg/m**2", bsa=1.8, duration=1.0)  # 1-h infusion
COUPLING = ("4 / Prol.MTT * Prol * (1 - Prol.Emax * (DTX / (Prol.V1 * Prol.mw)) / (Prol.EC50 + "
            "DTX / (Prol.V1 * Prol.mw))) * (Prol.Circ0 / Circ) ^ Prol.gamma * EG * "
            "(1000 * filgrastim / filgrastim_central.volume) / (EC50G + 1000 * filgrastim / "
            "filgrastim_central.volume)")


def with_filgrastim(net: cs.Network, therapy: Therapy) -> tuple[cs.Network,
                                                             list[cs.DosingSchedule]]:
    """A copy of *net* with *therapy*'s PK and the assumed effect on proliferation."""
    coupled, schedules = therapy.prepare(net)
    coupled.add_term("Prol", COUPLING, name="filgrastim_stimulation",
                     params={"EG": 0.25, "EC50G": 3.21}, units={"EC50G": "ng/mL"})
    return coupled, schedules


def days_below(tc: cs.TimeCourse, threshold: float) -> float:
    return float(np.sum(tc["Circ"][:-1] < threshold) * np.diff(tc.t)[0] / 24.0)


def main(out: Path) -> Path:
    model = cs.load_model("granulopoiesis")
    alone = cs.simulate(model, t_end=T_END, n_points=2017, interventions=[DOCETAXEL], **SETTINGS)
    runs = [("docetaxel alone", alone, "tab:red", None)]
    start = float(alone.t[np.argmax(alone["Circ"] < 1.0)])  # h: the count first below 1e9/L
    for label, therapy, colour in (
            ("+ filgrastim 5 ug/kg/day SC, days 1-10", filgrastim(), "tab:blue"),
            (f"+ 12 ug/kg/day SC from day {start / 24:.1f} (ANC < 1)",
             filgrastim(12.0, n_doses=5, start_hours=start), "tab:green")):
        coupled, schedules = with_filgrastim(model, therapy)
        tc = cs.simulate(coupled, t_end=T_END, n_points=2017,
                         interventions=[DOCETAXEL, *schedules], **SETTINGS)
        runs.append((label, tc, colour, therapy))

    fig, (ax, ax_g) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    for (label, tc, colour, therapy), offset in zip(runs, ((10, -12), (8, 10), (10, -26)),
                                                      strict=True):
        days = tc.t / 24.0
        i = int(np.argmin(tc["Circ"]))
        ax.plot(days, tc["Circ"], color=colour,
                label=f"{label}: {days_below(tc, 1.0):.1f} days below 1e9/L")
        ax.plot(days[i], tc["Circ"][i], "o", color=colour, ms=8)
        ax.annotate(f"nadir {tc['Circ'][i]:.2f} (day {days[i]:.1f})", (days[i], tc["Circ"][i]),
                    textcoords="offset points", xytext=offset, color=colour)
        ax_g.plot(days, tc["GCSF"], color=colour, label=f"{label}: endogenous")
        if therapy is not None:
            ax_g.plot(days, tc["filgrastim_conc"] * 1e6, color=colour, ls=":", lw=1,
                      label="filgrastim in plasma")
    ax.axhline(5.05, color="grey", lw=0.8, ls="--", label="baseline Circ0 = 5.05")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="1e9/L (grade 3)")
    ax.set(xlabel="days after docetaxel 100 mg/m2", ylabel="neutrophils (1e9/L)", xlim=(0, 21),
           ylim=(0, 11.5), title="Friberg 2002 model: circulating neutrophils")
    ax.legend(fontsize=8, loc="upper left")
    ax_g.set(xlabel="days", ylabel="G-CSF (pg/mL)", yscale="log", xlim=(0, 21), ylim=(1.0, 1e5),
             title="G-CSF: endogenous (Quartino 2014 kinetics) and filgrastim")
    ax_g.legend(fontsize=8)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "granulopoiesis.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    print(main(parser.parse_args().out))
