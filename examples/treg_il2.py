"""IL-2 competition between effector and regulatory T cells (`treg_il2`, reduced spQSP-IO).

The model is the lymph-node T cell / IL-2 part of the spQSP-IO QSP model (Gong et al. 2021),
with naive T cell priming held constant (see the model file). It starts from its steady state
under weak CD8+ priming (scenario `weak_priming`), where the activated Tregs consume nearly
all IL-2. Exogenous IL-2 is given as a 5-day infusion into the LN IL-2 pool, at two rates
relative to the Tregs' consumption capacity (about 1e5 nM/day): a low input (5e4 nM/day) lifts
interstitial IL-2 between the Treg and effector half-saturations (0.0032 and 0.32 nM) and
raises the Treg/Teff ratio; a high input (2e5 nM/day) exceeds all consumption and expands the
effector cells. These input rates are an assumption: in this parameterisation no clinical
aldesleukin dose is large against the LN's IL-2 sink (tests/test_model_treg_il2.py).

Run: python examples/treg_il2.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import cytosim as cs

T_END = 10.0  # days
INFUSION_DAYS = 5.0
REGIMENS = {  # label, colour, LN IL-2 input rate (nM/day) during the infusion
    "none": ("no IL-2", "tab:gray", 0.0),
    "low": ("low input: 5e4 nM/day, days 0-5", "tab:blue", 5e4),
    "high": ("high input: 2e5 nM/day, days 0-5", "tab:red", 2e5),
}


def main(out: Path) -> Path:
    net = cs.load_model("treg_il2", scenario="weak_priming")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    panels = [(axes[0], "Treg_Teff_ratio", "Treg / Teff in the LN"),
              (axes[1], "Teff", "CD8+ effector T cells in the LN (cells)"),
              (axes[2], "IL2_interstitial", "interstitial LN IL-2 (nM)")]
    for label, colour, rate in REGIMENS.values():
        doses = ([cs.Dose("IL2", rate * INFUSION_DAYS, time=0.0, duration=INFUSION_DAYS)]
                 if rate > 0 else [])
        tc = cs.simulate(net, t_end=T_END, n_points=1001, interventions=doses,
                         method="LSODA", rtol=1e-8, atol=1e-6)
        for ax, name, _ in panels:
            ax.plot(tc.t, tc[name], color=colour, label=label)
    k_treg = net.parameter_values()["Treg.K_IL2_Treg"]
    k_teff = net.parameter_values()["Teff.K_IL2_Teff"]
    axes[2].axhline(k_treg, color="k", ls=":", lw=1, label="K_IL2_Treg = 0.0032 nM")
    axes[2].axhline(k_teff, color="k", ls="--", lw=1, label="K_IL2_Teff = 0.32 nM")
    for ax, _, ylabel in panels:
        ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("time (days)")
        ax.axvspan(0.0, INFUSION_DAYS, color="0.9", zorder=0)
    axes[0].legend(loc="best", fontsize=8)
    axes[2].legend(loc="center right", fontsize=8)
    fig.suptitle("treg_il2 (reduced spQSP-IO, weak CD8+ priming): low IL-2 input expands "
                 "Tregs, high input expands effectors (shaded: infusion)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "treg_il2.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    print(main(parser.parse_args().out))
