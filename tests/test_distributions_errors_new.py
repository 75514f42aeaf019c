"""One test per error message of the new families, fits, truncation and correlations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from distributions import (
    PERT,
    Beta,
    Correlations,
    Discrete,
    DistributionError,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Metalog,
    Mixture,
    Normal,
    ScipyFamily,
    Triangular,
    Truncated,
    Uniform,
    as_correlations,
    fit_percentiles,
    from_interval,
    mass_outside,
    parse,
    sample,
    truncate,
    uniforms,
)

CASES = {
    # scipy families
    "scipy_not_a_family": (
        lambda: ScipyFamily("binom", {"n": 3, "p": 0.5}),
        r"scipy needs the name of a continuous distribution in scipy\.stats; "
        r"got scipy\.binom",
    ),
    "scipy_unknown_parameter": (
        lambda: ScipyFamily("weibull_min", {"c": 1, "k": 2}),
        r"scipy\.weibull_min has no parameter k; it takes c, loc, scale",
    ),
    "scipy_missing_shape": (
        lambda: parse({"dist": "scipy.weibull_min", "scale": 2}),
        r"scipy\.weibull_min needs its shape parameters c; missing c",
    ),
    "scipy_scale": (
        lambda: ScipyFamily("norm", {"scale": -1}),
        r"scipy\.norm needs scale > 0; got scale=-1",
    ),
    "scipy_rejects": (
        lambda: ScipyFamily("weibull_min", {"c": -1.5}),
        r"scipy\.weibull_min rejects these parameters .*; got c=-1\.5",
    ),
    "scipy_not_finite": (
        lambda: ScipyFamily("gamma", {"a": math.inf}),
        r"scipy\.gamma needs a to be finite; got a=inf",
    ),
    # discrete and empirical
    "values_not_list": (
        lambda: Discrete(values="8192"),
        r"discrete needs values to be a list of numbers; got '8192'",
    ),
    "values_not_numbers": (
        lambda: Discrete(values=(1, "two")),
        r"discrete needs values to hold numbers; got 'two'",
    ),
    "values_not_finite": (
        lambda: Empirical(values=(1.0, math.nan)),
        r"empirical needs values to be finite; got nan",
    ),
    "no_values": (
        lambda: Discrete(values=()),
        r"discrete needs at least one value; got values=\[\]",
    ),
    "repeated_values": (
        lambda: Discrete(values=(8192, 8192)),
        r"discrete needs distinct values; got 8192 more than once",
    ),
    "weight_count": (
        lambda: Discrete(values=(1, 2), weights=(1.0,)),
        r"discrete needs one weight per value; got 2 values and 1 weights",
    ),
    "weight_positive": (
        lambda: Discrete(values=(1, 2), weights=(1.5, -0.5)),
        r"discrete needs every weight > 0; got weight=-0\.5",
    ),
    "weight_sum": (
        lambda: Discrete(values=(1, 2), weights=(0.7, 0.2)),
        r"discrete needs weights that sum to 1; got 0\.7 \+ 0\.2 = 0\.9",
    ),
    "empirical_too_few": (
        lambda: Empirical(values=(1.0,)),
        r"empirical needs at least 2 draws; got 1",
    ),
    # mixtures
    "mixture_one_component": (
        lambda: Mixture(components=(Normal(0, 1),), weights=(1.0,)),
        r"mixture needs at least 2 components; got 1",
    ),
    "mixture_not_specs": (
        lambda: Mixture(components=(Normal(0, 1), 3), weights=(0.5, 0.5)),
        r"mixture needs distribution specs as components; got 3",
    ),
    "mixture_weights": (
        lambda: Mixture(components=(Fixed(0), Fixed(1)), weights=(0.7, 0.7)),
        r"mixture needs weights that sum to 1; got 0\.7 \+ 0\.7 = 1\.4",
    ),
    "mixture_table": (
        lambda: parse({"dist": "mixture", "components": [1, 2], "weight": [1]}),
        r"mixture takes components \(a list of distributions\) and weights; "
        r"got components, weight",
    ),
    "mixture_no_weights": (
        lambda: parse({"dist": "mixture", "components": [1, 2]}),
        r"mixture needs weights, one per component; got none",
    ),
    # metalog
    "metalog_few": (
        lambda: Metalog.from_percentiles({10: 1, 90: 2}),
        r"metalog needs at least 3 quantiles; got 2 \(p10=1, p90=2\)",
    ),
    "metalog_terms": (
        lambda: Metalog.from_percentiles({10: 1, 50: 2, 90: 3}, terms=4),
        r"metalog needs 2 <= terms <= number of quantiles; got terms=4 with 3",
    ),
    "metalog_probability": (
        lambda: Metalog(quantiles=((0.0, 1.0), (0.5, 2.0), (0.9, 3.0))),
        r"metalog needs finite values at probabilities in \(0, 1\); got p0=1",
    ),
    "metalog_increasing": (
        lambda: Metalog(quantiles=((0.1, 3.0), (0.5, 2.0), (0.9, 4.0))),
        r"metalog needs values that increase with the probability; "
        r"got p10=3, p50=2, p90=4",
    ),
    "metalog_bounds_order": (
        lambda: Metalog.from_percentiles({10: 1, 50: 2, 90: 3}, low=5, high=0),
        r"metalog needs low < high; got low=5, high=0",
    ),
    "metalog_inside_bounds": (
        lambda: Metalog.from_percentiles({10: 1, 50: 2, 90: 3}, low=1),
        r"metalog needs every quantile strictly inside its bounds; "
        r"got low=1, high=inf",
    ),
    "metalog_infeasible": (
        lambda: Metalog.from_percentiles({10: 1, 50: 1.1, 90: 10}),
        r"metalog from p10=1, p50=1\.1, p90=10 with 3 terms is infeasible: "
        r"its quantile function decreases near p=.* \(Keelin 2016, §6\)",
    ),
    "metalog_pairs": (
        lambda: Metalog(quantiles=(1, 2, 3)),
        r"metalog needs quantiles as \(probability, value\) pairs; got 1",
    ),
    "metalog_bound_number": (
        lambda: parse({"dist": "metalog", "p10": 1, "p50": 2, "p90": 3, "low": "0"}),
        r"metalog needs low to be a number; got low='0'",
    ),
    # truncation and domains
    "truncate_order": (
        lambda: truncate(Normal(0, 1), 2, 1),
        r"truncation needs low < high; got low=2, high=1",
    ),
    "truncate_number": (
        lambda: truncate(Normal(0, 1), "0", 1),
        r"truncation needs low to be a number; got low='0'",
    ),
    "truncate_nan": (
        lambda: truncate(Normal(0, 1), 0, math.nan),
        r"truncation needs high to be a number; got high=nan",
    ),
    "truncate_empty": (
        lambda: truncate(Uniform(0, 1), 2, 3),
        r"truncation to \[2, 3\] leaves no probability: uniform\(low=0, high=1\) "
        r"puts none there",
    ),
    "truncate_fixed": (
        lambda: truncate(Fixed(5), 0, 1),
        r"truncation to \[0, 1\] leaves no probability: the fixed value is 5",
    ),
    "truncate_discrete": (
        lambda: truncate(Discrete(values=(1, 2)), 3, 4),
        r"truncation to \[3, 4\] leaves no probability: discrete\(1: 0\.5",
    ),
    "truncate_spec": (
        lambda: Truncated(base=3.0, low=0, high=1),
        r"truncation needs a distribution spec; got 3\.0",
    ),
    "truncate_table": (
        lambda: parse({"dist": "normal", "mean": 0, "sd": 1, "truncate": 0}),
        r"truncate needs \[low, high\] \(use inf or -inf for an open side\); got 0",
    ),
    "domain_bound": (
        lambda: mass_outside(Normal(0, 1), None, 1),
        r"mass_outside needs domain_low to be a number; got domain_low=None",
    ),
    # fits from percentiles
    "percentile_key": (
        lambda: Normal.from_percentiles({"q10": 1, "p90": 2}),
        r"normal needs percentile keys p0 < pNN < p100 \(e\.g\. p10, p2\.5\); "
        r"got 'q10'",
    ),
    "percentile_range": (
        lambda: Normal.from_percentiles({0: 1, 90: 2}),
        r"normal needs percentile keys p0 < pNN < p100 .*; got 0",
    ),
    "percentile_value": (
        lambda: Normal.from_percentiles({10: "1", 90: 2}),
        r"normal needs p10 to be a finite number; got '1'",
    ),
    "percentile_order": (
        lambda: Normal.from_percentiles({10: 3, 90: 2}),
        r"normal needs percentiles whose values increase with the percent; "
        r"got p10=3, p90=2",
    ),
    "percentile_count": (
        lambda: Normal.from_percentiles({10: 1, 50: 2, 90: 3}),
        r"normal needs exactly 2 percentiles; got p10, p50, p90",
    ),
    "lognormal_positive": (
        lambda: LogNormal.from_percentiles({10: -1, 90: 2}),
        r"lognormal needs positive percentiles; got p10=-1",
    ),
    "gamma_loc": (
        lambda: Gamma.from_percentiles({10: 1, 90: 2}, loc=1),
        r"gamma needs percentiles above loc; got p10=1, loc=1",
    ),
    "gamma_no_shape": (
        lambda: Gamma.from_percentiles({10: 1, 90: 1.0001}),
        r"gamma has no member with p10=1, p90=1\.0001 \(loc=0\): the shape would lie outside "
        r"\[0\.01, 1e\+08\]",
    ),
    "beta_inside": (
        lambda: Beta.from_percentiles({10: 0.5, 90: 1.5}),
        r"beta needs percentiles inside \(low, high\); got low=0, high=1, p10=0\.5",
    ),
    "no_member": (
        lambda: PERT.from_percentiles({10: 2, 90: 3}, mode=100),
        r"pert with mode=100 has no member with p10=2, p90=3",
    ),
    "scipy_fit_shapes": (
        lambda: ScipyFamily.from_percentiles({10: 1, 90: 2}, family="gamma"),
        r"scipy\.gamma from percentiles solves loc and scale and needs its "
        r"shapes \(a\); got none",
    ),
    "scipy_fit_family": (
        lambda: ScipyFamily.from_percentiles({10: 1, 90: 2}),
        r"scipy from percentiles needs family \(a scipy\.stats name\); got none",
    ),
    "fit_known_number": (
        lambda: parse({"dist": "pert", "p10": 1, "mode": "2", "p90": 3}),
        r"pert needs mode to be a number; got mode='2'",
    ),
    "not_fittable": (
        lambda: fit_percentiles(Discrete, {10: 1, 90: 2}),
        r"discrete cannot be fitted from percentiles; these can: normal, ",
    ),
    "fit_unknown_parameter": (
        lambda: parse({"dist": "normal", "mean": 0, "p10": 1, "p90": 2}),
        r"normal from percentiles takes no other parameter; got mean",
    ),
    "fit_needs_mode": (
        lambda: Triangular.from_percentiles({10: 1, 90: 2}),
        r"triangular from percentiles needs mode; got none",
    ),
    "credibility": (
        lambda: from_interval(Normal, 1, 2, credibility=90),
        r"an interval needs 0 < credibility < 1; got credibility=90",
    ),
    "interval_form": (
        lambda: parse({"dist": "normal", "interval": "1 - 2"}),
        r"interval needs 'low to high' or \[low, high\]; got '1 - 2'",
    ),
    "empirical_table": (
        lambda: parse({"dist": "empirical", "file": "x.csv"}),
        r"empirical takes values, or file and column; got file",
    ),
    "table_without_dist": (
        lambda: parse({"low": 1, "high": 2}),
        r"a distribution table needs dist = one of fixed, .*, or scipy\.<name>; got keys high, low",
    ),
    "unknown_family": (
        lambda: parse({"dist": "weibull", "c": 1}),
        r"unknown distribution 'weibull'; known: .*, scipy\.<name>",
    ),
    # correlations
    "corr_self": (
        lambda: Correlations.from_pairs({("mfu", "mfu"): 0.5}),
        r"a correlation needs two different inputs; got mfu with itself",
    ),
    "corr_twice": (
        lambda: Correlations.from_pairs([["a", "b", 0.5], ["b", "a", 0.4]]),
        r"correlation of b and a is given twice; got 0\.5 and 0\.4",
    ),
    "corr_range": (
        lambda: Correlations.from_pairs({("a", "b"): 1.2}),
        r"a correlation needs -1 <= rho <= 1; got rho\(a, b\)=1\.2",
    ),
    "corr_pair_entry": (
        lambda: Correlations.from_pairs([["a", "b"]]),
        r"a correlation pair needs \[name, name, rho\]; got \['a', 'b'\]",
    ),
    "corr_pair_key": (
        lambda: as_correlations({"a:b": 0.5}),
        r"a correlation pair needs a key \(name, name\); got 'a:b'",
    ),
    "corr_shape": (
        lambda: Correlations.from_matrix(["a", "b"], [[1, 0.5, 0], [0.5, 1, 0]]),
        r"a correlation matrix needs 2 numbers in each row; got row 1 \(a\) with 3 entries",
    ),
    "corr_direct_shape": (
        lambda: Correlations(("a", "b"), ((1.0,),)),
        r"a correlation matrix needs one row per name \(2: a, b\); got 1 rows",
    ),
    "corr_diagonal": (
        lambda: Correlations.from_matrix(["a", "b"], [[1, 0.5], [0.5, 0.9]]),
        r"a correlation matrix needs 1 on the diagonal; got matrix\[b, b\]=0\.9",
    ),
    "corr_symmetric": (
        lambda: Correlations.from_matrix(["a", "b"], [[1, 0.5], [0.4, 1]]),
        r"a correlation matrix needs to be symmetric; got matrix\[a, b\]=0\.5, "
        r"matrix\[b, a\]=0\.4",
    ),
    "corr_matrix_range": (
        lambda: Correlations.from_matrix(["a", "b"], [[1, -2], [-2, 1]]),
        r"a correlation needs -1 <= rho <= 1; got rho\(a, b\)=-2",
    ),
    "corr_unknown_input": (
        lambda: sample({"a": Normal(0, 1)}, 10, correlations={("a", "zz"): 0.5}),
        r"correlations name unknown inputs zz; inputs are a",
    ),
    "corr_unknown_uniform": (
        lambda: uniforms(["a"], 10, correlations={("a", "zz"): 0.5}),
        r"correlations name unknown inputs zz; inputs are a",
    ),
    "corr_fixed_input": (
        lambda: sample(
            {"a": Normal(0, 1), "n_params": Fixed(405e9)}, 10, correlations={("a", "n_params"): 0.5}
        ),
        r"correlations need uncertain inputs; n_params is a constant "
        r"\(4\.05e\+11\)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_message(case: str) -> None:
    build, message = CASES[case]
    with pytest.raises(DistributionError, match=message):
        build()


def test_csv_missing_column(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("run,mfu\na,0.4\n", encoding="utf-8")
    with pytest.raises(
        DistributionError,
        match=r"empirical needs column 'goodput' in .*x\.csv; "
        r"its header \(line 1\) has 2 columns and none of that name$",
    ):
        Empirical.from_csv(tmp_path / "x.csv", "goodput")


def test_csv_not_a_number(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("mfu\n0.4\n41%\n", encoding="utf-8")
    with pytest.raises(
        DistributionError,
        match=r"empirical needs numbers in column 'mfu' of "
        r".*x\.csv; line 3 holds something else there$",
    ):
        parse({"dist": "empirical", "file": "x.csv", "column": "mfu"}, base_dir=tmp_path)


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        DistributionError,
        match=r"empirical cannot read .*nope\.csv: "
        r"No such file or directory",
    ):
        parse({"dist": "empirical", "file": "nope.csv", "column": "mfu"}, base_dir=tmp_path)


def test_errors_are_value_errors() -> None:
    assert issubclass(DistributionError, ValueError)
    assert np.isfinite(mass_outside(Normal(0, 1), 0, 1))
