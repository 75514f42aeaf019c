"""Plot functions: each returns a figure with the expected labels and marks (Agg, small draws)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simulate.report import plots  # noqa: E402

RNG_SEED = 11


def _lines(axes, gid):
    return [line for line in axes.get_lines() if line.get_gid() == gid]


def _tick_texts(figure, axis="x"):
    figure.canvas.draw()
    axes = figure.axes[0]
    ticks = axes.get_xticklabels() if axis == "x" else axes.get_yticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


@pytest.fixture(scope="module")
def days():
    return np.random.default_rng(RNG_SEED).lognormal(np.log(75), 0.05, 2_000)


@pytest.fixture(scope="module")
def cost_usd():
    return np.random.default_rng(RNG_SEED + 1).lognormal(np.log(1.2e9), 0.15, 2_000)


def test_distribution_marks_percentiles_and_deadline(days):
    figure = plots.plot_distribution(
        days, name="train_days", units="d", threshold=90, threshold_label="deadline"
    )
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_xlabel() == "train_days [days]"
    assert axes.get_ylabel() == "density [1/days]"
    expected = np.quantile(days, [0.05, 0.5, 0.95])  # numpy's linear rule, as stats.summarize
    for key, value in zip(("P5", "P50", "P95"), expected, strict=True):
        (line,) = _lines(axes, key)
        assert line.get_xdata()[0] == pytest.approx(value, rel=1e-12)
    (deadline,) = _lines(axes, "deadline")
    assert deadline.get_xdata()[0] == 90
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend[-1] == "deadline 90"
    # density: the histogram's bar areas sum to one
    areas = sum(p.get_width() * p.get_height() for p in axes.patches)
    assert areas == pytest.approx(1.0, rel=1e-9)


def test_distribution_of_money_reads_in_millions_without_exponents(cost_usd):
    figure = plots.plot_distribution(
        cost_usd, name="tco_usd", units="USD", threshold=1.2e9, threshold_label="budget"
    )
    axes = figure.axes[0]
    assert axes.get_xlabel() == "tco_usd [million USD]"
    (budget,) = _lines(axes, "budget")
    assert budget.get_xdata()[0] == pytest.approx(1_200)
    texts = _tick_texts(figure)
    assert texts and not any("e" in t.lower() for t in texts)
    assert axes.xaxis.get_offset_text().get_text() == ""
    assert any("," in t for t in texts)  # thousands separator: 1,000 M$ and up


def test_distribution_of_a_constant_is_a_point_mass():
    figure = plots.plot_distribution(np.full(50, 54.0), name="train_days", units="d")
    axes = figure.axes[0]
    (p50,) = _lines(axes, "P50")
    assert p50.get_xdata()[0] == 54.0
    (mass,) = [c for c in axes.collections if c.get_gid() == "point mass"]
    np.testing.assert_array_equal(mass.get_segments()[0], [[54.0, 0.0], [54.0, 1.0]])
    assert axes.get_ylabel() == "share of draws"


def test_exceedance_of_a_constant_steps_from_one_to_zero():
    axes = plots.plot_exceedance(np.full(50, 54.0), name="train_days", units="d").axes[0]
    (lead,) = _lines(axes, "lead-in")
    assert list(lead.get_ydata()) == [1.0, 1.0, 0.0] and lead.get_xdata()[1] == 54.0


def test_exceedance_is_one_minus_ecdf(days):
    figure = plots.plot_exceedance(
        days, name="train_days", units="d", threshold=80, threshold_label="deadline"
    )
    axes = figure.axes[0]
    assert axes.get_xlabel() == "train_days [days]"
    assert axes.get_ylabel() == "P(train_days > x)"
    (curve,) = _lines(axes, "survival")
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert len(x) == days.size  # 2,000 draws: every order statistic is drawn
    np.testing.assert_array_equal(x, np.sort(days))
    # at each drawn x, the share of draws strictly above it (ties included below)
    share_above = np.array([np.mean(days > v) for v in x])
    np.testing.assert_allclose(y, share_above, atol=1e-15)
    (hline,) = _lines(axes, "exceedance")
    assert hline.get_ydata()[0] == pytest.approx(np.mean(days > 80))


def test_miss_ecdfs_are_exact_at_their_points():
    # each curve: at its points, the share of that group's draws <= x (numpy's count)
    rng = np.random.default_rng(RNG_SEED)
    values = rng.lognormal(size=60_000)
    miss = values + rng.normal(size=values.size) > 2.0
    panels = [{"input": "x", "units": "d", "values": values, "miss": miss}]
    axes = plots.plot_miss_ecdfs(panels, target="y").axes[0]
    for gid, chosen in (("misses", miss), ("hits", ~miss)):
        (curve,) = _lines(axes, gid)
        x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
        group = values[chosen]
        assert x[0] == group.min() and x[-1] == group.max()
        for i in (0, 1, len(x) // 3, len(x) - 1):
            assert y[i] == np.count_nonzero(group <= x[i]) / group.size


def test_tornado_orders_by_swing_and_draws_from_base():
    rows = [
        {"input": "goodput", "low": 62.0, "high": 69.0, "base": 65.0},
        {"input": "mfu", "low": 60.1, "high": 70.3, "base": 65.0},
        {"input": "n_gpus", "low": 64.0, "high": 66.0, "base": 65.0},
    ]
    figure = plots.plot_tornado(rows, output="train_days", units="d")
    axes = figure.axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["n_gpus", "goodput", "mfu"]  # widest swing on top (last tick)
    assert axes.get_xlabel() == "train_days [days]"
    bars = {p.get_gid(): p for p in axes.patches}
    assert bars["mfu:low"].get_x() == pytest.approx(65.0)
    assert bars["mfu:low"].get_width() == pytest.approx(60.1 - 65.0)
    assert bars["mfu:high"].get_width() == pytest.approx(70.3 - 65.0)
    (base,) = _lines(axes, "base")
    assert base.get_xdata()[0] == 65.0


def test_tornado_of_money_in_millions():
    rows = [{"input": "gpu_price_usd", "low": 0.9e9, "high": 1.6e9, "base": 1.2e9}]
    axes = plots.plot_tornado(rows, output="tco_usd", units="USD").axes[0]
    assert axes.get_xlabel() == "tco_usd [million USD]"
    assert {p.get_gid(): p for p in axes.patches}["gpu_price_usd:high"].get_width() == (
        pytest.approx(400.0)
    )


def test_rank_correlations_bars_are_the_rhos():
    rows = [{"input": "mfu", "spearman": -0.8}, {"input": "goodput", "spearman": 0.3}]
    axes = plots.plot_rank_correlations(rows, output="train_days").axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["goodput", "mfu"]
    assert [p.get_width() for p in axes.patches] == [0.3, -0.8]
    assert axes.get_xlabel() == "Spearman rank correlation with train_days"
    low, high = axes.get_xlim()
    assert low <= -1 and high >= 1


def test_driver_scatter_labels_and_subsample(days):
    mfu = np.linspace(0.38, 0.43, days.size)
    figure = plots.plot_driver_scatter(
        mfu,
        days,
        x_name="mfu",
        x_units="1",
        y_name="train_days",
        y_units="d",
        spearman=-0.7,
        max_points=500,
    )
    axes = figure.axes[0]
    assert axes.get_xlabel() == "mfu"
    assert axes.get_ylabel() == "train_days [days]"
    assert len(axes.collections[0].get_offsets()) == 500
    assert "Spearman -0.70" in axes.get_title() and "500 of 2,000 draws" in axes.get_title()


def test_compare_draws_one_violin_and_interval_per_scenario(days):
    samples = {"a": days, "b": days * 1.2}
    figure = plots.plot_compare(
        samples, name="train_days", units="d", threshold=90, threshold_label="deadline"
    )
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["a", "b"]
    assert axes.get_ylabel() == "train_days [days]"
    gids = {c.get_gid() for c in axes.collections}
    assert {"violin:a", "violin:b", "P5-P95:a", "P5-P95:b"} <= gids
    segments = {
        c.get_gid(): c.get_segments()[0]
        for c in axes.collections
        if str(c.get_gid()).startswith("P5-P95")
    }
    np.testing.assert_allclose(
        segments["P5-P95:b"][:, 1], np.quantile(days * 1.2, [0.05, 0.95]), rtol=1e-12
    )
    (deadline,) = _lines(axes, "deadline")
    assert deadline.get_ydata()[0] == 90


@pytest.mark.parametrize("kind", ["normal", "atoms"])
def test_exceedance_of_many_draws_is_exact_at_its_points(kind):
    # drawn through CURVE_POINTS evenly spaced points counted without a sort; at each, the
    # share of draws strictly above it (numpy's count), the smallest and largest draw among
    # them; with atoms (ties) too
    rng = np.random.default_rng(RNG_SEED)
    values = rng.normal(size=50_000) if kind == "normal" else np.round(rng.random(50_000) * 7)
    (curve,) = _lines(plots.plot_exceedance(values, name="x", units="d").axes[0], "survival")
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert len(x) <= plots.CURVE_POINTS and x[0] == values.min() and x[-1] == values.max()
    for i in (0, 1, 100, len(x) // 2, len(x) - 2, len(x) - 1):
        assert y[i] == np.count_nonzero(values > x[i]) / values.size
    assert np.all(np.diff(x) > 0)


def test_distribution_histogram_spans_every_draw_and_caps_bins():
    values = np.random.default_rng(RNG_SEED).normal(size=50_000)
    axes = plots.plot_distribution(values, name="x", units="d").axes[0]
    assert len(axes.patches) <= plots.MAX_BINS
    widths = np.array([p.get_width() for p in axes.patches])
    heights = np.array([p.get_height() for p in axes.patches])
    assert np.sum(widths * heights) == pytest.approx(1.0, rel=1e-9)  # a density
    left, right = axes.patches[0].get_x(), axes.patches[-1].get_x() + widths[-1]
    assert left == pytest.approx(values.min()) and right == pytest.approx(values.max())
    assert _lines(axes, "kde")


def test_figure_png_is_png_bytes(days):
    png = plots.figure_png(plots.plot_exceedance(days, name="train_days", units="d"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_importing_and_plotting_leave_the_matplotlib_backend_alone():
    """A notebook's backend (inline, here "svg") survives the report's figures: they are
    drawn on the Agg canvas directly, never through pyplot's backend switch."""
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('svg'); import numpy as np\n"
        "from simulate.report import plots, calibration\n"
        "plots.figure_png(plots.plot_exceedance(np.arange(1.0, 50.0), name='x', units='d'))\n"
        "print(matplotlib.get_backend())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "svg"
