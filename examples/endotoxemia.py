"""Human endotoxemia: the bundled Windoloski et al. 2024 model against the bolus data.

Simulates the reference model ``endotoxemia`` (a 2 ng/kg intravenous LPS bolus, mean fit of
Windoloski et al., Exp Physiol 2024, doi:10.1113/EP091552) from 0 to 8 h, draws each
cytokine's trajectory over the mean data of the bolus study (one panel per cytokine) and
prints the authors' fit cost J (residuals (model - data)/max(data)/sqrt(8); their stored
value is 0.03110855).

Run: python examples/endotoxemia.py [--out DIR]
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import cytosim as cs

CYTOKINES = {"TNF": ("TNF-\u03b1", "tab:red"), "IL6": ("IL-6", "tab:orange"),
             "IL8": ("IL-8", "tab:purple"), "IL10": ("IL-10", "tab:blue")}


def load_data() -> pd.DataFrame:
    """Mean cytokines after the 2 ng/kg bolus (time_h, TNF, IL6, IL8, IL10 in pg/mL)."""
    table = resources.files("cytosim").joinpath("data/endotoxemia_human_2ngkg.csv")
    with resources.as_file(table) as path:
        return pd.read_csv(path, comment="#")


def fit_cost(tc: cs.TimeCourse, data: pd.DataFrame) -> float:
    """The authors' cost: sum of ((model - data)/max(data)/sqrt(n_times))^2 over 4 cytokines."""
    at = np.searchsorted(tc.t, data["time_h"].to_numpy())
    residuals = np.concatenate([(tc[name][at] - data[name]) / data[name].max()
                                / np.sqrt(len(data)) for name in CYTOKINES])
    return float(residuals @ residuals)


def main(out: Path) -> Path:
    net = cs.load_model("endotoxemia")
    data = load_data()
    # every 0.0005 h (i/2000 holds the sampling times 0, 1, 1.5, ..., 6 h exactly)
    tc = cs.simulate(net, t_end=8.0, t_eval=np.arange(16001) / 2000.0, method="Radau",
                     rtol=1e-10, atol=1e-12)
    cost = fit_cost(tc, data)

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, layout="constrained")
    for ax, (name, (label, colour)) in zip(axes.flat, CYTOKINES.items(), strict=True):
        ax.plot(tc.t, tc[name], color=colour, lw=2, label="model (mean bolus fit)")
        ax.plot(data["time_h"], data[name], "o", color="black", ms=6, mfc="white", mew=1.5,
                label="data (mean of 20 subjects)")
        k = int(np.argmax(tc[name]))
        ax.plot(tc.t[k], tc[name][k], "v", color=colour, ms=7)
        ax.annotate(f"model peak {tc[name][k]:.1f} pg/mL at {tc.t[k]:.2f} h",
                    xy=(0.97, 0.95), xycoords="axes fraction", ha="right", va="top",
                    fontsize=9, color=colour)
        ax.set_title(label)
        ax.set_ylabel(f"{label} [{tc.unit_of(name)}]")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(f"time after the LPS bolus [{tc.time_unit}]")
    axes[0, 0].legend(frameon=False, loc="center right", fontsize=9)
    fig.suptitle("Human endotoxemia, 2 ng/kg LPS bolus: Windoloski et al. 2024 model vs data "
                 f"(fit cost J = {cost:.8f})")

    out.mkdir(parents=True, exist_ok=True)
    path = out / "endotoxemia.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"J = {cost:.8f} (authors' stored value 0.03110855); wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
