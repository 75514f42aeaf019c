"""One summary on every path: the in-memory and chunked runs give the same summary Dataset
and the same summary.json but for the fields that say how each was computed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import simulate
from simulate.analysis.summary import summarize
from simulate.engine.chunked import run_chunked
from simulate.model.catalog import CONFIG_DIR
from simulate.workflows.run_report import run_report

SCENARIO = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml")
DRAWS = 30_000
#: Chunk sums are added exactly rounded (math.fsum); the in-memory sums round inside
#: numpy's pairwise sum: a few ulps apart (docs/performance.md).
SUMS = ("mean", "std", "mean_standard_error")
ULPS = 8 * 2.0**-52
#: What says how a summary was computed: the chunked block, and what needs the draws in
#: memory (the sensitivity section, published values placed among the draws, the
#: achieved correlations).
HOW = {"chunked", "sensitivity", "compare_to", "correlations", "decision"}


@pytest.fixture(scope="module")
def both():
    memory = summarize(simulate.run(SCENARIO, draws=DRAWS), SCENARIO.percentiles)
    chunked = run_chunked(SCENARIO, chunk_draws=7_000, draws=DRAWS, workers=2).statistics
    return memory, chunked


def test_in_memory_and_chunked_summaries_are_equal_datasets(both):
    memory, chunked = both
    assert isinstance(chunked, xr.Dataset) and dict(chunked.sizes) == dict(memory.sizes)
    assert (
        chunked.attrs
        == memory.attrs
        == {
            "n_draws": DRAWS,
            "confidence": 0.95,
            "interval": "iid",
            "replicates": 0,
            "critical_value": stats.norm.ppf(0.975),
        }
    )
    exact = ["percentile", "percentile_low", "percentile_high"]
    xr.testing.assert_identical(chunked[exact], memory[exact])  # bit for bit, coords too
    xr.testing.assert_allclose(chunked[list(SUMS)], memory[list(SUMS)], rtol=ULPS, atol=0)


def test_summary_matches_numpy_and_scipy_on_the_draws(both):
    memory, chunked = both
    ds = simulate.run(SCENARIO, draws=DRAWS)
    q = np.asarray(SCENARIO.percentiles) / 100
    for name in ("train_days", "tco_usd", "mfu@main"):
        x = ds[name].values
        for summary in (memory, chunked):
            row = summary.sel(variable=name)
            assert row["percentile"].values.tolist() == np.quantile(x, q).tolist()
            assert float(row["mean"]) == pytest.approx(x.mean(), rel=ULPS)
            assert float(row["std"]) == pytest.approx(x.std(ddof=1), rel=ULPS)
            assert row["units"].item() == ds[name].attrs["units"]
            for p, low, high in zip(
                q, row["percentile_low"].values, row["percentile_high"].values, strict=True
            ):
                ci = stats.quantile_test(x, q=0.0, p=p).confidence_interval(0.95)
                assert (low, high) == (ci.low, ci.high)


def test_to_dataframe_works_on_either(both):
    for summary in both:
        frame = summary.to_dataframe()
        assert list(frame.index.names) == ["variable", "quantile"]
        assert len(frame) == summary.sizes["variable"] * len(SCENARIO.percentiles)
        row = frame.loc[("train_days", 50.0)]
        assert row["units"] == simulate.NODES["train_days"].units == "d"
        assert row["percentile_low"] <= row["percentile"] <= row["percentile_high"]


def _differences(a, b, path=()):
    """Paths where two JSON values differ; the chunked sums may differ by a few ulps."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [path + (k,) for k in a.keys() ^ b.keys()]
        for key in a.keys() & b.keys():
            found += _differences(a[key], b[key], path + (key,))
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in _differences(x, y, path + (i,))]
    if path and path[-1] in SUMS and isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=ULPS, abs_tol=0) else [path]
    return [] if a == b else [path]


def test_chunked_summary_json_differs_only_in_how_it_was_computed(tmp_path):
    scenario = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=DRAWS)
    memory = run_report(scenario, out=tmp_path / "m", plots=False)
    chunked = run_report(scenario, out=tmp_path / "c", chunk_draws=DRAWS // 7)
    a = json.loads((tmp_path / "m" / "summary.json").read_text())
    b = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert a == memory.summary and b == chunked.summary
    differing = {path[0] for path in _differences(a, b)}
    assert differing <= HOW, differing - HOW
    assert "chunked" in b and "chunked" not in a  # and the key-by-key test can fail:
    assert differing >= {"chunked", "sensitivity", "compare_to"}
    for key in a.keys() - HOW:
        assert not _differences(a[key], b[key]), key
    for name, variable in a["variables"].items():
        assert b["variables"][name]["percentiles"] == variable["percentiles"], name
        assert b["variables"][name]["percentiles_ci95"] == variable["percentiles_ci95"], name
