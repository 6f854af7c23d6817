"""Metrics computed inside the compiled kernel agree with cytosim.sweeps.metrics on numpy.

A compiled sweep without events after the start computes the standard metrics per member in
the kernel, from the member's trajectory while it is in cache, and stores trajectories only
when asked. The numpy evaluation on the stored trajectories is the reference: the same
definitions, so every metric is equal bit for bit except the AUC, whose trapezoidal sum is
taken in time order in the kernel and pairwise by numpy (equal to rounding). The models are
compiled already by tests/test_sweeps.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import cytosim as cs
from cytosim.sweeps.metrics import evaluate, parse_metrics

METRICS = ["peak:P", "time_of_peak:Nstar", "trough:CA", "auc:D", "final:inhibition",
           "value_at:Nstar@40", "below:P<0.05", "above:D>0.5", "peak:inhibition",
           "auc:inhibition", "above:P>100"]
SPACE = {"k_pg": cs.Range(0.2, 0.9, scale="log"), "P": cs.Range(0.1, 2.0)}
ARGS = {"n": 16, "seed": 3, "t_end": 160.0, "n_points": 161, "metrics": METRICS}


def test_kernel_metrics_equal_numpy_metrics_on_the_trajectories():
    """States and an observable, every kind; crossings found and not found (NaN)."""
    net = cs.load_model("acute_inflammation")
    ds = cs.sweep(net, SPACE, trajectories=True, **ARGS)
    assert (ds["status"] == "ok").all()
    columns = list(ds["variable"].values)
    reference = evaluate(parse_metrics(METRICS, columns), ds["time"].values,
                         ds["trajectory"].values, columns)
    for name in METRICS:
        if name.startswith("auc:"):
            assert_allclose(ds[name].values, reference[name], rtol=1e-13, err_msg=name)
        else:
            assert_array_equal(ds[name].values, reference[name], err_msg=name)
    assert np.isnan(ds["above:P>100"].values).all()
    assert np.isfinite(ds["below:P<0.05"].values).any()
    metrics_only = cs.sweep(net, SPACE, **ARGS)  # no trajectory stored: same kernel path
    for name in METRICS:
        assert_array_equal(metrics_only[name].values, ds[name].values, err_msg=name)


def test_failed_and_invalid_points_have_nan_metrics():
    net = cs.Network("blowup")
    net.add_cytokine("X", initial=1.0, use_catalogue=False)
    net.add_term("X", "k * X^2", params={"k": 1.0})  # X = 1/(1 - k t): blows up at 1/k
    ds = cs.sweep(net, {"X.k": cs.Values([0.1, 2.0, -1.0])}, design="grid", t_end=1.0,
                  metrics=["final:X", "peak:X", "auc:X", "above:X>1.05"], max_steps=2000)
    assert ds["status"].values[0] == "ok" and ds["status"].values[1] != "ok"
    assert ds["status"].values[2] == "invalid_parameter"
    assert float(ds["final:X"][0]) == pytest.approx(1 / 0.9, rel=1e-6)
    assert float(ds["auc:X"][0]) == pytest.approx(-np.log(0.9) / 0.1, rel=1e-4)  # grid of 201
    for name in ("final:X", "peak:X", "auc:X", "above:X>1.05"):
        assert np.isnan(ds[name].values[1:]).all(), name
