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
    np.testing.assert_array_equal(a.values, b.values)  # same equations, renamed


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
