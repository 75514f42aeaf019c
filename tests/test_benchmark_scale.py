"""benchmarks/scale.py's scenario generator and fits, and benchmarks/render.py's pieces.

Not timings (the benchmarks measure those): the logic that turns them into a table. The
generator is checked by loading what it writes and counting the uncertain inputs the
scenario draws; the fits against closed forms and numpy's polyfit; the composition by
writing pieces out of order into a temporary folder.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulate

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import render  # noqa: E402
import scale  # noqa: E402


@pytest.mark.parametrize("n_inputs", [3, 5, 8, 9, 20, 80])
def test_generated_scenario_draws_exactly_n_uncertain_inputs(n_inputs, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(scale.scenario_toml(n_inputs))
    scenario = simulate.load_scenario(path)
    uncertain = [name for name, spec in scenario.inputs.items() if not spec.dist.is_fixed]
    assert len(uncertain) == n_inputs
    # 3 whole-run inputs, then 5 a phase: ceil((n - 3) / 5) phases, one at least
    assert len(scenario.phases) == max(1, math.ceil((n_inputs - 3) / 5))
    assert sum("@" not in name for name in uncertain) == 3
    # the tokens add up to job.toml's (each phase's share, or its uniform's midpoint)
    job_tokens = tomllib.loads(scale.CONFIG.read_text())["inputs"]["n_tokens"]["value"]
    tokens = sum(
        scale.central(spec) if "dist" in spec else spec["value"]
        for spec in (p["n_tokens"] for p in tomllib.loads(path.read_text())["phases"])
    )
    assert tokens == pytest.approx(job_tokens, rel=1e-12)


def test_generator_refuses_fewer_inputs_than_the_whole_run_has():
    with pytest.raises(ValueError, match="--inputs: at least 3; got 2"):
        scale.phase_plan(2)


def test_central_values_against_scipy():
    # lognormal from p5/p95: mu = (ln p5 + ln p95) / 2, sigma = (ln p95 - ln p5) / (2 z95)
    p5, p95 = 0.06, 0.11
    z = stats.norm.ppf(0.95)
    sigma = (math.log(p95) - math.log(p5)) / (2 * z)
    median = stats.lognorm(s=sigma, scale=math.exp((math.log(p5) + math.log(p95)) / 2)).median()
    got = scale.central({"dist": "lognormal", "p5": p5, "p95": p95})
    assert got == pytest.approx(median, rel=1e-12)
    assert scale.central({"dist": "uniform", "low": 0.38, "high": 0.43}) == pytest.approx(0.405)
    assert scale.central({"dist": "pert", "low": 0.8, "mode": 0.9, "high": 0.97}) == 0.9


def test_fits_against_closed_forms_and_polyfit():
    x = [1e4, 1e5, 1e6, 1e7]
    assert scale.linear_fit(x, [3 + 2e-6 * v for v in x]) == pytest.approx((3, 2e-6))
    assert scale.loglog_slope(x, [5 * v**1.5 for v in x]) == pytest.approx(1.5, rel=1e-12)
    rng = np.random.default_rng(1)
    xs, ys = rng.random(20), rng.random(20)
    b, a = np.polyfit(xs, ys, 1)
    assert scale.linear_fit(list(xs), list(ys)) == pytest.approx((a, b), rel=1e-9)


def test_render_scale_slopes_from_runs():
    """A sitting whose times are start-up + 1 s + 2 s per 1e6 draws gives those back."""

    def run(case, n, seconds, peak_mib):
        return {"case": case, "n": n, "seconds": [seconds] * 3, "peak_bytes": [peak_mib * 2**20]}

    runs = [run("startup", 0, 1.0, 100)]
    runs += [run("memory", n, 1.0 + 1.0 + 2.0 * n / 1e6, 100 + 50 * n / 1e6) for n in (1e5, 1e6)]
    runs += [run("inputs", k, 1.0 + 0.5 * k, 200) for k in (5, 20)]
    data = {"header": "- Command: x", "repeats": 3, "chunk_draws": 10**6, "workers": 2}
    data |= {"input_draws": 10**6, "command": "c", "dask_command": "d"}
    data |= {"launcher_peak_bytes": 2**20, "runs": runs}
    text = scale.render_scale(data)
    assert "time ≈ 1.00 s start-up + 1.00 s + **2.00 s × M**" in text
    assert "**2.00 s** and **50 MiB** per further 1e6 draws" in text
    assert "≈ 0.00 + **0.500 s per input**" in text


def test_pieces_compose_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PIECES", tmp_path / "results")
    monkeypatch.setattr(render, "HERE", tmp_path)
    render.write_piece("zzz_other", "## Other\n\nkept")
    render.write_piece("draws", "## draws.nc\n\nd")
    render.write_piece("bench", "## Side by side\n\nb")
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.index("## Side by side") < text.index("## draws.nc") < text.index("## Other")
    assert text.startswith("# Benchmark results\n")
    assert (tmp_path / "results" / "draws.md").read_text() == "## draws.nc\n\nd\n"


def test_record_writes_a_piece_only_when_the_script_succeeds(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(BENCHMARKS)!r})
        from pathlib import Path
        import render
        render.PIECES = Path({str(tmp_path)!r}) / "results"
        render.HERE = Path({str(tmp_path)!r})
        render.record(sys.argv[1], "A title", fenced=True)
        print("measured 1.5 s")
        if sys.argv[1] == "bad":
            raise RuntimeError("half-way")
        """
    )
    (tmp_path / "s.py").write_text(script)
    run = [sys.executable, str(tmp_path / "s.py")]
    good = subprocess.run([*run, "good"], check=True, capture_output=True, text=True)
    assert good.stderr == ""
    failed = subprocess.run([*run, "bad"], capture_output=True)
    assert failed.returncode == 1
    assert not (tmp_path / "results" / "bad.md").exists()
    piece = (tmp_path / "results" / "good.md").read_text()
    assert piece.startswith("## A title\n\n- Command: `python ")
    assert "load average" in piece
    assert "```text\nmeasured 1.5 s\n```" in piece
