"""Sampling designs: uniforms in (0, 1) for named inputs, then inverse transform.

One code path for every method: a design gives each uncertain input a column of
uniforms in [U_MIN, U_MAX], inside (0, 1), and each input's quantile function
(``_ppf``: the public ``ppf`` without its domain checks, which these uniforms pass)
turns its column into values.

* ``random``: one independent stream per input, ``PCG64(SeedSequence(seed,
  spawn_key=stable_key(name)))``. Keyed by the input's *name*, not its position,
  so adding an input leaves the other inputs' draws unchanged. Draw ``j`` is the
  stream advanced by ``j`` (each double consumes one 64-bit output), so any range
  of draws can be regenerated exactly with ``start=j``.
* ``lhs``: :class:`scipy.stats.qmc.LatinHypercube`, scrambled (McKay et al. 1979).
* ``sobol``: :class:`scipy.stats.qmc.Sobol`, scrambled (Owen 1998); the design's
  columns follow the sorted input names; ``start`` fast-forwards the sequence, so
  draws can be generated in chunks (an LHS of ``n`` draws is one design: ``start``
  slices a design of ``start + n_draws`` draws).
* Both are :data:`QMC_REPLICATES` independent randomizations interleaved (draw ``i`` in
  replicate ``i % 16``), so a run's intervals come from the spread between replicates
  (:func:`simulate.analysis.intervals.replicate_interval`).

With ``correlations`` (Spearman, see :mod:`distributions.dependence`) the named
columns of the design are then correlated through a Gaussian copula; without
them the uniforms are exactly those of the independent design.

``sample(..., threads=k)`` splits each ppf over ``k`` threads (scipy's ufuncs release
the GIL); the ppf is elementwise, so the values are bit-identical to one thread's.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .base import U_MAX, U_MIN, DistributionError

if TYPE_CHECKING:  # scipy-heavy modules: imported where they are needed
    from .dependence import Correlations
    from .families import Distribution

__all__ = [
    "METHODS",
    "QMC_REPLICATES",
    "U_MAX",
    "U_MIN",
    "Method",
    "check_seed",
    "reachable_range",
    "replicate_of",
    "sample",
    "stable_key",
    "uniforms",
]

Method = Literal["random", "lhs", "sobol"]
METHODS: tuple[str, ...] = ("random", "lhs", "sobol")


def stable_key(name: str) -> tuple[int, ...]:
    """A spawn key from the SHA-256 of ``name``: four 32-bit words, stable across runs."""
    digest = hashlib.sha256(name.encode()).digest()[:16]
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


Seed = int | np.random.SeedSequence


def check_seed(seed: Any) -> Seed:
    """``seed`` if SPEC 7 allows it here: an int >= 0 or a ``SeedSequence``.

    A ``Generator`` (or ``BitGenerator``) is refused: draws are addressed by index
    (``start``) on one stream per input name, which needs the seed, not a stream.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator | np.random.BitGenerator):
        raise DistributionError(
            f"seed needs an int >= 0 or a numpy SeedSequence, not a {type(seed).__name__}: "
            "draws are addressed by index (one stream per input, advanced to start), which "
            f"a generator's state cannot give; got seed={seed!r}"
        )
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DistributionError(
            f"seed needs an int >= 0 or a numpy SeedSequence; got seed={seed!r}"
        )
    return int(seed)


def _stream(seed: Seed, name: str) -> np.random.Generator:
    """PCG64 on ``SeedSequence(seed, spawn_key=stable_key(name))``; a SeedSequence seed
    keeps its entropy and appends the name's key to its own spawn key."""
    if isinstance(seed, np.random.SeedSequence):
        sequence = np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, *stable_key(name)), pool_size=seed.pool_size
        )
    else:
        sequence = np.random.SeedSequence(seed, spawn_key=stable_key(name))
    return np.random.Generator(np.random.PCG64(sequence))


def _error(message: str) -> ValueError:
    from .families import DistributionError  # noqa: PLC0415 (scipy-heavy)

    return DistributionError(message)


def check_whole(function: str, name: str, value: Any, minimum: int) -> None:
    """Refuse ``value`` unless it is a whole number (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise _error(f"{function} needs {name} to be a whole number >= {minimum}; got {value!r}")


def uniforms(
    names: Sequence[str],
    n_draws: int,
    *,
    method: Method = "random",
    seed: Seed = 0,
    start: int = 0,
    correlations: Correlations | Any | None = None,
    threads: int = 1,
) -> dict[str, np.ndarray]:
    """Uniforms in (0, 1), one array of ``n_draws`` per name, draws ``start`` onwards.

    ``seed``: an int >= 0 or a ``SeedSequence`` (``SeedSequence(s)`` gives the draws of
    ``s``); anything else is a :class:`DistributionError`.

    ``correlations``: Spearman correlations between some of ``names`` (a
    :class:`~distributions.dependence.Correlations`, or what
    :func:`~distributions.dependence.as_correlations` accepts), applied through a
    Gaussian copula after the design is drawn.

    ``threads`` > 1 draws the names' streams (``"random"``) side by side (numpy's
    generators release the GIL; each name has its own stream, so the values are the same).
    """
    if method not in METHODS:
        raise _error(f"unknown sampling method {method!r}; known: {', '.join(METHODS)}")
    if isinstance(names, str | bytes) or not hasattr(names, "__iter__"):
        raise _error(f"uniforms needs names to be a list of names; got {names!r}")
    check_whole("uniforms", "n_draws", n_draws, 0)
    seed = check_seed(seed)
    check_whole("uniforms", "start", start, 0)
    check_whole("uniforms", "threads", threads, 1)
    names = list(names)
    if method == "random":

        def stream(name: str) -> np.ndarray:
            generator = _stream(seed, name)
            if start:
                generator.bit_generator.advance(start)
            return generator.random(n_draws)

        if threads > 1 and len(names) > 1 and n_draws >= 2 * _MIN_SPLIT:
            with ThreadPoolExecutor(min(threads, len(names))) as pool:
                out = dict(zip(names, pool.map(stream, names), strict=True))
        else:
            out = {name: stream(name) for name in names}
    else:
        ordered = sorted(names)
        design = _qmc_design(len(ordered), n_draws, method=method, seed=seed, start=start)
        out = {name: np.ascontiguousarray(design[:, i]) for i, name in enumerate(ordered)}
    if correlations is not None:
        from .dependence import apply_copula, as_correlations  # noqa: PLC0415

        out = apply_copula(out, as_correlations(correlations))
        for column in out.values():
            np.clip(column, U_MIN, U_MAX, out=column)
    else:
        for column in out.values():
            np.maximum(column, U_MIN, out=column)
    return out


#: Independent randomizations (replicates) of a ``lhs`` or ``sobol`` design: draw ``i``
#: belongs to replicate ``i % QMC_REPLICATES`` (its ``i // QMC_REPLICATES``-th point), so
#: any range of draws is addressable without knowing the total, and the spread of the
#: replicates' estimates gives an honest interval (Owen 2013, *Monte Carlo theory,
#: methods and examples*, ch. 17; L'Ecuyer 2018, "Randomized quasi-Monte Carlo: an
#: introduction for practitioners", MCQMC 2016). 16 keeps the t quantile near the normal
#: one (t_15 = 2.13 against 1.96) and each replicate a power of two for 2^k >= 16 draws.
QMC_REPLICATES = 16


def replicate_of(n_draws: int, replicates: int = QMC_REPLICATES) -> np.ndarray:
    """The replicate of each of draws 0 .. n_draws - 1 of a ``lhs`` or ``sobol`` design."""
    return np.arange(n_draws) % replicates


def _qmc_design(
    dimensions: int, n_draws: int, *, method: Method, seed: Seed, start: int = 0
) -> np.ndarray:
    """Rows ``start`` .. ``start + n_draws - 1`` of :data:`QMC_REPLICATES` interleaved,
    independently scrambled designs (replicate r from the stream ``design:{method}:{r}``).
    An LHS replicate is one design of its size among ``start + n_draws`` draws (``start``
    slices it); a Sobol' replicate fast-forwards to its first point."""
    from scipy.stats import qmc  # noqa: PLC0415 (heavy: imported when a design needs it)

    out = np.empty((n_draws, dimensions))
    if dimensions == 0:
        return out
    end = start + n_draws
    for r in range(QMC_REPLICATES):
        first = start + (r - start) % QMC_REPLICATES  # the first draw >= start in replicate r
        if first >= end:
            continue
        offset, count = first // QMC_REPLICATES, len(range(first, end, QMC_REPLICATES))
        rng = _stream(seed, f"design:{method}:{r}")
        if method == "lhs":
            size = len(range(r, end, QMC_REPLICATES))
            design = qmc.LatinHypercube(d=dimensions, scramble=True, rng=rng)
            block = design.random(size)[offset : offset + count]
        else:
            with warnings.catch_warnings():
                # Sobol' balance is best at powers of two; a chunk of a replicate is still a
                # valid piece of it. Whole runs of other sizes are warned about by the
                # scenario (simulate.scenario.config), not here, once per run.
                warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
                sobol = qmc.Sobol(d=dimensions, scramble=True, rng=rng)
                if offset:
                    sobol.fast_forward(offset)
                block = sobol.random(count)
        out[first - start :: QMC_REPLICATES] = block
    return out


def reachable_range(spec: Distribution) -> tuple[float, float]:
    """The smallest and largest value any draw of ``spec`` can take: ppf at U_MIN and U_MAX."""
    low, high = spec.ppf(np.array([U_MIN, U_MAX]))
    return float(low), float(high)


def sample(
    specs: Mapping[str, Distribution],
    n_draws: int,
    *,
    method: Method = "random",
    seed: Seed = 0,
    start: int = 0,
    correlations: Correlations | Any | None = None,
    threads: int = 1,
    uniforms_out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Draw every uncertain spec by inverse transform; fixed specs are left out.

    ``correlations`` (Spearman, between uncertain inputs only) as in :func:`uniforms`;
    ``threads`` > 1 splits each ppf over that many threads (same values, bit for bit);
    ``uniforms_out``, a dict, receives the uniforms the values came from.
    """
    from .families import as_specs

    specs = as_specs(specs, caller="sample")
    check_whole("sample", "n_draws", n_draws, 0)
    check_whole("sample", "threads", threads, 1)
    seed = check_seed(seed)
    uncertain = [name for name, spec in specs.items() if not spec.is_fixed]
    if correlations is not None:
        from .dependence import as_correlations  # noqa: PLC0415

        correlations = as_correlations(correlations)
        correlations.check_inputs(specs)
    u = uniforms(
        uncertain,
        n_draws,
        method=method,
        seed=seed,
        start=start,
        correlations=correlations,
        threads=threads,
    )
    if uniforms_out is not None:
        uniforms_out.update(u)
    if threads <= 1 or n_draws < 2 * _MIN_SPLIT:
        return {name: np.asarray(specs[name]._ppf(u[name]), dtype=float) for name in uncertain}
    for name in uncertain:  # first calls here, on one thread: a PERT builds its quantile
        specs[name]._ppf(u[name][:1])  # table with warnings as errors, process-wide
    out = {name: np.empty(n_draws) for name in uncertain}
    edges = np.linspace(0, n_draws, min(threads, n_draws // _MIN_SPLIT) + 1).astype(int)
    pieces = [
        (name, slice(a, b)) for name in uncertain for a, b in zip(edges, edges[1:], strict=False)
    ]

    def fill(piece: tuple[str, slice]) -> None:
        name, part = piece
        out[name][part] = specs[name]._ppf(u[name][part])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fill, pieces))
    return out


#: Fewest draws worth a thread of their own.
_MIN_SPLIT = 1 << 15
