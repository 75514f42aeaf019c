"""report.html: parses (html.parser), holds every section and embedded image, no network."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.html import SECTION_IDS, render_compare_html, render_html
from simulate.report.summary import build_summary
from simulate.scenario.config import load_scenario
from simulate.workflows.sections import sensitivity_section

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # any bytes: the page embeds them verbatim


class _Page(HTMLParser):
    """Collects section ids, images, external references and the text of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[dict[str, str]] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.text: dict[str, str] = {}
        self._section: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self._section = attrs["id"]
            self.sections.append(attrs["id"])
            self.text[attrs["id"]] = ""
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if value and not value.startswith("data:"):
                self.external.append(value)

    def handle_data(self, data):
        if self._section:
            self.text[self._section] += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def summary():
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=2_000)
    ds = run(scenario)
    return build_summary(ds, scenario, sensitivity=sensitivity_section(ds, scenario))


def test_page_holds_every_section_in_order_and_every_image(summary):
    images = {"train_days_distribution.png": PNG, "tco_usd_exceedance.png": PNG[::-1]}
    page = render_html(summary, images, captions={"tco_usd_exceedance.png": "cost curve"})
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.sections == list(SECTION_IDS)
    assert [img["data-name"] for img in parsed.images] == list(images)
    for img, png in zip(parsed.images, images.values(), strict=True):
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        assert base64.b64decode(img["src"].removeprefix(prefix)) == png
    assert parsed.images[1]["alt"] == "cost curve"
    assert parsed.external == []
    assert "script" not in parsed.tags and "link" not in parsed.tags


def test_answer_opens_with_p50_and_90_interval_and_risks(summary):
    parsed = _parse(render_html(summary, {}))
    answer = parsed.text["answer"]
    days = summary["variables"]["train_days"]["percentiles"]
    # 4 significant digits, as simulate.report.units.format_number writes them
    assert f"{days['p50']:.2f} days" in answer
    assert "90% interval" in answer
    assert "M$" in answer
    assert "P(train_days > deadline 90 days)" in answer
    assert "P(amortized_cost_usd > budget 80 M$)" in answer  # the default budget: per run
    assert parsed.sections[0] == "answer"


def test_inputs_method_and_provenance_carry_sources_rules_and_hash(summary):
    parsed = _parse(render_html(summary, {}))
    assert "Llama 3 paper, Table 4" in parsed.text["inputs"]
    assert "compute_days / goodput" in parsed.text["method"]
    assert summary["provenance"]["config_hash"] in parsed.text["provenance"]
    assert "No plots in this report." in parsed.text["plots"]


def test_text_is_escaped(summary):
    hostile = dict(summary, notes=["<script>alert(1)</script> & more"])
    parsed = _parse(render_html(hostile, {}))
    assert "script" not in parsed.tags
    assert "<script>alert(1)</script> & more" in parsed.text["notes"]


def test_interval_label_falls_back_to_the_outermost_percentiles():
    scenario = load_scenario(
        CONFIG_DIR / "llama-3.1-405b.toml", ["percentiles=[10, 50, 90]"], draws=500
    )
    parsed = _parse(render_html(build_summary(run(scenario), scenario), {}))
    assert "P10-P90" in parsed.text["answer"] and "90% interval" not in parsed.text["answer"]


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
