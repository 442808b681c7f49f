"""The summary table: every per-scale statistic as CSV, a readable digest as Markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hf_distscale.analysis.bimodality import VERDICT_RULE
from hf_distscale.analysis.breakthrough import TOP_K, top_seeds
from hf_distscale.analysis.display import count, crossing, fixed, p_value, with_interval
from hf_distscale.analysis.schema import PLOT_KEY, SERIES_KEY
from hf_distscale.analysis.statistics import DistributionalStatistics
from hf_distscale.formats.analysis import read_benchmark_statistics, read_claims, read_figure_data


def summary_digest(statistics: DistributionalStatistics) -> pd.DataFrame:
    """One readable row per group: fractions and means with CIs, dip, BC, W."""
    table = statistics.per_scale
    digest = table[["population", "benchmark", "family", "scale", "num_parameters", "condition", "n_seeds"]].copy()
    for column, title in (
        ("frac_failed", "failed"),
        ("frac_successful", "successful"),
        ("successful_mean", "successful mean"),
    ):
        digest[title] = [
            with_interval(v, lo, hi)
            for v, lo, hi in zip(table[column], table[f"{column}_ci_low"], table[f"{column}_ci_high"])
        ]
    digest["dip p raw / ties"] = [
        f"{p_value(raw)} / {p_value(tied)}" for raw, tied in zip(table["dip_p_raw"], table["dip_p"])
    ]
    digest["mixture p"] = table["mixture_lrt_p"].map(p_value)
    digest["mixture w / mean"] = [
        "-" if np.isnan(w) else f"{fixed(w)} / {fixed(m)}"
        for w, m in zip(table["mixture_success_weight"], table["mixture_success_mean"])
    ]
    digest["verdict"] = table["verdict"]
    digest["BC"] = table["bimodality_coefficient"].map(fixed)
    digest["W to next"] = table["wasserstein_to_next"].map(lambda w: fixed(w, 3))
    return digest


def fits_digest(statistics: DistributionalStatistics) -> pd.DataFrame:
    """One readable row per series (population, benchmark, family, condition) of the scaling and PassUntil fits."""
    fits = statistics.scaling_fits
    if fits.empty:
        return pd.DataFrame()
    digest = fits[[*SERIES_KEY, "x_variable"]].copy()
    digest["P(success) slope"] = [
        with_interval(row.slope, row.slope_ci_low, row.slope_ci_high, note=row.slope_note)
        for row in fits.itertuples()
    ]
    digest["P(success) = 0.5 at"] = [
        crossing(row) for row in fits.itertuples()
    ]
    digest["successful-mean slope"] = [
        with_interval(row.success_mean_slope, row.success_mean_slope_ci_low, row.success_mean_slope_ci_high,
                      note=row.success_mean_slope_note)
        for row in fits.itertuples()
    ]
    digest["inverse scaling"] = fits["inverse_scaling"]
    passuntil = statistics.passuntil
    if not passuntil.empty:
        law = passuntil[[*SERIES_KEY, "alpha", "accelerated_emergence"]].rename(
            columns={"alpha": "PU alpha", "accelerated_emergence": "accelerated emergence"}
        ).round({"PU alpha": 3})
        law.insert(law.columns.get_loc("accelerated emergence"), "PU quadratic", [
            with_interval(row.quadratic, row.quadratic_ci_low, row.quadratic_ci_high, ".4f")
            for row in passuntil.itertuples()
        ])
        digest = digest.merge(law, on=SERIES_KEY, how="left")
    return digest


def split_digest(split: pd.DataFrame) -> pd.DataFrame:
    """One readable row per group of the seeds-versus-items split; empty without items."""
    if split.empty:
        return pd.DataFrame()
    keys = [column for column in ("population", "benchmark", "family", "scale", "condition", "step")
            if column in split.columns]
    digest = split[keys].copy()
    digest["seeds / items"] = [f"{count(s)} / {count(i)}" for s, i in zip(split["seeds"], split["items"])]
    digest["mean"] = [with_interval(m, lo, hi) for m, lo, hi in
                      zip(split["mean"], split["mean_ci_low"], split["mean_ci_high"])]
    digest["between-seed SD"] = split["between_seed_sd"].map(lambda v: fixed(v, 3))
    digest["item SE"] = split["item_se"].map(lambda v: fixed(v, 3))
    for share in ("seed", "item", "residual"):
        digest[f"{share} share"] = split[f"{share}_share"].map(fixed)
    return digest


def breakthrough_digest(statistics: DistributionalStatistics, k: int = TOP_K) -> pd.DataFrame:
    """The top-k seeds by B and by L per (population, benchmark, family); one ranking where B = L."""
    if statistics.breakthrough.empty:
        return pd.DataFrame()
    rows = []
    for key, table in statistics.breakthrough.groupby(PLOT_KEY, sort=False):
        identical = bool(table["rankings_identical"].iloc[0])
        by_b = ", ".join(str(seed) for seed in top_seeds(table, "breakthroughness", k))
        rows.append({
            **dict(zip(PLOT_KEY, key)),
            "condition": table["condition"].iloc[0],
            "scales": int(table["n_scales"].iloc[0]),
            f"top {k} by B": by_b,
            f"top {k} by L": "= B (fewer than 4 scales)" if identical
            else ", ".join(str(seed) for seed in top_seeds(table, "linearity", k)),
        })
    return pd.DataFrame(rows)


def findings_digest(findings: list[dict]) -> pd.DataFrame:
    """One row per (population, benchmark, finding): its statement, status and reason."""
    return pd.DataFrame(
        [{"population": f["population"], "benchmark": f["benchmark"], "finding": f["finding"],
          "statement": f["statement"], "status": f["status"], "reason": f["reason"]} for f in findings],
        columns=["population", "benchmark", "finding", "statement", "status", "reason"],
    )


def verdict_digest(rows: list[dict], references: dict[tuple[str, str, str], str]) -> pd.DataFrame:
    """The verdict table at each family's reference condition: one row per scale, from the
    benchmark statistics rows; `references` maps (population, benchmark, family) to the condition."""
    picked = [row for row in rows if references.get((row["population"], row["benchmark"], row["family"]))
              == row["condition"]]
    return pd.DataFrame(
        [{"population": r["population"], "family": r["family"], "scale": r["scale"], "condition": r["condition"],
          "seeds": r["seeds"],
          "P(success)": r["text"]["p_success"], "P(fail)": r["text"]["p_fail"],
          "verdict": r["verdict"], "seeds needed": r["text"]["seeds_needed"]} for r in picked],
        columns=["population", "family", "scale", "condition", "seeds", "P(success)", "P(fail)", "verdict",
                 "seeds needed"],
    )


def _markdown(table: pd.DataFrame) -> str:
    """A Markdown table where an undefined value reads "-", never "nan"."""
    return table.astype(object).where(table.notna(), "-").to_markdown(index=False)


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """A CSV where an undefined or infinite value (B of a one-step curve) is an empty cell, as it is null in
    statistics.json: no reader has to parse 'inf' or 'nan'."""
    table.replace([np.inf, -np.inf], np.nan).to_csv(path, index=False)


def write_summary(statistics: DistributionalStatistics, out_dir: Path, findings: list[dict]) -> dict[str, Path]:
    """Write summary.csv (all per-scale columns), scaling_fits.csv, passuntil.csv,
    breakthrough.csv and summary.md (the digests and the findings); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary_csv": out_dir / "summary.csv",
        "scaling_fits_csv": out_dir / "scaling_fits.csv",
        "passuntil_csv": out_dir / "passuntil.csv",
        "breakthrough_csv": out_dir / "breakthrough.csv",
        "summary_md": out_dir / "summary.md",
    }
    for table, name in ((statistics.per_scale, "summary_csv"), (statistics.scaling_fits, "scaling_fits_csv"),
                        (statistics.passuntil, "passuntil_csv"), (statistics.breakthrough, "breakthrough_csv")):
        _write_csv(table, paths[name])
    sections = [
        f"# Distributional analysis of `{statistics.metric}`",
        "The failed and successful fractions have exact 95% Clopper-Pearson intervals; other intervals are "
        f"95% percentile bootstrap intervals over seeds ({statistics.n_resamples:,} resamples). "
        "dip p raw / ties: Hartigan's dip test on the scores as they are (the paper's test, misled by "
        "the ties of k-of-n scores) / with each score spread over its quantisation step; mixture p: "
        "beta-binomial mixture likelihood-ratio test (parametric bootstrap); mixture w / mean: weight "
        "and mean of its success mode; BC: bimodality coefficient (> 0.555 suggests bimodality); "
        "W: Wasserstein-1 distance to the next larger scale.",
        f"Verdict: {VERDICT_RULE}",
        *[f"> {message}" for message in statistics.messages],
        "## Per scale and condition",
        "failed / successful: fraction of seeds below the failure line / above the success line of the "
        "benchmark (counting EM: 0.1 / 0.5; multiple choice: 0.1 / 0.5 of the way from chance to 1).",
        _markdown(summary_digest(statistics)),
    ]
    breakthrough = breakthrough_digest(statistics)
    if not breakthrough.empty:
        sections += [
            "## Fixed-seed curves: breakthroughness B and linearity L",
            "With fewer than 4 scales B = L for every seed (the median of 1 or 2 squared steps is their mean), "
            "so one ranking is shown.",
            _markdown(breakthrough),
        ]
    fits = fits_digest(statistics)
    if not fits.empty:
        sections += [
            "## Scaling fits",
            "P(success) = sigmoid(a + b x) with x on the family's scale axis (x_variable); the crossing is where "
            "it crosses 0.5 (as N on the ln N axis). Inverse scaling: b < 0 and the successful-mean slope > 0, both by their "
            "intervals. PU: log(-log PU) = log c - alpha x; a negative quadratic term is a concave "
            "curve; accelerated emergence when its interval lies below 0.",
            _markdown(fits),
        ]
    split = split_digest(statistics.variance_split)
    if not split.empty:
        sections += [
            "## Seeds or items?",
            "The variance of each group's population mean split between the seeds and the test items "
            "(crossed seeds x items random effects, ANOVA estimates; hf_distscale/analysis/variance.py). "
            "seed share near 1: the gap between two such populations is a seed lottery that more items "
            "cannot shrink; item share near 1: the test set limits it. item SE: the standard error "
            "lm-evaluation-harness reports for one model (items only), mean over seeds. The mean's interval "
            "resamples seeds, then items.",
            _markdown(split),
        ]
    sections += [
        "## The paper's findings",
        "Each finding checked by its declared test (hf_distscale/analysis/findings.yaml) at each family's "
        "reference condition, in the benchmark's own metric (EM for counting, accuracy for multiple choice); "
        "p-values adjusted by Benjamini-Hochberg across the groups a finding tests. Evidence: claims.json.",
        _markdown(findings_digest(findings)),
    ]
    paths["summary_md"].write_text("\n\n".join(sections) + "\n")
    return paths


def console_tables(out_dir: Path) -> str:
    """The verdicts at each family's reference condition and the findings of the analysis in `out_dir`,
    as Markdown tables for a terminal (read from what `analyze` wrote there)."""
    references = {(entry["population"], section["benchmark"], section["family"]): section["reference_condition"]
                  for entry in read_figure_data(out_dir) for section in entry["sections"]}
    page = read_benchmark_statistics(out_dir)
    verdicts = verdict_digest(page["rows"], references)
    planned = page.get("seeds_needed_rule")
    if not planned:
        verdicts = verdicts.drop(columns=["seeds needed"])
    findings = findings_digest(read_claims(out_dir)).drop(columns=["statement"])
    return "\n".join([
        "Verdicts at each family's reference condition (all conditions: summary.md)",
        verdicts.to_markdown(index=False),
        *([planned] if planned else []),
        "",
        "The paper's findings (statements: summary.md; evidence: claims.json)",
        findings.to_markdown(index=False, maxcolwidths=[None, None, None, None, 90]),
    ])
