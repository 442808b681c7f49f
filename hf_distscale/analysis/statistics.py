"""Every statistic of the distributional analysis, from one checked results table.

This is the single entry point the `distributional_scaling` evaluate module
and `analyze` call; each part is documented with its formula in its module:

- `per_scale`: one row per (population, benchmark, family, scale, condition): failed / successful
  fractions and successful mean with bootstrap CIs, dip test, bimodality
  coefficient, Wasserstein distance to the next scale (`distribution`), the
  raw and tie-corrected dip tests, the beta-binomial mixture test and the
  verdict (`bimodality`).
- `breakthrough`: B and L of every fixed-seed curve, at one condition per
  (population, benchmark, family) (`breakthrough`).
- `scaling_fits`: logistic P(success) against scale, its 0.5 crossing, the
  successful-mean slope and the inverse-scaling verdict (`scaling_fit`).
- `passuntil`: the log(-log PU) against log N fit and its concavity (`passuntil`).
- `variance_split`: where an items table comes with the results, one row per group:
  the seed and item shares of the variance of the population mean, the
  between-seed SD, lm-eval's item-level standard error and a two-level
  bootstrap interval (`variance`).
- `messages`: what could not be computed and why (e.g. a family with one
  scale, or fewer than 4 scales, where B = L).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES, check_resamples, check_resamples_fit
from hf_distscale.analysis.breakthrough import (
    MIN_SCALES_FOR_TWO_RANKINGS,
    breakthrough_table,
    series_without_curves,
)
from hf_distscale.analysis.distribution import distribution_statistics
from hf_distscale.analysis.bimodality import bimodality_table, verdict
from hf_distscale.analysis.passuntil import passuntil_fits
from hf_distscale.analysis.scaling_fit import scaling_fits
from hf_distscale.analysis.schema import (
    GROUP_KEY,
    PLOT_KEY,
    SERIES_KEY,
    condition_order,
    few_seeds_messages,
    load_results,
)
from hf_distscale.analysis.variance import variance_split


@dataclass
class DistributionalStatistics:
    metric: str
    n_resamples: int
    per_scale: pd.DataFrame
    breakthrough: pd.DataFrame
    scaling_fits: pd.DataFrame
    passuntil: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    variance_split: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        """JSON-ready form: tables as lists of records."""
        return {
            "metric": self.metric,
            "n_resamples": self.n_resamples,
            "per_scale": self.per_scale.to_dict("records"),
            "breakthrough": self.breakthrough.to_dict("records"),
            "scaling_fits": self.scaling_fits.to_dict("records"),
            "passuntil": self.passuntil.to_dict("records"),
            "messages": list(self.messages),
            "variance_split": self.variance_split.to_dict("records"),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "DistributionalStatistics":
        """Inverse of `to_dict`."""
        return cls(
            metric=data["metric"],
            n_resamples=int(data["n_resamples"]),
            per_scale=_table(data["per_scale"]),
            breakthrough=_table(data["breakthrough"]),
            scaling_fits=_table(data["scaling_fits"]),
            passuntil=_table(data["passuntil"]),
            messages=list(data["messages"]),
            variance_split=_table(data.get("variance_split", [])),
        )


def _table(records: list[dict]) -> pd.DataFrame:
    """Records read from JSON, where null stands for NaN: a column of nulls only is a float column."""
    table = pd.DataFrame(records)
    return table.astype({column: float for column in table.columns if table[column].isna().all()})


def distributional_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    breakthrough_condition: str | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    items: pd.DataFrame | None = None,
) -> DistributionalStatistics:
    """All statistics of a results table (a DataFrame following the results schema), and the
    seeds-versus-items split where `items` (the items table, `formats.items`) is given.

    `breakthrough_condition` defaults, per (population, benchmark, family), to
    `default_condition` (len60 for the paper's counting lengths 30..100). Warns
    when a group has fewer than 5 seeds; raises ValueError for a missing
    column or a condition the table does not have.
    """
    check_resamples(n_resamples)
    results = load_results(results, metric)
    check_resamples_fit(n_resamples, int(results.groupby(SERIES_KEY, sort=False).size().max()))
    conditions = condition_order(results)
    if breakthrough_condition is not None and breakthrough_condition not in conditions:
        raise ValueError(
            f"breakthrough condition: {breakthrough_condition!r} is not in the table; "
            f"choose one of {', '.join(conditions)}"
        )
    lonely = series_without_curves(results)
    messages = few_seeds_messages(results) + [
        f"{family!r} on {benchmark} ({population}) has a single scale: breakthroughness, linearity "
        "and the scaling fits need at least 2 scales, so they are skipped for it"
        for population, benchmark, family in lonely
    ]
    breakthrough = breakthrough_table(results, metric, breakthrough_condition)
    with_curves = set(breakthrough[PLOT_KEY].itertuples(index=False, name=None))
    messages += [
        f"{family!r} on {benchmark} ({population}) has no seed evaluated at every scale at "
        f"{breakthrough_condition}, so it gets no breakthroughness or linearity"
        for population, benchmark, family in sorted(set(results[PLOT_KEY].itertuples(index=False, name=None)))
        if (population, benchmark, family) not in with_curves and (population, benchmark, family) not in lonely
    ]
    identical = breakthrough[breakthrough["rankings_identical"].astype(bool)]
    messages += [
        f"{family!r} on {benchmark} ({population}) has {int(n)} scales: with fewer than "
        f"{MIN_SCALES_FOR_TWO_RANKINGS} scales breakthroughness equals linearity for every seed, so "
        "one ranking is shown; train 4 or more scales to tell them apart"
        for (population, benchmark, family), n in identical.groupby(PLOT_KEY)["n_scales"].first().items()
    ]
    per_scale = distribution_statistics(results, metric, n_resamples, seed).merge(
        bimodality_table(results, metric, seed), on=GROUP_KEY
    )
    per_scale["verdict"] = verdict(per_scale["frac_failed"], per_scale["frac_successful"],
                                   per_scale["mixture_lrt_p"], per_scale["mixture_modes"], per_scale["dip_p"],
                                   n_seeds=per_scale["n_seeds"])
    return DistributionalStatistics(
        metric=metric,
        n_resamples=int(n_resamples),
        per_scale=per_scale,
        breakthrough=breakthrough,
        scaling_fits=scaling_fits(results, metric, n_resamples, seed),
        passuntil=passuntil_fits(results, n_resamples, seed),
        messages=messages,
        variance_split=pd.DataFrame() if items is None else variance_split(items, metric, n_resamples, seed),
    )
