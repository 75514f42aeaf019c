"""The figures a report holds: which plots, of what, under which file names.

:func:`report_figures` turns a run (the Dataset) and its sensitivity section into PNG
bytes keyed by file name; the report writes them. The strongest driver of an output is
the uncertain input with the largest absolute Spearman rank correlation with it, as
:mod:`simulate.analysis.sensitivity` ranks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from ..analysis.risk import RiskTarget
from ..analysis.sensitivity import within_noise
from ..model.chain import HEADLINE_OUTPUTS

__all__ = [
    "FIGURE_OUTPUTS",
    "caption",
    "compare_figures",
    "report_figures",
]

#: The outputs the report draws (their role in :data:`simulate.model.chain.OUTPUT_ROLES`).
FIGURE_OUTPUTS: tuple[str, ...] = HEADLINE_OUTPUTS


def _mark(targets: Sequence[RiskTarget], output: str) -> dict[str, Any]:
    """The threshold line of ``output``'s figures: its first risk target, if any."""
    target = next((t for t in targets if t.node == output), None)
    if target is None:
        return {"threshold": None, "threshold_label": "the threshold"}
    return {"threshold": target.threshold, "threshold_label": target.label}


_KINDS = {
    "distribution": "distribution of {output} (density), {marks} and {threshold} marked",
    "exceedance": "probability of exceeding each value of {output} (1 - ECDF)",
    "driver": "{output} against its strongest driver (largest |Spearman|)",
    "tornado": "tornado: {output} with each input at its low and high",
    "rank_correlations": "rank correlations of each uncertain input with {output}",
    "risk_drivers": "{output}: the top drivers' distributions (ECDF) among the draws that "
    "miss and those that meet it",
    "compare": "{output} across scenarios ({marks}), common random numbers",
}

#: Most inputs a risk-driver chart shows (those above the noise line, in rank order).
RISK_DRIVER_PANELS = 3


def caption(
    file_name: str, targets: Sequence[RiskTarget] = (), percentiles: Sequence[float] = (5, 50, 95)
) -> str:
    """A figure's caption from its file name, e.g. ``train_days_exceedance.png``, naming
    the risk threshold marked on it (the output's first target in ``targets``) and the
    scenario's ``percentiles`` marked (``P10/P50/P90``)."""
    stem = file_name.removesuffix(".png")
    marks = "/".join(f"P{q:g}" for q in percentiles)
    for kind, text in _KINDS.items():
        if stem.endswith(f"_{kind}"):
            output = stem.removesuffix(f"_{kind}")
            label = _mark(targets, output)["threshold_label"]
            return text.format(output=output, threshold=label, marks=marks)
    return stem.replace("_", " ")


def _sensitivity_rows(
    section: Mapping[str, Any] | None, output: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tornado rows, rank-correlation rows) of ``output``, as the plot functions take them,
    from a report's sensitivity section (:func:`simulate.analysis.sensitivity.analyze`)."""
    if not section:
        return [], []
    ranks = section["rank_correlation"]["outputs"].get(output, {}).get("inputs", [])
    bars = section["tornado"]["outputs"].get(output, {})
    tornado = [  # only inputs that move the output: no empty bars
        {
            "input": row["input"],
            "low": row["output_at_input_low"],
            "high": row["output_at_input_high"],
            "base": bars["base"],
        }
        for row in bars.get("inputs", [])
        if not within_noise("tornado", row)
    ]
    correlations = [  # only correlations distinguishable from 0 (interval excludes it)
        {"input": row["input"], "spearman": row["spearman"]["value"]}
        for row in ranks
        if row["spearman"]["value"] is not None and not within_noise("rank_correlation", row)
    ]
    return tornado, correlations


def report_figures(
    ds: xr.Dataset,
    *,
    sensitivity: Mapping[str, Any] | None = None,
    targets: Sequence[RiskTarget] = (),
    percentiles: Sequence[float] = (5, 50, 95),
) -> dict[str, bytes]:
    """PNG bytes by file name, in display order: per output its distribution (the
    scenario's ``percentiles`` marked) and
    exceedance curve, then per output the scatter of its strongest driver (largest
    |Spearman ρ|), its tornado and its rank-correlation chart, from the run's
    ``sensitivity`` section. Constant outputs (every input fixed) get none. An output's
    first risk target in ``targets`` is marked on its distribution and exceedance curve.
    Last, per ranked risk target, its top drivers' ECDFs among misses and hits
    (``<target key>_risk_drivers.png``).
    """
    from . import plots

    images: dict[str, bytes] = {}

    def keep(file_name: str, figure: Any) -> None:
        images[file_name] = plots.figure_png(figure)

    drawn = [o for o in FIGURE_OUTPUTS if o in ds and not ds[o].attrs.get("constant")]
    for output in drawn:  # a constant has nothing to plot: the tables give its value
        units = ds[output].attrs.get("units", "")
        marks = _mark(targets, output)
        values = ds[output].values
        keep(
            f"{output}_distribution.png",
            plots.plot_distribution(
                values, name=output, units=units, percentiles=percentiles, **marks
            ),
        )
        keep(
            f"{output}_exceedance.png",
            plots.plot_exceedance(values, name=output, units=units, **marks),
        )
    for output in drawn:
        units, values = ds[output].attrs.get("units", ""), ds[output].values
        tornado, correlations = _sensitivity_rows(sensitivity, output)
        if correlations:
            driver = max(correlations, key=lambda row: abs(row["spearman"]))
            name = driver["input"]
            keep(
                f"{output}_driver.png",
                plots.plot_driver_scatter(
                    ds[name].values,
                    values,
                    x_name=name,
                    x_units=ds[name].attrs.get("units", ""),
                    y_name=output,
                    y_units=units,
                    spearman=driver["spearman"],
                ),
            )
            keep(
                f"{output}_rank_correlations.png",
                plots.plot_rank_correlations(correlations, output=output),
            )
        if tornado:
            keep(
                f"{output}_tornado.png",
                plots.plot_tornado(tornado, output=output, units=units),
            )
    _risk_driver_figures(ds, sensitivity, targets, keep)
    return images


def _risk_driver_figures(
    ds: xr.Dataset,
    sensitivity: Mapping[str, Any] | None,
    targets: Sequence[RiskTarget],
    keep: Any,
) -> None:
    from . import plots

    drivers = (sensitivity or {}).get("risk_drivers", {}).get("outputs", {})
    for target in targets:
        entry = drivers.get(target.key)
        if not entry or not entry["ranked"] or target.node not in ds:
            continue
        rows = [row for row in entry["inputs"] if not row["within_noise"]]
        rows = rows[:RISK_DRIVER_PANELS]
        if not rows:
            continue
        miss = target.misses(ds[target.node].values)
        panels = [
            {
                "input": row["input"],
                "units": ds[row["input"]].attrs.get("units", ""),
                "values": ds[row["input"]].values,
                "miss": miss,
                "ks_distance": row["ks_distance"],
            }
            for row in rows
            if row["input"] in ds
        ]
        if panels:
            keep(f"{target.key}_risk_drivers.png", plots.plot_miss_ecdfs(panels, target=target.key))


def compare_figures(
    datasets: Mapping[str, xr.Dataset],
    targets: Mapping[str, Sequence[RiskTarget]],
    percentiles: Sequence[float] = (5, 50, 95),
) -> dict[str, bytes]:
    """Side-by-side distributions of each drawn output across scenarios (by scenario name);
    ``targets``: each scenario's risk targets; ``percentiles``: the bar's ends and dot."""
    from . import plots

    images: dict[str, bytes] = {}
    first = next(iter(datasets.values()))
    for output in FIGURE_OUTPUTS:
        present = {name: ds for name, ds in datasets.items() if output in ds}
        if not present:
            continue
        # the threshold is drawn where the scenarios that give one agree on it
        marks = {
            (m["threshold"], m["threshold_label"])
            for name in present
            if (m := _mark(targets.get(name, ()), output))["threshold"] is not None
        }
        threshold, threshold_label = marks.pop() if len(marks) == 1 else (None, "")
        figure = plots.plot_compare(
            {name: ds[output].values for name, ds in present.items()},
            name=output,
            units=first[output].attrs.get("units", "") if output in first else "",
            threshold=threshold,
            threshold_label=threshold_label,
            percentiles=percentiles,
        )
        images[f"{output}_compare.png"] = plots.figure_png(figure)
    return images
