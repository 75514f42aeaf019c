"""Hypothesis properties: supports respected, days fall as MFU or GPUs rise."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import distributions as d
from simulate.model.chain import evaluate
from tests.test_chain import INPUTS

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
fraction = st.floats(min_value=1e-3, max_value=1.0)


@settings(max_examples=60, deadline=None)
@given(low=positive, width=positive, mode_share=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_bounded_families_respect_support(low, width, mode_share, seed):
    high = low + width
    mode = low + mode_share * width
    specs = {
        "uniform": d.Uniform(low=low, high=high),
        "loguniform": d.LogUniform(low=low, high=high),
        "triangular": d.Triangular(low=low, mode=mode, high=high),
        "pert": d.PERT(low=low, mode=mode, high=high),
        "truncnormal": d.TruncatedNormal(mean=mode, sd=width, low=low, high=high),
        "beta": d.Beta(a=1 + mode_share, b=2.0, low=low, high=high),
    }
    for method in d.METHODS:
        for name, values in d.sample(specs, 256, method=method, seed=seed).items():
            assert np.all(values >= low) and np.all(values <= high), (name, method)


@settings(max_examples=100, deadline=None)
@given(m1=fraction, m2=fraction, g1=st.integers(1, 100_000), g2=st.integers(1, 100_000))
def test_train_days_non_increasing_in_mfu_and_gpus(m1, m2, g1, g2):
    (m_low, m_high), (g_low, g_high) = sorted((m1, m2)), sorted((g1, g2))
    days = evaluate({**INPUTS, "mfu": np.array([m_low, m_high]), "n_gpus": float(g_low)})
    assert days["train_days"][1] <= days["train_days"][0]
    fewer = evaluate({**INPUTS, "n_gpus": float(g_low)})["train_days"]
    more = evaluate({**INPUTS, "n_gpus": float(g_high)})["train_days"]
    assert more <= fewer
