"""The benchmark's job, written once per tool.

The job (``benchmarks/job.toml``, the default scenario as the issue set it): draw every input,
compute every node, the P5/P50/P95 and mean of every node, and the rank correlation of
every uncertain input against ``train_days`` and ``tco_usd``. Each function takes the
scenario, the number of draws and a seed, and returns ``{node: (mean, [p5, p50, p95])}``
and ``{output: {input: rho}}``.

* :func:`floor`: the fastest hand-written numpy version we could write. Same job, same
  draws: the per-input PCG64 streams of ``distributions.sampling``, inverse transforms
  written out (numpy has no normal quantile, so ``scipy.special.ndtri``, the function
  scipy.stats itself calls; for the PERT, the fastest Beta quantile we know, scipy's HINV
  table with exact tails, ``distributions.fast_quantile.beta_ppf``: boost's
  ``betaincinv`` costs 1.3 µs a draw, 60 times more), the chain with constants
  folded, one ``np.quantile`` per node, and ranks only for the two outputs (an input's
  rank is its uniform's). Single-threaded, as plain numpy is.
* :func:`api`: llm-cost-mc's Python API (``simulate.run``, ``build_summary``,
  ``ranking.rank_run``).
* :func:`squigglepy_job`, :func:`monaco_job`, :func:`openturns_job`: the same job
  written as each library's documentation writes models (their own samplers, so
  other draws of the same distributions); Spearman from scipy where the library has
  none of its own.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from scipy import special, stats

import simulate
from distributions.fast_quantile import beta_ppf
from simulate.model.chain import HEADLINE_OUTPUTS as RANK_OUTPUTS
from simulate.workflows.sections import rank_run

__all__ = ["api", "floor", "monaco_job", "openturns_job", "squigglepy_job"]

QUANTILES = np.array([0.05, 0.5, 0.95])


def _stream_uniforms(seed: int, name: str, n: int) -> np.ndarray:
    digest = hashlib.sha256(name.encode()).digest()[:16]
    key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    u = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
    out = u.random(n)
    np.maximum(out, 2.0**-54, out=out)
    return out


def _ppf(dist: Any, u: np.ndarray) -> np.ndarray:
    """Inverse transforms written out (each equals llm-cost-mc's ppf bit for bit)."""
    kind = type(dist).__name__
    if kind == "Uniform":
        return u * (dist.high - dist.low) + dist.low
    if kind == "Triangular":
        width = dist.high - dist.low
        c = (dist.mode - dist.low) / width
        return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u))) * width + dist.low
    if kind == "PERT":
        width = dist.high - dist.low
        a = 1 + dist.lamb * (dist.mode - dist.low) / width
        b = 1 + dist.lamb * (dist.high - dist.mode) / width
        return beta_ppf(a, b, u) * width + dist.low
    if kind == "LogNormal":
        return np.exp(dist.sigma * special.ndtri(u)) * math.exp(dist.mu)
    raise NotImplementedError(kind)


def _rank_rho(u: dict[str, np.ndarray], y: np.ndarray) -> dict[str, float]:
    n = y.size
    g = np.empty(n)
    g[np.argsort(y)] = (np.arange(n) + 0.5) / n
    g -= 0.5
    gg = g @ g
    out = {}
    for name, column in u.items():
        a = column - 0.5
        sa = a.sum()
        out[name] = float((a @ g - sa * g.sum() / n) / math.sqrt((a @ a - sa * sa / n) * gg))
    return out


def floor(scenario: Any, n: int, seed: int) -> tuple[dict, dict]:
    """Hand-written numpy: the job with nothing to spare."""
    specs = {name: spec.dist for name, spec in scenario.inputs.items()}
    fixed = {name: d.value for name, d in specs.items() if d.is_fixed}
    u = {name: _stream_uniforms(seed, name, n) for name, d in specs.items() if not d.is_fixed}
    x = {name: _ppf(specs[name], column) for name, column in u.items()}
    g = fixed["n_gpus"]
    v: dict[str, Any] = {**fixed, **x}
    v["train_flop"] = fixed["flop_per_param_token"] * fixed["n_params"] * fixed["n_tokens"]
    v["cluster_peak_flop_per_s"] = g * fixed["gpu_peak_flop_per_s"]
    v["ideal_days"] = v["train_flop"] / v["cluster_peak_flop_per_s"] / 86_400
    v["compute_days"] = v["ideal_days"] / x["mfu"]
    v["train_days"] = v["compute_days"] / x["goodput"]
    v["gpu_hours"] = g * v["train_days"] * 24
    v["gpu_capex_usd"] = g * x["gpu_price_usd"]
    v["capex_usd"] = v["gpu_capex_usd"] * (1 + x["overhead_capex_ratio"])
    v["facility_power_mw"] = g * fixed["gpu_tdp_w"] * x["power_overhead_factor"] / 1e6
    v["energy_mwh"] = v["facility_power_mw"] * v["train_days"] * 24
    v["energy_cost_usd"] = v["energy_mwh"] * 1_000 * x["electricity_usd_per_kwh"]
    v["tco_usd"] = v["capex_usd"] + v["energy_cost_usd"]
    v["energy_share_of_tco"] = v["energy_cost_usd"] / v["tco_usd"]
    rho = {output: _rank_rho(u, v[output]) for output in RANK_OUTPUTS}
    summary = {}
    for name, value in v.items():
        if np.ndim(value):
            summary[name] = (float(value.mean()), np.quantile(value, QUANTILES).tolist())
        else:
            summary[name] = (float(value), [float(value)] * 3)
    return summary, rho


def api(scenario: Any, n: int, seed: int, *, threads: int | None = None) -> tuple[dict, dict]:
    """llm-cost-mc's Python API (``threads=None``: every CPU)."""
    ds = simulate.run(scenario, draws=n, seed=seed, threads=threads)
    summary = simulate.build_summary(ds, scenario)
    rho = rank_run(ds, scenario)
    table = {
        name: (v["mean"], [v["percentiles"][k] for k in ("p5", "p50", "p95")])
        for name, v in summary["variables"].items()
    }
    return table, rho


def _chain_scalar(i: dict[str, float], c: dict[str, float]) -> dict[str, float]:
    """The chain for one draw, as a per-case model is written (plain Python floats)."""
    g = c["n_gpus"]
    train_days = (
        c["flop_per_param_token"]
        * c["n_params"]
        * c["n_tokens"]
        / (g * c["gpu_peak_flop_per_s"])
        / 86_400
        / i["mfu"]
        / i["goodput"]
    )
    capex = g * i["gpu_price_usd"] * (1 + i["overhead_capex_ratio"])
    power_mw = g * c["gpu_tdp_w"] * i["power_overhead_factor"] / 1e6
    energy_mwh = power_mw * train_days * 24
    energy_cost = energy_mwh * 1_000 * i["electricity_usd_per_kwh"]
    tco = capex + energy_cost
    return {
        "compute_days": train_days * i["goodput"],
        "train_days": train_days,
        "gpu_hours": g * train_days * 24,
        "gpu_capex_usd": g * i["gpu_price_usd"],
        "capex_usd": capex,
        "facility_power_mw": power_mw,
        "energy_mwh": energy_mwh,
        "energy_cost_usd": energy_cost,
        "tco_usd": tco,
        "energy_share_of_tco": energy_cost / tco,
    }


def _summarize(columns: dict[str, np.ndarray], inputs: list[str]) -> tuple[dict, dict]:
    summary = {
        name: (float(np.mean(x)), np.percentile(x, [5, 50, 95]).tolist())
        for name, x in columns.items()
    }
    rho = {
        output: {
            name: float(stats.spearmanr(columns[name], columns[output]).statistic)
            for name in inputs
        }
        for output in RANK_OUTPUTS
    }
    return summary, rho


def _parts(scenario: Any) -> tuple[dict, dict]:
    specs = {name: spec.dist for name, spec in scenario.inputs.items()}
    fixed = {name: d.value for name, d in specs.items() if d.is_fixed}
    return {name: d for name, d in specs.items() if not d.is_fixed}, fixed


def squigglepy_job(scenario: Any, n: int, seed: int) -> tuple[dict, dict]:
    """squigglepy: distributions by name, ``sq.sample``, numpy on the samples."""
    import squigglepy as sq

    uncertain, fixed = _parts(scenario)
    sq.set_seed(seed)
    dists = {}
    for name, d in uncertain.items():
        kind = type(d).__name__
        if kind == "Uniform":
            dists[name] = sq.uniform(d.low, d.high)
        elif kind == "PERT":
            dists[name] = sq.pert(d.low, d.mode, d.high, lam=d.lamb)
        elif kind == "Triangular":
            dists[name] = sq.triangular(d.low, d.mode, d.high)
        else:
            dists[name] = sq.lognorm(norm_mean=d.mu, norm_sd=d.sigma)
    i = {name: sq.sample(dist, n) for name, dist in dists.items()}
    nodes = _chain_scalar(i, fixed)  # numpy arrays go through the same arithmetic
    columns = {**i, **nodes}
    summary = {
        name: (float(np.mean(x)), list(sq.get_percentiles(x, [5, 50, 95]).values()))
        for name, x in columns.items()
    }
    rho = {
        output: {name: float(sq.spearmanr(i[name], columns[output]).statistic) for name in i}
        for output in RANK_OUTPUTS
    }
    return summary, rho


def monaco_job(scenario: Any, n: int, seed: int) -> tuple[dict, dict]:
    """monaco: input variables from scipy.stats, a per-case model, output variables."""
    import monaco as mc

    uncertain, fixed = _parts(scenario)
    names = list(uncertain)

    def preprocess(case: Any) -> tuple:
        return ({name: case.invals[name].val for name in names},)

    def run(values: dict) -> tuple:
        return (values, _chain_scalar(values, fixed))

    def postprocess(case: Any, values: dict, nodes: dict) -> None:
        for name, value in nodes.items():
            case.addOutVal(name, value)

    sim = mc.Sim(
        name="llm-cost-mc",
        ndraws=n,
        fcns={"preprocess": preprocess, "run": run, "postprocess": postprocess},
        firstcaseismedian=False,
        seed=seed,
        singlethreaded=True,
        samplemethod="random",
        verbose=False,
        savecasedata=False,
        savesimdata=False,
    )
    for name, d in uncertain.items():
        frozen = d.to_scipy()  # the family's scipy.stats equivalent, as monaco takes it
        shapes = frozen.dist.shapes.split(", ") if frozen.dist.shapes else []
        kwargs = dict(zip(shapes, frozen.args, strict=False)) | frozen.kwds
        sim.addInVar(name=name, dist=frozen.dist, distkwargs=kwargs)
    sim.runSim()
    columns = {name: np.asarray(sim.invars[name].vals, dtype=float) for name in names}
    columns |= {name: np.asarray(var.nums, dtype=float) for name, var in sim.outvars.items()}
    return _summarize(columns, names)


def openturns_job(scenario: Any, n: int, seed: int) -> tuple[dict, dict]:
    """OpenTURNS: a joint distribution, a symbolic function, Sample statistics."""
    import openturns as ot

    uncertain, c = _parts(scenario)
    ot.RandomGenerator.SetSeed(seed)
    marginals = []
    for d in uncertain.values():
        kind = type(d).__name__
        if kind == "Uniform":
            marginals.append(ot.Uniform(d.low, d.high))
        elif kind == "PERT":
            width = d.high - d.low
            a = 1 + d.lamb * (d.mode - d.low) / width
            b = 1 + d.lamb * (d.high - d.mode) / width
            marginals.append(ot.Beta(a, b, d.low, d.high))
        elif kind == "Triangular":
            marginals.append(ot.Triangular(d.low, d.mode, d.high))
        else:
            marginals.append(ot.LogNormal(d.mu, d.sigma, 0.0))
    names = list(uncertain)
    ideal = (
        c["flop_per_param_token"]
        * c["n_params"]
        * c["n_tokens"]
        / (c["n_gpus"] * c["gpu_peak_flop_per_s"])
        / 86_400
    )
    g, tdp = c["n_gpus"], c["gpu_tdp_w"]
    formulas = {
        "compute_days": f"{ideal!r} / mfu",
        "train_days": f"{ideal!r} / mfu / goodput",
        "gpu_hours": f"{g!r} * {ideal!r} / mfu / goodput * 24",
        "gpu_capex_usd": f"{g!r} * gpu_price_usd",
        "capex_usd": f"{g!r} * gpu_price_usd * (1 + overhead_capex_ratio)",
        "facility_power_mw": f"{g!r} * {tdp!r} * power_overhead_factor / 1e6",
        "energy_mwh": f"{g!r} * {tdp!r} * power_overhead_factor / 1e6 * {ideal!r} / mfu"
        " / goodput * 24",
    }
    formulas["energy_cost_usd"] = f"({formulas['energy_mwh']}) * 1000 * electricity_usd_per_kwh"
    formulas["tco_usd"] = f"{formulas['capex_usd']} + {formulas['energy_cost_usd']}"
    formulas["energy_share_of_tco"] = f"({formulas['energy_cost_usd']}) / ({formulas['tco_usd']})"
    model = ot.SymbolicFunction(names, list(formulas.values()))
    x = ot.JointDistribution(marginals).getSample(n)
    y = model(x)
    means = list(x.computeMean()) + list(y.computeMean())
    qx = np.asarray(x.computeQuantilePerComponent(QUANTILES.tolist()))
    qy = np.asarray(y.computeQuantilePerComponent(QUANTILES.tolist()))
    all_names = names + list(formulas)
    q = np.hstack([qx, qy])
    summary = {name: (means[k], q[:, k].tolist()) for k, name in enumerate(all_names)}
    outputs = [list(formulas).index(o) for o in RANK_OUTPUTS]
    joined = ot.Sample(x)
    joined.stack(y.getMarginal(outputs))
    spearman = np.asarray(joined.computeSpearmanCorrelation())
    k = len(names)
    rho = {
        output: {name: float(spearman[i, k + j]) for i, name in enumerate(names)}
        for j, output in enumerate(RANK_OUTPUTS)
    }
    return summary, rho
