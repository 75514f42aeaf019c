"""The public Python API refuses wrong types and ranges with errors that name the parameter
(DistributionError, ConfigError, ChunkError: all ValueError), not numpy's own."""

from __future__ import annotations

import pytest

import distributions as d
import simulate
from simulate.engine.runners import ChunkError
from tests.conftest import MINIMAL

NORMAL = d.Normal(0, 1)

CASES = {
    "sample n negative": (
        lambda: d.sample({"a": NORMAL}, -1),
        r"sample needs n_draws to be a whole number >= 0; got -1",
    ),
    "sample n string": (
        lambda: d.sample({"a": NORMAL}, "10"),
        r"sample needs n_draws to be a whole number >= 0; got '10'",
    ),
    "sample n fraction": (
        lambda: d.sample({"a": NORMAL}, 2.5),
        r"sample needs n_draws to be a whole number >= 0; got 2\.5",
    ),
    "sample n None": (
        lambda: d.sample({"a": NORMAL}, None),
        r"sample needs n_draws to be a whole number >= 0; got None",
    ),
    "sample seed negative": (
        lambda: d.sample({"a": NORMAL}, 10, seed=-1),
        r"seed needs an int >= 0 or a numpy SeedSequence; got seed=-1",
    ),
    "sample seed string": (
        lambda: d.sample({"a": NORMAL}, 10, seed="x"),
        r"seed needs an int >= 0 or a numpy SeedSequence; got seed='x'",
    ),
    "sample specs None": (
        lambda: d.sample(None, 10),
        r"sample needs specs to be a dict of name: spec; got None",
    ),
    "sample spec a string": (  # a number is a fixed spec (test_spec_constants.py)
        lambda: d.sample({"a": "5 to 10"}, 10),
        r"sample needs specs of distributions or numbers .*; got a='5 to 10'",
    ),
    "sample threads 0": (
        lambda: d.sample({"a": NORMAL}, 10, threads=0),
        r"sample needs threads to be a whole number >= 1; got 0",
    ),
    "uniforms n negative": (
        lambda: d.uniforms(["a"], -1),
        r"uniforms needs n_draws to be a whole number >= 0; got -1",
    ),
    "uniforms start negative": (
        lambda: d.uniforms(["a"], 5, start=-2),
        r"uniforms needs start to be a whole number >= 0; got -2",
    ),
    "uniforms names a string": (
        lambda: d.uniforms("ab", 10),
        r"uniforms needs names to be a list of names; got 'ab'",
    ),
    "mixture components None": (
        lambda: d.Mixture(None, (1.0,)),
        r"mixture needs components to be a list of distributions; got None",
    ),
    "scipy parameters None": (
        lambda: d.ScipyFamily("norm", None),
        r"scipy\.norm needs parameters as a dict of name: number; got None",
    ),
    "scipy family a number": (
        lambda: d.ScipyFamily(5, {}),
        r"scipy needs the family's name \(a string\); got 5",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_distributions_api(case):
    build, message = CASES[case]
    with pytest.raises(d.DistributionError, match=message):
        build()


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    return simulate.load_scenario(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"draws": -1}, r"run needs draws to be a whole number >= 1; got -1"),
        ({"draws": 0}, r"run needs draws to be a whole number >= 1; got 0"),
        ({"draws": "10"}, r"run needs draws to be a whole number >= 1; got '10'"),
        ({"seed": -1}, r"run needs seed to be a whole number >= 0; got -1"),
        ({"seed": 1.5}, r"run needs seed to be a whole number >= 0; got 1\.5"),
    ],
)
def test_run_arguments(scenario, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate.run(scenario, **kwargs)


def test_run_needs_a_scenario():
    with pytest.raises(TypeError, match=r"run needs a Scenario .*; got None"):
        simulate.run(None)


@pytest.mark.parametrize("path", [None, 5])
def test_load_scenario_needs_a_path(path):
    with pytest.raises(simulate.ConfigError, match=rf"load_scenario needs a path .*; got {path}"):
        simulate.load_scenario(path)


@pytest.mark.parametrize("chunk", ["x", 0, 2.5])
def test_run_chunked_chunk_draws(scenario, chunk):
    with pytest.raises(ChunkError, match=r"^chunk_draws: must be a whole number >= 1"):
        simulate.run_chunked(scenario, chunk_draws=chunk)
