"""The article's own point inputs must give the article's own figures (SEED.md)."""

import pytest

import simulate
from tests.conftest import CONFIGS

ARTICLE = CONFIGS / "llama-3.1-405b-article.toml"
REL = 1e-9


def _first(ds, name):
    return float(ds[name].values[0])


@pytest.fixture(scope="module")
def article():
    return simulate.run(simulate.load_scenario(ARTICLE, draws=10))


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("train_flop", 3.645e25),  # 6 · 405e9 · 15e12
        ("cluster_peak_flop_per_s", 3.1664e19),  # 16,000 · 1.979e15
        ("ideal_days", 3.645e25 / 3.1664e19 / 86_400),  # = 13.3237...
        ("capex_usd", 960e6),  # 16,000 · 30,000 · (1 + 1.0)
        ("facility_power_mw", 22.4),  # 16,000 · 700 W · 2.0 / 1e6
        ("energy_mwh", 29_030.4),  # 22.4 MW · 54 d · 24 h
        ("energy_cost_usd", 2_409_523.2),  # 29,030.4 MWh · 1,000 · 0.083
        ("tco_usd", 962_409_523.2),  # 960e6 + 2,409,523.2
        ("energy_share_of_tco", 2_409_523.2 / 962_409_523.2),  # = 0.2504%
    ],
)
def test_article_figures(article, node, expected):
    assert _first(article, node) == pytest.approx(expected, rel=REL)
    assert article[node].attrs["constant"] == 1
    assert float(article[node].min()) == float(article[node].max())


def test_article_rounded_figures_as_printed(article):
    assert round(_first(article, "ideal_days"), 2) == 13.32
    assert round(100 * _first(article, "energy_share_of_tco"), 2) == 0.25
    assert round(_first(article, "energy_cost_usd")) == 2_409_523


def test_reported_flop_gives_13_89_days():
    scenario = simulate.load_scenario(ARTICLE, ["train_flop=3.8e25"], draws=10)
    ds = simulate.run(scenario)
    # 3.8e25 / 3.1664e19 / 86,400 = 13.8901...
    assert _first(ds, "ideal_days") == pytest.approx(3.8e25 / 3.1664e19 / 86_400, rel=REL)
    assert round(_first(ds, "ideal_days"), 2) == 13.89
    assert "n_params" in ds  # given, though train_flop is pinned downstream of it


def test_pinned_train_days_cuts_mfu_and_goodput(article):
    assert "train_days" in article and "mfu" not in article and "goodput" not in article
    assert article["train_days"].attrs["kind"] == "pinned"
