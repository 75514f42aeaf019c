"""The figures a report holds: which plots, of what, under which file names.

:func:`report_figures` turns a run (the Dataset) and its summary into PNG bytes keyed by
file name; the report writes them. The strongest driver of an output is the uncertain
input with the largest absolute Spearman rank correlation with it (Spearman 1904;
computed as :func:`scipy.stats.spearmanr` does, the test checks them equal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "FIGURE_OUTPUTS",
    "caption",
    "compare_figures",
    "report_figures",
    "strongest_driver",
    "strongest_drivers",
    "uncertain_inputs",
]

#: The outputs the report draws, with the risk threshold that belongs to each.
FIGURE_OUTPUTS: dict[str, tuple[str, str]] = {
    "train_days": ("deadline_days", "deadline"),
    "tco_usd": ("budget_usd", "budget"),
}
_KINDS = {
    "distribution": "distribution of {output} (density), P5/P50/P95 and {threshold} marked",
    "exceedance": "probability of exceeding each value of {output} (1 - ECDF)",
    "driver": "{output} against its strongest driver (largest |Spearman|)",
    "tornado": "tornado: {output} with each input at its low and high",
    "rank_correlations": "rank correlations of each uncertain input with {output}",
    "compare": "{output} across scenarios, common random numbers",
}


def caption(file_name: str) -> str:
    """A figure's caption from its file name, e.g. ``train_days_exceedance.png``."""
    stem = file_name.removesuffix(".png")
    for kind, text in _KINDS.items():
        if stem.endswith(f"_{kind}"):
            output = stem.removesuffix(f"_{kind}")
            threshold = FIGURE_OUTPUTS.get(output, ("", "the threshold"))[1]
            return text.format(output=output, threshold=threshold)
    return stem.replace("_", " ")


def uncertain_inputs(ds: xr.Dataset) -> list[str]:
    """Variables the scenario gives as distributions (inputs or pinned nodes), in order."""
    return [
        str(name)
        for name, variable in ds.data_vars.items()
        if variable.attrs.get("kind") in ("input", "pinned") and not variable.attrs.get("constant")
    ]


def strongest_drivers(ds: xr.Dataset, outputs: Sequence[str]) -> dict[str, tuple[str, float]]:
    """Per output, (input, Spearman rho) of the uncertain input most rank-correlated with it.

    Spearman's rho is Pearson's correlation of the ranks (average ranks for ties), as
    :func:`scipy.stats.spearmanr` computes it; each variable is ranked once. Outputs
    that are constant, or have no uncertain input, are left out.
    """
    from scipy.stats import rankdata

    inputs = uncertain_inputs(ds)
    ranks: dict[str, np.ndarray] = {}

    def ranked(name: str) -> np.ndarray:
        if name not in ranks:
            ranks[name] = rankdata(ds[name].values)
        return ranks[name]

    drivers = {}
    for output in outputs:
        if output not in ds or ds[output].attrs.get("constant"):
            continue
        best: tuple[str, float] | None = None
        for name in inputs:
            if name == output:
                continue
            rho = float(np.corrcoef(ranked(name), ranked(output))[0, 1])
            if np.isfinite(rho) and (best is None or abs(rho) > abs(best[1])):
                best = (name, rho)
        if best is not None:
            drivers[output] = best
    return drivers


def strongest_driver(ds: xr.Dataset, output: str) -> tuple[str, float] | None:
    """(input, Spearman rho) of the uncertain input most rank-correlated with ``output``."""
    return strongest_drivers(ds, [output]).get(output)


def report_figures(
    ds: xr.Dataset,
    *,
    tornado: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    rank_correlations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> dict[str, bytes]:
    """PNG bytes by file name, in display order: per output its distribution and
    exceedance curve, then per output its driver scatter (and sensitivity charts).
    Constant outputs (every input fixed) get none.

    ``tornado`` and ``rank_correlations`` (rows by output name, as
    :func:`simulate.plots.plot_tornado` / :func:`~simulate.plots.plot_rank_correlations`
    take them) add those charts where sensitivity results are at hand.
    """
    from . import plots

    images: dict[str, bytes] = {}

    def keep(file_name: str, figure: Any) -> None:
        images[file_name] = plots.figure_png(figure)

    for output, (threshold_key, threshold_label) in FIGURE_OUTPUTS.items():
        if output not in ds or ds[output].attrs.get("constant"):
            continue  # a constant has nothing to plot: the tables give its value
        units = ds[output].attrs.get("units", "")
        threshold = ds.attrs.get(threshold_key)
        marks = {"threshold": threshold, "threshold_label": threshold_label}
        values = ds[output].values
        keep(
            f"{output}_distribution.png",
            plots.plot_distribution(values, name=output, units=units, **marks),
        )
        keep(
            f"{output}_exceedance.png",
            plots.plot_exceedance(values, name=output, units=units, **marks),
        )
    drivers = strongest_drivers(ds, list(FIGURE_OUTPUTS))
    for output in FIGURE_OUTPUTS:
        if output not in ds:
            continue
        units, values = ds[output].attrs.get("units", ""), ds[output].values
        driver = drivers.get(output)
        if driver is not None:
            name, rho = driver
            keep(
                f"{output}_driver.png",
                plots.plot_driver_scatter(
                    ds[name].values,
                    values,
                    x_name=name,
                    x_units=ds[name].attrs.get("units", ""),
                    y_name=output,
                    y_units=units,
                    spearman=rho,
                ),
            )
        if tornado and output in tornado:
            keep(
                f"{output}_tornado.png",
                plots.plot_tornado(tornado[output], output=output, units=units),
            )
        if rank_correlations and output in rank_correlations:
            keep(
                f"{output}_rank_correlations.png",
                plots.plot_rank_correlations(rank_correlations[output], output=output),
            )
    return images


def compare_figures(datasets: Mapping[str, xr.Dataset]) -> dict[str, bytes]:
    """Side-by-side distributions of each drawn output across scenarios (by scenario name)."""
    from . import plots

    images: dict[str, bytes] = {}
    first = next(iter(datasets.values()))
    for output, (threshold_key, threshold_label) in FIGURE_OUTPUTS.items():
        present = {name: ds for name, ds in datasets.items() if output in ds}
        if not present:
            continue
        # the threshold is drawn where the scenarios that give one agree on it
        thresholds = {
            ds.attrs[threshold_key] for ds in present.values() if threshold_key in ds.attrs
        }
        threshold = thresholds.pop() if len(thresholds) == 1 else None
        figure = plots.plot_compare(
            {name: ds[output].values for name, ds in present.items()},
            name=output,
            units=first[output].attrs.get("units", "") if output in first else "",
            threshold=threshold,
            threshold_label=threshold_label,
        )
        images[f"{output}_compare.png"] = plots.figure_png(figure)
    return images
