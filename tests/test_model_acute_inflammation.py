"""acute_inflammation: Reynolds et al. 2006 (J Theor Biol 242:220), BioModels BIOMD0000000714.

Checks: the file's values equal the curated SBML; cytosim's compiled graph equals the paper's
equations written out in numpy; it equals libRoadRunner simulating the curated SBML; and the
paper's outcome classes (health, aseptic death, septic death, the two-sided effect of the
anti-inflammatory source s_c) appear where the curated values put them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import cytosim as cs

from .helpers import require

SBML = Path(__file__).resolve().parent / "data" / "sbml" / "reynolds2006.xml"
TIGHT = {"method": "Radau", "rtol": 1e-10, "atol": 1e-12, "engine": "numpy"}
STATES = ("P", "Nstar", "D", "CA")


def paper_rhs(t: float, y: np.ndarray, p: dict[str, float]) -> list[float]:
    """Reynolds 2006, eqs. (1)-(4) with f(V) = V / (1 + (CA/c_inf)^2), written out directly."""
    pathogen, nstar, damage, ca = y
    inhibition = 1.0 + (ca / p["c_inf"]) ** 2
    r = (p["k_nn"] * nstar + p["k_np"] * pathogen + p["k_nd"] * damage) / inhibition
    f_n = nstar / inhibition
    g = (nstar + p["k_cnd"] * damage) / inhibition
    return [
        p["k_pg"] * pathogen * (1 - pathogen / p["p_inf"])
        - p["k_pm"] * p["s_m"] * pathogen / (p["mu_m"] + p["k_mp"] * pathogen)
        - p["k_pn"] * f_n * pathogen,
        p["s_nr"] * r / (p["mu_nr"] + r) - p["mu_n"] * nstar,
        p["k_dn"] * f_n**6 / (p["x_dn"] ** 6 + f_n**6) - p["mu_d"] * damage,
        p["s_c"] + p["k_cn"] * g / (1 + g) - p["mu_c"] * ca,
    ]


def paper_values(net: cs.Network) -> dict[str, float]:
    values = net.parameter_values()
    return {alias: values[name] for alias, name in net.parameter_aliases().items()}


def sbml_parameters() -> dict[str, float]:
    root = ET.parse(SBML).getroot()
    ns = root.tag.split("}")[0] + "}"
    return {p.get("id"): float(p.get("value")) for p in root.iter(f"{ns}parameter")}


def test_values_equal_the_curated_sbml() -> None:
    curated = sbml_parameters()
    ours = paper_values(cs.load_model("acute_inflammation"))
    assert set(ours) <= set(curated)
    for symbol, value in ours.items():
        assert value == curated[symbol], symbol  # transcribed, so exactly equal


@pytest.mark.parametrize("p0", [0.5, 1.5])  # away from the threshold P(0) ~ 1.036
def test_compiled_graph_equals_the_papers_equations(p0: float) -> None:
    net = cs.load_model("acute_inflammation")
    t = np.linspace(0.0, 200.0, 401)
    tc = cs.simulate(net, t_end=200.0, t_eval=t, initial={"P": p0}, **TIGHT)
    y0 = [p0, 0.0, 0.0, 0.125]
    ref = solve_ivp(paper_rhs, (0.0, 200.0), y0, t_eval=t, args=(paper_values(net),),
                    method="Radau", rtol=1e-10, atol=1e-12)
    for i, name in enumerate(STATES):
        scale = np.max(np.abs(ref.y[i]))
        # both integrations at rtol 1e-10: 1e-6 of (|y| + scale) bounds their global errors
        np.testing.assert_array_less(np.abs(tc[name] - ref.y[i]),
                                     1e-6 * (np.abs(ref.y[i]) + scale) + 1e-300, err_msg=name)


def test_compiled_graph_equals_libroadrunner_on_the_curated_sbml() -> None:
    roadrunner = require("roadrunner")
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    result = rr.simulate(0.0, 100.0, 201)
    columns = {name.strip("[]"): i for i, name in enumerate(result.colnames)}
    tc = cs.simulate(cs.load_model("acute_inflammation"), t_end=100.0,
                     t_eval=np.linspace(0.0, 100.0, 201), **TIGHT)
    for ours, theirs in zip(STATES, ("P", "Nstar", "D", "C_A"), strict=True):
        ref = result[:, columns[theirs]]
        # two independent integrators (CVODE and Radau) at rtol 1e-10
        np.testing.assert_allclose(tc[ours], ref, rtol=1e-6, atol=1e-8 * np.max(np.abs(ref)),
                                   err_msg=ours)


def final_state(scenario: str | None = None, **initial: float) -> dict[str, float]:
    net = cs.load_model("acute_inflammation", scenario=scenario)
    tc = cs.simulate(net, t_end=1000.0, initial=initial or None, **TIGHT)
    return tc.final_state()


def test_health() -> None:
    end = final_state("health")
    assert end["P"] < 1e-6 and end["Nstar"] < 1e-3 and end["D"] < 1e-3
    assert end["CA"] == pytest.approx(0.125, rel=1e-3)  # back to s_c / mu_c


def test_aseptic_death() -> None:
    end = final_state("aseptic_death")
    assert end["P"] < 1e-6  # pathogen cleared...
    assert end["Nstar"] > 0.5 and end["D"] > 10.0  # ...but inflammation and damage persist


def test_septic_death() -> None:
    end = final_state("septic_death")
    assert end["P"] > 4.0 and end["D"] > 10.0


def test_health_aseptic_threshold_in_initial_pathogen() -> None:
    # computed at the curated values by bisection: P(0) ~ 1.0357 separates the two outcomes
    assert final_state(P=1.00)["D"] < 1e-3
    assert final_state(P=1.07)["D"] > 10.0


def test_anti_inflammatory_source_helps_or_harms() -> None:
    """The paper's central point: more anti-inflammation rescues an aseptic course when
    moderate, and lets the pathogen persist when excessive."""
    assert final_state("aseptic_death")["D"] > 10.0
    rescued = final_state("anti_inflammatory_therapy")
    assert rescued["P"] < 1e-6 and rescued["D"] < 1e-3
    excess = final_state("excess_anti_inflammation")
    assert excess["P"] > 1.0
