"""IL-2 regimens on the Kirschner & Panetta 1998 tumor model (`tumor_il2`), compared.

The paper's IL-2 therapy is a constant source s2 into the IL-2 node IL (in the model's own,
nominal IU per day). Here IL-2 is also given as doses: `cs.Dose("IL", amount, ...)` puts an
amount into IL at each dose time (a bolus), and a Dose with a duration or rate is the same as
s2 switched on for that window (tested in tests/test_model_tumor_il2.py).

Aldesleukin regimens (cytosim.therapies.aldesleukin) are mapped onto IL with an ASSUMED scale
factor, not a published one: SCALE model IU per IU given to the patient (default 1: the whole
bioavailable dose enters IL, the upper bound of the dose's effect). The high-dose IV doses go
in as boluses (15-minute infusions are short against IL-2's 100-minute half-life in the model,
1/mu3 = 0.1 day); the low-dose SC doses go in as boluses of F x dose (absorption neglected).

Every regimen starts at the untreated model's dormant tumor equilibrium (c = 0.035, about
1.8e4 tumor cells) and runs for 1000 days. Left: the first 60 days with the doses marked;
right: the whole horizon. Outcome in the legend: cleared means below one tumor cell over the
last 300 days.

Run: python examples/il2_regimens.py [--out DIR]
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import root

import cytosim as cs
from cytosim.therapies import aldesleukin
from cytosim.therapies.il2 import ALDESLEUKIN_IU_PER_MG

SETTINGS = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-12}
HORIZON = 1000.0  # days
WINDOW = 300.0  # days: "cleared" = below one tumor cell over this final stretch
SCALE = 1.0  # ASSUMPTION: model IU in IL per IU of aldesleukin given (see the module docstring)
CYCLE_GAP = 14.0  # days: label regimen, cycle 2 starts on day 15
FLOOR = 1e-6  # cells: smaller tumor sizes are drawn at the bottom of the axis


def aldesleukin_doses(regimen: str, cycles: int = 1, scale: float = SCALE,
                      **options: Any) -> cs.DosingSchedule:
    """The aldesleukin preset's regimen as boluses into IL, in model IU (times in days).

    Each dose is the preset's amount x its bioavailability (SC: F) x *scale*; the high-dose
    15-minute infusions become boluses; *cycles* repeats the regimen every CYCLE_GAP days.
    """
    schedule = aldesleukin(regimen, **options).schedule("day")
    doses = []
    for cycle in range(cycles):
        for dose in schedule.doses:
            iu = dose.amount_in_unit() * ALDESLEUKIN_IU_PER_MG * dose.bioavailability * scale
            doses.append(cs.Dose("IL", iu, time=dose.time + cycle * CYCLE_GAP, ii=dose.ii,
                                 addl=dose.addl))
    return cs.DosingSchedule(tuple(doses))


def regimens() -> list[tuple[str, str, str, dict[str, float], cs.DosingSchedule | None]]:
    """(label, colour, line style, parameters, IL-2 doses) of each regimen compared."""
    high = aldesleukin_doses("high_dose", cycles=2)
    low = aldesleukin_doses("low_dose", n_doses=56)
    per_dose = high.doses[0].amount_in_unit()
    return [
        ("no IL-2", "tab:brown", "-", {}, None),
        ("continuous s2 = 1e7/day (< s2*)", "tab:olive", "-", {"s2": 1e7}, None),
        ("continuous s2 = 1e8/day (> s2*)", "tab:purple", ":", {"s2": 1e8}, None),
        (f"aldesleukin high dose: {per_dose:.2g} IU q8h x 14, 2 cycles", "tab:red", "-", {},
         high),
        ("aldesleukin low dose: 1 MIU SC daily x 56 (F = 0.39)", "tab:orange", "--", {}, low),
        ("ACI s1 = 500/day alone", "tab:cyan", "--", {"s1": 500.0}, None),
        ("ACI s1 = 500 + high-dose course", "tab:blue", "-.", {"s1": 500.0}, high),
        ("ACI s1 = 500 + s2 = 1e7/day", "tab:green", "-", {"s1": 500.0, "s2": 1e7}, None),
    ]


def dormant_state(model: cs.Network) -> dict[str, float]:
    """The untreated model's stable small-tumor equilibrium (E, T, IL), found by Newton's
    method from where a 3000-day run has settled (damped oscillations, still ~3% off)."""
    system = cs.compile_network(model)
    settled = cs.simulate(model, t_end=3000.0, **SETTINGS).final_state()
    x0 = [settled[name] for name in system.state_names]
    found = root(partial(system.rhs, 0.0), x0, jac=partial(system.jac_dense, 0.0), tol=1e-12)
    return dict(zip(system.state_names, found.x.tolist(), strict=True))


def outcome(tc: cs.TimeCourse, baseline_e: float) -> str:
    late = tc.t >= tc.t[-1] - WINDOW
    if np.all(tc["T"][late] < 1.0):
        growth = tc["E"][-1] / tc["E"][late][0]
        return "cleared, E unbounded" if growth > 10.0 else "cleared"
    return f"not cleared, E peak x{tc['E'].max() / baseline_e:.2f}"


def main(out: Path) -> Path:
    model = cs.load_model("tumor_il2")
    start = dormant_state(model)
    t_eval = np.unique(np.concatenate([np.linspace(0.0, 60.0, 1441),
                                       np.linspace(60.0, HORIZON, 941)]))
    fig, axes = plt.subplots(3, 2, figsize=(15, 11), sharey="row")
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.06, top=0.93, wspace=0.04, hspace=0.12)
    for label, colour, style, params, schedule in regimens():
        tc = cs.simulate(model, t_end=HORIZON, t_eval=t_eval, initial=start, params=params,
                         interventions=[schedule] if schedule else [], **SETTINGS)
        label = f"{label}: {outcome(tc, start['E'])}"
        for column, stop in enumerate((60.0, HORIZON)):
            shown = tc.t <= stop
            for row, node in enumerate(("T", "E", "IL")):
                values = tc[node][shown]
                if node == "T":
                    values = np.maximum(values, FLOOR)
                axes[row, column].plot(tc.t[shown], values, style, color=colour, lw=1.4,
                                       label=label if row == 0 and column == 1 else None)
        if schedule is not None and "s1" not in params:  # mark each dose time once
            times = [t for t in schedule.dose_times() if t <= 60.0]
            axes[2, 0].plot(times, np.full(len(times), 3e8), "|", color=colour, ms=9)

    for ax in axes.flat:
        ax.set_yscale("log")
    for column, stop in enumerate((60.0, HORIZON)):
        axes[2, column].set_xlabel("time since the start of therapy [days]")
        for row in range(3):
            axes[row, column].set_xlim(0.0, stop)
    axes[0, 0].set_ylim(FLOOR / 2, 1e6)
    axes[1, 0].set_ylim(3e3, 1e11)
    axes[2, 0].set_ylim(1e3, 1e9)
    axes[0, 0].set_ylabel("tumor cells T")
    axes[1, 0].set_ylabel("effector cells E")
    axes[2, 0].set_ylabel("IL-2 in IL [model IU]")
    axes[0, 0].set_title("first 60 days (doses marked at the top of the IL-2 panel)")
    axes[0, 1].set_title(f"{HORIZON:g} days")
    axes[0, 0].axhline(1.0, color="grey", lw=0.8, ls=":")
    axes[0, 1].axhline(1.0, color="grey", lw=0.8, ls=":")
    s2_star = 0.03 * 10.0 * 2e7 / (0.1245 - 0.03)  # mu2 mu3 g1 / (p1 - mu2)
    for column in (0, 1):
        axes[2, column].axhline(s2_star / 10.0, color="grey", lw=0.8, ls=":")
    axes[2, 0].text(59.0, s2_star / 10.0 * 0.75, "IL under continuous s2* = 6.35e7/day",
                    ha="right", va="top", color="grey", fontsize=8)
    fig.legend(*axes[0, 1].get_legend_handles_labels(), loc="upper left", fontsize=9,
               bbox_to_anchor=(0.535, 0.6), title="regimen: outcome after "
               f"{HORIZON:g} days (cleared = T < 1 over the last {WINDOW:g} days)",
               title_fontsize=9)
    fig.suptitle("IL-2 regimens on Kirschner & Panetta 1998 (c = 0.035, from the dormant "
                 f"tumor state); aldesleukin mapped at an assumed {SCALE:g} model IU per IU "
                 f"given; T below {FLOOR:g} drawn at the floor")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "il2_regimens.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
