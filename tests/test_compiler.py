"""The compiled OdeSystem: shapes, ensemble exactness, numpy/numba agreement, caching."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import cytosim as cs
from cytosim._builtin_models import lps_macrophage

from .helpers import every_kind_network

RNG = np.random.default_rng(7)


def test_index_maps_and_defaults() -> None:
    net = lps_macrophage()
    system = cs.compile_network(net)
    assert system.state_names == tuple(net.nodes)
    assert system.param_names == tuple(net.parameter_values())
    assert system.observable_names == ("pro_anti_ratio",)
    assert dict(zip(system.param_names, system.default_params, strict=True)) == \
        net.parameter_values()
    assert not system.default_params.flags.writeable
    assert np.all(np.diff(system.cols) >= 0)  # CSC order


def test_compiled_once_until_the_network_changes() -> None:
    net = lps_macrophage()
    first = cs.compile_network(net)
    assert cs.compile_network(net) is first
    net.set_parameter("TNF.rate", 2.0)
    second = cs.compile_network(net)
    assert second is not first
    assert second.structure_key == first.structure_key  # values are not structure
    assert second.model_hash != first.model_hash


@pytest.mark.parametrize("members", [1, 7])
def test_ensemble_equals_member_by_member_exactly(members: int) -> None:
    system = cs.compile_network(every_kind_network())
    y = RNG.uniform(0.0, 5.0, (system.n_states, members))
    p = system.default_params[:, None] * RNG.uniform(0.5, 1.5, (system.n_params, members))
    rhs, jac = system.rhs(0.3, y, p), system.jac(0.3, y, p)
    obs = system.observe(0.3, y, p)
    assert rhs.shape == (system.n_states, members)
    assert jac.shape == (system.nnz, members)
    for m in range(members):
        # elementwise arithmetic, but numpy's SIMD exp, log and power may round the last
        # bit differently with an array's length (seen with numpy 2.4 on AVX-512): equal to
        # rounding, where a formula error would show at the 1e-2 level
        close = {"rtol": 1e-13, "atol": 1e-13}
        np.testing.assert_allclose(rhs[:, m], system.rhs(0.3, y[:, m], p[:, m]), **close)
        np.testing.assert_allclose(jac[:, m], system.jac(0.3, y[:, m], p[:, m]), **close)
        np.testing.assert_allclose(obs[:, m], system.observe(0.3, y[:, m], p[:, m]), **close)


def test_one_parameter_set_broadcasts_over_many_states() -> None:
    system = cs.compile_network(lps_macrophage())
    y = RNG.uniform(0.0, 100.0, (system.n_states, 4))
    out = system.rhs(0.0, y)
    assert out.shape == (system.n_states, 4)
    assert np.array_equal(out[:, 2], system.rhs(0.0, y[:, 2]))


def test_jacobian_views_agree() -> None:
    system = cs.compile_network(every_kind_network())
    y = RNG.uniform(0.5, 3.0, system.n_states)
    dense = system.jac_dense(0.0, y)
    sparse = system.jac_sparse(0.0, y)
    assert isinstance(sparse, sp.csc_matrix)
    assert np.array_equal(sparse.toarray(), dense)
    pattern = np.zeros_like(dense, dtype=bool)
    pattern[system.rows, system.cols] = True
    assert not np.any(dense[~pattern])  # every nonzero lies on the declared pattern


def test_shape_errors_name_the_argument() -> None:
    system = cs.compile_network(lps_macrophage())
    with pytest.raises(ValueError, match=r"`y` is expected to have shape \(6,\)"):
        system.rhs(0.0, np.ones(5))
    with pytest.raises(ValueError, match=r"`p` is expected to have shape \(29,\)"):
        system.rhs(0.0, np.ones(6), np.ones(3))


def test_numba_kernels_agree_with_numpy() -> None:
    system = cs.compile_network(every_kind_network())
    kernels = system.numba()
    for _ in range(10):
        y = RNG.uniform(0.0, 5.0, system.n_states)
        p = system.default_params * RNG.uniform(0.5, 1.5, system.n_params)
        # different libm (numba/LLVM vs numpy) may differ by a few ulp in exp/log/pow
        np.testing.assert_allclose(kernels["rhs"](0.1, y, p, np.empty(system.n_states)),
                                   system.rhs(0.1, y, p), rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(kernels["jac"](0.1, y, p, np.empty(system.nnz)),
                                   system.jac(0.1, y, p), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(
            kernels["obs"](0.1, y, p, np.empty(len(system.observable_names))),
            system.observe(0.1, y, p), rtol=1e-13)


def test_parameter_vector_validation() -> None:
    net = lps_macrophage()
    system = cs.compile_network(net)
    with pytest.raises(cs.ParameterError, match=r"unknown parameter 'TNF.rat'.*'TNF.rate'"):
        system.param_vector({"TNF.rat": 1.0})
    with pytest.raises(cs.ParameterError, match=r"'TNF.rate' must be >= 0, got -1"):
        system.param_vector({"TNF.rate": -1.0})
    with pytest.raises(cs.ParameterError, match=r"'TNF.rate' must be finite, got nan"):
        system.param_vector({"TNF.rate": float("nan")})
    with pytest.raises(cs.ParameterError, match=r"unknown node 'TNFa' in initial.*'TNF'"):
        system.initial_vector({"TNFa": 1.0})
    p = system.param_vector({"TNF.half_life": 0.5})
    assert p[system.param_names.index("TNF.rate")] == pytest.approx(np.log(2) / 0.5)
