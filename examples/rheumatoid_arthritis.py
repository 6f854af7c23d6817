"""Anti-TNF therapy on the rheumatoid arthritis model (Baker et al. 2013 with cytosim's scales).

No therapy vs infliximab (3 mg/kg IV at weeks 0, 2, 6, then every 8 weeks), adalimumab (40 mg SC
every other week) and etanercept (50 mg SC weekly) over 6 months, each binding free TNF: free
TNF, the inflammation (Baker's p) and the drug concentrations, doses marked. A last panel shows
that dose level and regimen both matter: one tiny infusion that is just enough, one just too
small, and the enough dose spread thin.

    python examples/rheumatoid_arthritis.py --out results
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cytosim as cs  # noqa: E402
from cytosim.therapies import adalimumab, etanercept, infliximab  # noqa: E402

DAYS = 182.0


def main(out: Path) -> Path:
    net = cs.load_model("rheumatoid_arthritis")
    t = np.linspace(0.0, DAYS, 729)
    regimens = {
        "infliximab 3 mg/kg IV": infliximab(n_maintenance=2, target="TNF"),
        "adalimumab 40 mg SC q2w": adalimumab(n_doses=13, target="TNF"),
        "etanercept 50 mg SC qw": etanercept(n_doses=26, target="TNF"),
    }
    runs = {"no therapy": (cs.simulate(net, t_end=DAYS, t_eval=t), None)}
    for label, therapy in regimens.items():
        runs[label] = (cs.simulate(net, t_end=DAYS, t_eval=t, interventions=[therapy]), therapy)

    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    (ax_tnf, ax_p), (ax_drug, ax_dose) = axes
    for (label, (tc, therapy)), color in zip(runs.items(), ("k", "C0", "C1", "C2"), strict=True):
        ax_tnf.plot(tc.t, tc["TNF"], color=color, label=label)
        ax_p.plot(tc.t, tc["inflammation"], color=color, label=label)
        if therapy is not None:
            ax_drug.plot(tc.t, tc[f"{therapy.drug}_conc"], color=color, label=label)
            for day in therapy.schedule("day").dose_times():
                ax_drug.axvline(day, color=color, alpha=0.25, lw=0.8)
    ax_tnf.set(yscale="log", ylabel="free TNF (pg/mL)", title="free TNF")
    ax_p.set(ylabel="inflammation p (non-dimensional)", title="inflammation (Baker's p)")
    ax_drug.set(yscale="log", ylabel="drug (mg/L)", title="drug concentration, doses marked")

    cases = {"0.002 mg/kg once": (0.002, (0.0,)), "0.0015 mg/kg once": (0.0015, (0.0,)),
             "0.0005 mg/kg x 4 weekly": (0.0005, (0.0, 1.0, 2.0, 3.0))}
    for (label, (dose, weeks)), color in zip(cases.items(), ("C0", "C3", "C4"), strict=True):
        therapy = infliximab(dose_mg_per_kg=dose, weeks=weeks, n_maintenance=0, target="TNF")
        tc = cs.simulate(net, t_end=120.0, t_eval=np.linspace(0.0, 120.0, 481),
                         interventions=[therapy])
        ax_dose.plot(tc.t, tc["inflammation"], color=color, label=f"infliximab {label}")
    ax_dose.set(ylabel="inflammation p", title="dose level and regimen both matter")
    for ax in axes.flat:
        ax.set_xlabel("time (days)")
        ax.legend(fontsize=8)
    fig.suptitle("Rheumatoid arthritis (Baker et al. 2013; scales and drug binding: cytosim "
                 "extension)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "rheumatoid_arthritis.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    print(main(parser.parse_args().out))
