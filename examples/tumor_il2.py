"""The outcome classes of Kirschner & Panetta 1998 (J Math Biol 37:235), reproduced.

Simulates the bundled `tumor_il2` model (BioModels BIOMD0000000732 values) from the scenarios
that reproduce the paper's outcome classes. Left: without therapy the tumor is never cleared; it
grows to near its carrying capacity (low antigenicity c), oscillates (intermediate c) or settles
at a small dormant size (c = 0.035). Middle and right, at c = 0.035: adoptive cellular
immunotherapy (ACI) clears the tumor above the paper's threshold s1 > r2 g2 mu2 / a = 540 and not
below it; IL-2 alone does not clear it, except above the dose where effector cells grow without
bound; combined therapy clears it with doses that fail alone.

Run: python examples/tumor_il2.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import cytosim as cs

# LSODA with a tiny absolute tolerance follows the tumor far below one cell; with the default
# tolerances the deep troughs can turn negative and run away (see the model's tests)
SETTINGS = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-12}
FLOOR = 1e-6  # cells: smaller tumor sizes are drawn at the bottom of the axis

NO_THERAPY = {
    "low_antigenicity": ("c = 1e-5: near carrying capacity", "tab:red"),
    "oscillations": ("c = 0.02: sustained oscillations", "tab:orange"),
    "no_treatment": ("c = 0.035: small dormant tumor", "tab:brown"),
}
THERAPIES = {
    "no_treatment": ("no therapy", "tab:brown", "-", {}),
    "aci_below": ("ACI s1 = 530 (< 540)", "tab:cyan", "--", {"s1": 530.0}),
    "aci": ("ACI s1 = 550 (> 540): cleared", "tab:blue", "-", {}),
    "il2": ("IL-2 s2 = 1e7: not cleared", "tab:olive", "-", {}),
    "il2_runaway": ("IL-2 s2 = 1e8: cleared, E unbounded", "tab:purple", ":", {}),
    "combined": ("ACI 500 + IL-2 1e7: cleared", "tab:green", "-", {}),
}


def main(out: Path) -> Path:
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), layout="constrained")
    model = cs.load_model("tumor_il2")

    t_end = 1500.0
    for scenario, (label, colour) in NO_THERAPY.items():
        tc = cs.simulate(model.with_scenario(scenario), t_end=t_end, n_points=3001, **SETTINGS)
        axes[0].plot(tc.t, np.maximum(tc["T"], FLOOR), color=colour, label=label)
    axes[0].set_title("no therapy: tumor T by antigenicity c")

    t_end = 2500.0
    for key, (label, colour, style, params) in THERAPIES.items():
        scenario = "aci" if key == "aci_below" else key
        net = model.with_scenario(scenario).with_parameters(params)
        tc = cs.simulate(net, t_end=t_end, n_points=2501, **SETTINGS)
        axes[1].plot(tc.t, np.maximum(tc["T"], FLOOR), style, color=colour, label=label)
        axes[2].plot(tc.t, tc["E"], style, color=colour, label=label)
    axes[1].set_title("therapy at c = 0.035: tumor T")
    axes[2].set_title("therapy at c = 0.035: effector cells E")

    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("time [days]")
    for ax in axes[:2]:
        ax.set_ylim(FLOOR / 2, 3e9)
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.text(ax.get_xlim()[1], 1.5, "1 cell ", ha="right", va="bottom", color="grey",
                fontsize=8)
        ax.set_ylabel("cells")
    axes[2].set_ylim(1e2, 1e12)
    axes[2].set_ylabel("cells")
    axes[0].legend(loc="lower right", fontsize=8)
    axes[1].legend(loc="upper right", fontsize=8)
    fig.suptitle("Kirschner & Panetta 1998: outcome classes without and with immunotherapy "
                 f"(tumor sizes below {FLOOR:g} cells drawn at the floor)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tumor_il2.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
