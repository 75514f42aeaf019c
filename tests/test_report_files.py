"""write_report's extra files and write_files: one atomic folder, nothing half-written."""

from __future__ import annotations

import json
import os
import stat

import pytest

from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.folder import write_files, write_report
from simulate.report.summary import build_summary
from simulate.scenario.config import load_scenario


@pytest.fixture(scope="module")
def summary():
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=500)
    return build_summary(run(scenario), scenario)


def test_extra_files_join_the_report_and_markdown_links_the_pngs(summary, tmp_path):
    extra = {"a_plot.png": b"\x89PNG-a", "report.html": "<!DOCTYPE html>é", "draws.nc": b"\x00"}
    out, kept = write_report(summary, tmp_path / "r", extra_files=extra)
    assert kept is None
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.json", "report.md", "percentiles.csv", ".llm-cost-mc-report", *extra}
    assert (out / "a_plot.png").read_bytes() == b"\x89PNG-a"
    assert (out / "report.html").read_text(encoding="utf-8") == "<!DOCTYPE html>é"
    assert "![a_plot.png](a_plot.png)" in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text()) == summary


def test_report_folder_is_not_private(summary, tmp_path):
    umask = os.umask(0o022)
    try:
        out, _ = write_report(summary, tmp_path / "r")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_extra_file_may_not_replace_the_reports_own(summary, tmp_path):
    with pytest.raises(ValueError, match=r"extra_files: summary.json would replace"):
        write_report(summary, tmp_path / "r", extra_files={"summary.json": "{}"})
    assert not (tmp_path / "r").exists()


def test_file_names_must_be_plain(tmp_path):
    with pytest.raises(ValueError, match=r"report file name '../x.png': must be a plain"):
        write_files({"../x.png": b""}, tmp_path / "r")


def test_failed_write_leaves_the_earlier_report_and_no_staging(summary, tmp_path):
    out, _ = write_report(summary, tmp_path / "r")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(TypeError):
        write_files({"ok.txt": "fine", "bad.bin": object()}, out)  # type: ignore[dict-item]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_write_files_keeps_an_earlier_folder_aside(tmp_path):
    first, _ = write_files({"a.txt": "one"}, tmp_path / "r")
    second, kept = write_files({"a.txt": "two"}, tmp_path / "r")
    assert second == first and kept is not None
    assert (kept / "a.txt").read_text() == "one" and (second / "a.txt").read_text() == "two"
