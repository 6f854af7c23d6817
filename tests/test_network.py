"""Network building, stable parameter names, graph views and validation errors."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import cytosim as cs
from cytosim._builtin_models import lps_macrophage

from .helpers import every_kind_network


def small() -> cs.Network:
    net = cs.Network("small")
    net.add_stimulus("LPS", initial=1.0, decay_rate=1.0)
    net.add_cell("M", initial=10.0)
    net.add_cell("MA")
    net.add_cytokine("TNF", decay_rate=2.0, use_catalogue=False)
    net.add_cytokine("IL-10", decay_rate=0.5, use_catalogue=False)
    return net


# --------------------------------------------------------------------------- names
def test_parameter_names_follow_the_design() -> None:
    net = small()
    net.add_edge("M", "activates", "MA", rate=1.0, modulators=[cs.Hill("LPS", K=2.0)])
    net.add_edge("M", "activates", "MA", rate=0.1)
    net.add_edge("MA", "secretes", "TNF", rate=3.0,
                 modulators=[cs.Hill("IL-10", K=5.0, n=2.0, kind="down", basal=0.1)])
    names = set(net.parameter_values())
    assert {"body.volume", "LPS.rate", "TNF.rate", "IL-10.rate", "M.activates.MA.rate",
            "M.activates.MA.LPS.K", "M.activates.MA.LPS.n", "M.activates.MA:2.rate",
            "MA.secretes.TNF.rate", "MA.secretes.TNF.IL-10.K", "MA.secretes.TNF.IL-10.n",
            "MA.secretes.TNF.IL-10.basal"} == names
    table = net.parameters()
    assert table.loc["MA.secretes.TNF.IL-10.basal", "value"] == 0.1
    assert table.loc["M.activates.MA:2.rate", "where"] == "edge M -activates-> MA"
    assert table.loc["TNF.rate", "unit"] == "1/h"


def test_half_life_is_a_derived_name() -> None:
    net = cs.Network()
    net.add_cytokine("X", half_life=2.0, use_catalogue=False)
    assert net.parameter_values()["X.rate"] == pytest.approx(math.log(2) / 2.0, rel=1e-15)
    net.set_parameter("X.half_life", 0.5)
    assert net.parameter_values()["X.rate"] == pytest.approx(math.log(2) / 0.5, rel=1e-15)


def test_paper_alias_resolves_everywhere() -> None:
    net = cs.Network()
    net.add_cell("P", initial=1.0)
    net.add_process("P", "logistic", growth_rate=0.3, capacity=20.0,
                    aliases={"growth_rate": "k_pg"})
    assert net.parameter_aliases() == {"k_pg": "P.growth_rate"}
    net.set_parameter("k_pg", 0.6)
    assert net.parameter_values()["P.growth_rate"] == 0.6
    tc = cs.simulate(net, t_end=1.0, params={"k_pg": 0.0}, engine="numpy")
    assert np.allclose(tc["P"], 1.0)  # zero growth: stays at its initial value


def test_catalogue_defaults_are_tagged() -> None:
    net = cs.Network()
    net.add_cytokine("IL-10")
    row = net.parameters().loc["IL-10.rate"]
    assert row["source"] == "catalogue"
    info = cs.catalogue.lookup_cytokine("IL-10")
    assert row["value"] == pytest.approx(math.log(2) / info.half_life_h)
    assert net.node("IL-10")["catalog_id"] == "IL10"


def test_catalogue_half_life_converted_to_the_model_time_unit() -> None:
    net = cs.Network(time_unit="min")
    net.add_cytokine("TNF")
    info = cs.catalogue.lookup_cytokine("TNF")
    assert net.parameter_values()["TNF.rate"] == pytest.approx(
        math.log(2) / (info.half_life_h * 60))


def test_with_parameters_returns_a_new_network() -> None:
    net = small()
    other = net.with_parameters({"TNF.rate": 9.0})
    assert net.parameter_values()["TNF.rate"] == 2.0
    assert other.parameter_values()["TNF.rate"] == 9.0


# --------------------------------------------------------------------------- graph views
def test_graph_is_a_frozen_networkx_multidigraph() -> None:
    net = lps_macrophage()
    graph = net.graph
    assert isinstance(graph, nx.MultiDiGraph)
    assert nx.is_frozen(graph)
    assert graph.nodes["TNF"]["kind"] == "cytokine"
    kinds = {d["kind"] for _, _, d in graph.edges(data=True)}
    assert {"secretes", "activates", "decay", "logistic", "decay_to_baseline"} <= kinds


def test_influence_graph_signs() -> None:
    influence = lps_macrophage().influence_graph()
    assert influence.edges["MA", "TNF"]["sign"] == 1
    assert influence.edges["IL10", "TNF"]["sign"] == -1  # Hill-down inhibition
    assert influence.edges["TNF", "MA"]["sign"] == 1  # TNF amplifies activation
    assert influence.edges["LPS", "M"]["sign"] == -1  # activation drains resting cells
    assert not any(u == v for u, v in influence.edges)


def test_from_networkx_round_trip_gives_identical_results() -> None:
    net = every_kind_network()
    rebuilt = cs.Network.from_networkx(nx.MultiDiGraph(net.graph))
    assert rebuilt.structure() == net.structure()
    a = cs.simulate(net, t_end=5.0, engine="numpy")
    b = cs.simulate(rebuilt, t_end=5.0, engine="numpy")
    assert np.array_equal(a.values, b.values)  # same equations, same arithmetic


def test_from_networkx_builds_from_plain_attributes() -> None:
    graph = nx.MultiDiGraph(name="drawn", time_unit="h")
    graph.add_node("M", kind="cell", initial=2.0)
    graph.add_node("IL6", kind="cytokine")
    graph.add_edge("M", "IL6", kind="secretes", params={"rate": 3.0})
    graph.add_edge("IL6", "IL6", kind="decay", params={"rate": 1.5})
    net = cs.Network.from_networkx(graph)
    tc = cs.simulate(net, t_end=40.0, engine="numpy")
    assert tc["IL6"][-1] == pytest.approx(3.0 * 2.0 / 1.5, rel=1e-6)  # k*N/delta


def test_user_registered_kind_needs_no_compiler_change() -> None:
    from cytosim import expr as ex
    from cytosim.kinetics import Flux, ParamSpec, RateLaw

    def build(ctx: cs.kinetics.TermContext) -> list[Flux]:
        x = ctx.conc(ctx.target)
        return [Flux(ex.mul(ctx.param("vmax"), ex.div(x, ex.add(ctx.param("km"), x))),
                     {ctx.target: -1.0})]

    law = RateLaw("michaelis_clearance", "node", "vmax * X / (km + X)",
                  lambda options: (ParamSpec("vmax", "max clearance"),
                                   ParamSpec("km", "half-saturation", positive=True)), build)
    net = cs.Network(kinds=cs.kinetics.DEFAULT_KINDS.with_kind(law))
    net.add_drug("D", initial=1.0)
    net.add_process("D", "michaelis_clearance", vmax=0.2, km=1e6)
    tc = cs.simulate(net, t_end=3.0, engine="numpy", rtol=1e-10, atol=1e-14)
    # km >> D: effectively first order with rate vmax/km; compare to that within 1e-6
    assert tc["D"][-1] == pytest.approx(math.exp(-0.2 / 1e6 * 3.0), rel=1e-6)
    assert "michaelis_clearance" not in cs.kinetics.DEFAULT_KINDS  # no global change


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda n: n.add_cell("N*"), r"invalid node name 'N\*'"),
        (lambda n: n.add_cell("M"), r"duplicate node name 'M'"),
        (lambda n: n.add_node("X", "cytokin"), r"unknown kind 'cytokin'.*'cytokine'"),
        (lambda n: n.add_edge("M", "secrets", "TNF", rate=1.0),
         r"unknown edge kind 'secrets'.*Did you mean 'secretes'"),
        (lambda n: n.add_edge("M", "secretes", "TNFa", rate=1.0),
         r"unknown target node 'TNFa'.*Did you mean 'TNF'"),
        (lambda n: n.add_edge("LPS", "secretes", "TNF", rate=1.0),
         r"edge LPS -secretes-> TNF: the source must be a node of kind cell, but 'LPS' is a "
         r"stimulus"),
        (lambda n: n.add_edge("M", "secretes", "TNF"), r"missing parameter 'rate'"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=-1.0),
         r"edge M -secretes-> TNF: parameter 'rate' must be >= 0, got -1.0"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=float("nan")),
         r"parameter 'rate' must be finite, got nan"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=float("inf")),
         r"parameter 'rate' must be finite"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=1.0, rat=2.0),
         r"unknown parameter or option 'rat'.*Did you mean 'rate'"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=1.0,
                              modulators=[cs.Hill("IL10", K=1.0)]),
         r"modulator names unknown node 'IL10'.*Did you mean 'IL-10'"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=1.0,
                              modulators=[cs.Hill("IL-10", K=0.0)]),
         r"parameter 'IL-10.K' must be > 0, got 0.0"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=1.0,
                              modulators=[cs.Hill("IL-10", K=1.0, kind="sideways")]),
         r"needs kind 'up' or 'down', got 'sideways'"),
        (lambda n: n.add_edge("M", "secretes", "TNF", rate=1.0,
                              modulators=[cs.Hill("IL-10", K=1.0, basal=1.5)]),
         r"parameter 'IL-10.basal' must be <= 1"),
        (lambda n: n.add_edge("M", "binds", "TNF", kon=1.0, koff=1.0, complex="C"),
         r"option `complex` must name an existing node of kind complex, got 'C'"),
        (lambda n: n.add_edge("M", "proliferates", "MA", rate=1.0, response="sigmoid"),
         r"`response` must be 'linear', 'saturating' or 'hill', got 'sigmoid'"),
        (lambda n: n.add_process("TNF", "decay", rate=1.0),
         r"node 'TNF' already has a 'decay' process"),
        (lambda n: n.add_process("TNF", "decay_to_baseline", rate=1.0, baseline=0.5),
         r"parameter name\(s\) \['rate'\] of node 'TNF' are already used by its 'decay'"),
        (lambda n: n.add_process("M", "secretes", rate=1.0), r"'secretes' is a edge kind"),
        (lambda n: n.add_cell("Z", initial=-1.0), r"initial value must be a finite number >= 0"),
        (lambda n: n.add_cell("Z", compartment="blood"),
         r"unknown compartment 'blood'.*'body'"),
        (lambda n: n.add_compartment("blood", volume=0.0), r"volume must be a finite number > 0"),
        (lambda n: n.add_observable("ratio", "TNF / IL10"),
         r"observable 'ratio': the formula names 'IL10'.*Did you mean 'IL-10'"),
        (lambda n: n.add_observable("TNF", "1"), r"already used by a node"),
        (lambda n: n.add_observable("r", "TNF / (IL-10"), r"cannot parse formula"),
        (lambda n: n.add_term("TNF", "k * M + q", params={"k": 1.0}),
         r"the formula names 'q'"),
        (lambda n: n.set_initial("M", float("nan")), r"initial value of 'M' must be a finite"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_culprit(build, match) -> None:  # type: ignore[no-untyped-def]
    net = small()
    with pytest.raises(cs.ModelError, match=match):
        build(net)
    net.validate()  # a refused change leaves the network valid


def test_set_parameter_errors() -> None:
    net = small()
    with pytest.raises(cs.ParameterError, match=r"unknown parameter 'TNF.rat'.*'TNF.rate'"):
        net.set_parameter("TNF.rat", 1.0)
    with pytest.raises(cs.ParameterError, match=r"'rate' must be >= 0, got -2"):
        net.set_parameter("TNF.rate", -2.0)
    assert net.parameter_values()["TNF.rate"] == 2.0  # unchanged after the refusal
    with pytest.raises(cs.ParameterError, match=r"`TNF.half_life` must be > 0"):
        net.set_parameter("TNF.half_life", 0.0)


def test_observable_cycle_is_refused() -> None:
    net = small()
    net.add_observable("a", "TNF + 1")
    net.add_observable("b", "a * 2")
    net._graph.graph["observables"]["a"]["formula"] = cs.expr.Symbol("b")
    with pytest.raises(cs.ModelError, match=r"cycle: (a -> b|b -> a)"):
        net.validate()


def test_from_networkx_names_missing_kind() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("X")
    with pytest.raises(cs.ModelError, match=r"node 'X' has no `kind` attribute"):
        cs.Network.from_networkx(graph)


def test_names_from_users_never_reach_generated_code() -> None:
    net = cs.Network()
    net.add_cell("os", initial=1.0)
    net.add_cytokine("import_sys", decay_rate=1.0, use_catalogue=False)
    net.add_edge("os", "secretes", "import_sys", rate=1.0)
    net.add_observable("exec", "import_sys * 2")
    system = cs.compile_network(net)
    for source in system.sources.values():
        assert "import_sys" not in source and "os" not in source.replace("pos", "")
        assert "exec" not in source


def test_set_parameter_finds_the_right_process_among_several_on_a_node() -> None:
    net = cs.Network()
    net.add_cytokine("X", initial=1.0, decay_rate=0.5, use_catalogue=False)
    net.add_term("X", "u", name="infusion", params={"u": 0.0})
    net.set_parameter("X.u", 2.0)
    assert net.parameter_values()["X.u"] == 2.0
    assert net.parameter_values()["X.rate"] == 0.5


def test_implied_units_come_from_each_element_itself() -> None:
    net = cs.Network()
    net.add_stimulus("LPS", initial=1.0, unit="ng/mL")
    net.add_cytokine("X", unit="pg/mL", decay_rate=0.5, use_catalogue=False)
    net.add_process("X", "source", source=1.0, modulators=[cs.Linear("LPS")])
    units = net.parameters()["unit"]
    assert units["X.rate"] == "1/h"  # the decay's own unit, not muted by the other process
    assert units["X.source"] == ""  # a mass-action modulator changes the unit: none implied


def test_self_transfers_and_modulated_infusions_are_refused() -> None:
    net = cs.Network()
    net.add_cytokine("X", decay_rate=1.0, use_catalogue=False)
    with pytest.raises(cs.ModelError, match="cannot transfer to itself"):
        net.add_edge("X", "transfers", "X", rate=1.0)
    with pytest.raises(cs.ModelError, match="modulators on it would have no effect"):
        net.add_process("X", "infusion", infusion_rate=0.0, modulators=[cs.Hill("X", K=1.0)])
