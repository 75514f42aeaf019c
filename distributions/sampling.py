"""Sampling designs: uniforms in (0, 1) for named inputs, then inverse transform.

One code path for every method: a design gives each uncertain input a column of
uniforms, and each input's ``ppf`` turns its column into values.

* ``random``: one independent stream per input, ``PCG64(SeedSequence(seed,
  spawn_key=stable_key(name)))``. Keyed by the input's *name*, not its position,
  so adding an input leaves the other inputs' draws unchanged. Draw ``j`` is the
  stream advanced by ``j`` (each double consumes one 64-bit output), so any range
  of draws can be regenerated exactly with ``start=j``.
* ``lhs``: :class:`scipy.stats.qmc.LatinHypercube`, scrambled (McKay et al. 1979).
* ``sobol``: :class:`scipy.stats.qmc.Sobol`, scrambled (Owen 1998); the design's
  columns follow the sorted input names.

With ``correlations`` (Spearman, see :mod:`distributions.dependence`) the named
columns of the design are then correlated through a Gaussian copula; without
them the uniforms are exactly those of the independent design.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from scipy.stats import qmc

from .dependence import Correlations, apply_copula, as_correlations
from .families import Distribution

__all__ = [
    "METHODS",
    "U_MAX",
    "U_MIN",
    "Method",
    "reachable_range",
    "sample",
    "stable_key",
    "uniforms",
]

Method = Literal["random", "lhs", "sobol"]
METHODS: tuple[str, ...] = ("random", "lhs", "sobol")

#: Smallest uniform handed to a ppf: keeps unbounded families finite at u = 0.
U_MIN = 2.0**-54
#: Largest uniform any design yields: the largest double below 1 (``Generator.random``'s maximum).
U_MAX = 1.0 - 2.0**-53


def stable_key(name: str) -> tuple[int, ...]:
    """A spawn key from the SHA-256 of ``name``: four 32-bit words, stable across runs."""
    digest = hashlib.sha256(name.encode()).digest()[:16]
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def _stream(seed: int, name: str) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=stable_key(name)))
    )


def uniforms(
    names: Sequence[str],
    n_draws: int,
    *,
    method: Method = "random",
    seed: int = 0,
    start: int = 0,
    correlations: Correlations | Any | None = None,
) -> dict[str, np.ndarray]:
    """Uniforms in (0, 1), one array of ``n_draws`` per name, draws ``start`` onwards.

    ``correlations``: Spearman correlations between some of ``names`` (a
    :class:`~distributions.dependence.Correlations`, or what
    :func:`~distributions.dependence.as_correlations` accepts), applied through a
    Gaussian copula after the design is drawn.
    """
    if method not in METHODS:
        raise ValueError(f"unknown sampling method {method!r}; known: {', '.join(METHODS)}")
    names = list(names)
    if method == "random":
        out = {}
        for name in names:
            generator = _stream(seed, name)
            if start:
                generator.bit_generator.advance(start)
            out[name] = generator.random(n_draws)
    else:
        ordered = sorted(names)
        design = _qmc_design(len(ordered), n_draws + start, method=method, seed=seed)[start:]
        out = {name: np.ascontiguousarray(design[:, i]) for i, name in enumerate(ordered)}
    if correlations is not None:
        out = apply_copula(out, as_correlations(correlations))
        for column in out.values():
            np.clip(column, U_MIN, U_MAX, out=column)
    else:
        for column in out.values():
            np.maximum(column, U_MIN, out=column)
    return out


def _qmc_design(dimensions: int, n_draws: int, *, method: Method, seed: int) -> np.ndarray:
    if dimensions == 0:
        return np.empty((n_draws, 0))
    rng = _stream(seed, f"design:{method}")
    if method == "lhs":
        return qmc.LatinHypercube(d=dimensions, scramble=True, rng=rng).random(n_draws)
    with warnings.catch_warnings():
        # Sobol' balance is best at powers of two; other sizes are still valid draws.
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        return qmc.Sobol(d=dimensions, scramble=True, rng=rng).random(n_draws)


def reachable_range(spec: Distribution) -> tuple[float, float]:
    """The smallest and largest value any draw of ``spec`` can take: ppf at U_MIN and U_MAX."""
    low, high = spec.ppf(np.array([U_MIN, U_MAX]))
    return float(low), float(high)


def sample(
    specs: Mapping[str, Distribution],
    n_draws: int,
    *,
    method: Method = "random",
    seed: int = 0,
    start: int = 0,
    correlations: Correlations | Any | None = None,
) -> dict[str, np.ndarray]:
    """Draw every uncertain spec by inverse transform; fixed specs are left out.

    ``correlations`` (Spearman, between uncertain inputs only) as in :func:`uniforms`.
    """
    uncertain = [name for name, spec in specs.items() if not spec.is_fixed]
    if correlations is not None:
        correlations = as_correlations(correlations)
        correlations.check_inputs(specs)
    u = uniforms(
        uncertain, n_draws, method=method, seed=seed, start=start, correlations=correlations
    )
    return {name: np.asarray(specs[name].ppf(u[name]), dtype=float) for name in uncertain}
