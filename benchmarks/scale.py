"""Cost as the work grows: time and peak memory of a run against the draws and the inputs.

    python benchmarks/scale.py [--repeats 3]     # ~15 min here; writes results/scale.md
    python benchmarks/scale.py --billion         # also 1e9 draws on dask (minutes)

What a user runs, in a child process each, from the repository root:
``python -m simulate run benchmarks/job.toml --draws N --out DIR --force --quiet
--no-plots``

* **draws**: 1e4, 1e5, 1e6, 1e7 in memory (and the whole report with plots up to
  ``--plots-max``), 1e8 in chunks of ``--chunk-draws`` on this machine's threads, and with
  ``--billion`` 1e9 on a local dask cluster of ``--workers`` processes;
* **uncertain inputs**: 5, 20, 80 at 1e6 draws, on scenarios generated from job.toml
  (:func:`scenario_toml`: its three whole-run uncertain inputs, the rest in ``[[phases]]``
  of five uncertain inputs each), each checked with ``python -m simulate validate``.

Time: the child's wall time; "less start-up" subtracts the median of a child that only
imports what a run needs (as bench.py). Peak: the larger of the child's maximum resident
set (``os.wait4``'s rusage, which also counts the launcher's own resident set at the
fork, kept small: this process imports no numpy) and, where the run starts processes
(dask's scheduler and workers), the sum of resident sets over its process tree sampled
every 0.2 s. Medians of ``--repeats`` runs, the cases interleaved in each repeat (the
machine is shared); the 1e9 run once. Prints a Markdown section and writes it as the
piece ``scale`` of benchmarks/RESULTS.md (render.py). Not a test: the numbers depend on
the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import render  # noqa: E402

CONFIG = HERE / "job.toml"
#: The raw runs of the last sitting (``--render`` re-renders them).
RAW = HERE / "results" / "scale.json"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: The imports a run needs and nothing else (bench.py's start-up child).
IMPORTS = (
    "import simulate.cli, simulate.engine.memory, simulate.report.folder, simulate.scenario.config"
)
#: Uncertain inputs of job.toml that belong to the whole run: the capital ratio, and the
#: accelerator's price and rental rate from the catalog ([cluster] accelerator).
WHOLE_RUN_UNCERTAIN = 3
#: The uncertain inputs a generated phase gives, in the order they are added.
PER_PHASE = ("mfu", "goodput", "n_tokens", "power_overhead_factor", "electricity_usd_per_kwh")
#: Relative half-width of a phase's uncertain token count (uniform around its share).
TOKEN_SPREAD = 0.1


# --- scenarios with N uncertain inputs ---------------------------------------------------


def central(spec: dict[str, Any]) -> float:
    """A central value of one of job.toml's distributions: the uniform's midpoint, the
    PERT's or triangular's mode, the lognormal's median sqrt(p5 p95) (its log is the
    midpoint of the log quantiles, symmetric about mu)."""
    dist = spec["dist"]
    if dist == "uniform":
        return (spec["low"] + spec["high"]) / 2
    if dist in ("pert", "triangular"):
        return spec["mode"]
    if dist == "lognormal":
        return math.sqrt(spec["p5"] * spec["p95"])
    raise ValueError(f"{CONFIG}: no central value for dist {dist!r}")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string (JSON's escapes are TOML's)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def _table(name: str, fields: dict[str, Any]) -> list[str]:
    return [name, *(f"{key} = {_toml(value)}" for key, value in fields.items()), ""]


def phase_plan(n_inputs: int) -> list[tuple[str, ...]]:
    """The uncertain inputs each phase gives: ``n_inputs`` less the whole run's three,
    five a phase (:data:`PER_PHASE`, in order), the last phase the rest; one phase at least."""
    own = n_inputs - WHOLE_RUN_UNCERTAIN
    if own < 0:
        raise ValueError(f"--inputs: at least {WHOLE_RUN_UNCERTAIN}; got {n_inputs}")
    k = len(PER_PHASE)
    phases = max(1, math.ceil(own / k))
    return [PER_PHASE[: max(0, min(k, own - i * k))] for i in range(phases)]


def scenario_toml(n_inputs: int, base: Path = CONFIG) -> str:
    """job.toml with ``n_inputs`` uncertain inputs: its whole-run inputs as they are, its
    tokens split evenly over the phases of :func:`phase_plan`. A phase's uncertain inputs
    are job.toml's distributions of those nodes (its tokens: uniform within
    ``TOKEN_SPREAD`` of its share); an input no phase draws is the distribution's central
    value, under [inputs] (or in the phase, for its tokens)."""
    job = tomllib.loads(base.read_text())
    inputs = dict(job["inputs"])
    plan = phase_plan(n_inputs)
    tokens = inputs.pop("n_tokens")["value"] / len(plan)
    dists = {name: inputs.pop(name) for name in PER_PHASE if name != "n_tokens"}
    dists["n_tokens"] = {
        "dist": "uniform",
        "low": tokens * (1 - TOKEN_SPREAD),
        "high": tokens * (1 + TOKEN_SPREAD),
        "source": f"job.toml's n_tokens / {len(plan)} phases, +/-{TOKEN_SPREAD:.0%}",
    }
    for name in PER_PHASE:
        if name != "n_tokens" and not all(name in given for given in plan):
            value = central(dists[name])
            inputs[name] = {"value": value, "source": f"central value of job.toml's {name}"}
    scenario = {
        k: v for k, v in job["scenario"].items() if k in ("draws", "seed", "method", "percentiles")
    }
    lines = [
        f"# Generated by benchmarks/scale.py from {base.name}: {n_inputs} uncertain inputs",
        "",
        *_table(
            "[scenario]",
            {
                "name": f"scale-{n_inputs}-inputs",
                "description": f"{base.name} with {n_inputs} uncertain inputs in "
                f"{len(plan)} phases",
                **scenario,
            },
        ),
        *_table("[cluster]", job["cluster"]),
        *_table("[inputs]", inputs),
    ]
    for i, given in enumerate(plan):
        phase: dict[str, Any] = {"name": f"p{i + 1:02d}"}
        if "n_tokens" not in given:
            phase["n_tokens"] = {"value": tokens, "source": "job.toml's n_tokens / phases"}
        phase |= {name: dists[name] for name in given}
        lines += _table("[[phases]]", phase)
    lines += _table("[risk]", job["risk"])
    return "\n".join(lines)


def write_scenario(n_inputs: int, folder: Path) -> Path:
    """Write :func:`scenario_toml` and check that ``simulate validate`` counts its inputs."""
    path = folder / f"scale-{n_inputs}-inputs.toml"
    path.write_text(scenario_toml(n_inputs))
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "validate", str(path)],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or f"({n_inputs} uncertain)" not in done.stdout:
        raise SystemExit(f"{path}: validate says: {done.stdout.strip()} {done.stderr.strip()}")
    return path


# --- measuring ---------------------------------------------------------------------------


class _TreeWatch(threading.Thread):
    """Samples the summed resident set of a process and its descendants (psutil)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root, self.peak, self.running = psutil.Process(pid), 0, True

    def run(self) -> None:
        while self.running:
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except Exception:  # a worker that just ended
                        pass
                self.peak = max(self.peak, total)
            except Exception:  # the root has ended
                return
            time.sleep(0.2)


def measure(argv: Sequence[str], *, tree: bool = False) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of a child (see the module's docstring)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            list(argv), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=errors
        )
        watch = _TreeWatch(child.pid) if tree else None
        if watch:
            watch.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if watch:
            watch.running = False
            watch.join()
        if child.returncode:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(f"{' '.join(argv)}: exit {child.returncode}: {' | '.join(tail)}")
    return seconds, max(usage.ru_maxrss * 1024, watch.peak if watch else 0)


def run_argv(
    config: Path, draws: int | str, out: Path, *extra: str, plots: bool = False
) -> list[str]:
    """The command a user runs (``--quiet``, ``--force``, into ``out``)."""
    argv = [sys.executable, "-m", "simulate", "run", str(config), "--draws", str(draws)]
    return [
        *argv,
        "--out",
        str(out),
        "--force",
        "--quiet",
        *([] if plots else ["--no-plots"]),
        *extra,
    ]


def shown(argv: Sequence[str]) -> str:
    """A command as a user types it (``python``, paths relative to the repository)."""
    words = ["python" if a == sys.executable else a for a in argv]
    return " ".join(w.replace(str(ROOT) + "/", "") for w in words)


# --- fits --------------------------------------------------------------------------------


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ``y = a + b x`` (ordinary least squares)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - b * mx, b


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The exponent ``b`` of ``y ∝ x^b``: least-squares slope of log y on log x."""
    return linear_fit([math.log(x) for x in xs], [math.log(y) for y in ys])[1]


# --- the sitting -------------------------------------------------------------------------


def _mib(x: float) -> str:
    return f"{x / 2**20:,.0f}"


def _billion_row(folder: Path) -> list[str]:
    """The last ``bench.py --billion`` run, from billion.json, marked with its date."""
    path = folder / "billion.json"
    if not path.exists():
        return []
    b = json.loads(path.read_text())
    seconds, peak = b.get("seconds"), b.get("peak_tree_rss_bytes")
    if not seconds or not peak:
        return []
    date = b.get("machine", {}).get("date", "date unknown")
    return [
        f"| {b['draws']:,} | dask, {b.get('workers', '?')} workers, chunks of "
        f"{b.get('chunk_draws', 0):,} (**`bench.py --billion`, the API, {date}**: not this "
        f"sitting) | {seconds:,.1f} | | {seconds / (b['draws'] / 1e6):.3f} | {_mib(peak)} "
        "| | | |"
    ]


def _own_peak() -> int:
    """This process's peak resident set (Linux VmHWM), bytes."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def sitting(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every case; the raw runs and how they were made (JSON-able)."""
    header = render.provenance()
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    chunked = [int(float(s)) for s in args.chunked.split(",") if s]
    chunk = int(args.chunk_draws)
    counts = [int(s) for s in args.inputs.split(",") if s]
    input_draws = int(args.input_draws)
    giant = int(args.billion_draws)
    folder = Path(tempfile.mkdtemp(prefix="scale-"))
    out = folder / "report"
    cases: dict[tuple, list[str]] = {("startup", 0): [sys.executable, "-c", IMPORTS]}
    for n in sizes:
        cases["memory", n] = run_argv(CONFIG, n, out)
        if n <= args.plots_max:
            cases["plots", n] = run_argv(CONFIG, n, out, plots=True)
    for n in chunked:
        cases["chunked", n] = run_argv(CONFIG, n, out, "--chunk-draws", str(chunk))
    scenarios = {k: write_scenario(k, folder) for k in counts}
    for k, path in scenarios.items():
        cases["inputs", k] = run_argv(path, input_draws, out)
    runs = {key: {"seconds": [], "peak_bytes": []} for key in cases}
    for repeat in range(args.repeats):
        for key, argv in cases.items():
            seconds, peak = measure(argv)
            runs[key]["seconds"].append(seconds)
            runs[key]["peak_bytes"].append(peak)
            print(f"  [{repeat + 1}/{args.repeats}] {key}: {seconds:.2f} s, {_mib(peak)} MiB",
                  file=sys.stderr, flush=True)  # fmt: skip
    dask = ["--chunk-draws", str(chunk), "--backend", "dask", "--workers", str(args.workers)]
    if args.billion:
        seconds, peak = measure(run_argv(CONFIG, giant, out, *dask), tree=True)
        runs["dask", giant] = {"seconds": [seconds], "peak_bytes": [peak]}
        print(f"  dask {giant:,}: {seconds:.1f} s, {_mib(peak)} MiB", file=sys.stderr)
    return {
        "header": header,
        "repeats": args.repeats,
        "chunk_draws": chunk,
        "workers": args.workers,
        "input_draws": input_draws,
        "command": shown(run_argv(CONFIG, "N", Path("DIR"))),
        "dask_command": shown(run_argv(CONFIG, giant, Path("DIR"), *dask)),
        "launcher_peak_bytes": _own_peak(),
        "load_end": os.getloadavg(),
        "runs": [{"case": case, "n": n, **r} for (case, n), r in runs.items()],
    }


def render_scale(data: dict[str, Any]) -> str:
    """The Markdown section of a :func:`sitting` (medians, slopes)."""
    t = {(r["case"], r["n"]): statistics.median(r["seconds"]) for r in data["runs"]}
    m = {(r["case"], r["n"]): statistics.median(r["peak_bytes"]) for r in data["runs"]}
    sizes = [n for case, n in t if case == "memory"]
    counts = [n for case, n in t if case == "inputs"]
    chunk, workers, input_draws = data["chunk_draws"], data["workers"], data["input_draws"]
    start, base = t["startup", 0], m["startup", 0]
    lines = ["## Cost as the work grows", "", data["header"]]
    if "load_end" in data:
        lines[-1] += "; load average at the end " + ", ".join(f"{x:.1f}" for x in data["load_end"])
    lines.append(
        f"- Each case: `{data['command']}` in a child process "
        f"(with plots: without `--no-plots`); medians of {data['repeats']} runs, cases "
        "interleaved. Start-up (a child "
        f'that only imports what a run needs): {start:.2f} s, {_mib(base)} MiB; "less '
        "start-up\" subtracts it. Peak: the child's maximum resident set (getrusage); on "
        "dask, its process tree's summed resident set, sampled every 0.2 s (this "
        f"launcher's own peak, which getrusage also counts, is "
        f"{_mib(data['launcher_peak_bytes'])} MiB)."
    )
    lines.append(
        f"- Chunked: `--chunk-draws {chunk}` (threads, two passes, no plots); dask: "
        f"`{data['dask_command']}`."
    )
    lines += [
        "",
        "| draws | how | median s | less start-up s | s per 1e6 draws | peak MiB "
        "| MiB per 1e6 draws | with plots s | with plots peak MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [key for key in t if key[0] in ("memory", "chunked", "dask")]
    for how, n in rows:
        less = t[how, n] - start
        label = {
            "memory": "in memory",
            "chunked": f"chunks of {chunk:,}, threads",
            "dask": f"dask, {workers} workers, chunks of {chunk:,} (once)",
        }[how]
        per_m = f"{(m[how, n] - base) / 2**20 / (n / 1e6):,.1f}" if how == "memory" else ""
        plots = f"{t['plots', n]:.2f} | {_mib(m['plots', n])}" if ("plots", n) in t else " |"
        lines.append(
            f"| {n:,} | {label} | {t[how, n]:.2f} | {less:.2f} | {less / (n / 1e6):.3f} "
            f"| {_mib(m[how, n])} | {per_m} | {plots} |"
        )
    if not any(how == "dask" for how, _ in rows):
        lines += _billion_row(HERE)

    fit = [n for n in sizes if t["memory", n] - start > 0]
    lines += ["", "Slopes (the draws):", ""]
    if len(fit) >= 2:
        b_time = loglog_slope(fit, [t["memory", n] - start for n in fit])
        b_peak = loglog_slope(fit, [max(m["memory", n] - base, 1) for n in fit])
        lo, hi = fit[-2], fit[-1]
        per_m = (t["memory", hi] - t["memory", lo]) / ((hi - lo) / 1e6)
        mib_m = (m["memory", hi] - m["memory", lo]) / 2**20 / ((hi - lo) / 1e6)
        millions = [n / 1e6 for n in fit]
        a_t, c_t = linear_fit(millions, [t["memory", n] - start for n in fit])
        a_m, c_m = linear_fit(millions, [(m["memory", n] - base) / 2**20 for n in fit])
        lines += [
            f"- In memory, {fit[0]:,} to {fit[-1]:,} draws: time less start-up ∝ "
            f"draws^**{b_time:.2f}**, peak above start-up ∝ draws^**{b_peak:.2f}** "
            "(log-log least squares: below 1 where a fixed cost still dominates).",
            f"- At the large end ({lo:,} → {hi:,}): **{per_m:.2f} s** and **{mib_m:,.0f} MiB** "
            "per further 1e6 draws.",
            f"- Straight line (least squares, draws in millions M): time ≈ {start:.2f} s "
            f"start-up + {a_t:.2f} s + **{c_t:.2f} s × M**; peak ≈ {_mib(base)} MiB + "
            f"{a_m:,.0f} MiB + **{c_m:,.0f} MiB × M**.",
        ]
    for how, n in (key for key in rows if key[0] != "memory"):
        lines.append(
            f"- {n:,} draws ({how}): {(t[how, n] - start) / (n / 1e6):.2f} s per 1e6 draws, "
            f"peak {_mib(m[how, n])} MiB whatever the draws (bounded: chunks in flight)."
        )

    lines += [
        "",
        f"Uncertain inputs, {input_draws:,} draws, no plots: job.toml's "
        f"{WHOLE_RUN_UNCERTAIN} whole-run uncertain inputs, the rest in `[[phases]]` of "
        f"{len(PER_PHASE)} uncertain inputs each ({', '.join(PER_PHASE)}; job.toml's "
        "distributions, tokens ±10% of the phase's share), generated by "
        "`benchmarks/scale.py` (`scenario_toml`) and checked with `python -m simulate "
        "validate`.",
        "",
        "| uncertain inputs | phases | median s | less start-up s "
        "| s per input per 1e6 draws | peak MiB | MiB per 1e6 draws |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    millions = input_draws / 1e6
    for k in counts:
        less = t["inputs", k] - start
        lines.append(
            f"| {k} | {len(phase_plan(k))} | {t['inputs', k]:.2f} | {less:.2f} "
            f"| {less / k / millions:.3f} | {_mib(m['inputs', k])} "
            f"| {(m['inputs', k] - base) / 2**20 / millions:,.0f} |"
        )
    if len(counts) >= 2:
        a, b = linear_fit(counts, [(t["inputs", k] - start) / millions for k in counts])
        am, bm = linear_fit(counts, [(m["inputs", k] - base) / 2**20 / millions for k in counts])
        b_in = loglog_slope(counts, [t["inputs", k] - start for k in counts])
        lines += [
            "",
            "Slopes (the inputs):",
            "",
            f"- Time less start-up per 1e6 draws ≈ {a:.2f} + **{b:.3f} s per input** "
            f"(least squares over {', '.join(map(str, counts))}); ∝ inputs^**{b_in:.2f}** "
            "(log-log).",
            f"- Peak above start-up per 1e6 draws ≈ {am:,.0f} + **{bm:,.1f} MiB per input**.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6,1e7", help="draws in memory")
    parser.add_argument("--chunked", default="1e8", help="draws in chunks (threads)")
    parser.add_argument("--chunk-draws", type=float, default=1e6)
    parser.add_argument("--plots-max", type=float, default=1e6, help="also with plots up to")
    parser.add_argument("--inputs", default="5,20,80", help="uncertain inputs")
    parser.add_argument("--input-draws", type=float, default=1e6)
    parser.add_argument("--billion", action="store_true", help="also 1e9 draws on dask")
    parser.add_argument("--billion-draws", type=float, default=1e9, help="its draws")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--render", action="store_true", help=f"measure nothing: re-render {RAW.name}"
    )
    args = parser.parse_args()
    if args.render:
        data = json.loads(RAW.read_text())
    else:
        data = sitting(args)
        if not args.no_write:
            RAW.parent.mkdir(exist_ok=True)
            RAW.write_text(json.dumps(data, indent=1) + "\n")
    text = render_scale(data)
    print(text)
    if not args.no_write:
        path = render.write_piece("scale", text)
        print(f"wrote {path.relative_to(ROOT)} and benchmarks/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
