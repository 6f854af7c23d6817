"""TNF-induced apoptosis (kind ``induces_death``) in a variant of the RA model.

A named variant, not a reference model: synovial fibroblasts (relative numbers) renew
logistically and die by TNF-signalled apoptosis, rescued by a survival signal (Hill "down").
The published Baker et al. 2013 equations for TNF and IL-10 are untouched. Compared: the
inflamed state, the healthy state, infliximab lowering free TNF, and a stronger survival
signal. All values of the fibroblast part are illustrative assumptions.

    python examples/tnf_apoptosis.py --out results
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cytosim as cs  # noqa: E402
from cytosim.therapies import infliximab  # noqa: E402


def apoptosis_variant(survival: float = 0.5) -> cs.Network:
    """The RA model plus fibroblasts dying by TNF-induced apoptosis (illustrative values)."""
    net = cs.load_model("rheumatoid_arthritis").copy()
    net.add_cell("FLS", initial=1.0, unit="1", description="synovial fibroblasts (relative)")
    net.add_process("FLS", "logistic", growth_rate=0.05, capacity=2.0)
    net.add_stimulus("survival", initial=survival, unit="1", half_life=1e12)
    net.add_edge("TNF", "induces_death", "FLS", rate=0.2, K=2.0,
                 modulators=[cs.Hill("survival", K=1.0, n=2.0, kind="down")])
    return net


def main(out: Path) -> Path:
    t = np.linspace(0.0, 120.0, 481)
    runs = {
        "inflamed (TNF 4.5 pg/mL)": cs.simulate(apoptosis_variant(), t_end=120.0, t_eval=t),
        "healthy (TNF 0.26 pg/mL)": cs.simulate(
            apoptosis_variant().with_scenario("healthy"), t_end=120.0, t_eval=t),
        "inflamed + infliximab 3 mg/kg": cs.simulate(
            apoptosis_variant(), t_end=120.0, t_eval=t,
            interventions=[infliximab(n_maintenance=0, target="TNF")]),
        "inflamed, survival signal x4": cs.simulate(apoptosis_variant(2.0), t_end=120.0,
                                                    t_eval=t),
    }
    fig, (ax_tnf, ax_cells) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for label, tc in runs.items():
        ax_tnf.plot(tc.t, tc["TNF"], label=label)
        ax_cells.plot(tc.t, tc["FLS"], label=label)
    ax_tnf.set(yscale="log", xlabel="time (days)", ylabel="free TNF (pg/mL)",
               title="free TNF")
    ax_cells.set(xlabel="time (days)", ylabel="fibroblasts (relative)",
                 title="fibroblasts: renewal vs TNF-induced apoptosis")
    ax_cells.legend(fontsize=8)
    fig.suptitle("TNF-induced apoptosis on the RA model (illustrative variant)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tnf_apoptosis.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    print(main(parser.parse_args().out))
