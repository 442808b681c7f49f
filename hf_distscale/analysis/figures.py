"""The paper's figure types, drawn from a results table and its statistics.

Every figure is one family, written as PNG and SVG:

- `top_seeds_<family>`: the top-5 seeds by breakthroughness B and by
  linearity L as fixed-seed scaling curves (paper Figure 1);
- `violins_<family>`: the metric's seed distribution across test lengths,
  one panel per scale (paper Figure 2);
- `fractions_<family>`: the failed fraction (< 10%), the successful fraction
  (> 50%) and the successful mean against scale, one line per test length,
  with 95% bootstrap intervals (paper Figure 3);
- `histograms_<family>`: histograms per scale (rows) and test length
  (columns); the paper's lengths 50, 60, ..., 100 where the table has them,
  otherwise up to 6 of the table's lengths, evenly spread (paper Figures 4-6).

Figures use matplotlib's object API (no pyplot state), which renders with Agg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from hf_distscale.analysis.breakthrough import top_seeds
from hf_distscale.analysis.schema import METRIC_LABELS, scale_table

PAPER_HISTOGRAM_LENGTHS = (50, 60, 70, 80, 90, 100)
MAX_HISTOGRAM_COLUMNS = 6
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
    if paper:
        return paper
    picks = np.unique(np.linspace(0, len(lengths) - 1, min(len(lengths), MAX_HISTOGRAM_COLUMNS)).round())
    return [lengths[int(i)] for i in picks]


def _length_colors(lengths) -> dict[int, tuple]:
    cmap = colormaps["viridis"]
    return {length: cmap(i / max(len(lengths) - 1, 1)) for i, length in enumerate(lengths)}


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
    """Top-k seeds by B (left) and by L (right) as scaling curves, at the length B/L used."""
    test_length = int(breakthrough.loc[breakthrough["family"] == family, "test_length"].iloc[0])
    scales, rows = _family_view(results, family)
    rows = rows[rows["test_length"] == test_length]
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    for ax, by, symbol in zip(axes, ("breakthroughness", "linearity"), ("B", "L")):
        scores = breakthrough[breakthrough["family"] == family].set_index("seed")[by]
        for seed in top_seeds(breakthrough, family, by, k):
            curve = rows[rows["seed"] == seed].sort_values("scale_index")
            ax.plot(curve["scale_index"], curve[metric], marker="o", label=f"seed {seed} ({symbol}={scores[seed]:.3g})")
        ax.set_title(f"top {k} seeds by {by} {symbol}")
        ax.set_xticks(scales["scale_index"], scale_labels(scales))
        ax.set_xlabel("scale (parameters N)")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(f"{METRIC_LABELS[metric]} (fraction)")
    figure.suptitle(f"{family}: fixed-seed scaling curves, {metric} at test length {test_length}")
    return save_figure(figure, out_dir, f"top_seeds_{family}")


def plot_violins(results: pd.DataFrame, family: str, metric: str, out_dir: Path) -> dict[str, Path]:
    """Violins of the seed distribution across test lengths, one panel per scale."""
    scales, rows = _family_view(results, family)
    lengths = sorted(rows["test_length"].unique())
    figure = Figure(figsize=(3.2 * len(scales) + 1, 3.8), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(scales), sharey=True, squeeze=False)[0])
    for ax, scale in zip(axes, scales.itertuples()):
        at_scale = rows[rows["scale_index"] == scale.scale_index]
        data = [at_scale.loc[at_scale["test_length"] == x, metric].to_numpy() for x in lengths]
        positions = [i for i, d in enumerate(data) if len(d) > 0]
        parts = ax.violinplot([data[i] for i in positions], positions=positions, widths=0.85, showmedians=True)
        for body in parts["bodies"]:
            body.set_alpha(0.6)
        ax.set_xticks(range(len(lengths)), [str(x) for x in lengths], fontsize=8)
        ax.set_title(f"{scale.scale} ({_short_count(scale.num_parameters)})")
        ax.set_xlabel("test length (tokens)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel(f"{METRIC_LABELS[metric]} (fraction)")
    figure.suptitle(f"{family}: distribution of {metric} over seeds across test lengths")
    return save_figure(figure, out_dir, f"violins_{family}")


def plot_fractions(per_scale: pd.DataFrame, family: str, metric: str, out_dir: Path) -> dict[str, Path]:
    """Failed fraction, successful fraction and successful mean against scale, with 95% CIs."""
    table = per_scale[per_scale["family"] == family]
    scales = table.drop_duplicates("scale_index").sort_values("scale_index")
    lengths = sorted(table["test_length"].unique())
    colors = _length_colors(lengths)
    figure = Figure(figsize=(15, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    panels = (
        ("frac_failed", f"fraction of seeds with {metric} < 10%"),
        ("frac_successful", f"fraction of seeds with {metric} > 50%"),
        ("successful_mean", f"mean {metric} of seeds above 50%"),
    )
    offsets = np.linspace(-0.15, 0.15, len(lengths)) if len(lengths) > 1 else [0.0]
    for ax, (column, title) in zip(axes, panels):
        for offset, length in zip(offsets, lengths):
            rows = table[table["test_length"] == length].sort_values("scale_index")
            x = rows["scale_index"].to_numpy() + offset
            y = rows[column].to_numpy()
            error = np.abs(np.vstack([y - rows[f"{column}_ci_low"], rows[f"{column}_ci_high"] - y]))
            ax.errorbar(x, y, yerr=error, marker="o", ms=4, capsize=2, color=colors[length], label=f"length {length}")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(scales["scale_index"], scale_labels(scales))
        ax.set_xlabel("scale (parameters N)")
        ax.set_ylabel("fraction of seeds" if column.startswith("frac") else f"{metric} (fraction)")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8, title="test length", loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.suptitle(f"{family}: failed / successful seeds and successful mean vs scale ({metric}, 95% bootstrap CI)")
    return save_figure(figure, out_dir, f"fractions_{family}")


def plot_histograms(results: pd.DataFrame, family: str, metric: str, out_dir: Path) -> dict[str, Path]:
    """Histograms of the seed distribution: rows are scales, columns test lengths."""
    scales, rows = _family_view(results, family)
    lengths = histogram_lengths(rows["test_length"].unique())
    figure = Figure(figsize=(2.4 * len(lengths) + 1, 1.9 * len(scales) + 1), layout="constrained")
    axes = figure.subplots(len(scales), len(lengths), sharex=True, sharey=True, squeeze=False)
    bins = np.linspace(0, 1, 21)
    for i, scale in enumerate(scales.itertuples()):
        for j, length in enumerate(lengths):
            ax = axes[i, j]
            values = rows.loc[(rows["scale_index"] == scale.scale_index) & (rows["test_length"] == length), metric]
            ax.hist(values, bins=bins, color="tab:blue", alpha=0.8)
            if i == 0:
                ax.set_title(f"test length {length}", fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{scale.scale}\nseeds", fontsize=9)
            if i == len(scales) - 1:
                ax.set_xlabel(f"{metric} (fraction)", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.label_outer()
    figure.suptitle(f"{family}: histograms of {metric} over seeds, per scale and test length")
    return save_figure(figure, out_dir, f"histograms_{family}")
