"""``--set`` overrides are recorded: summary.json, under the title of report.md and
report.html, and in the terminal header; an accelerator override that leaves the file's
explicit accelerator inputs in place is warned about in one line naming them.

Before: ``--set accelerator=B200`` on a scenario named for the H100 wrote a report that
did not say so, and the explicit H100 prices stayed in place without a word."""

from __future__ import annotations

import json
from pathlib import Path

from simulate.cli import main
from simulate.model.catalog import CONFIG_DIR

DEFAULT = str(CONFIG_DIR / "llama-3.1-405b.toml")
#: The default before [[phases]] (plain mfu and n_gpus to --set).
SINGLE = str(Path(__file__).parent / "data" / "single_phase.toml")
ARTICLE = str(CONFIG_DIR / "llama-3.1-405b-article.toml")  # explicit H100 peak, TDP, price


def test_every_set_is_in_summary_report_page_and_terminal(tmp_path, capsys):
    out = tmp_path / "r"
    sets = ["--set", "n_gpus=16000", "--set", "mfu = 0.35 to 0.45"]
    args = ["run", SINGLE, "--draws", "500", "--no-plots", "--out", str(out), *sets]
    assert main(args) == 0
    stdout = capsys.readouterr().out.splitlines()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overrides"] == [
        {"field": "n_gpus", "value": "16000"},
        {"field": "mfu", "value": "0.35 to 0.45"},
    ]
    md = (out / "report.md").read_text().splitlines()
    assert md[0] == "# Training cost and duration: llama-3.1-405b"
    assert md[2] == "Overrides (`--set`): `n_gpus=16000`, `mfu=0.35 to 0.45`"
    page = (out / "report.html").read_text()
    lede_end = page.index('<p class="lede">')
    overrides = page.index('<p class="overrides">')
    assert lede_end < overrides < page.index("<section")  # under the title, before the answer
    line = page[overrides : page.index("</p>", overrides)]
    assert "<code>n_gpus=16000</code>" in line and "<code>mfu=0.35 to 0.45</code>" in line
    assert stdout[0].startswith("llama-3.1-405b: 500 draws")
    assert stdout[1] == "overrides (--set): n_gpus=16000, mfu=0.35 to 0.45"


def test_no_override_no_line(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", DEFAULT, "--draws", "300", "--no-plots", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out.splitlines()
    assert json.loads((out / "summary.json").read_text())["overrides"] == []
    assert "Overrides" not in (out / "report.md").read_text()
    assert 'class="overrides"' not in (out / "report.html").read_text()
    assert stdout[1].split()[:2] == ["quantity", "unit"]


def test_accelerator_override_names_the_explicit_inputs_it_leaves(capsys):
    assert main(["show", ARTICLE, "--set", "accelerator=B200"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"warning: {ARTICLE}: --set accelerator=B200: gpu_peak_flop_per_s, gpu_tdp_w, "
        "gpu_price_usd stay at the scenario's explicit values, not the B200 catalog's; "
        "--set them too, or remove them from [inputs]"
    ]


def test_accelerator_override_with_the_inputs_set_too_names_only_the_rest(capsys):
    sets = ["--set", "accelerator=B200", "--set", "gpu_price_usd=40000"]
    sets += ["--set", "inputs.gpu_tdp_w.value=1000"]
    assert main(["show", ARTICLE, *sets]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert ": gpu_peak_flop_per_s stays at the scenario's explicit value, not the B200" in line


def test_accelerator_override_over_catalog_inputs_is_silent(tmp_path, capsys):
    # the default scenario takes peak, TDP and price from the catalog: all follow the B200
    out = tmp_path / "r"
    args = ["run", DEFAULT, "--set", "accelerator=B200", "--set", "rental=on-demand"]
    args += ["--draws", "300", "--no-plots"]  # (no committed-use B200 range in the catalog)
    assert main([*args, "--out", str(out)]) == 0  # not --quiet: warnings would print
    assert "warning" not in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert "B200" in summary["variables"]["gpu_price_usd"]["source"]


def test_the_warning_is_also_a_note_of_the_report(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", ARTICLE, "--set", "accelerator=B200", "--draws", "300", "--no-plots"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert any("gpu_price_usd" in n and "B200 catalog" in n for n in notes)
