"""The stage progress bar: silent off a terminal or when disabled; shows stages on one."""

from __future__ import annotations

import io

from simulate.report.progress import RUN_STAGES, StageProgress


def test_silent_when_stream_is_not_a_terminal():
    stream = io.StringIO()
    with StageProgress(RUN_STAGES, stream=stream, delay_s=0) as progress:
        for stage in RUN_STAGES:
            progress.stage(stage)
    assert not progress.enabled and not progress.shown
    assert stream.getvalue() == ""


def test_silent_when_disabled_even_on_a_terminal():
    stream = io.StringIO()
    with StageProgress(
        RUN_STAGES, stream=stream, enabled=False, force_terminal=True, delay_s=0
    ) as progress:
        progress.stage("sampling")
    assert stream.getvalue() == ""


def test_quick_work_shows_no_bar():
    stream = io.StringIO()
    with StageProgress(RUN_STAGES, stream=stream, force_terminal=True, delay_s=30) as progress:
        progress.stage("sampling")
    assert not progress.shown and stream.getvalue() == ""


def test_bar_names_the_stages_on_a_terminal():
    stream = io.StringIO()
    with StageProgress(RUN_STAGES, stream=stream, force_terminal=True, delay_s=0) as progress:
        progress.stage("sampling")
        progress.stage("chain")
        progress._progress.refresh()
        assert progress.done == 1
    assert progress.shown
    assert "chain (2/5)" in stream.getvalue()
