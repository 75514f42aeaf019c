"""How a backtest reads: report.md, runs.csv and the calibration figure.

Pure functions of :func:`simulate.workflows.backtest.backtest`'s result; the figure is returned,
never saved (only :mod:`simulate.report.folder` writes files). matplotlib is imported lazily,
on the Agg backend.
"""

from __future__ import annotations

import csv
import io
from typing import Any

__all__ = [
    "backtest_terminal_lines",
    "calibration_figure",
    "out_of_sample_lines",
    "render_backtest_csv",
    "render_backtest_markdown",
]


def _num(x: float | None) -> str:
    from .units import format_number as number

    return "" if x is None else number(x)


def _coverage_line(name: str, entry: dict[str, Any], interval: list[float]) -> str:
    if not entry["runs"]:
        return f"- {name}: no runs to check"
    low, high = entry["ci95"]
    return (
        f"- {name}: the P{interval[0]:g}-P{interval[1]:g} interval covers "
        f"{entry['covered']} of {entry['runs']} runs = {100 * entry['coverage']:.0f}% "
        f"(95% CI {100 * low:.0f}% to {100 * high:.0f}%, Wilson); nominal "
        f"{interval[1] - interval[0]:g}%"
    )


def _score_row(name: str, block: dict[str, Any]) -> str:
    cov, pit = block["coverage"], block["pit"]
    if not cov["runs"]:
        return f"| {name} | 0 | | | | |"
    low, high = cov["ci95"]
    mean = pit["mean"]
    mean_text = (
        f"{mean['value']:.2f} ({mean['low']:.2f} to {mean['high']:.2f})"
        if mean.get("low") is not None
        else f"{mean['value']:.2f}"
    )
    return (
        f"| {name} | {cov['runs']} | {cov['covered']} = {100 * cov['coverage']:.0f}% "
        f"({100 * low:.0f}% to {100 * high:.0f}%) | {mean_text} | "
        f"{pit['ks']['p_value']:.3g} | {block['interval_score_log10']['mean']:.3f} | "
        f"{' '.join(str(c) for c in pit['histogram'])} |"
    )


def out_of_sample_lines(result: dict[str, Any]) -> list[str]:
    """The scores table (leave-one-out and date split) and the verdicts, in Markdown."""
    low, high = result["interval"]
    loo, split = result["leave_one_out"], result.get("date_split")
    lines = [
        "## Out of sample (GPU-hours)",
        "",
        f"| prediction | runs | inside P{low:g}-P{high:g} (95% Wilson CI) | mean PIT (95% CI) "
        "| KS p (PIT ~ U(0,1)) | interval score, log10 | PIT histogram (10 bins, 0 to 1) |",
        "|---|---:|---:|---:|---:|---:|---|",
        _score_row("leave-one-out", loo),
    ]
    if split:
        lines.append(_score_row(f"date split ({split['split_date']})", split))
    lines += [
        "",
        f"Nominal coverage {high - low:g}%; a calibrated model has mean PIT 0.50 and a flat "
        "histogram. Interval score: Gneiting & Raftery (2007) eq. 43 on log10 GPU-hours, "
        f"alpha = {loo['interval_score_log10']['alpha']:.2f} (width in decades plus "
        "2/alpha times each miss's distance; lower is better).",
        "",
        f"- Leave-one-out: {loo['verdict']}",
    ]
    if split:
        lines.append(
            f"- Date split: {split['rule']} ({len(split['runs'])} tested: "
            f"{', '.join(split['runs'])}). {split['verdict']}"
        )
    return lines + [""]


def backtest_terminal_lines(result: dict[str, Any]) -> list[str]:
    """The out-of-sample scores for the terminal: one line per prediction, then verdicts."""
    lines = []
    blocks = [("leave-one-out", result["leave_one_out"])]
    if result.get("date_split"):
        split = result["date_split"]
        blocks.append((f"date split at {split['split_date']}", split))
    for name, block in blocks:
        cov, pit = block["coverage"], block["pit"]
        if not cov["runs"]:
            lines.append(f"{name}: no runs to test")
            continue
        mean = pit["mean"]
        ci = (
            f" (95% CI {mean['low']:.2f} to {mean['high']:.2f})"
            if mean.get("low") is not None
            else ""
        )
        lines.append(
            f"{name}: {cov['covered']} of {cov['runs']} covered = {100 * cov['coverage']:.0f}% "
            f"(Wilson 95% CI {100 * cov['ci95'][0]:.0f}% to {100 * cov['ci95'][1]:.0f}%); "
            f"mean PIT {mean['value']:.2f}{ci}; KS p = {pit['ks']['p_value']:.3g}; "
            f"interval score {block['interval_score_log10']['mean']:.3f} (log10 GPU-hours)"
        )
    lines.append(result["leave_one_out"]["verdict"])
    return lines


def render_backtest_markdown(result: dict[str, Any]) -> str:
    """The human report: out-of-sample scores first, then per-run rows, unusable rows, priors."""
    interval, cov = result["interval"], result["coverage"]
    keys = list(result["runs"][0]["gpu_hours"]["predicted"]) if result["runs"] else []
    lines = [f"# Backtest: {result['runs_file']}", ""]
    if "leave_one_out" in result:
        lines += out_of_sample_lines(result)
    lines += ["## Coverage (leave-one-out)", ""]
    lines.append(_coverage_line("GPU-hours", cov["gpu_hours"], interval))
    lines.append(
        _coverage_line("days (runs with a count and reported days)", cov["train_days"], interval)
    )
    lines += ["", "![calibration](calibration.png)", ""]
    for quantity, label in (("gpu_hours", "GPU-hours"), ("train_days", "Days")):
        rows = [r for r in result["runs"] if quantity in r]
        if not rows:
            continue
        scope = " (each run from priors that leave it out)" if quantity == "gpu_hours" else ""
        lines += [
            f"## {label}{scope}",
            "",
            "| model | accelerator | "
            + " | ".join(k.upper() for k in keys)
            + " | reported | rank | covered | basis |",
            "|---|---|" + "---:|" * (len(keys) + 2) + "---|---|",
        ]
        for r in rows:
            e = r[quantity]
            basis = r["flop_basis"] + (
                "" if quantity == "train_days" else f"; {r['gpu_hours_basis']}"
            )
            lines.append(
                f"| {r['model']} | {r['accelerator']} ({r['precision']}) | "
                + " | ".join(_num(e["predicted"][k]) for k in keys)
                + f" | {_num(e['reported'])} | {e['percentile_rank']:.1f} | "
                f"{'yes' if e['covered'] else '**no**'} | {basis} |"
            )
        lines.append("")
    split = result.get("date_split")
    if split and split["predictions"]:
        lines += [
            f"## GPU-hours, date split ({split['rule']})",
            "",
            "| model | published | " + " | ".join(k.upper() for k in keys) + " | reported | rank |",
            "|---|---|" + "---:|" * (len(keys) + 2),
        ]
        for r in split["predictions"]:
            e = r["gpu_hours"]
            lines.append(
                f"| {r['model']} | {r['published']} | "
                + " | ".join(_num(e["predicted"][k]) for k in keys)
                + f" | {_num(e['reported'])} | {e['percentile_rank']:.1f} |"
            )
        lines += ["", f"Values the split's priors use: {', '.join(split['values_used'])}.", ""]
    if result["unusable"]:
        lines += ["## Rows not used", "", "| line | model | reason |", "|---:|---|---|"]
        lines += [f"| {u['line']} | {u['model']} | {u['reason']} |" for u in result["unusable"]]
        lines.append("")
    prov = result["priors"]
    lines += [
        "## Priors",
        "",
        f"From `{prov['path']}` (sha256 `{prov['config_hash'][:12]}`), "
        f"{prov['draws']:,} draws, method {prov['method']}, seed {prov['seed']}.",
        "",
        "| input | distribution | source |",
        "|---|---|---|",
    ]
    if prov.get("fit"):
        lines[-2:-2] = [
            f"Fitted by code from `{result.get('values_file')}` "
            f"({', '.join(f'{n}: {f}' for n, f in prov['fit'].items())}; beta by the method "
            "of moments, pert from the least value, median and greatest); below, the fit to "
            "the whole table. Each run's own priors leave out its values (its `fitted_priors` "
            "in summary.json).",
            "",
        ]
    lines += [f"| {n} | {v['distribution']} | {v['source']} |" for n, v in prov["inputs"].items()]
    return "\n".join(lines) + "\n"


def render_backtest_csv(result: dict[str, Any]) -> str:
    """One row per run and quantity: predicted percentiles, reported, rank, covered."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = list(result["runs"][0]["gpu_hours"]["predicted"]) if result["runs"] else []
    writer.writerow(
        ["model", "quantity", "accelerator", *keys, "reported", "percentile_rank", "covered"]
    )
    for r in result["runs"]:
        for quantity in ("gpu_hours", "train_days"):
            if quantity in r:
                e = r[quantity]
                writer.writerow(
                    [
                        r["model"],
                        quantity,
                        r["accelerator"],
                        *(repr(e["predicted"][k]) for k in keys),
                        repr(e["reported"]),
                        repr(e["percentile_rank"]),
                        e["covered"],
                    ]
                )
    return buffer.getvalue()


def calibration_figure(result: dict[str, Any]) -> Any:
    """Left: observed share inside each central interval against its nominal level.
    Right: each run's predicted interval (log scale) and its reported GPU-hours."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415 (plotting is optional at import)

    runs = result["runs"]
    fig = Figure(figsize=(12, max(4.0, 0.3 * len(runs) + 1.5)), layout="constrained")
    FigureCanvasAgg(fig)  # drawn on Agg directly: pyplot's backend is left as it is
    left, right = fig.subplots(1, 2)
    nominal = [0.0] + [c["nominal"] for c in result["calibration"]] + [1.0]
    observed = [0.0] + [c["observed"] for c in result["calibration"]] + [1.0]
    left.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    left.plot(nominal, observed, marker="o", label=f"{len(runs)} runs")
    left.set(
        xlabel="nominal central interval", ylabel="share of runs inside", xlim=(0, 1), ylim=(0, 1)
    )
    left.set_title("Calibration (GPU-hours)")
    left.legend(loc="upper left")
    for i, r in enumerate(runs):
        e = r["gpu_hours"]
        low, *_, high = e["predicted"].values()
        mid = e["predicted"].get("p50")
        right.plot([low, high], [i, i], color="tab:blue", linewidth=3, alpha=0.6)
        if mid is not None:
            right.plot([mid], [i], marker="|", color="tab:blue", markersize=10)
        right.plot(
            [e["reported"]],
            [i],
            marker="o" if e["covered"] else "x",
            color="black" if e["covered"] else "tab:red",
        )
    right.set_yticks(range(len(runs)), [r["model"] for r in runs])
    right.invert_yaxis()
    right.set_xscale("log")
    right.set(xlabel="GPU-hours (bar: predicted interval; dot: reported, x: outside)")
    right.set_title("Predicted and reported")
    return fig
