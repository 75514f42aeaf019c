"""``[variants.NAME]``: plans in one file, compared on common random numbers.

MINIMAL (tests/conftest.py) has no failure model, so train_days = C / (GPUs · peak · MFU)
and doubling the GPUs halves every draw's days exactly; a constant MFU variant replaces
the PERT draws by one value; the deadline's miss indicator is then a count we can redo.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulate.cli import main
from simulate.engine.memory import run
from simulate.scenario.config import ConfigError, load_scenario
from simulate.workflows.compare import compare_report, load_compared
from tests.conftest import MINIMAL

VARIANTS = """
[variants.more-gpus]
n_gpus = 1024

[variants.slow]
mfu = 0.3
deadline_days = 40
"""


def test_a_file_with_variants_compares_base_and_variants(write_config, tmp_path):
    path = write_config(MINIMAL + VARIANTS)
    scenarios = load_compared([str(path)])
    assert [s.name for s in scenarios] == ["minimal", "more-gpus", "slow"]
    assert {(s.seed, s.draws, s.method) for s in scenarios} == {(1, 2000, "random")}
    result = compare_report(scenarios, out=tmp_path / "cmp", plots=False)
    base, more = result.datasets["minimal"], result.datasets["more-gpus"]
    # common random numbers: the same MFU draws, half the days in every draw
    np.testing.assert_array_equal(base["mfu"].values, more["mfu"].values)
    np.testing.assert_allclose(more["train_days"].values, base["train_days"].values / 2, rtol=1e-12)
    d = result.summary["differences"]["more-gpus"]["train_days"]
    diff = more["train_days"].values - base["train_days"].values
    assert d["mean"] == pytest.approx(diff.mean(), rel=1e-12)
    half = 1.959963984540054 * diff.std(ddof=1) / np.sqrt(diff.size)
    assert d["mean_ci95"] == pytest.approx([diff.mean() - half, diff.mean() + half], rel=1e-9)
    # every headline and key output gets a difference
    assert {"train_days", "gpu_hours", "energy_cost_usd", "tco_usd"} <= set(
        result.summary["differences"]["more-gpus"]
    )


def test_risk_differences_are_paired_counts(write_config, tmp_path):
    path = write_config(MINIMAL + VARIANTS)
    result = compare_report(load_compared([str(path)]), out=tmp_path / "cmp", plots=False)
    base, slow = result.datasets["minimal"], result.datasets["slow"]
    # the "slow" variant moves the deadline to 40 days: same target key, other threshold
    miss_base = base["train_days"].values > 30
    miss_slow = slow["train_days"].values > 40
    entry = result.summary["risk_differences"]["slow"]["train_days_over_deadline"]
    assert entry["difference"] == pytest.approx(miss_slow.mean() - miss_base.mean(), abs=1e-15)
    low, high = entry["ci95"]
    assert low <= entry["difference"] <= high
    assert "P(train_days_over_deadline)" in (tmp_path / "cmp" / "report.md").read_text()


def test_set_addresses_one_variant(write_config):
    path = write_config(MINIMAL + VARIANTS)
    scenarios = load_compared([str(path)], ["variants.more-gpus.n_gpus=2048"])
    base, more, slow = (run(s) for s in scenarios)
    np.testing.assert_allclose(more["train_days"].values, base["train_days"].values / 4)
    assert float(slow["n_gpus"][0]) == 512  # the other variant keeps the base's GPUs


def test_cli_compare_of_one_file_with_variants(write_config, tmp_path, capsys):
    path = write_config(MINIMAL + VARIANTS)
    out = tmp_path / "cmp"
    assert main(["compare", str(path), "--out", str(out), "--no-plots", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["scenarios"]) == ["minimal", "more-gpus", "slow"]


def test_one_file_without_variants_is_not_a_comparison(write_config, tmp_path, capsys):
    path = write_config(MINIMAL)
    assert main(["compare", str(path), "--out", str(tmp_path / "c")]) == 2
    assert "needs two or more scenarios (files, or [variants.NAME]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variants", "match"),
    [
        ("[variants.a]\ndraws = 10\n", "variants.a.draws: variants share the base's draws"),
        ("[variants.a]\nnope = 1\n", "variants.a: nope: unknown name"),
        ('[variants."a.b"]\nmfu = 0.3\n', "a variant name has no '.'"),
        ('[variants."../x"]\nmfu = 0.3\n', "variants.../x"),
        ("[variants.a]\n", "must be a table of overrides"),
        ("[variants.a]\nmfu = 1.5\n", "mfu"),
        ("[variants.a.correlations]\npairs = []\n", "not \\[correlations\\]"),
    ],
)
def test_bad_variants_are_refused_on_load(write_config, variants, match):
    path = write_config(MINIMAL + variants)
    with pytest.raises(ConfigError, match=match):
        load_compared([str(path)])


def test_a_variant_loads_alone(write_config):
    path = write_config(MINIMAL + VARIANTS)
    slow = load_scenario(path, variant="slow")
    assert (slow.name, slow.deadline_days, slow.variant) == ("slow", 40.0, "slow")
    with pytest.raises(ConfigError, match="variant 'fast': no \\[variants.fast\\]"):
        load_scenario(path, variant="fast")


def test_a_variant_of_a_phased_scenario_addresses_a_phase(tmp_path):
    """The default scenario has [[phases]]: a variant sets mfu@main as --set does, and the
    other phases keep their draws (common random numbers)."""
    from simulate.model.catalog import CONFIG_DIR

    text = (CONFIG_DIR / "llama-3.1-405b.toml").read_text()
    path = tmp_path / "plan.toml"
    path.write_text(text + '\n[variants.slow-main]\n"mfu@main" = 0.36\n')
    base, slow = load_compared([str(path)], draws=2000)
    a, b = run(base), run(slow)
    assert float(b["mfu@main"][0]) == 0.36
    np.testing.assert_array_equal(a["mfu@long_context"].values, b["mfu@long_context"].values)
    assert (b["train_days"].values > a["train_days"].values).mean() > 0.9
