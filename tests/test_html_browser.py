"""report.html in a real browser: headless Chromium driven by Playwright over the default
report. Every section is there, the page logs no error, each slider set to the scenario's
own threshold gives summary.json's probability and Wilson interval, other positions give
the exact count of the saved draws beyond the shown threshold with scipy's Wilson interval,
and a screenshot is written (to tmp_path; also to $LLM_COST_MC_SCREENSHOT_DIR when set).

The browser: $LLM_COST_MC_CHROMIUM, else the system's ``chromium-headless-shell`` (Debian:
``apt-get install chromium-headless-shell``), else Playwright's own download. Without one
the test is skipped, saying why, unless $LLM_COST_MC_REQUIRE_BROWSER is set (CI sets it:
there a missing browser fails the run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from simulate.cli import main
from simulate.model.catalog import CONFIG_DIR
from simulate.report.html import SECTION_IDS

#: starts a browser process (and writes the full default report): slow, run by .ci/run
pytestmark = pytest.mark.slow

DEFAULT = str(CONFIG_DIR / "llama-3.1-405b.toml")
SYSTEM_BROWSERS = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
)


def _browser() -> str | None:
    """The Chromium binary to drive, or None (Playwright's own download then)."""
    given = os.environ.get("LLM_COST_MC_CHROMIUM")
    if given:
        return given
    found = shutil.which("chromium-headless-shell")
    return found or next((p for p in SYSTEM_BROWSERS if Path(p).exists()), None)


def _missing(reason: str) -> None:
    if os.environ.get("LLM_COST_MC_REQUIRE_BROWSER"):
        pytest.fail(f"browser test required (LLM_COST_MC_REQUIRE_BROWSER) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page_and_report(tmp_path_factory):
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=_browser())
        except Error as error:
            _missing(
                "no Chromium to drive: install chromium-headless-shell (apt-get install -y "
                f"chromium-headless-shell) or set LLM_COST_MC_CHROMIUM ({str(error)[:200]})"
            )
        out = tmp_path_factory.mktemp("browser") / "default"
        # the default report: the default scenario, 100,000 draws, plots; draws kept to check
        assert main(["run", DEFAULT, "--out", str(out), "--save-draws", "--quiet"]) == 0
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else
                messages.append(f"request: {r.url}"))  # fmt: skip
        page.goto((out / "report.html").as_uri())
        page.wait_for_load_state("load")
        yield page, out, messages
        browser.close()


def _reading(page, key: str) -> dict[str, str]:
    return page.locator(f'.explorer[data-key="{key}"] .p').evaluate("e => ({...e.dataset})")


def test_every_section_present_and_no_console_errors(page_and_report, tmp_path):
    page, out, messages = page_and_report
    ids = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
    md = (out / "report.md").read_text()
    # the default report has everything but correlations and a precision run's convergence,
    # and its rent-or-buy [decision] in the outline's extra slot (before the notes)
    expected = [s for s in SECTION_IDS if s not in ("correlations", "convergence")]
    expected.insert(expected.index("notes"), "decision")
    assert ids == expected
    titles = page.eval_on_selector_all("section > h2", "els => els.map(e => e.textContent)")
    assert [t for t in titles if t != "Explore the risk"] == re.findall(r"^## (.+)$", md, re.M)
    assert page.locator("#plots img").count() == sum(1 for p in out.glob("*.png"))
    assert page.locator("#sensitivity details table").count() > 0
    errors = [m for m in messages if not m.startswith(("log:", "info:", "debug:"))]
    assert errors == []
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    keep = os.environ.get("LLM_COST_MC_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report-html-default.png")


def test_slider_at_the_scenarios_thresholds_gives_summary_json(page_and_report):
    """A reader types the scenario's deadline (days) and budget (M$ of the amortized cost)
    into the panels; the
    page shows exactly summary.json's probability and Wilson interval."""
    page, out, _ = page_and_report
    summary = json.loads((out / "summary.json").read_text())
    md_lines = (out / "report.md").read_text().splitlines()
    typed = {"train_days_over_deadline": "100", "amortized_cost_usd_over_budget": "80"}
    assert set(typed) == set(summary["risk"])
    for key, text in typed.items():
        panel = page.locator(f'.explorer[data-key="{key}"]')
        panel.locator(".slider").fill("0")  # move away first
        assert float(_reading(page, key)["threshold"]) != summary["risk"][key]["threshold"]
        panel.locator("input.threshold").fill(text)
        panel.locator("input.threshold").press("Enter")
        shown, entry = _reading(page, key), summary["risk"][key]
        assert float(shown["threshold"]) == entry["threshold"]
        assert float(shown["p"]) == entry["probability"]
        assert int(shown["count"]) == entry["draws_missing"]
        low, high = entry["ci95"]
        assert float(shown["low"]) == pytest.approx(low, rel=1e-12, abs=1e-15)
        assert float(shown["high"]) == pytest.approx(high, rel=1e-12, abs=1e-15)
        assert f"{entry['draws_missing']:,} of {entry['draws']:,} draws" in panel.inner_text()
        # and it reads as report.md's risk line does (units.format_probability's digits)
        line = next(x for x in md_lines if x.startswith(f"- P({entry['node']} "))
        p_text, low_text, high_text = re.search(
            r": ([\d.]+%) \(95% CI ([\d.]+%) to ([\d.]+%)", line
        ).groups()
        assert f"{p_text} (95% interval {low_text} to {high_text};" in panel.inner_text()


def test_slider_positions_count_the_draws_exactly(page_and_report):
    """At any slider position: P = the count of saved draws beyond the shown threshold
    (numpy on draws.nc) over n, and the interval is scipy's Wilson interval of that count."""
    page, out, _ = page_and_report
    draws = xr.load_dataset(out / "draws.nc")
    for key, node in (
        ("train_days_over_deadline", "train_days"),
        ("amortized_cost_usd_over_budget", "amortized_cost_usd"),
    ):
        values = draws[node].values
        slider = page.locator(f'.explorer[data-key="{key}"] .slider')
        top = int(slider.get_attribute("max"))
        for position in (1, top // 7, top // 2, top - 3):
            slider.fill(str(position))
            shown = _reading(page, key)
            t = float(shown["threshold"])
            count = int(np.count_nonzero(values > t))
            assert int(shown["count"]) == count and float(shown["p"]) == count / values.size
            ci = stats.binomtest(count, values.size).proportion_ci(method="wilson")
            assert float(shown["low"]) == pytest.approx(ci.low, rel=1e-12, abs=1e-15)
            assert float(shown["high"]) == pytest.approx(ci.high, rel=1e-12, abs=1e-15)
        # the curve's marker follows the slider
        dot = page.locator(f'.explorer[data-key="{key}"] circle')
        before = dot.get_attribute("cx")
        slider.fill("2")
        assert dot.get_attribute("cx") != before


def test_report_is_small_enough_to_email(page_and_report):
    _, out, _ = page_and_report
    assert (out / "report.html").stat().st_size < 2 * 1024 * 1024
