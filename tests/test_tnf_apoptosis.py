"""TNF-induced apoptosis (kind ``induces_death``), shown on a variant of the RA model
(``examples/tnf_apoptosis.py``).

The variant adds synovial fibroblasts that renew logistically and die by TNF-signalled
apoptosis, rescued by a survival signal; the published RA equations are untouched (TNF and
IL10 do not depend on the new cells). Checks: the death term is ``rate * N * TNF/(K + TNF) *
K_s^n/(K_s^n + S^n)``; removing TNF removes it; its Jacobian entries are the analytic
derivatives (against central differences); the reference model's own states are unchanged.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

import cytosim as cs

from .helpers import finite_difference_jacobian

# the variant is the one the example draws (examples/tnf_apoptosis.py)
apoptosis_variant = runpy.run_path(
    str(Path(__file__).resolve().parents[1] / "examples" / "tnf_apoptosis.py"))[
    "apoptosis_variant"]


def test_the_death_term_is_the_documented_rate_law() -> None:
    net = apoptosis_variant()
    system = cs.compile_network(net)
    p = system.default_params
    i = system.state_names.index("FLS")
    y = system.default_initial.copy()
    tnf = y[system.state_names.index("TNF")]
    death = 0.2 * 1.0 * tnf / (2.0 + tnf) * 1.0 / (1.0 + 0.5**2)
    growth = 0.05 * 1.0 * (1.0 - 1.0 / 2.0)
    assert system.rhs(0.0, y, p)[i] == pytest.approx(growth - death, rel=1e-12)
    # removing TNF removes the death term's contribution and nothing else
    y[system.state_names.index("TNF")] = 0.0
    assert system.rhs(0.0, y, p)[i] == pytest.approx(growth, rel=1e-12)
    knocked = cs.simulate(net, t_end=30.0, interventions=[cs.Knockout("TNF")],
                          initial={"TNF": 0.0})
    assert knocked["FLS"][-1] > cs.simulate(net, t_end=30.0)["FLS"][-1]


def test_the_death_term_has_its_analytic_jacobian() -> None:
    system = cs.compile_network(apoptosis_variant())
    p = system.default_params
    y = system.default_initial.copy()
    np.testing.assert_allclose(system.jac_dense(0.0, y, p),
                               finite_difference_jacobian(system, y, p), rtol=1e-6, atol=1e-9)


def test_the_reference_model_equations_are_unchanged() -> None:
    tight = {"method": "Radau", "rtol": 1e-10, "atol": 1e-12}
    base = cs.simulate(cs.load_model("rheumatoid_arthritis"), t_end=10.0,
                       initial={"TNF": 2.0, "IL10": 0.5}, **tight)
    variant = cs.simulate(apoptosis_variant(), t_end=10.0, initial={"TNF": 2.0, "IL10": 0.5},
                          **tight)
    for name in ("TNF", "IL10"):  # equal to the solver's tolerance (the extra states differ)
        np.testing.assert_allclose(variant[name], base[name], rtol=1e-6, atol=1e-9)
    with pytest.raises(cs.ModelError, match="must be a node of kind cell"):
        apoptosis_variant().add_edge("FLS", "induces_death", "TNF", rate=0.1, K=1.0)
