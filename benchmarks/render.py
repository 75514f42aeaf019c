"""``benchmarks/RESULTS.md``: sections each written by its own script, composed here.

Each benchmark script writes its section (a *piece*) to ``benchmarks/results/NAME.md``:

========== ===================================================================
piece      written by
========== ===================================================================
bench      ``bench.py`` (from ``results.json``): side by side, start-up
billion    ``bench.py --billion`` (from ``billion.json``): 1e9 draws on dask
targets    ``report_targets.py``: issue 16's targets for the whole report
scale      ``scale.py``: cost as the work grows (draws, uncertain inputs)
solve      ``bench_solve.py``: goal seek and sweeps
draws      ``bench_draws.py``: draws.nc
========== ===================================================================

and ``RESULTS.md`` is the pieces in that order (any other piece after them, by name).
``python benchmarks/render.py`` recomposes it without measuring anything;
``--from-json`` also rewrites the bench and billion pieces from their JSON files.
A script that prints its section calls :func:`record` once its arguments are parsed:
what it prints from then on is kept and, if it ends without an uncaught exception,
written as its piece under a line saying the command, the machine, its load, the code's
commit and the date (:func:`provenance`). ``scale.py`` writes its piece itself.
"""

from __future__ import annotations

import argparse
import atexit
import io
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PIECES = HERE / "results"
#: The pieces, in the order RESULTS.md shows them.
ORDER = ("bench", "billion", "targets", "scale", "solve", "draws")
PACKAGES = ("numpy", "scipy", "xarray", "dask", "distributed")

API = "llm-cost-mc API"
API1 = "llm-cost-mc API, 1 thread"
FLOOR = "floor (numpy, 1 thread)"


def _mib(x: float) -> str:
    return f"{x / 2**20:,.0f}"


def _machine(m: dict) -> list[str]:
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return [
        f"- Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB, shared with other "
        f"work; {m['platform']}; Python {m['python']}; measured {m['date']}",
        f"- Packages: {packages}",
    ]


def _targets(rows: dict) -> list[str]:
    lines = []
    for n in ("1000000", "10000000"):
        if n in rows:
            for label in (API, API1):
                ratio = rows[n][label]["time_vs_floor"]
                ok = "met" if ratio <= 1.5 else "NOT met"
                lines.append(
                    f"- {label} at {int(n):,} draws: {ratio:.2f}× the floor's time "
                    f"({ok}; target ≤ 1.5×)"
                )
    for tool, target in (("monaco", 50), ("OpenTURNS", 3)):
        for n, row in rows.items():
            if tool in row:
                ratio = row[API]["draws_per_s"] / row[tool]["draws_per_s"]
                ok = "met" if ratio >= target else "NOT met"
                lines.append(
                    f"- {API} vs {tool} at {int(n):,} draws: {ratio:.1f}× its draws per second "
                    f"({ok}; target ≥ {target}×)"
                )
    if "10000000" in rows:
        ratio = rows["10000000"][API]["peak_vs_floor"]
        ok = "met" if ratio <= 2 else "NOT met"
        lines.append(
            f"- {API} peak memory at 10,000,000 draws: {ratio:.2f}× the floor's ({ok}; target ≤ 2×)"
        )
    return lines


def _table(rows: dict) -> list[str]:
    lines = [
        "| draws | case | median s | draws/s | time / floor | peak MiB | peak / floor "
        "| same numbers as floor |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for n, row in rows.items():
        for label, e in row.items():
            peak = _mib(e["peak_bytes"]) if "peak_bytes" in e else ""
            peak_ratio = f"{e['peak_vs_floor']:.2f}" if "peak_vs_floor" in e else ""
            same = {True: "bit for bit", False: "NO"}.get(e.get("same_results_as_floor"), "")
            lines.append(
                f"| {int(n):,} | {label} | {e['seconds']:.3f} | {e['draws_per_s']:,.0f} "
                f"| {e['time_vs_floor']:.2f} | {peak} | {peak_ratio} | {same} |"
            )
    return lines


JOB = (
    "The job: `benchmarks/job.toml` (the default scenario as the issue set it: seven uncertain "
    "inputs, the H100's price and rental rate from the catalog among them, through the "
    "article's chain): draw every input, compute every node, "
    "P5/P50/P95 and mean of every node, rank correlation of the uncertain inputs "
    "against train_days and tco_usd. See `docs/performance.md` for what each case does."
)


def render_bench(data: dict) -> str:
    """The bench piece from ``results.json`` (``bench.py``)."""
    lines = ["## Side by side", "", JOB, ""]
    lines += _machine(data["machine"])
    lines += [
        f"- Command: `nice python benchmarks/bench.py --repeats {data['repeats']}`; "
        f"medians of {data['repeats']} runs, tools interleaved; ratios to the floor of "
        "the same sitting. Peak: rise of the resident set during the run (MiB).",
        "",
    ]
    for note in data["notes"]:
        lines.append(f"- {note}")
    lines.append("")
    lines += _table(data["rows"])
    lines += ["", "### Targets", ""] + _targets(data["rows"]) + [""]
    s = data["startup"]
    lines += [
        "## Start-up",
        "",
        f"- `python -m simulate --help`: median {s['help_median_s']:.3f} s over "
        f"{s['help_runs']} runs (interpreter included).",
        "- Largest cumulative imports (`python -X importtime -m simulate --help`, µs): "
        + ", ".join(f"{name} {us:,}" for name, us in s["importtime_top_us"]),
        f"- Heavy packages imported by --help: {s['heavy_imported'] or 'none'}.",
        "",
    ]
    return "\n".join(lines)


def render_billion(b: dict) -> str:
    """The billion piece from ``billion.json`` (``bench.py --billion``)."""
    lines = [
        "## 1e9 draws on dask.distributed",
        "",
        *_machine(b["machine"]),
        f"- Command: `nice python benchmarks/bench.py --billion --draws {b['draws']:.0e} "
        f"--chunk-draws {b['chunk_draws']:.0e} --workers {b['workers']}` (local cluster, "
        "one single-threaded worker process per CPU)",
        f"- {b['draws']:,} draws in {b['chunks']:,} chunks of {b['chunk_draws']:,}: "
        f"**{b['seconds']:,.0f} s** ({b['draws'] / b['seconds']:,.0f} draws/s), both "
        "passes (pass 2 regenerates every draw).",
        f"- Peak resident memory of the client, scheduler and workers together (sampled "
        f"every 0.5 s): **{_mib(b['peak_tree_rss_bytes'])} MiB**.",
        *(
            f"- {name}: " + ", ".join(f"{k} {v:,.6g}" for k, v in b[name].items())
            for name in ("train_days", "tco_usd")
        ),
        "- Risk: " + ", ".join(f"P({k}) = {v:.6g}" for k, v in b["risk"].items()),
        f"- Rank correlation (sketch; bound on its error {b['rank_error_bound']:.2g}):",
        *(
            f"  - {output}: " + ", ".join(f"{k} {v:+.4f}" for k, v in rhos.items())
            for output, rhos in b["rank_correlation"].items()
        ),
        "",
    ]
    return "\n".join(lines)


def pieces_from_json(folder: Path | None = None) -> list[str]:
    """Rewrite the bench and billion pieces from the JSON files present; their names."""
    written = []
    for name, file, render in (
        ("bench", "results.json", render_bench),
        ("billion", "billion.json", render_billion),
    ):
        path = (folder or HERE) / file
        if path.exists():
            write_piece(name, render(json.loads(path.read_text())), recompose=False)
            written.append(name)
    return written


def compose(pieces: Path | None = None) -> str:
    """RESULTS.md: a heading, then every piece present (in :data:`PIECES` unless given),
    in :data:`ORDER`, then the rest by name."""
    found = {p.stem: p for p in sorted((pieces or PIECES).glob("*.md"))}
    names = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    lines = [
        "# Benchmark results",
        "",
        "Composed by `python benchmarks/render.py` from `benchmarks/results/*.md`, each "
        "section written by the script it names (do not edit by hand: re-run that script). "
        "See `docs/performance.md` for what each case does.",
        "",
        "",
    ]
    return "\n".join(lines) + "\n\n".join(found[n].read_text().strip() for n in names) + "\n"


def write_piece(name: str, text: str, *, recompose: bool = True) -> Path:
    """Write ``results/NAME.md`` and (unless ``recompose=False``) recompose RESULTS.md."""
    PIECES.mkdir(exist_ok=True)
    path = PIECES / f"{name}.md"
    path.write_text(text.strip() + "\n")
    if recompose:
        (HERE / "RESULTS.md").write_text(compose())
    return path


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def provenance(command: str | None = None) -> str:
    """One line: the command, the machine, its load now, the packages, the commit, the date."""
    if command is None:
        script = Path(sys.argv[0]).resolve()
        shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
        command = shlex.join(["python", str(shown), *sys.argv[1:]])
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        platform.processor() or platform.machine(),
    )
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"- Command: `{command}`; {cpu}, {os.cpu_count()} CPUs, shared with other work "
        f"(load average {load} over 1, 5, 15 min); Python {platform.python_version()}, "
        f"{', '.join(versions)}; commit {commit}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


class _Tee(io.TextIOBase):
    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream, self.kept = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def record(name: str, title: str, *, fenced: bool = False) -> None:
    """Keep what this script prints from now on; at its exit without an uncaught exception
    (call it after parsing the arguments: ``--help`` exits through here too), write it
    as the piece ``name`` under ``## title`` and the :func:`provenance` line (taken now,
    at the start), in a code block if ``fenced`` (plain text, not Markdown)."""
    header = f"## {title}\n\n{provenance()}\n\n"
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    failed = []
    hook = sys.excepthook

    def excepthook(*exc: object) -> None:
        failed.append(exc)
        hook(*exc)  # type: ignore[arg-type]

    sys.excepthook = excepthook

    def done() -> None:
        sys.stdout = tee.stream
        if failed:
            return
        body = tee.kept.getvalue().strip()
        path = write_piece(name, header + (f"```text\n{body}\n```" if fenced else body))
        print(f"wrote {path} and {HERE / 'RESULTS.md'}")

    atexit.register(done)


def main() -> None:
    parser = argparse.ArgumentParser(description="Recompose benchmarks/RESULTS.md.")
    parser.add_argument(
        "--from-json",
        action="store_true",
        help="also rewrite the bench and billion pieces from results.json and billion.json",
    )
    args = parser.parse_args()
    if args.from_json:
        pieces_from_json()
    (HERE / "RESULTS.md").write_text(compose())
    print(f"wrote {(HERE / 'RESULTS.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
