"""Drug-cytokine binding in molar units and competitive receptor antagonism.

References: mass conservation and the law of mass action (equilibrium ``X = D C / Kd``);
competitive antagonism by the Gaddum equation (a Hill response's apparent K multiplied by
``1 + [A]/Ki``). Molar conversions by hand: 1 nM of a protein of M g/mol is M pg/mL.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cytosim as cs
from cytosim._molar import molar_factor
from cytosim._units import registry
from cytosim.exceptions import ModelError, ParameterError
from cytosim.therapies import adalimumab, anakinra, etanercept, infliximab

from .helpers import finite_difference_jacobian

TNF_MW = 17300.0  # catalogue (monomer); the anti-TNF presets bind the 52 kDa trimer


def quantity(value: float, unit: str) -> object:
    return registry().Quantity(value, unit)


def tnf_network(tnf: float = 50.0, half_life: float = 1e12) -> cs.Network:
    net = cs.Network("binding", time_unit="h")
    net.add_compartment("plasma", volume=3.0, unit="L")
    net.add_cytokine("TNF", initial=tnf, unit="pg/mL", compartment="plasma",
                     half_life=half_life)
    return net


def test_molar_factors_by_hand() -> None:
    net = tnf_network()
    net.add_drug("D", unit="mg", compartment="plasma", quantity="amount",
                 molecular_weight=149100.0)
    net.add_complex("X", unit="pM")
    graph = net.graph
    # 1 pg/mL of a 17,300 g/mol protein is 1/17,300 nM
    assert molar_factor(graph, "TNF", "t") == pytest.approx(1.0 / TNF_MW, rel=1e-12)
    assert molar_factor(graph, "TNF", "t", 52000.0) == pytest.approx(1.0 / 52000.0, rel=1e-12)
    # 1 mg/L of a 149,100 g/mol antibody is 1e-3 / 149,100 mol/L = 6.7069 nM
    assert molar_factor(graph, "D", "t") == pytest.approx(1e6 / 149100.0, rel=1e-12)
    assert molar_factor(graph, "X", "t") == pytest.approx(1e-3, rel=1e-12)


def binding_network(kon: float = 0.36, koff: float = 0.036, clear: bool = False
                    ) -> cs.Network:
    net = tnf_network()
    net.add_drug("D", unit="mg", compartment="plasma", quantity="amount",
                 molecular_weight=149100.0, initial=2.0)
    net.add_complex("X", unit="nM", compartment="plasma")
    net.add_edge("D", "binds", "TNF", kon=kon, koff=koff, complex="X", molar=True,
                 target_molecular_weight=52000.0, units={"kon": "1/nM/h", "koff": "1/h"})
    if clear:
        net.add_process("X", "decay", rate=0.01)
        net.add_process("D", "decay", rate=0.01)
    return net


def test_binding_conserves_drug_and_cytokine_and_reaches_kd() -> None:
    """No clearance: total drug (mg) and total TNF (pg/mL) are conserved, and the
    equilibrium satisfies X = D C / Kd in nM (tolerance: the solver's, rtol 1e-10)."""
    kon, koff = 0.36, 0.036
    net = binding_network(kon, koff)
    tc = cs.simulate(net, t_end=400.0, method="LSODA", rtol=1e-11, atol=1e-14,
                     t_eval=np.linspace(0.0, 400.0, 41))
    d_mg, tnf, x_nm = tc["D"], tc["TNF"], tc["X"]
    volume = 3.0
    # drug bound: X nM x V L = nmol, x 149,100 g/mol = ng = 1e-6 mg
    total_drug = d_mg + x_nm * volume * 149100.0 * 1e-6
    total_tnf = tnf + x_nm * 52000.0  # 1 nM of trimer = 52,000 pg/mL
    np.testing.assert_allclose(total_drug, 2.0, rtol=1e-9)
    np.testing.assert_allclose(total_tnf, 50.0, rtol=1e-8)
    d_nm = d_mg[-1] / volume * 1e6 / 149100.0
    c_nm = tnf[-1] / 52000.0
    assert x_nm[-1] == pytest.approx(d_nm * c_nm / (koff / kon), rel=1e-6)


def test_molar_binding_has_its_analytic_jacobian() -> None:
    system = cs.compile_network(binding_network(clear=True))
    y = np.array([30.0, 1.5, 2e-4])
    p = system.default_params
    np.testing.assert_allclose(system.jac_dense(0.0, y, p),
                               finite_difference_jacobian(system, y, p), rtol=1e-6, atol=1e-10)


def test_molar_binding_round_trips_through_a_model_file(tmp_path) -> None:
    net = binding_network(clear=True)
    path = tmp_path / "binding.toml"
    cs.save_model(net, path)
    again = cs.load_model(path)
    assert again.parameters()["value"].to_dict() == net.parameters()["value"].to_dict()
    a = cs.simulate(net, t_end=10.0)
    b = cs.simulate(again, t_end=10.0)
    # the file lists processes before edges, so terms are summed in another order: equal to
    # rounding (observed 1.4e-15), far inside the solver's tolerance
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-15)


def test_molar_binding_errors_name_the_node() -> None:
    net = tnf_network()
    net.add_drug("D", unit="mg", compartment="plasma", quantity="amount")
    net.add_complex("X", unit="nM")
    with pytest.raises(ModelError, match="'D'.*molecular weight"):
        net.add_edge("D", "binds", "TNF", kon=1.0, koff=1.0, complex="X", molar=True)
    net.add_cell("M", unit="cells")
    with pytest.raises(ModelError, match="molar"):
        net.add_edge("D", "binds", "TNF", kon=1.0, koff=1.0, complex="X", molar="yes")
    other = cs.Network()
    other.add_drug("A", unit="IU", molecular_weight=15300.0)
    other.add_cytokine("IL2", unit="pg/mL")
    other.add_complex("AX", unit="nM")
    with pytest.raises(ModelError, match="'A'.*neither a molar nor a mass"):
        other.add_edge("A", "binds", "IL2", kon=1.0, koff=1.0, complex="AX", molar=True)
    with pytest.raises(ModelError, match="molecular_weight"):
        other.add_drug("B", unit="mg", molecular_weight=-1.0)


def test_a_kon_in_the_wrong_unit_is_refused_by_the_unit_check() -> None:
    from cytosim.io._dimensions import check_units

    net = binding_network()
    assert check_units(net) > 0
    bad = tnf_network()
    bad.add_drug("D", unit="mg", compartment="plasma", quantity="amount",
                 molecular_weight=149100.0)
    bad.add_complex("X", unit="nM", compartment="plasma")
    bad.add_edge("D", "binds", "TNF", kon=0.36, koff=0.036, complex="X", molar=True,
                 units={"kon": "1/h", "koff": "1/h"})
    with pytest.raises(ModelError, match="kon.*molar rate law needs"):
        check_units(bad)
    # the right dimension in another unit would be used 3.6e12 times too large: refused
    scaled = tnf_network()
    scaled.add_drug("D", unit="mg", compartment="plasma", quantity="amount",
                    molecular_weight=149100.0)
    scaled.add_complex("X", unit="nM", compartment="plasma")
    scaled.add_edge("D", "binds", "TNF", kon=1e6, koff=0.036, complex="X", molar=True,
                    units={"kon": "1/M/s", "koff": "1/h"})
    with pytest.raises(ModelError,
                       match=r"`kon` is used in 1/nM/h.*3.6e-06 1/nM/h\): give the value"):
        check_units(scaled)
    antagonist = antagonist_network()
    antagonist.add_drug("A", unit="mg", compartment="plasma", quantity="amount",
                        molecular_weight=17300.0)
    antagonist.add_edge("A", "antagonizes", "IL1B", Ki=150.0, molar=True, units={"Ki": "pM"})
    with pytest.raises(ModelError, match="`Ki` is used in nM"):
        check_units(antagonist)


def test_a_molar_law_across_compartments_needs_volume_units() -> None:
    net = cs.Network("across", time_unit="h")
    net.add_compartment("tissue", volume=0.5)  # no unit
    net.add_cytokine("TNF", initial=5.0, unit="pg/mL", compartment="tissue")
    net.add_drug("D", unit="mg", quantity="amount", compartment="tissue",
                 molecular_weight=149100.0)
    net.add_compartment("plasma", volume=3.0, unit="L")
    net.add_complex("X", unit="nM", compartment="plasma")
    with pytest.raises(ModelError, match="'D' to have a volume unit on its compartment 'tissue'"):
        net.add_edge("D", "binds", "TNF", kon=1.0, koff=1.0, complex="X", molar=True)


def test_volume_units_convert_only_for_molar_laws() -> None:
    """A transfer between a compartment in L and one in mL conserves the amount (its rate is
    per the reaction volume's own number); a molar binding in mL equals the same in L."""
    net = cs.Network("mixed", time_unit="h")
    net.add_compartment("a", volume=2.0, unit="L")
    net.add_compartment("b", volume=3.0, unit="mL")
    net.add_drug("S", initial=1.0, unit="mg", quantity="amount", compartment="a")
    net.add_drug("T", unit="mg", quantity="amount", compartment="b")
    net.add_edge("S", "transfers", "T", rate=0.5)
    system = cs.compile_network(net)
    rates = system.rhs(0.0, system.default_initial, system.default_params)
    assert rates.sum() == pytest.approx(0.0, abs=1e-15)
    assert rates[system.state_names.index("T")] == pytest.approx(0.5)

    def bound(volume: float, unit: str) -> np.ndarray:
        other = cs.Network("molar", time_unit="h")
        other.add_compartment("plasma", volume=volume, unit=unit)
        other.add_cytokine("TNF", initial=50.0, unit="pg/mL", compartment="plasma")
        other.add_compartment("central", volume=2.5, unit="L")
        other.add_drug("D", initial=2.0, unit="mg", quantity="amount", compartment="central",
                       molecular_weight=149100.0)
        other.add_complex("X", unit="nM", compartment="plasma")
        other.add_edge("D", "binds", "TNF", kon=0.36, koff=0.036, complex="X", molar=True)
        s = cs.compile_network(other)
        return s.rhs(0.0, s.default_initial, s.default_params)

    np.testing.assert_allclose(bound(3000.0, "mL"), bound(3.0, "L"), rtol=1e-12)


def test_binding_presets_refuse_a_second_drug_and_amount_targets() -> None:
    net, _ = infliximab(target="TNF").prepare(tnf_network())
    with pytest.raises(ModelError, match="already bound by another drug"):
        adalimumab(target="TNF").prepare(net)
    amount = cs.Network(time_unit="h")
    amount.add_compartment("plasma", volume=3.0, unit="L")
    amount.add_cytokine("TNF", unit="pg", quantity="amount", compartment="plasma")
    with pytest.raises(ModelError, match="amount state"):
        infliximab(target="TNF").prepare(amount)


def test_an_antagonist_warns_about_responses_it_cannot_reach() -> None:
    net = antagonist_network()
    net.add_term("E", "0.1 * IL1B", name="formula_response", changes={"E": 1.0})
    with pytest.warns(UserWarning, match="formula_response.* read IL1B directly"):
        anakinra(target="IL1B").prepare(net)


@pytest.mark.parametrize(("preset", "kd_pm"), [(infliximab, 44.0), (adalimumab, 127.0),
                                               (etanercept, 11.0)])
def test_anti_tnf_presets_bind_their_target(preset, kd_pm: float) -> None:
    therapy = preset(target="TNF")
    assert therapy.binding.kd.to("pM").magnitude == pytest.approx(kd_pm, rel=1e-12)
    net, _ = therapy.prepare(tnf_network(half_life=0.8167))
    drug = therapy.drug
    assert net.graph.has_edge(drug, "TNF")
    params = net.parameters()
    assert params.loc[f"{drug}.binds.TNF.kon", "unit"] == "1/nM/h"
    # complex cleared like free drug
    k10 = therapy.pk_values("h")["clearance"] / therapy.pk_values("h")["volume"]
    assert params.loc[f"{drug}_TNF_complex.rate", "value"] == pytest.approx(k10, rel=1e-12)
    assert any("Shealy" in source for _, source in therapy.sources)
    assert not any("no target binding" in a for a in therapy.assumptions)


def test_infliximab_lowers_free_tnf_with_steady_production() -> None:
    """TNF produced at a constant rate and cleared with its catalogue half-life: a 3 mg/kg
    infusion lowers free TNF by orders of magnitude while total TNF rises (the complex holds
    it), the standard observation with anti-TNF antibodies."""
    net = tnf_network(tnf=5.0, half_life=0.8167)
    k = float(np.log(2.0) / 0.8167)
    net.add_process("TNF", "source", source=5.0 * k)  # pg/mL/h keeps 5 pg/mL at steady state
    therapy = infliximab(n_maintenance=0, weeks=(0.0,), target="TNF")
    tc = cs.simulate(net, t_end=24.0 * 14, interventions=[therapy],
                     t_eval=np.linspace(0.0, 24.0 * 14, 57))
    assert tc["TNF"][0] == pytest.approx(5.0)
    assert tc["TNF"][10] < 0.05 * 5.0
    assert tc["TNF_total"][10] > 5.0
    assert 0.95 < tc["infliximab_TNF_occupancy"][10] <= 1.0
    untreated = cs.simulate(net, t_end=24.0 * 14, t_eval=np.linspace(0.0, 24.0 * 14, 57))
    np.testing.assert_allclose(untreated["TNF"], 5.0, rtol=1e-6)


def test_unknown_and_wrong_targets_are_refused() -> None:
    net = tnf_network()
    net.add_cytokine("IL6", unit="pg/mL", compartment="plasma")
    with pytest.raises(ModelError, match="'TNFa' is not a node.*Cytokines"):
        infliximab(target="TNFa").prepare(net)
    with pytest.raises(ModelError, match="linked to the catalogue entry 'IL6'"):
        infliximab(target="IL6").prepare(net)
    with pytest.raises(ParameterError, match="`target` must be a node name"):
        infliximab(target=3)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="no `binding`"):
        dataclasses.replace(infliximab(), target="TNF")


def antagonist_network() -> cs.Network:
    net = cs.Network("antagonism", time_unit="h")
    net.add_compartment("plasma", volume=5.0, unit="L")
    net.add_cytokine("IL1B", initial=2.0, unit="pg/mL", compartment="plasma", half_life=1e12)
    net.add_cell("E", initial=1.0, compartment="plasma")
    net.add_process("E", "source", source=1.0, modulators=[cs.Hill("IL1B", K=3.0, n=1.5)])
    return net


def test_anakinra_is_a_competitive_antagonist_by_the_gaddum_equation() -> None:
    therapy = anakinra(n_doses=1, target="IL1B")
    net, _ = therapy.prepare(antagonist_network())
    system = cs.compile_network(net)
    states = list(system.state_names)
    ki_nm = 0.150
    for amount_mg in (0.0, 1.0, 50.0):
        y = system.default_initial.copy()
        y[states.index("anakinra")] = amount_mg
        rates = system.rhs(0.0, y, system.default_params)
        volume = therapy.pk_values("h")["volume"]
        a_nm = amount_mg / volume * 1e6 / 17300.0
        k_apparent = 3.0 * (1.0 + a_nm / ki_nm)
        expected = 2.0 ** 1.5 / (k_apparent ** 1.5 + 2.0 ** 1.5)
        assert rates[states.index("E")] == pytest.approx(expected, rel=1e-12)
        # the antagonist leaves the cytokine itself alone: only its own (negligible) decay
        assert rates[states.index("IL1B")] == pytest.approx(-2.0 * np.log(2.0) / 1e12, rel=1e-9)
    with pytest.raises(ModelError, match="IL1B or IL1A"):
        anakinra(target="TNF").prepare(tnf_network())


def test_binding_needs_positive_constants_with_units() -> None:
    from cytosim.therapies._binding import Binding

    with pytest.raises(ParameterError, match="kon"):
        Binding(("TNF",), quantity(1.5e5, "g/mol"), kon=quantity(1.0, "1/s"),
                koff=quantity(1.0, "1/s"))
    with pytest.raises(ParameterError, match="ki"):
        Binding(("IL1B",), quantity(1.7e4, "g/mol"), mechanism="antagonist")
    with pytest.raises(ParameterError, match="mechanism"):
        Binding(("TNF",), quantity(1.5e5, "g/mol"), mechanism="agonist")
