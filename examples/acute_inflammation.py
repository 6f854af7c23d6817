"""The outcome classes of Reynolds et al. 2006 (J Theor Biol 242:220), reproduced.

Simulates the bundled `acute_inflammation` model (BioModels BIOMD0000000714 values) from the
scenarios that reproduce the paper's outcome classes: health, aseptic death (pathogen cleared,
inflammation and damage persist), septic death (pathogen persists), and the two-sided effect of
the anti-inflammatory source s_c on the aseptic course. Draws pathogen and damage over time.

Run: python examples/acute_inflammation.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import cytosim as cs

SCENARIOS = {
    "health": ("P(0) = 0.5: health", "tab:green", "-"),
    "aseptic_death": ("P(0) = 1.5: aseptic death", "tab:orange", "-"),
    "septic_death": ("k_pg = 0.6, P(0) = 0.5: septic death", "tab:red", "-"),
    "anti_inflammatory_therapy": ("P(0) = 1.5, s_c x2: rescued", "tab:blue", "--"),
    "excess_anti_inflammation": ("P(0) = 1.5, s_c x4: pathogen persists", "tab:purple", "--"),
}


def main(out: Path) -> Path:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), layout="constrained")
    for scenario, (label, colour, style) in SCENARIOS.items():
        net = cs.load_model("acute_inflammation", scenario=scenario)
        tc = cs.simulate(net, t_end=500.0, n_points=1001)
        for ax, name in zip(axes, ("P", "Nstar", "D"), strict=True):
            ax.plot(tc.t, tc[name], style, color=colour, label=label)
    titles = ("pathogen P [1e6 cells/cc]", "activated phagocytes N* [a.u.]",
              "tissue damage D [a.u.]")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title)
        ax.set_xlabel("time [h]")
    axes[0].set_yscale("symlog", linthresh=1e-3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle("Reynolds et al. 2006: outcome classes from the curated model")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "acute_inflammation.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
