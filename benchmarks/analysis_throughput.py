"""Bimodality tests on simulated populations, and `analyze` at the paper's size.

Part 1, calibration: the false-positive rate of each test at alpha on
unimodal beta-binomial populations (n = 41 windows), REPLICATES populations
per setting, with its Monte-Carlo standard error.
Part 2, power: two-mode populations (success weight 0.2 and 0.5; modes at
about 5% and 80% EM) at 8, 24, 50, 100 and 250 seeds: the share each test
(and the verdict) calls bimodal.
Part 3, throughput: the statistics and the whole `analyze` (figures included)
on a synthetic paper-size table (15 scales x 250 seeds x 71 test lengths),
against the per-group statistics without the bimodality tests, in the same run:
the stages take turns (`timing.interleave`, one warm-up round), the table
gives the median (min-max) seconds of `--repeats` rounds.

    python benchmarks/analysis_throughput.py [--replicates 500] [--power-replicates 200] [--skip-analyze] [--repeats 1]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from timing import interleave, machine_line, paired_ratio, spread_report, timed

from hf_distscale.analysis import analyze, distributional_statistics, mixture_test, tie_corrected_dip, verdict
from hf_distscale.analysis.betabinomial import sample_counts
from hf_distscale.analysis.bimodality import bimodality_table
from hf_distscale.analysis.distribution import distribution_statistics
from hf_distscale.analysis.schema import load_results
from hf_distscale.analysis.synthetic import paper_size_results

WINDOWS = 41
NULLS = {  # name -> (a, b, seeds) of a unimodal BB(41, a, b)
    "24 seeds, BB(0.3, 6): heavy mass at 0": (0.3, 6.0, 24),
    "250 seeds, BB(0.3, 6): heavy mass at 0": (0.3, 6.0, 250),
    "24 seeds, BB(4, 12): interior mode": (4.0, 12.0, 24),
    "250 seeds, BB(4, 12): interior mode": (4.0, 12.0, 250),
}
FAILURE_MODE, SUCCESS_MODE = (0.5, 9.5), (16.0, 4.0)  # BB means 5% and 80%
POWER_SEEDS = (8, 24, 50, 100, 250)
POWER_WEIGHTS = (0.2, 0.5)


def test_pvalues(counts: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """p-values of the raw dip, the tie-corrected dip and the mixture LRT, plus the fitted modes."""
    raw = np.array([tie_corrected_dip(c / WINDOWS, 0.0).dip_p for c in counts])
    tied = np.array([tie_corrected_dip(c / WINDOWS, 1 / WINDOWS, seed=seed + i).dip_p for i, c in enumerate(counts)])
    lrt = mixture_test(list(counts), [WINDOWS] * len(counts), seed=seed)
    return {"raw dip": raw, "tie-corrected dip": tied, "mixture LRT": lrt.pvalue, "modes": lrt.modes}


def calibration(replicates: int, alphas=(0.05, 0.001)) -> pd.DataFrame:
    rows = []
    for index, (name, (a, b, seeds)) in enumerate(NULLS.items()):
        rng = np.random.default_rng(index)
        counts = sample_counts(np.full(replicates, a), np.full(replicates, b), WINDOWS, seeds, rng)
        start = time.perf_counter()
        pvalues = test_pvalues(counts, seed=100 * index)
        seconds = time.perf_counter() - start
        for alpha in alphas:
            row = {"population": name, "alpha": alpha}
            for test in ("raw dip", "tie-corrected dip", "mixture LRT"):
                row[test] = float(np.mean(pvalues[test] < alpha))
            row["MC s.e."] = math.sqrt(alpha * (1 - alpha) / replicates)
            row["seconds (all tests)"] = round(seconds, 1)
            rows.append(row)
    return pd.DataFrame(rows)


def power(replicates: int) -> pd.DataFrame:
    rows = []
    for weight in POWER_WEIGHTS:
        for seeds in POWER_SEEDS:
            rng = np.random.default_rng(seeds)
            a1, b1, a2, b2, w = (np.full(replicates, x) for x in (*FAILURE_MODE, *SUCCESS_MODE, weight))
            counts = sample_counts(a1, b1, WINDOWS, seeds, rng, weight=w, a2=a2, b2=b2)
            pvalues = test_pvalues(counts, seed=seeds)
            for alpha in (0.05, 0.001):
                row = {"success weight": weight, "seeds": seeds, "alpha": alpha}
                for test in ("raw dip", "tie-corrected dip", "mixture LRT"):
                    row[test] = float(np.mean(pvalues[test] < alpha))
                calls = verdict(0.0, 0.0, pvalues["mixture LRT"], pvalues["modes"], pvalues["tie-corrected dip"], alpha)
                row["verdict bimodal"] = float(np.mean(calls == "bimodal"))
                rows.append(row)
    return pd.DataFrame(rows)


def throughput(repeats: int) -> pd.DataFrame:
    start = time.perf_counter()
    table = paper_size_results()
    build = time.perf_counter() - start
    checked = load_results(table)
    tests = []  # the bimodality table of the last round, for its bootstrap counts

    def analyze_quietly():
        with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyze(table, out, plan=False)

    stages = {
        "fractions, CIs, BC, Wasserstein (baseline)": timed(lambda: distribution_statistics(checked)),
        "bimodality tests (both dips + mixture LRT)": timed(lambda: tests.append(bimodality_table(checked))),
        "all statistics (distributional_statistics)": timed(lambda: distributional_statistics(table)),
        "analyze --no-plan (statistics, page data, files, figures)": timed(analyze_quietly),
    }
    times = interleave(stages, repeats)
    print(f"{machine_line()}; median (min-max) of {repeats} interleaved rounds after a warm-up round")
    print(f"paper-size table: {len(table):,} rows, {checked.groupby(['family', 'scale_index', 'condition']).ngroups:,} "
          f"groups, built in {build:.1f} s; bootstrap replicates per group: mean "
          f"{tests[-1]['mixture_replicates'].mean():.0f}, groups bootstrapped "
          f"{int((tests[-1]['mixture_replicates'] > 0).sum())}")
    baseline = times["fractions, CIs, BC, Wasserstein (baseline)"]
    print(spread_report(times))
    return pd.DataFrame([{"stage": name, "seconds": seconds.text(1, 1),
                          "x baseline": round(paired_ratio(seconds, baseline).median, 2)}
                         for name, seconds in times.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=500, help="null populations per setting")
    parser.add_argument("--power-replicates", type=int, default=200, help="two-mode populations per cell")
    parser.add_argument("--skip-analyze", action="store_true", help="skip part 3 (the paper-size table)")
    parser.add_argument("--skip-tests", action="store_true", help="skip parts 1 and 2 (calibration, power)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of part 3 after its warm-up (default 1)")
    args = parser.parse_args()
    if not args.skip_tests:
        print(f"## Calibration: false-positive rate on unimodal populations ({args.replicates} each, n = {WINDOWS})")
        print(calibration(args.replicates).to_markdown(index=False, floatfmt=".3f"))
        print(f"\n## Power: share called bimodal ({args.power_replicates} populations per cell; "
              "modes at 5% and 80% EM)")
        print(power(args.power_replicates).astype({"seeds": str}).to_markdown(index=False, floatfmt=".3f"))
    if not args.skip_analyze:
        print("\n## analyze on a paper-size table (15 scales x 250 seeds x 71 test lengths)")
        print(throughput(args.repeats).to_markdown(index=False))


if __name__ == "__main__":
    main()
