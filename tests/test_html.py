"""report.html: parses (html.parser), holds every section of report.md in the same order,
embeds its images, grids and script, and reaches nothing outside itself."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from simulate.cli import main
from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.explore import distribution_grid, distribution_grids, grid_step, grids_json
from simulate.report.html import SECTION_IDS, markdown_block, render_compare_html, render_html
from simulate.report.outline import REPORT_SECTIONS, section_titles
from simulate.report.summary import build_summary
from simulate.scenario.config import load_scenario
from simulate.workflows.sections import sensitivity_section

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # any bytes: the page embeds them verbatim
DEFAULT = str(CONFIG_DIR / "llama-3.1-405b.toml")
#: The default before [[phases]] (plain mfu and n_gpus to --set).
SINGLE = str(Path(__file__).parent / "data" / "single_phase.toml")


class _Page(HTMLParser):
    """Collects section ids and titles, images, scripts, external references and the text of
    each section."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.titles: list[str] = []
        self.images: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.text: dict[str, str] = {}
        self._section: str | None = None
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self._section = attrs["id"]
            self.sections.append(attrs["id"])
            self.text[attrs["id"]] = ""
        if tag == "h2":
            self._in_h2 = True
            self.titles.append("")
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        for key in ("src", "href", "data", "action"):
            value = attrs.get(key) or ""
            if value and not value.startswith("data:"):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.titles[-1] += data
        if self._section:
            self.text[self._section] += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def run_and_summary():
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=2_000)
    ds = run(scenario)
    summary = build_summary(ds, scenario, sensitivity=sensitivity_section(ds, scenario))
    return scenario, ds, summary


@pytest.fixture(scope="module")
def summary(run_and_summary):
    return run_and_summary[2]


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    """A report with every section: correlations, a precision run, overrides, plots."""
    out = tmp_path_factory.mktemp("full") / "r"
    args = [
        "run", SINGLE, "--draws", "4000", "--precision", "0.05", "--max-draws", "8000",
        "--set", 'correlations.pairs=[["mfu", "goodput", 0.5]]', "--set", "n_gpus=16000",
        "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert main(args) == 0
    return out


def test_page_holds_every_section_in_order_and_every_image(summary):
    images = {"train_days_distribution.png": PNG, "tco_usd_exceedance.png": PNG[::-1]}
    page = render_html(summary, images, captions={"tco_usd_exceedance.png": "cost curve"})
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    # no correlations, no convergence, no grids (no sliders) in this summary
    absent = {"explore", "correlations", "convergence"}
    assert parsed.sections == [s for s in SECTION_IDS if s not in absent]
    assert [img["data-name"] for img in parsed.images] == list(images)
    for img, png in zip(parsed.images, images.values(), strict=True):
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        assert base64.b64decode(img["src"].removeprefix(prefix)) == png
    assert parsed.images[1]["alt"] == "cost curve"
    assert parsed.external == []
    assert "script" not in parsed.tags and "link" not in parsed.tags  # no sliders: no script


def test_report_md_and_html_carry_the_same_sections_in_the_same_order(full_report):
    """Before: report.html left out the cost views, published values, correlations,
    sensitivity tables and convergence that report.md carries."""
    md = (full_report / "report.md").read_text()
    parsed = _parse((full_report / "report.html").read_text())
    md_titles = re.findall(r"^## (.+)$", md, flags=re.MULTILINE)
    html_only = {s.title for s in REPORT_SECTIONS if s.html_only}
    assert [t for t in parsed.titles if t not in html_only] == md_titles
    assert parsed.sections == list(SECTION_IDS)  # every section, the outline's order
    assert md_titles == [t for t in section_titles(markdown=True) if t in md_titles]
    text = parsed.text
    assert "amortized_cost_usd" in text["views"] and "rental_cost_usd" in text["views"]
    assert "30,840,000" in text["compare_to"] or "30.84" in text["compare_to"]
    assert "Llama 3.1 model card" in text["compare_to"]
    summary = json.loads((full_report / "summary.json").read_text())
    (row,) = summary["correlations"]
    assert f"{row['requested']:.3f}" in text["correlations"]
    assert f"{row['achieved']:.3f}" in text["correlations"]
    conv = summary["convergence"]
    assert f"after {conv['n_draws']:,} draws" in text["convergence"]
    assert "Rank correlations: train_days" in text["sensitivity"]
    assert "Ranking tables" in text["sensitivity"]


def test_sensitivity_charts_have_intervals_and_tables_are_collapsible(full_report):
    page = (full_report / "report.html").read_text()
    sens = page[page.index('<section id="sensitivity">') :]
    sens = sens[: sens.index("</section>")]
    summary = json.loads((full_report / "summary.json").read_text())
    top = summary["sensitivity"]["rank_correlation"]["outputs"]["train_days"]["inputs"][0]
    assert top["input"] == "mfu"
    # the chart shows the estimate and its interval as the report's 3 significant digits
    rho = top["spearman"]
    assert f"{rho['value']:.3g} [{rho['low']:.3g}, {rho['high']:.3g}]" in sens
    assert sens.count('class="interval"') > 0 and sens.count("<svg") >= 4
    details = sens[sens.index("<details>") :]
    assert "<table>" in details and "Spearman ρ" in details


def test_markdown_block_renders_headings_tables_and_emphasis():
    text = "#### A: b\n\nline *x* `y`\n\n| r | in |\n|---:|---|\n| 1 | a \\| b |\n"
    assert markdown_block(text) == (
        "<h4>A: b</h4><p>line <em>x</em> <code>y</code></p>"
        '<table><thead><tr><th>r</th><th>in</th></tr></thead><tbody><tr><td class="num">1'
        "</td><td>a | b</td></tr></tbody></table>"
    )


def test_risk_follows_the_answer_with_p50_and_90_interval(summary):
    parsed = _parse(render_html(summary, {}))
    answer = parsed.text["answer"]
    days = summary["variables"]["train_days"]["percentiles"]
    # 4 significant digits, as simulate.report.units.format_number writes them
    assert f"{days['p50']:.2f} days" in answer
    assert "90% interval" in answer
    assert "M$" in answer
    assert "P(train_days > deadline 100 days)" in parsed.text["risk"]
    assert "P(amortized_cost_usd > budget 80 M$)" in parsed.text["risk"]
    assert parsed.sections[:2] == ["answer", "risk"]


def test_inputs_method_and_provenance_carry_sources_rules_and_hash(summary):
    parsed = _parse(render_html(summary, {}))
    assert "Llama 3 paper, Table 4" in parsed.text["inputs"]
    assert "compute_days / goodput" in parsed.text["method"]
    assert summary["provenance"]["config_hash"] in parsed.text["provenance"]
    assert "plots" not in parsed.sections  # as report.md: no plots, no section


def test_text_is_escaped(run_and_summary):
    scenario, ds, summary = run_and_summary
    hostile = dict(summary, notes=["<script>alert(1)</script> & more"])
    grids = distribution_grids(ds, scenario.risk_targets)
    parsed = _parse(render_html(hostile, {}, grids=grids))
    # the page's own two scripts (grid data, slider code), inline; the note's is text
    assert parsed.scripts == [{"type": "application/json", "id": "distributions"}, {}]
    assert "<script>alert(1)</script> & more" in parsed.text["notes"]


def test_grid_json_cannot_close_its_script_element():
    assert "</" not in grids_json({"a</script>": {"x": [1.0]}})
    assert json.loads(grids_json({"a</script>": {"x": [1.0]}})) == {"a</script>": {"x": [1.0]}}


def test_sliders_carry_one_grid_per_headline_node_and_target(run_and_summary):
    scenario, ds, summary = run_and_summary
    grids = distribution_grids(ds, scenario.risk_targets)
    page = render_html(summary, {}, grids=grids)
    parsed = _parse(page)
    assert "explore" in parsed.sections and parsed.external == []
    keys = re.findall(r'class="explorer" data-key="([^"]+)"', page)
    # a panel per risk target, then per headline node without one (tco_usd here)
    assert keys == [*summary["risk"], "tco_usd"]
    data = page[page.index('id="distributions">') + len('id="distributions">') :]
    data = json.loads(data[: data.index("</script>")])
    assert set(data) == {"train_days", "tco_usd", "amortized_cost_usd"}
    assert data["train_days"]["n"] == 2_000


def test_grid_counts_are_exact_and_hold_the_targets_thresholds():
    """At each grid threshold the counts are those of a direct comparison over the draws
    (the definition of RiskTarget.misses); NaN draws count on neither side."""
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.lognormal(4, 0.3, 50_000), [np.nan] * 7, [np.inf]])
    grid = distribution_grid(values, [75.0, 1e9])
    x = np.asarray(grid["x"])
    assert 75.0 in grid["x"] and 1e9 in grid["x"] and grid["n"] == values.size
    assert np.all(np.diff(x) > 0)
    for i in rng.choice(x.size, 200, replace=False):
        assert grid["gt"][i] == np.count_nonzero(values > x[i])
        assert grid["lt"][i] == np.count_nonzero(values < x[i])
    # thresholds are 5 significant digits (the page shows the threshold it counted at)
    assert all(float(f"{v:.5g}") == v for v in x if v not in (75.0, 1e9))


def test_grid_step_bounds_any_threshold_between_positions():
    """For x_i <= t < x_{i+1}, P(X > t) lies between the neighbours' counts, so it is
    within grid_step of either: checked by direct counts at random thresholds."""
    rng = np.random.default_rng(6)
    values = rng.normal(80, 5, 100_000)
    grid = distribution_grid(values)
    step = grid_step(grid)
    x, gt, n = np.asarray(grid["x"]), np.asarray(grid["gt"]), grid["n"]
    assert 0 < step <= 0.0015  # 0.1% levels, widened a little by the 5-digit rounding
    for t in rng.uniform(x[0], x[-1], 500):
        i = np.searchsorted(x, t, side="right") - 1
        p = np.count_nonzero(values > t) / n
        assert gt[i + 1] / n <= p <= gt[i] / n
        assert abs(p - gt[i] / n) <= step + 1e-15


def test_interval_label_falls_back_to_the_outermost_percentiles():
    scenario = load_scenario(
        CONFIG_DIR / "llama-3.1-405b.toml", ["percentiles=[10, 50, 90]"], draws=500
    )
    parsed = _parse(render_html(build_summary(run(scenario), scenario), {}))
    assert "P10-P90" in parsed.text["answer"] and "90% interval" not in parsed.text["answer"]


def test_extra_sections_go_before_the_notes(summary):
    page = render_html(summary, {}, extra_sections=[("sweep", "Sweep", "<p>grid</p>")])
    parsed = _parse(page)
    assert parsed.sections[parsed.sections.index("sweep") + 1] == "notes"
    assert "Sweep" in parsed.titles


def test_compare_page_parses_with_images(summary):
    other = dict(summary, provenance=dict(summary["provenance"], scenario="b"))
    compare = {
        "common": {"seed": 1, "draws": 2_000, "method": "random"},
        "baseline": "a",
        "scenarios": {"a": summary, "b": other},
        "differences": {},
    }
    parsed = _parse(render_compare_html(compare, {"train_days_compare.png": PNG}))
    assert parsed.sections == ["answer", "plots", "provenance"]
    assert len(parsed.images) == 1 and parsed.external == []
