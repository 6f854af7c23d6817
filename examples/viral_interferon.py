"""Influenza with type I interferon (Pawelek et al. 2012): with and without IFN, and IFN therapy.

Simulates the bundled `viral_interferon` model (equine influenza in ponies; parameter values
are one public transcription of the paper's estimates, see the model file). Left: viral load
with IFN (peak at day 2, a fast fall through IFN-activated NK killing, a plateau, clearance by
the adaptive response after day 7), without IFN (higher peak, burns through the target cells)
and without NK killing (the paper's Model 2: no fast fall). Middle: IFN (fold change over
baseline) and the epithelium left alive. Right: three daily doses of exogenous IFN given at
challenge or after the peak. The dose scale (5 fold-change units, the size of the endogenous
peak) and its action (as endogenous IFN) are assumptions, not from the paper or any regimen.

Run: python examples/viral_interferon.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import cytosim as cs

SETTINGS = {"method": "LSODA", "rtol": 1e-10, "atol": 1e-12, "engine": "numpy"}
T_END = 12.0  # days
DETECTION = 100.0  # RNA copies/mL of nasal secretion, the assay's detection limit
FLOOR = 1e-2  # copies/mL: lower viral loads are drawn at the bottom of the axis
IFN_BOLUS = 5.0  # fold-change units per dose (ASSUMPTION: no regimen maps onto this scale)

SCENARIOS = {
    None: ("with IFN", "tab:blue", "-"),
    "no_ifn": ("no IFN (q = 0, F0 = 0)", "tab:red", "--"),
    "no_nk_killing": ("no NK killing (kappa = 0, Model 2)", "tab:orange", ":"),
}
THERAPY = {
    "untreated": ("untreated", "tab:blue", "-", None),
    "early": ("IFN days 0, 1, 2 (from challenge)", "tab:green", "-", 0.0),
    "before_peak": ("IFN days 1, 2, 3", "tab:olive", "--", 1.0),
    "late": ("IFN days 3, 4, 5 (after the peak)", "tab:purple", "-", 3.0),
}


def main(out: Path) -> Path:
    model = cs.load_model("viral_interferon")
    t = np.linspace(0.0, T_END, 1201)
    t0 = model.initial_values()["T"]
    fig, grid = plt.subplots(2, 2, figsize=(14, 10), layout="constrained")
    virus_ax, ifn_ax, cells_ax, therapy_ax = grid.ravel()

    for scenario, (label, colour, style) in SCENARIOS.items():
        net = model.with_scenario(scenario) if scenario else model
        tc = cs.simulate(net, t_end=T_END, t_eval=t, **SETTINGS)
        virus_ax.plot(tc.t, np.maximum(tc["V"], FLOOR), style, color=colour, label=label)
        cells_ax.plot(tc.t, (tc["T"] + tc["I"] + tc["R"]) / t0, style, color=colour,
                      label=f"alive, {label}")
        if scenario != "no_ifn":
            ifn_ax.plot(tc.t, tc["F"], style, color=colour, label=label)
        if scenario is None:
            cells_ax.plot(tc.t, tc["R"] / t0, "-.", color=colour,
                          label="refractory (antiviral state), with IFN")

    for label, colour, style, start in THERAPY.values():
        doses = [] if start is None else [
            cs.Dose("F", amount=IFN_BOLUS, time=start, ii=1.0, addl=2)]
        tc = cs.simulate(model, t_end=T_END, t_eval=t, interventions=doses, **SETTINGS)
        lost = 1.0 - (tc["T"][-1] + tc["I"][-1] + tc["R"][-1]) / t0
        therapy_ax.plot(tc.t, np.maximum(tc["V"], FLOOR), style, color=colour,
                        label=f"{label}: {100 * lost:.0f} % of cells lost")

    for ax in (virus_ax, therapy_ax):
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 2, 1e7)
        ax.axhline(DETECTION, color="grey", lw=0.8, ls=":")
        ax.text(T_END, DETECTION * 1.3, "detection limit ", ha="right", color="grey",
                fontsize=8)
        ax.set_ylabel("viral load [RNA copies/mL nasal secretion]")
    ifn_ax.set_yscale("log")
    ifn_ax.set_ylim(1e-2, 1e2)
    ifn_ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ifn_ax.set_ylabel("IFN [fold change over pre-challenge level]")
    cells_ax.set_ylabel("fraction of the initial epithelial cells")
    virus_ax.set_title("viral load with and without IFN")
    ifn_ax.set_title("type I IFN (peaks near day 2)")
    cells_ax.set_title("epithelium: cells alive and in the antiviral state")
    therapy_ax.set_title(f"exogenous IFN: 3 daily doses of {IFN_BOLUS:g}-fold (assumed scale)")
    for ax in grid.ravel():
        ax.set_xlabel("time after challenge [days]")
        ax.axvline(model.parameter_values()["I.tau"], color="k", lw=0.6, ls="--")
        ax.legend(fontsize=8, loc="upper right")
    fig.suptitle("Pawelek et al. 2012: equine influenza with type I IFN, NK killing and an "
                 "adaptive response from day 7 (dashed line)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "viral_interferon.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
