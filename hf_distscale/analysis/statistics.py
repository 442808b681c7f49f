"""Every statistic of the distributional analysis, from one checked results table.

This is the single entry point the `distributional_scaling` evaluate module
and `analyze` call; each part is documented with its formula in its module:

- `per_scale`: one row per (family, scale, test length): failed / successful
  fractions and successful mean with bootstrap CIs, dip test, bimodality
  coefficient, Wasserstein distance to the next scale (`distribution`), and
  the two-component mixture (`mixture`).
- `breakthrough`: B and L of every fixed-seed curve, at one test length per
  family (`breakthrough`).
- `scaling_fits`: logistic P(success) against scale, its 0.5 crossing, the
  successful-mean slope and the inverse-scaling verdict (`scaling_fit`).
- `passuntil`: the log(-log PU) against log N fit and its concavity (`passuntil`).
- `messages`: what could not be computed and why (e.g. a family with one scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hf_distscale.analysis.bootstrap import N_RESAMPLES
from hf_distscale.analysis.breakthrough import breakthrough_table, families_without_curves
from hf_distscale.analysis.distribution import FAILURE_THRESHOLD, SUCCESS_THRESHOLD, distribution_statistics
from hf_distscale.analysis.mixture import mixture_table
from hf_distscale.analysis.passuntil import passuntil_fits
from hf_distscale.analysis.scaling_fit import scaling_fits
from hf_distscale.analysis.schema import load_results, warn_if_few_seeds


@dataclass
class DistributionalStatistics:
    metric: str
    n_resamples: int
    per_scale: pd.DataFrame
    breakthrough: pd.DataFrame
    scaling_fits: pd.DataFrame
    passuntil: pd.DataFrame
    messages: list[str] = field(default_factory=list)

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
        }

    @classmethod
    def from_dict(cls, data: dict) -> "DistributionalStatistics":
        """Inverse of `to_dict`."""
        return cls(
            metric=data["metric"],
            n_resamples=int(data["n_resamples"]),
            per_scale=pd.DataFrame(data["per_scale"]),
            breakthrough=pd.DataFrame(data["breakthrough"]),
            scaling_fits=pd.DataFrame(data["scaling_fits"]),
            passuntil=pd.DataFrame(data["passuntil"]),
            messages=list(data["messages"]),
        )


def distributional_statistics(
    results: pd.DataFrame,
    metric: str = "em",
    breakthrough_test_length: int | None = None,
    failure_threshold: float = FAILURE_THRESHOLD,
    success_threshold: float = SUCCESS_THRESHOLD,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> DistributionalStatistics:
    """All statistics of a results table (a DataFrame following the results schema).

    `breakthrough_test_length` defaults, per family, to `default_test_length`
    of its lengths (60 for the paper's 30..100). Warns when a group has fewer
    than 5 seeds; raises ValueError for a missing column or a length no family has.
    """
    results = load_results(results, metric)
    warn_if_few_seeds(results)
    lengths = sorted(results["test_length"].unique())
    if breakthrough_test_length is not None and breakthrough_test_length not in lengths:
        raise ValueError(
            f"breakthrough test length: {breakthrough_test_length} is not in the table; "
            f"choose one of {', '.join(str(x) for x in lengths)}"
        )
    messages = [
        f"family {family!r} has a single scale: breakthroughness, linearity and the scaling "
        "fits need at least 2 scales, so they are skipped for it"
        for family in families_without_curves(results)
    ]
    breakthrough = breakthrough_table(results, metric, breakthrough_test_length)
    messages += [
        f"family {family!r} has no seed evaluated at every scale at test length "
        f"{breakthrough_test_length}, so it gets no breakthroughness or linearity"
        for family in sorted(set(results["family"]) - set(breakthrough["family"]))
        if family not in families_without_curves(results)
    ]
    per_scale = distribution_statistics(
        results, metric, failure_threshold, success_threshold, n_resamples, seed
    ).merge(mixture_table(results, metric), on=["family", "scale_index", "test_length"])
    return DistributionalStatistics(
        metric=metric,
        n_resamples=int(n_resamples),
        per_scale=per_scale,
        breakthrough=breakthrough,
        scaling_fits=scaling_fits(results, metric, success_threshold, n_resamples, seed),
        passuntil=passuntil_fits(results, n_resamples, seed),
        messages=messages,
    )
