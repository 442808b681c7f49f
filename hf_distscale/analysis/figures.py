"""The paper's figure types, drawn from a results table and its statistics.

Every figure is one family of one population on one benchmark (the caller
passes that population's and benchmark's rows), written as PNG and SVG:

- `top_seeds_<family>`: the top-5 seeds by breakthroughness B and by
  linearity L as fixed-seed scaling curves (paper Figure 1); with fewer than
  4 scales B = L, so one panel shows the one ranking;
- `violins_<family>`: the metric's seed distribution across conditions (test
  lengths for counting), one panel per scale (paper Figure 2);
- `fractions_<family>`: the failed fraction, the successful fraction and the
  successful mean against scale, one line per condition, with 95% bootstrap
  intervals (paper Figure 3);
- `histograms_<family>`: histograms per scale (rows) and condition
  (columns), every panel on the same x and y axes, with the failure and
  success lines marked; every condition when there are at most 8, else the
  paper's lengths 50, 60, ..., 100 where the table has them, otherwise 8
  evenly spread, and always the condition B and L use; the title names
  what was left out (paper Figures 4-6).

Figures use matplotlib's object API (no pyplot state), which renders with Agg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from hf_distscale.analysis.breakthrough import top_seeds
from hf_distscale.analysis.schema import METRIC_LABELS, condition_order, scale_table
from hf_distscale.analysis.thresholds import metric_info, score_thresholds

PAPER_HISTOGRAM_LENGTHS = (50, 60, 70, 80, 90, 100)
MAX_HISTOGRAM_COLUMNS = 8
# Beyond these, a figure stays readable at paper size (71 test lengths): violins show
# MAX_VIOLIN_CONDITIONS chosen conditions, fraction lines get a colour bar instead of a legend.
MAX_VIOLIN_CONDITIONS = 12
MAX_LEGEND_CONDITIONS = 8
MAX_PANEL_COLUMNS = 5
DPI = 120


def save_figure(figure: Figure, out_dir: Path, name: str) -> dict[str, Path]:
    """Write `figure` as out_dir/name.png and .svg; return {"png": path, "svg": path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for extension in ("png", "svg"):
        paths[extension] = out_dir / f"{name}.{extension}"
        figure.savefig(paths[extension], dpi=DPI)
    return paths


def scale_labels(scales: pd.DataFrame) -> list[str]:
    """Tick labels "<scale>\\nN=<params>" in scale_index order."""
    return [f"{row.scale}\n{_short_count(row.num_parameters)}" for row in scales.itertuples()]


def _short_count(count: float) -> str:
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if count >= divisor:
            return f"N={count / divisor:.3g}{suffix}"
    return f"N={count:.0f}"


def histogram_lengths(test_lengths) -> list[int]:
    """Test lengths the histogram grid shows (rule in the module docstring)."""
    lengths = sorted(set(int(x) for x in test_lengths))
    paper = [x for x in PAPER_HISTOGRAM_LENGTHS if x in lengths]
    if len(lengths) > MAX_HISTOGRAM_COLUMNS and paper:
        return paper
    return [lengths[i] for i in _spread(len(lengths))]


def histogram_conditions(rows: pd.DataFrame, keep: str | None = None) -> list[str]:
    """Conditions the histogram grid shows: `histogram_lengths` for counting, else up to 8 spread ones;
    `keep` (the condition B and L use) is always among them."""
    conditions = condition_order(rows)
    lengths = rows.drop_duplicates("condition").set_index("condition")["test_length"]
    if (lengths[conditions] >= 0).all():
        chosen = set(histogram_lengths(lengths))
        shown = [c for c in conditions if lengths[c] in chosen]
    else:
        shown = [conditions[i] for i in _spread(len(conditions))]
    if keep in conditions and keep not in shown:
        shown = [c for c in conditions if c in shown or c == keep]
    return shown


def _spread(count: int, most: int = MAX_HISTOGRAM_COLUMNS) -> list[int]:
    """Up to `most` indices into `count` items, evenly spread, ends included."""
    picks = np.unique(np.linspace(0, count - 1, min(count, most)).round())
    return [int(i) for i in picks]


def violin_conditions(rows: pd.DataFrame) -> list[str]:
    """Every condition up to MAX_VIOLIN_CONDITIONS; beyond, the counting lengths that are multiples
    of 10 (the paper's 30, 40, ..., 100) when 2 to MAX_VIOLIN_CONDITIONS of them exist, else that
    many conditions evenly spread."""
    conditions = condition_order(rows)
    if len(conditions) <= MAX_VIOLIN_CONDITIONS:
        return conditions
    lengths = rows.drop_duplicates("condition").set_index("condition")["test_length"]
    round_tens = [c for c in conditions if lengths[c] > 0 and lengths[c] % 10 == 0]
    if 2 <= len(round_tens) <= MAX_VIOLIN_CONDITIONS:
        return round_tens
    return [conditions[i] for i in _spread(len(conditions), MAX_VIOLIN_CONDITIONS)]


def condition_label(rows: pd.DataFrame, condition: str) -> str:
    """"length 18" for a counting condition, else the condition's name."""
    length = int(rows.loc[rows["condition"] == condition, "test_length"].iloc[0])
    return f"length {length}" if length >= 0 else condition


def _metric_limits(metric: str) -> tuple[float, float] | None:
    """(-0.03, 1.03) for a score in [0, 1]; None (automatic) for NLL-like metrics."""
    return (-0.03, 1.03) if metric_info(metric)["bounded"] else None


def _condition_colors(conditions) -> dict[str, tuple]:
    cmap = colormaps["viridis"]
    return {condition: cmap(i / max(len(conditions) - 1, 1)) for i, condition in enumerate(conditions)}


def _family_view(results: pd.DataFrame, family: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the family's scale table, the family's result rows)."""
    scales = scale_table(results)
    return scales[scales["family"] == family], results[results["family"] == family]


def plot_top_seeds(
    results: pd.DataFrame,
    breakthrough: pd.DataFrame,
    family: str,
    metric: str,
    out_dir: Path,
    k: int = 5,
) -> dict[str, Path]:
    """Top-k seeds by B and by L as scaling curves, at the condition B/L used.

    `breakthrough` holds the rows of one series. With fewer than 4 scales
    B = L for every seed, so one panel shows the one ranking.
    """
    condition = breakthrough["condition"].iloc[0]
    identical = bool(breakthrough["rankings_identical"].iloc[0])
    scales, rows = _family_view(results, family)
    rows = rows[rows["condition"] == condition]
    rankings = (("breakthroughness", "B"),) if identical else (("breakthroughness", "B"), ("linearity", "L"))
    figure = Figure(figsize=(5.5 * len(rankings), 4.2), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(rankings), sharey=True))
    for ax, (by, symbol) in zip(axes, rankings):
        scores = breakthrough.set_index("seed")[by]
        for seed in top_seeds(breakthrough, by, k):
            curve = rows[rows["seed"] == seed].sort_values("scale_index")
            ax.plot(curve["scale_index"], curve[metric], marker="o", label=f"seed {seed} ({symbol}={scores[seed]:.3g})")
        title = f"top {k} seeds by {by} {symbol}"
        if identical:
            title += f"\n(= linearity L: {len(scales)} scales; B and L differ from 4 scales on)"
        ax.set_title(title, fontsize=10)
        ax.set_xticks(scales["scale_index"], scale_labels(scales))
        ax.set_xlabel("scale (parameters N)")
        ax.set_ylim(_metric_limits(metric))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(METRIC_LABELS[metric])
    figure.suptitle(f"{family}: fixed-seed scaling curves, {metric} at {condition_label(results, condition)}")
    return save_figure(figure, out_dir, f"top_seeds_{family}")


def plot_violins(results: pd.DataFrame, family: str, metric: str, out_dir: Path) -> dict[str, Path]:
    """Violins of the seed distribution across conditions (`violin_conditions`), one panel per scale,
    at most MAX_PANEL_COLUMNS panels a row."""
    scales, rows = _family_view(results, family)
    conditions = violin_conditions(rows)
    columns = min(len(scales), MAX_PANEL_COLUMNS)
    panel_rows = -(-len(scales) // columns)
    width = max(3.2, 0.45 * len(conditions) + 0.6)
    figure = Figure(figsize=(width * columns + 1, 3.6 * panel_rows + 0.4), layout="constrained")
    grid = figure.subplots(panel_rows, columns, sharey=True, squeeze=False)
    for ax in grid.ravel()[len(scales):]:
        ax.set_visible(False)
    axes = grid.ravel()[: len(scales)]
    for ax, scale in zip(axes, scales.itertuples()):
        at_scale = rows[rows["scale_index"] == scale.scale_index]
        data = [at_scale.loc[at_scale["condition"] == x, metric].to_numpy() for x in conditions]
        positions = [i for i, d in enumerate(data) if len(d) > 0]
        parts = ax.violinplot([data[i] for i in positions], positions=positions, widths=0.85, showmedians=True)
        for body in parts["bodies"]:
            body.set_alpha(0.6)
        labels = [condition_label(rows, x).removeprefix("length ") for x in conditions]
        ax.set_xticks(range(len(conditions)), labels, fontsize=8, rotation=0 if len(conditions) <= 8 else 45)
        ax.set_title(f"{scale.scale} ({_short_count(scale.num_parameters)})")
        ax.set_xlabel("test length" if labels[0].isdigit() else "condition")
        ax.set_ylim(_metric_limits(metric))
        ax.grid(alpha=0.3, axis="y")
    for ax in grid[:, 0]:
        ax.set_ylabel(METRIC_LABELS[metric])
    shown = len(conditions), len(condition_order(rows))
    subset = f" ({shown[0]} of {shown[1]} conditions)" if shown[0] < shown[1] else ""
    figure.suptitle(f"{family}: distribution of {metric} over seeds across conditions{subset}")
    return save_figure(figure, out_dir, f"violins_{family}")


def plot_fractions(per_scale: pd.DataFrame, family: str, metric: str, out_dir: Path) -> dict[str, Path]:
    """Failed fraction, successful fraction and successful mean against scale, with 95% CIs.

    `per_scale` holds the statistics rows of one population and benchmark.
    """
    table = per_scale[per_scale["family"] == family]
    scales = table.drop_duplicates("scale_index").sort_values("scale_index")
    conditions = condition_order(table)
    colors = _condition_colors(conditions)
    figure = Figure(figsize=(15, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    panels = (
        ("frac_failed", f"fraction of seeds that failed ({metric} below the failure line)"),
        ("frac_successful", f"fraction of seeds that succeeded ({metric} above the success line)"),
        ("successful_mean", f"mean {metric} of successful seeds"),
    )
    many = len(conditions) > MAX_LEGEND_CONDITIONS
    highlighted = set(histogram_conditions(table)) if many else set(conditions)
    spread = np.linspace(-0.15, 0.15, len(highlighted)) if len(highlighted) > 1 else [0.0]
    offsets = dict(zip([c for c in conditions if c in highlighted], spread))
    for ax, (column, title) in zip(axes, panels):
        for condition in conditions:
            rows = table[table["condition"] == condition].sort_values("scale_index")
            y = rows[column].to_numpy()
            if condition not in highlighted:
                ax.plot(rows["scale_index"], y, lw=0.8, alpha=0.45, color=colors[condition])
                continue
            error = np.abs(np.vstack([y - rows[f"{column}_ci_low"], rows[f"{column}_ci_high"] - y]))
            ax.errorbar(rows["scale_index"].to_numpy() + offsets[condition], y, yerr=error, marker="o", ms=4,
                        capsize=2, lw=2 if many else 1.5, color=colors[condition],
                        label=condition_label(table, condition))
        ax.set_title(title, fontsize=10)
        ax.set_xticks(scales["scale_index"], scale_labels(scales))
        ax.set_xlabel("scale (parameters N)")
        ax.set_ylabel("fraction of seeds" if column.startswith("frac") else metric)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    if many:
        _condition_colorbar(figure, axes, table, conditions)
        axes[0].legend(fontsize=8, title="with 95% CI", loc="best")
    else:
        axes[-1].legend(fontsize=8, title="condition", loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.suptitle(f"{family}: failed / successful seeds and successful mean vs scale "
                    f"({metric}; fractions: exact 95% Clopper-Pearson, mean: 95% bootstrap)")
    return save_figure(figure, out_dir, f"fractions_{family}")


def _condition_colorbar(figure: Figure, axes, table: pd.DataFrame, conditions: list[str]) -> None:
    """A viridis colour bar over the condition order, ticked with test lengths (or condition numbers)."""
    bar = figure.colorbar(ScalarMappable(Normalize(0, len(conditions) - 1), colormaps["viridis"]), ax=axes,
                          pad=0.01, aspect=30)
    ticks = _spread(len(conditions), 8)
    labels = [condition_label(table, conditions[i]).removeprefix("length ") for i in ticks]
    counting = all(label.isdigit() for label in labels)
    bar.set_ticks(ticks, labels=labels if counting else [str(i + 1) for i in ticks])
    bar.set_label("test length" if counting else f"condition (1-{len(conditions)}, in order)")


def plot_histograms(results: pd.DataFrame, family: str, metric: str, out_dir: Path,
                    keep: str | None = None) -> dict[str, Path]:
    """Histograms of the seed distribution: rows are scales, columns conditions (`histogram_conditions`,
    with `keep` among them), on shared axes, with the benchmark's failure and success lines."""
    scales, rows = _family_view(results, family)
    conditions = histogram_conditions(rows, keep)
    figure = Figure(figsize=(2.4 * len(conditions) + 1, 1.9 * len(scales) + 1), layout="constrained")
    axes = figure.subplots(len(scales), len(conditions), sharex=True, sharey=True, squeeze=False)
    limits = _metric_limits(metric)
    bins = np.linspace(0, 1, 21) if limits else np.histogram_bin_edges(rows[metric], bins=20)
    lines = score_thresholds(str(rows["benchmark"].iloc[0]), metric, float(rows["chance"].iloc[0]))
    for i, scale in enumerate(scales.itertuples()):
        for j, condition in enumerate(conditions):
            ax = axes[i, j]
            values = rows.loc[(rows["scale_index"] == scale.scale_index) & (rows["condition"] == condition), metric]
            ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
            if lines is not None:
                ax.axvline(lines.failure, color="tab:red", ls="--", lw=0.9, label="failure line")
                ax.axvline(lines.success, color="tab:green", ls="--", lw=0.9, label="success line")
            if i == 0:
                ax.set_title(condition_label(rows, condition), fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{scale.scale}\nseeds", fontsize=9)
            if i == len(scales) - 1:
                ax.set_xlabel(metric, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.label_outer()
    if lines is not None:
        axes[0, -1].legend(fontsize=7, loc="upper right")
    all_conditions = condition_order(rows)
    left_out = [condition_label(rows, c) for c in all_conditions if c not in conditions]
    note = f"\n({len(conditions)} of {len(all_conditions)} conditions; left out: {', '.join(left_out)})" if left_out else ""
    figure.suptitle(f"{family}: histograms of {metric} over seeds, per scale and condition{note}")
    return save_figure(figure, out_dir, f"histograms_{family}")
