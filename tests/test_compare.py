"""compare: common random numbers make paired differences exact where only a scale changes."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.compare import render_compare_markdown
from simulate.report.summary import build_summary
from simulate.scenario.config import ConfigError
from simulate.workflows.compare import compare_folder_name, compare_summary, load_compared

BASE = CONFIG_DIR / "llama-3.1-405b.toml"


def _doubled(tmp_path, **overrides):
    """The default scenario with twice the GPUs under another name (and given fields)."""
    text = BASE.read_text().replace('name = "llama-3.1-405b"', 'name = "twice-the-gpus"')
    # every phase's GPUs doubled (16,384 first, so that 8,192 -> 16,384 is not doubled again)
    text = text.replace("n_gpus = { value = 16_384", "n_gpus = { value = 32_768")
    text = text.replace("n_gpus = { value = 8_192", "n_gpus = { value = 16_384")
    for old, new in overrides.items():
        text = text.replace(old, new)
    path = tmp_path / "twice.toml"
    path.write_text(text)
    return path


def test_shared_inputs_get_the_same_draws(tmp_path):
    other = _doubled(tmp_path, **{"seed = 2024": "seed = 99", "draws = 100_000": "draws = 7"})
    first, second = load_compared([str(BASE), str(other)], draws=2_000)
    assert (second.seed, second.draws, second.method) == (2024, 2_000, "random")
    a, b = run(first), run(second)
    for name in ("mfu@main", "goodput", "gpu_price_usd", "electricity_usd_per_kwh"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_paired_difference_is_exact_under_common_random_numbers(tmp_path):
    scenarios = load_compared([str(BASE), str(_doubled(tmp_path))], draws=2_000)
    datasets = {s.name: run(s) for s in scenarios}
    summaries = {s.name: build_summary(datasets[s.name], s) for s in scenarios}
    summary = compare_summary(summaries, datasets)
    days = datasets["llama-3.1-405b"]["train_days"].values
    # Twice the GPUs, same draws: train_days halves in every draw, so the paired
    # difference is -days/2 and its quantiles are -1/2 times days' mirrored quantiles
    # (numpy's linear rule commutes with x -> -x/2, P5 <-> P95).
    d = summary["differences"]["twice-the-gpus"]["train_days"]
    assert d["p50"] == pytest.approx(-np.quantile(days, 0.5) / 2, rel=1e-12)
    assert d["p5"] == pytest.approx(-np.quantile(days, 0.95) / 2, rel=1e-12)
    assert d["p95"] == pytest.approx(-np.quantile(days, 0.05) / 2, rel=1e-12)
    assert d["probability_higher"] == 0.0
    assert summary["common"] == {"seed": 2024, "draws": 2_000, "method": "random"}
    text = render_compare_markdown(summary, images=["train_days_compare.png"])
    assert "| train_days P50 |" in text and "![train_days_compare.png]" in text
    assert "higher in 0.0% of paired draws" in text


def test_same_names_are_refused():
    with pytest.raises(ConfigError, match=r"scenario.name: compared scenarios need distinct names"):
        load_compared([str(BASE), str(BASE)], draws=10)


def test_folder_name_is_safe():
    assert compare_folder_name(["a b", "c/d"]) == "compare-a_b-vs-c_d"


def test_compare_with_percentiles_other_than_p5_p50_p95(write_config, tmp_path, capsys):
    """Found by the fuzz test: compare read p50 (KeyError 'p1') where the scenarios ask
    for [1, 99]; every table now follows the scenarios' own percentiles."""
    from simulate.cli import main
    from tests.conftest import MINIMAL

    text = MINIMAL.replace("seed = 1\n", "seed = 1\npercentiles = [1, 99]\n")
    a = write_config(text)
    b = write_config(text.replace('name = "minimal"', 'name = "more"'), name="more.toml")
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "train_days P1 " in printed and "train_days P99 " in printed
    assert "| train_days P1 |" in (out / "report.md").read_text()
    assert "P99</td>" in (out / "report.html").read_text()


def test_compared_scenarios_share_the_first_files_percentiles(write_config):
    """Found by the fuzz test: a second file with other percentiles (KeyError 'p1')."""
    from tests.conftest import MINIMAL

    a = write_config(MINIMAL.replace("seed = 1\n", "seed = 1\npercentiles = [1, 99]\n"))
    b = write_config(MINIMAL.replace('name = "minimal"', 'name = "other"'), name="other.toml")
    first, second = load_compared([str(a), str(b)])
    assert first.percentiles == second.percentiles == (1.0, 99.0)
