"""Each node's rule, and pinning: hand-computed values on round inputs."""

import numpy as np
import pytest

from simulate.model.chain import NODES, evaluate, needed_inputs

INPUTS = {
    "n_params": 1e9,
    "n_tokens": 2e10,
    "flop_per_param_token": 6.0,
    "attention_flop_per_token": 0.0,
    "n_gpus": 100.0,
    "gpu_peak_flop_per_s": 1e15,
    "mfu": 0.5,
    "goodput": 0.8,
    "gpu_price_usd": 20_000.0,
    "overhead_capex_ratio": 0.25,
    "gpu_tdp_w": 500.0,
    "power_overhead_factor": 2.0,
    "electricity_usd_per_kwh": 0.1,
}

# Derivation, rule by rule:
EXPECTED = {
    "train_flop": 1.2e20,  # 6 · 1e9 · 2e10
    "cluster_peak_flop_per_s": 1e17,  # 100 · 1e15
    "ideal_days": 1.2e20 / 1e17 / 86_400,  # 1,200 s = 0.013888... d
    "compute_days": 1.2e20 / 1e17 / 86_400 / 0.5,
    "train_days": 1.2e20 / 1e17 / 86_400 / 0.5 / 0.8,  # 3,000 s
    "gpu_hours": 100 * 3_000 / 3_600,  # 83.33 GPU·h
    "gpu_capex_usd": 2e6,  # 100 · 20,000
    "capex_usd": 2.5e6,  # 2e6 · 1.25
    "facility_power_mw": 0.1,  # 100 · 500 · 2 / 1e6
    "energy_mwh": 0.1 * 3_000 / 3_600,  # MW · h
    "energy_cost_usd": 0.1 * 3_000 / 3_600 * 1_000 * 0.1,
    "tco_usd": 2.5e6 + 0.1 * 3_000 / 3_600 * 100,
    "energy_share_of_tco": (0.1 * 3_000 / 3_600 * 100) / (2.5e6 + 0.1 * 3_000 / 3_600 * 100),
}


@pytest.mark.parametrize("node", sorted(EXPECTED))
def test_rule(node):
    assert evaluate(INPUTS)[node] == pytest.approx(EXPECTED[node], rel=1e-12)


def test_every_node_carries_units_and_source():
    # the rules of the nodes beyond the article's chain are tested in tests/test_domain_*.py
    computed = {name for name, node in NODES.items() if not node.is_input}
    assert set(EXPECTED) <= computed
    for node in NODES.values():
        assert node.units
        if not node.is_input:
            assert node.formula and node.source


def test_rules_are_vectorized():
    arrays = {**INPUTS, "mfu": np.array([0.25, 0.5])}
    days = evaluate(arrays)["train_days"]
    np.testing.assert_allclose(days, [2 * EXPECTED["train_days"], EXPECTED["train_days"]])


def test_pinning_cuts_upstream():
    given = {**INPUTS, "train_days": 10.0}
    values = evaluate(given)
    assert values["train_days"] == 10.0
    assert values["gpu_hours"] == pytest.approx(100 * 10 * 24)
    assert "mfu" not in needed_inputs({k: v for k, v in given.items() if k != "mfu"})


def test_needed_inputs_names_what_is_missing():
    given = {k: v for k, v in INPUTS.items() if k not in ("mfu", "gpu_tdp_w")}
    needed = needed_inputs(given)
    assert set(needed) == {"mfu", "gpu_tdp_w"}
    assert needed["mfu"] == ["compute_days"]


def test_sample_inputs_asks_no_mean_of_a_drawn_input(write_config, monkeypatch):
    """A drawn input's mean is never computed (it cost 13 s for a truncated mixture of
    mixtures in a 64-draw run, found by the fuzz test): only fixed inputs use expected()."""
    import distributions
    import simulate
    from simulate.engine.memory import sample_inputs

    scenario = simulate.load_scenario(write_config(), draws=100)

    def refuse(self):
        raise AssertionError(f"expected() of a drawn {self.name}")

    monkeypatch.setattr(distributions.PERT, "expected", refuse)  # the minimal scenario's mfu
    values = sample_inputs(scenario, draws=100, seed=1, method="random")
    assert values["mfu"].shape == (100,)


@pytest.mark.parametrize("config", ["llama-3.1-405b.toml", "llama-3.1-405b-article.toml"])
def test_computed_nodes_are_the_nodes_a_run_holds(config):
    """The one rule for "does this scenario compute that node" (risk targets, --output)
    names exactly the variables of a run's Dataset, pins included."""
    import simulate
    from simulate.model.catalog import CONFIG_DIR
    from simulate.model.phases import run_nodes  # chain.computed_nodes, phase by phase

    scenario = simulate.load_scenario(CONFIG_DIR / config, draws=50)
    assert set(run_nodes(scenario.inputs, scenario.phases)) == set(simulate.run(scenario).data_vars)
