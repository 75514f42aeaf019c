"""The decision and progress sections through the whole tool: scenario file, --set, the
CLI, summary.json (strict JSON), report.md, a figure; and their bad inputs (exit 2, one
line, nothing written)."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

import simulate
from simulate.cli import main

CONFIG = "configs/llama-3.1-405b.toml"
DECIDE = 'decision.options=["amortized_cost_usd", "rental_cost_usd"]'


def _run(tmp_path, *sets, extra=()):
    out = tmp_path / "report"
    args = ["run", CONFIG, "--out", str(out), "--draws", "4000", "--no-plots", *extra]
    for item in sets:
        args += ["--set", item]
    return main(args), out


def test_rent_or_buy_is_in_summary_and_report(tmp_path):
    code, out = _run(tmp_path, DECIDE)
    assert code == 0
    text = (out / "summary.json").read_text()
    summary = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    d = summary["decision"]
    scenario = simulate.load_scenario(CONFIG, [DECIDE], draws=4000)
    ds = simulate.run(scenario)
    buy, rent = ds["amortized_cost_usd"].values, ds["rental_cost_usd"].values
    # P(buy cheapest) is the count of paired draws where buying costs less
    assert d["probability_cheapest"]["amortized_cost_usd"]["probability"] == np.mean(buy < rent)
    assert d["best_option"] == (
        "amortized_cost_usd" if buy.mean() < rent.mean() else "rental_cost_usd"
    )
    # EVPI = E[cost of the choice] - E[min cost], from the draws directly
    best = buy if buy.mean() < rent.mean() else rent
    assert d["evpi"]["value"] == pytest.approx(np.mean(best - np.minimum(buy, rent)), rel=1e-12)
    assert "rental_usd_per_gpu_hour" in d["evppi"]
    report = (out / "report.md").read_text()
    assert "## Decision: amortized_cost_usd or rental_cost_usd" in report
    assert "EVPPI" in report
    # report.html carries the same section, in the same place among the headings
    page = (out / "report.html").read_text()
    assert '<section id="decision"><h2>Decision: amortized_cost_usd or rental_cost_usd</h2>' in page
    md_titles = re.findall(r"^## (.+)$", report, re.M)
    html_titles = [html.unescape(t) for t in re.findall(r"<h2>(.*?)</h2>", page)]
    assert [t for t in html_titles if t in md_titles] == md_titles


def test_progress_from_set_gives_before_and_after(tmp_path):
    code, out = _run(
        tmp_path,
        "elapsed_days=20",
        "tokens_done=0.215",
        "start_date=2026-11-01",
    )
    assert code == 0
    update = json.loads((out / "summary.json").read_text())["update"]
    assert update["start_date"] == "2026-11-01"
    assert 100 <= update["effective_draws"] <= 4000
    days = update["variables"]["train_days"]
    # 21.5% in 20 days: about 93 days in all, inside the prior's range (P50 94.5)
    assert abs(days["after"]["p50"] - 20 / 0.215) < 2
    assert days["after"]["p95"] - days["after"]["p5"] < days["before"]["p95"] - days["before"]["p5"]
    assert update["finish_date"]["after"]["p50"] > "2027-01-01"
    assert "## Forecast from the run in progress" in (out / "report.md").read_text()
    assert (
        '<section id="update"><h2>Forecast from the run in progress</h2>'
        in (out / "report.html").read_text()
    )


def test_the_value_of_information_figure_is_drawn(tmp_path):
    out = tmp_path / "report"
    code = main(["run", CONFIG, "--out", str(out), "--draws", "3000", "--set", DECIDE])
    assert code == 0
    assert (out / "decision_value_of_information.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("sets", "extra", "message"),
    [
        (['decision.options=["amortized_cost_usd"]'], (), "decision.options: must be a list"),
        (['decision.options=["amortized_cost_usd", "cost"]'], (), "'cost' is not a node"),
        (["elapsed_days=900", "tokens_done=0.5"], (), "progress: no draw is consistent"),
        (["accelerator=B200"], (), "does not compute rental_cost_usd; it needs rental_usd_per_"),
        (["elapsed_days=20", "tokens_done=0.3", "progress_sd=1e-9"], (), "effective sample"),
        (
            ["elapsed_days=20", "tokens_done=0.2"],
            ("--chunk-draws", "1000"),
            "cannot go with \\[progress\\]",
        ),
    ],
)
def test_bad_planning_input_is_one_line_and_writes_nothing(tmp_path, capsys, sets, extra, message):
    code, out = _run(tmp_path, *sets, extra=extra)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err
    assert not out.exists()


def test_validate_refuses_the_update_run_would_refuse(capsys):
    """validate pushes the run's own draws through the chain and the update: observations no
    draw is consistent with are refused by both, in the same one line."""
    sets = ["--set", "elapsed_days=900", "--set", "tokens_done=0.5", "--draws", "4000"]
    assert main(["validate", CONFIG, *sets]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "progress: no draw is consistent" in err
