"""Tissue graphs: a network replicated over a graph with diffusion along its edges."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import cytosim as cs


def local() -> cs.Network:
    net = cs.Network("local")
    net.add_cell("M", initial=1.0)
    net.add_cytokine("X", decay_rate=0.2, use_catalogue=False)
    net.add_edge("M", "secretes", "X", rate=1.0, modulators=[cs.Hill("X", K=2.0, kind="down")])
    net.add_observable("twice", "2 * X")
    return net


def test_one_isolated_site_equals_the_local_model() -> None:
    net = cs.load_model("acute_inflammation")  # expression terms, aliases, observables
    site = cs.tissue(net, nx.empty_graph(1), diffusion={"CA": 0.1})
    a = cs.simulate(net, t_end=50.0, engine="numpy")
    b = cs.simulate(site, t_end=50.0, engine="numpy")
    # same equations: the functions agree to rounding (numpy's vectorised power may round
    # differently with the arrays' shapes), so the trajectories agree to well within the
    # solver's tolerance (rtol 1e-6) even where rounding changes its step sequence
    sa, sb = cs.compile_network(net), cs.compile_network(site)
    for y in (sa.default_initial, a.values[-1, :a.n_states]):
        np.testing.assert_allclose(sb.rhs(0.0, y, sb.default_params),
                                   sa.rhs(0.0, y, sa.default_params), rtol=1e-13, atol=0)
    np.testing.assert_allclose(b.values, a.values, rtol=1e-7, atol=1e-12)


def test_diffusion_conserves_mass_and_equilibrates() -> None:
    net = cs.Network("pure")
    net.add_cytokine("X", use_catalogue=False)
    path = cs.tissue(net, nx.path_graph(5), diffusion={"X": 0.7})
    tc = cs.simulate(path, t_end=200.0, initial={"X__0": 5.0}, engine="numpy", rtol=1e-10,
                     atol=1e-12)
    totals = tc.values[:, :5].sum(axis=1)
    np.testing.assert_allclose(totals, 5.0, rtol=1e-9)  # exchange only moves X
    np.testing.assert_allclose(tc.values[-1, :5], 1.0, rtol=1e-6)  # uniform at equilibrium


def test_names_and_errors() -> None:
    grid = cs.tissue(local(), nx.grid_2d_graph(2, 2), diffusion={"X": 0.3})
    assert "X__0_1" in grid.nodes and "twice__1_1" in grid.observables
    assert "M__0_0.secretes.X__0_0.X__0_0.K" in grid.parameter_values()
    with pytest.raises(cs.ModelError, match=r"cannot diffuse unknown node 'Y'"):
        cs.tissue(local(), nx.path_graph(2), diffusion={"Y": 0.1})


def _mixed_local() -> cs.Network:
    """A local model with an amount state in a compartment of its own (volume 2.5 L)."""
    net = local()
    net.add_compartment("lymph", volume=2.5, unit="L")
    net.add_node("A", "cytokine", initial=3.0, quantity="amount", compartment="lymph")
    net.add_edge("A", "transfers", "X", rate=0.4)
    net.add_edge("X", "transfers", "A", rate=0.1)
    return net


def _structured_and_flat(net: cs.Network, graph: nx.Graph, diffusion: dict[str, float]
                         ) -> tuple[cs.OdeSystem, cs.OdeSystem]:
    from cytosim.compiler import _compile
    from cytosim.interventions import with_infusion_inputs

    tissue = cs.tissue(net, graph, diffusion=diffusion)
    # infusion inputs (added by dosing) into a concentration and, in "mixed", an amount state
    inputs = [n for n in (f"{next(iter(diffusion))}__0_1", "A__1_1") if n in tissue.nodes]
    tissue = with_infusion_inputs(tissue, inputs)
    for k, node in enumerate(inputs):
        tissue.set_parameter(f"{node}.infusion_rate", 0.7 + k)
    # per-site values after tissue(): still the structured compile, with each site's own
    tissue.set_parameter("body__1_0.volume", 1.7)
    if "lymph__1_1.volume" in tissue.parameter_values():
        tissue.set_parameter("lymph__1_1.volume", 4.0)
    return cs.compile_network(tissue), _compile(tissue)


@pytest.mark.parametrize("model", ["acute_inflammation", "mixed"])
def test_the_structured_compile_equals_the_flat_one(model: str) -> None:
    if model == "mixed":
        net, diffusion = _mixed_local(), {"X": 0.3, "A": 0.6}
    else:
        net, diffusion = cs.load_model(model), {"P": 0.5, "Nstar": 0.2}
    structured, flat = _structured_and_flat(net, nx.grid_2d_graph(3, 2), diffusion)
    assert structured.derivatives == () and flat.derivatives != ()  # the two paths ran
    for field in ("state_names", "param_names", "observable_names", "state_units",
                  "param_units", "observable_units"):
        assert getattr(structured, field) == getattr(flat, field), field
    np.testing.assert_array_equal(structured.default_params, flat.default_params)
    np.testing.assert_array_equal(structured.default_initial, flat.default_initial)
    assert structured.param_specs == flat.param_specs
    assert structured.derived_params.keys() == flat.derived_params.keys()
    assert_same_functions(structured, flat, compiled=model == "mixed")


def assert_same_functions(structured: cs.OdeSystem, flat: cs.OdeSystem, *,
                          compiled: bool) -> None:
    """Pattern, rhs, Jacobian and observables of the two compiles agree on random states and
    parameters (several members, one member, default parameters); with *compiled*, the
    numba functions too (one numba compile of a small tissue). The summation order differs
    (sites, then edges, then what was added): equal to rounding, 1e-13 relative."""
    np.testing.assert_array_equal(structured.rows, flat.rows)
    np.testing.assert_array_equal(structured.cols, flat.cols)
    rng = np.random.default_rng(3)
    n, q = structured.n_states, structured.n_params
    y = rng.uniform(-0.2, 3.0, (n, 5))  # negative values exercise pos() and its gate
    p = structured.default_params[:, None] * rng.uniform(0.5, 2.0, (q, 5))
    for args in ((y, p), (y, structured.default_params), (y[:, 0], p)):
        for fn in ("rhs", "jac"):
            with np.errstate(all="ignore"):  # Hill slopes at y < 0: the same inf in both
                a, b = getattr(structured, fn)(0.0, *args), getattr(flat, fn)(0.0, *args)
            scale = np.abs(b[np.isfinite(b)]).max()
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13 * scale)
    t = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(structured.observe(t, y, p[:, 0]), flat.observe(t, y, p[:, 0]),
                               rtol=1e-13)
    if compiled:
        kernels = structured.numba()
        for fn, size in (("rhs", n), ("jac", structured.nnz),
                         ("obs", len(structured.observable_names))):
            with np.errstate(all="ignore"):
                a = kernels[fn](0.5, y[:, 1].copy(), p[:, 1].copy(), np.empty(size))
                b = getattr(flat, {"obs": "observe"}.get(fn, fn))(0.5, y[:, 1], p[:, 1])
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_a_changed_structure_compiles_flat_and_copies_keep_the_layout() -> None:
    from cytosim._tissue_system import layout_of

    grid = cs.tissue(local(), nx.path_graph(3), diffusion={"X": 0.3})
    assert layout_of(grid) is not None and layout_of(grid.copy()) is not None
    assert cs.compile_network(grid.with_parameters({"X__1.rate": 0.5})).derivatives == ()
    grid.add_cytokine("Y", decay_rate=1.0, use_catalogue=False)  # added: still a tissue
    assert layout_of(grid) is not None
    assert cs.compile_network(grid).derivatives == () and "Y" in grid.nodes
    grid.add_cytokine("Z", decay_rate=1.0, use_catalogue=False)
    grid.add_edge("Y", "antagonizes", "Z", Ki=2.0)  # between added nodes: still a tissue
    assert layout_of(grid) is not None
    # a competitive antagonist of a site's node changes what the site's own laws see: flat
    grid.add_edge("Y", "antagonizes", "X__1", Ki=2.0)
    assert layout_of(grid) is None
    system = cs.compile_network(grid)
    assert system.derivatives != () and "Y" in system.state_names


def test_a_tissue_without_diffusion_edges_evaluates_members() -> None:
    """Empty index arrays (no diffusion edge, no local Jacobian entry) with member axes."""
    net = cs.Network("pure")
    net.add_cytokine("X", initial=1.0, use_catalogue=False)
    tissue = cs.tissue(net, nx.empty_graph(3), diffusion={"X": 0.7})
    system = cs.compile_network(tissue)
    assert system.derivatives == () and system.nnz == 0
    y = np.ones((system.n_states, 4))
    assert system.rhs(0.0, y).shape == (3, 4) and system.jac(0.0, y).shape == (0, 4)
    assert np.all(system.rhs(0.0, y) == 0.0)


def _with_plasma(tissue: cs.Network) -> cs.Network:
    """A plasma compartment added to a tissue: a drug exchanged with every site's X (both
    ways), infused and cleared; a term on one site; an observable summing the sites."""
    tissue.add_compartment("plasma", volume=3.0, unit="L")
    tissue.add_drug("D", initial=2.0, compartment="plasma", decay_rate=0.3)
    sites = [n for n in tissue.nodes if n.startswith("X__")]
    for k, node in enumerate(sites):
        tissue.add_edge("D", "transfers", node, rate=0.1 + 0.05 * k)
        tissue.add_edge(node, "transfers", "D", rate=0.02,
                        modulators=[cs.Hill("D", K=1.5, kind="down")])
    tissue.add_process("D", "infusion", infusion_rate=0.4)
    tissue.add_term(sites[0], f"-k_on * {sites[0]} * D", params={"k_on": 0.2})
    tissue.add_observable("X_total", " + ".join(sites))
    tissue.add_observable("X_mean", f"({' + '.join(sites)}) / {len(sites)}")
    tissue.add_observable("D_free", "2 * D")
    return tissue


def test_nodes_elements_and_observables_added_to_a_tissue_compile_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plasma compartment exchanging a drug with every site keeps the structured compile:
    the added part is compiled term by term and added, equal to the flat compile (its
    numba functions in pieces of 3 outputs here, 64 by default)."""
    from cytosim import _tissue_system
    from cytosim._tissue_system import layout_of
    from cytosim.compiler import _compile

    monkeypatch.setattr(_tissue_system, "EXTRA_CHUNK", 3)

    tissue = _with_plasma(cs.tissue(_mixed_local(), nx.grid_2d_graph(3, 2),
                                    diffusion={"X": 0.3, "A": 0.6}))
    assert layout_of(tissue) is not None
    structured, flat = cs.compile_network(tissue), _compile(tissue)
    assert structured.derivatives == () and flat.derivatives != ()
    for field in ("state_names", "param_names", "observable_names", "state_units"):
        assert getattr(structured, field) == getattr(flat, field), field
    d = structured.state_names.index("D")
    assert structured.rhs(0.0, structured.default_initial)[d] != 0.0  # the added part
    assert "def extra_jac_4(" in structured.sources["numba"]
    assert_same_functions(structured, flat, compiled=True)


def test_large_tissues_refuse_the_dense_rodas_method() -> None:
    grid = cs.tissue(local(), nx.grid_2d_graph(16, 16), diffusion={"X": 0.3})  # 512 states
    with pytest.raises(cs.ParameterError, match=r"dense 512 x 512 matrix .* 'BDF'"):
        cs.simulate(grid, t_end=1.0, method="rodas5p")


def test_parallel_diffusion_edges_and_self_loops() -> None:
    """A DiGraph with a->b and b->a gives two edges each way (each its own rate); a site's
    self-loop exchanges nothing. Both compiles agree after one of the parallel rates changes."""
    from cytosim.compiler import _compile

    graph = nx.DiGraph([(0, 1), (1, 0), (1, 1)])
    grid = cs.tissue(local(), graph, diffusion={"X": 0.3})
    grid.set_parameter("X__0.transfers.X__1:2.rate", 5.0)
    structured, flat = cs.compile_network(grid), _compile(grid)
    assert structured.derivatives == ()
    y = np.array([1.0, 2.0, 0.5, 4.0])
    np.testing.assert_allclose(structured.rhs(0.0, y), flat.rhs(0.0, y), rtol=1e-13)
    np.testing.assert_allclose(structured.jac(0.0, y), flat.jac(0.0, y), rtol=1e-13)
    x = [structured.state_names.index(f"X__{site}") for site in (0, 1)]
    # X__0 -> X__1 at 0.3 + 5.0, back at 0.3 + 0.3: d(X0)/dt from diffusion by hand
    local_part = _compile(cs.tissue(local(), nx.empty_graph(2), diffusion={})).rhs(0.0, y)
    diffusion = structured.rhs(0.0, y) - local_part
    assert diffusion[x[0]] == pytest.approx(-5.3 * y[x[0]] + 0.6 * y[x[1]], rel=1e-12)


def test_a_sweep_links_every_parameter_a_pattern_matches() -> None:
    """`"X__*.transfers.*.rate"` sets the exchange between all neighbouring sites at once: each
    point equals a simulation with every diffusion rate set to its value by hand."""
    grid = cs.tissue(local(), nx.path_graph(3), diffusion={"X": 0.3})
    rates = [n for n in grid.parameter_values() if n.endswith(".rate") and ".transfers." in n]
    assert len(rates) == 4
    grid.set_initial("X__0", 4.0)  # uneven: the exchange matters
    ds = cs.sweep(grid, {"X__*.transfers.*.rate": cs.Values([0.1, 2.0])}, design="grid",
                  t_end=5.0, metrics=["final:X__2"], method="LSODA", progress=False)
    for value, final in zip((0.1, 2.0), ds["final:X__2"].values, strict=True):
        tc = cs.simulate(grid.with_parameters(dict.fromkeys(rates, value)), t_end=5.0,
                         method="LSODA", engine="numpy")  # the sweep's scipy path: numpy
        assert final == pytest.approx(tc["X__2"][-1], rel=1e-12)
    assert ds["final:X__2"].values[0] != pytest.approx(ds["final:X__2"].values[1], rel=0.01)
    with pytest.raises(cs.ParameterError, match="matches no parameter"):
        cs.sweep(grid, {"Y__*.rate": cs.Values([1.0])}, design="grid", t_end=1.0)


def test_linked_names_are_refused_when_ambiguous() -> None:
    grid = cs.tissue(local(), nx.path_graph(2), diffusion={"X": 0.3})
    run = {"design": "grid", "t_end": 1.0, "method": "LSODA", "progress": False}
    with pytest.raises(cs.ParameterError, match=r"both set 'X__0.transfers.X__1.rate'"):
        cs.sweep(grid, {"X__*.transfers.*.rate": cs.Values([0.5]),
                        "X__0.transfers.X__1.rate": cs.Values([9.0])}, **run)
    with pytest.raises(cs.ParameterError, match=r"matches nodes \(X__0, X__1\)"):
        cs.sweep(grid, {"X__*": cs.Values([1.0])}, **run)
    with pytest.raises(cs.ParameterError, match="different bounds or units"):
        cs.sweep(grid, {"*.rate": cs.Values([1.0])}, **run)  # secretion and 1/h rates


def test_a_replaced_transfers_or_infusion_law_compiles_flat() -> None:
    """The structured compile writes the built-in laws out; a registry that replaces either
    must not be compiled that way."""
    from dataclasses import replace

    from cytosim._tissue_system import layout_of
    from cytosim.kinetics import DEFAULT_KINDS

    for kind in ("transfers", "infusion"):
        registry = DEFAULT_KINDS.with_kind(replace(DEFAULT_KINDS[kind]), replace=True)
        net = cs.Network("local", kinds=registry)
        net.add_cytokine("X", decay_rate=0.2, use_catalogue=False)
        assert layout_of(cs.tissue(net, nx.path_graph(2), diffusion={"X": 0.3})) is None
