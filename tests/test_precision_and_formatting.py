"""Numbers to the digits their intervals support, noise left out of rankings, plots at the
scenario's percentiles, and --precision that covers what the report shows (issue 15,
items 5 and 7)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simulate
from distributions import Uniform
from simulate.analysis.convergence import run_until
from simulate.analysis.sensitivity import markdown_table, rank_correlations, within_noise
from simulate.cli import EXIT_NOT_CONVERGED, main
from simulate.report.figures import _sensitivity_rows, caption
from simulate.report.summary import build_summary
from simulate.report.units import estimate_decimals, format_estimate
from simulate.workflows.sections import run_to_precision


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        # half-width 7e-5: first significant digit at the 5th decimal, plus one -> 6 places
        (0.99977, 0.99970, 0.99984, "0.999770 [0.999700, 0.999840]"),
        # half-width 0.4 -> 2 places; the lower bound 3e-5 is not rounded to 0
        (0.4, 0.00003, 0.8, "0.40 [0.00003, 0.80]"),
        # half-width 40 -> to the unit; separators kept
        (1188.4, 1150.0, 1230.0, "1,188 [1,150, 1,230]"),
        # half-width 400 -> to the ten
        (11884.0, 11500.0, 12300.0, "11,880 [11,500, 12,300]"),
        # a bound within (-1, 1) never shows as 1 even when the interval is wide
        (0.9, 0.7, 0.99996, "0.90 [0.70, 0.99996]"),
    ],
)
def test_format_estimate_digits_follow_the_interval(value, low, high, expected):
    assert format_estimate(value, low, high) == expected
    assert format_estimate(value, low, high, interval=False) == expected.split(" [")[0]


def test_format_estimate_without_interval_keeps_four_digits():
    assert estimate_decimals(81.27, None, None) is None
    assert format_estimate(81.27) == "81.27"
    assert format_estimate(2.5, 2.5, 2.5, interval=False) == "2.5"  # exact: 4 digits


def _rank_result(rows: list[dict]) -> dict:
    return {
        "method": "rank_correlation",
        "confidence": 0.95,
        "interval": "grouped jackknife, 20 groups",
        "outputs": {"y": {"inputs": rows}},
    }


def _row(name: str, rho: float, low: float, high: float, share: float) -> dict:
    cell = {"value": rho, "standard_error": 0.0, "low": low, "high": high}
    return {
        "input": name,
        "sign": "positive",
        "spearman": cell,
        "prcc": cell,
        "contribution_to_variance": {"value": share, "low": 0.0, "high": share * 2},
    }


def test_ranking_table_leaves_out_inputs_within_noise_and_names_them_below():
    result = _rank_result(
        [
            _row("mfu", 0.99977, 0.99970, 0.99984, 0.99999),
            _row("gpu_price_usd", 1e-17, -0.004, 0.004, 1e-34),
        ]
    )
    table = markdown_table(result, output="y", number=format_estimate)
    assert "| 1 | mfu | 0.999770 [0.999700, 0.999840] |" in table
    assert "gpu_price_usd |" not in table and "e-34" not in table and "e-17" not in table
    assert "Within noise (interval reaches 0), not ranked: gpu_price_usd." in table


def test_rank_correlations_of_an_irrelevant_input_are_within_noise():
    """y depends on a only; b is independent of y, so its Spearman interval holds 0
    (grouped jackknife at 95%; a fixed seed)."""
    rng = np.random.default_rng(7)
    a, b = rng.random(4000), rng.random(4000)
    draws = {"a": a, "b": b, "y": a + 0.1 * rng.random(4000)}
    specs = {"a": Uniform(low=0, high=1), "b": Uniform(low=0, high=1)}
    result = rank_correlations(draws, specs, outputs=["y"])
    rows = {row["input"]: row for row in result["outputs"]["y"]["inputs"]}
    assert not within_noise("rank_correlation", rows["a"])
    assert within_noise("rank_correlation", rows["b"])
    table = markdown_table(result, output="y", number=format_estimate)
    assert "| 1 | a |" in table and "| 2 |" not in table
    assert "not ranked: b." in table


def test_tornado_chart_rows_are_only_inputs_with_a_swing():
    bars = {
        "base": 10.0,
        "inputs": [
            {
                "input": "mfu",
                "output_at_input_low": 12.0,
                "output_at_input_high": 8.0,
                "swing": 4.0,
            },
            {
                "input": "price",
                "output_at_input_low": 10.0,
                "output_at_input_high": 10.0,
                "swing": 0.0,
            },
        ],
    }
    section = {"rank_correlation": {"outputs": {}}, "tornado": {"outputs": {"train_days": bars}}}
    tornado, _ = _sensitivity_rows(section, "train_days")
    assert [row["input"] for row in tornado] == ["mfu"]


def test_captions_and_compare_bars_use_the_scenario_percentiles():
    assert "P10/P50/P90" in caption("train_days_distribution.png", (), (10, 50, 90))
    from simulate.report.plots import plot_compare

    figure = plot_compare({"a": np.arange(100.0)}, name="x", units="d", percentiles=(10, 50, 90))
    gids = {artist.get_gid() for artist in figure.axes[0].get_children()}
    assert "P10-P90:a" in gids and "P5-P95:a" not in gids


def test_run_until_checks_every_variable_it_is_given():
    """Two variables: ``wide`` has 100x the spread around a small centre, so it needs far
    more draws than ``narrow`` for the same relative precision; the run must wait for it."""

    def draw(start: int, n: int) -> dict[str, np.ndarray]:
        u = (np.arange(start, start + n) * 0.6180339887498949) % 1.0  # deterministic
        return {"narrow": 100 + u, "wide": 1 + 10 * u}

    result = run_until(draw, precision=0.02, percentiles=(5, 50, 95), batch=256, max_draws=2**16)
    assert result.converged and result.percentiles_checked == 6
    last = result.history[-1]
    assert last["percentile_relative_half_width"] <= 0.02
    # narrow alone would have met it at the first batch
    assert result.history[0]["widest_percentile"].startswith("wide")


def test_precision_record_counts_every_reported_percentile(write_config):
    scenario = simulate.load_scenario(write_config())
    ds, record = run_to_precision(scenario, precision=0.05, max_draws=2**12, batch=2**10)
    reported = build_summary(ds, scenario)
    assert record["percentiles_checked"] == len(reported["variables"]) * len(
        reported["percentiles"]
    )
    assert record["probabilities_checked"] == len(reported["risk"])


def test_a_run_short_of_its_precision_exits_3_and_says_so(write_config, tmp_path, capsys):
    out = tmp_path / "p"
    code = main(
        ["run", str(write_config()), "--precision", "0.0001", "--max-draws", "2048"]
        + ["--out", str(out), "--no-plots"]
    )
    assert code == EXIT_NOT_CONVERGED == 3
    err = capsys.readouterr().err
    assert "warning: precision 0.0001 NOT reached after 2,048 draws" in err
    assert "raise --max-draws" in err
    summary = json.loads((out / "summary.json").read_text())  # the report is still written
    assert summary["convergence"]["converged"] is False
    assert "NOT reached" in (out / "report.md").read_text()
