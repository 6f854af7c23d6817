"""What does IL-10 negative feedback do to the LPS response? And who acts on whom?

Simulates the bundled LPS-stimulated macrophage demonstration network twice, with and
without IL-10 secretion (an IL-10 knockout), and draws the TNF and IL-1beta time courses
next to the network's influence graph (green: activates, red: inhibits).

Run: python examples/il10_feedback.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx

import cytosim as cs
from cytosim._builtin_models import lps_macrophage


def main(out: Path) -> Path:
    net = lps_macrophage()
    with_feedback = cs.simulate(net, t_end=12.0, n_points=241)
    knockout = cs.simulate(net, t_end=12.0, n_points=241,
                           params={"MA.secretes.IL10.rate": 0.0}, initial={"IL10": 0.0})

    fig, (ax_tc, ax_graph) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    for tc, style, label in ((with_feedback, "-", "with IL-10"), (knockout, "--", "IL-10 KO")):
        for name, colour in (("TNF", "tab:red"), ("IL1B", "tab:orange")):
            ax_tc.plot(tc.t, tc[name], style, color=colour, label=f"{name}, {label}")
    ax_tc.set_xlabel(f"time [{with_feedback.time_unit}]")
    ax_tc.set_ylabel("pg/mL")
    ax_tc.set_title("IL-10 feedback limits the pro-inflammatory pulse")
    ax_tc.legend(frameon=False)

    influence = net.influence_graph()
    pos = nx.circular_layout(influence)
    colours = ["tab:green" if d["sign"] > 0 else "tab:red" if d["sign"] < 0 else "grey"
               for _, _, d in influence.edges(data=True)]
    nx.draw_networkx(influence, pos, ax=ax_graph, node_color="#dde6f3", node_size=1400,
                     edge_color=colours, arrowsize=16, connectionstyle="arc3,rad=0.12")
    ax_graph.set_title("influence graph derived from the rate laws")
    ax_graph.set_axis_off()

    out.mkdir(parents=True, exist_ok=True)
    path = out / "il10_feedback.png"
    fig.savefig(path, dpi=130)
    plt.close(fig)
    peak = {label: tc["TNF"].max() for tc, label in ((with_feedback, "with"),
                                                      (knockout, "knockout"))}
    print(f"TNF peak: {peak['with']:.0f} pg/mL with IL-10, {peak['knockout']:.0f} without; "
          f"wrote {path}")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results"))
    main(parser.parse_args().out)
