"""Networks built in code and shipped with the package (the command line's ``run`` uses them).

``lps_macrophage`` is a **demonstration network**, not a published model: LPS activates
resting monocytes/macrophages, activated cells secrete TNF-alpha, IL-1beta and IL-10, TNF
amplifies activation and IL-10 inhibits activation and the pro-inflammatory secretion. Its
structure and most values follow the human endotoxemia model of Windoloski et al. 2024
(Exp Physiol, doi:10.1113/EP091552; authors' code and fitted values as transcribed in the
project's reference notes), without its IL-6 and IL-8 branches; the IL-1beta secretion and
inhibition constants are illustrative, chosen to give a TNF-like pulse. Units: time in hours,
LPS in ng/kg, cells in "noc" (number of cells, the source's unit), cytokines in pg/mL.
"""

from __future__ import annotations

from collections.abc import Callable

from .kinetics import Hill
from .network import Network


def lps_macrophage() -> Network:
    """The LPS-stimulated macrophage demonstration network (see the module docstring).

    Examples
    --------
    >>> net = lps_macrophage()
    >>> net.nodes
    ['LPS', 'M', 'MA', 'TNF', 'IL1B', 'IL10']
    """
    net = Network("lps_macrophage", time_unit="h",
                  description="LPS-stimulated macrophages secreting TNF-alpha, IL-1beta and "
                              "IL-10, with IL-10 negative feedback (demonstration network)")
    net.add_stimulus("LPS", initial=2.0, unit="ng/kg", decay_rate=1.01)
    net.add_cell("M", initial=28200.0, unit="noc", description="resting monocytes/macrophages")
    net.add_process("M", "logistic", growth_rate=0.006, capacity=30000.0)
    net.add_cell("MA", unit="noc", death_rate=2.673824, description="activated macrophages")
    net.add_cytokine("TNF", initial=8.792573, unit="pg/mL", decay_rate=1.395104,
                    baseline=8.792573)
    net.add_cytokine("IL1B", unit="pg/mL")  # decay from the catalogue half-life
    net.add_cytokine("IL10", initial=3.747135, unit="pg/mL", decay_rate=0.8,
                    baseline=3.747135)

    lps = Hill("LPS", K=3.3, n=1.0)
    il10_on_activation = Hill("IL10", K=3.883929, n=0.3, kind="down")
    net.add_edge("M", "activates", "MA", rate=0.0414, modulators=[lps, il10_on_activation])
    net.add_edge("M", "activates", "MA", rate=8.6497,
                 modulators=[lps, Hill("TNF", K=140.8451, n=3.16), il10_on_activation])
    net.add_edge("MA", "secretes", "TNF", rate=0.997979,
                 modulators=[Hill("IL10", K=15.53571, n=3.0, kind="down")])
    net.add_edge("MA", "secretes", "IL1B", rate=0.5,
                 modulators=[Hill("IL10", K=15.53571, n=2.0, kind="down")],
                 sources={"rate": "illustrative"}, )
    net.add_edge("MA", "secretes", "IL10", rate=0.015045)
    net.add_observable("pro_anti_ratio", "(TNF + IL1B) / IL10", unit="ratio",
                       description="pro- to anti-inflammatory cytokine ratio")
    return net


BUILTIN_MODELS: dict[str, Callable[[], Network]] = {"lps_macrophage": lps_macrophage}
