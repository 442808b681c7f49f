"""The paper's five findings as checks: each decides on populations where the answer is known."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hf_distscale.analysis import distributional_statistics
from hf_distscale.analysis.findings import (
    CONFIG,
    DOES_NOT_HOLD,
    HOLDS,
    UNTESTABLE,
    evaluate_findings,
    family_groups,
    scaling_dimension,
)
from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.cli import main
from hf_distscale.formats.results import write_table

CONDITION = "len30"


def family(success_probability, success_mean=0.85, grows="depth", n_seeds=40, seed=0, **options) -> pd.DataFrame:
    """A synthetic family whose scales add layers at hidden 64 ("depth"), widen at 2 layers ("width"),
    or add layers at one parameter count ("fixed_params")."""
    scales = len(success_probability)
    parameters = [300_000] * scales if grows == "fixed_params" else [100_000 * 4 ** s for s in range(scales)]
    table = synthetic_results(success_probability, success_mean, parameters, n_seeds=n_seeds, test_lengths=(30,),
                              family=f"{grows}-{seed}", seed=seed, **options)
    index = table["scale_index"]
    table["num_layers"] = 2 if grows == "width" else index + 1
    table["hidden_size"] = {"depth": 64 + 0 * index, "width": 32 * (index + 1), "fixed_params": 128 - 16 * index}[grows]
    return table


def findings_of(table: pd.DataFrame) -> dict[int, dict]:
    statistics = distributional_statistics(table, "em", n_resamples=200)
    references = {name: CONDITION for name in table["family"].unique()}
    groups = family_groups(statistics.per_scale, statistics.breakthrough, table, references, "em")
    return {entry["finding"]: entry for entry in evaluate_findings(groups)}


@pytest.mark.parametrize("grows", ["depth", "width", "fixed_params"])
def test_the_scale_dimension_is_read_from_layers_width_and_parameters(grows):
    assert scaling_dimension(family([0.5] * 3, grows=grows)) == grows


@pytest.mark.parametrize("grows, probability, finding", [("depth", [0.05, 0.3, 0.7, 0.95], 3),
                                                         ("fixed_params", [0.0, 0.2, 0.6, 0.9], 5)])
def test_mass_moving_from_failed_to_successful_seeds_holds_and_its_reverse_does_not(grows, probability, finding):
    assert findings_of(family(probability, grows=grows))[finding]["status"] == HOLDS
    assert findings_of(family(probability[::-1], grows=grows))[finding]["status"] == DOES_NOT_HOLD
    assert findings_of(family([0.5] * 4, grows=grows))[finding]["status"] == DOES_NOT_HOLD


def test_width_raising_the_successful_mean_at_a_steady_p_fail_holds():
    assert findings_of(family([0.5] * 4, [0.6, 0.7, 0.8, 0.9], "width"))[4]["status"] == HOLDS
    moving = findings_of(family([0.05, 0.3, 0.7, 0.95], [0.6, 0.7, 0.8, 0.9], "width"))[4]
    assert moving["status"] == DOES_NOT_HOLD and moving["groups"][0]["p_fail_moves"] < CONFIG["alpha"]
    assert findings_of(family([0.5] * 4, 0.85, "width"))[4]["status"] == DOES_NOT_HOLD


def test_bimodality_holds_on_two_modes_with_adjusted_p_values_and_not_on_settled_groups():
    two_modes = findings_of(family([0.5, 0.5, 0.5, 0.5]))[1]
    assert two_modes["status"] == HOLDS
    raw = [group["p_value"] for group in two_modes["groups"]]
    assert [group["p_adjusted"] for group in two_modes["groups"]] == pytest.approx(
        stats.false_discovery_control(raw, method="bh"))
    settled = findings_of(family([0.0] * 4, failure_mean=0.005, concentration=400))[1]
    assert settled["status"] == DOES_NOT_HOLD and "settled" in settled["reason"]


def test_seed_curves_range_from_breakthrough_like_to_linear_only_from_four_scales():
    mixed = findings_of(family([0.5, 0.5, 0.5, 0.5]))[2]
    assert mixed["status"] == HOLDS
    group = mixed["groups"][0]
    assert group["breakthrough_like"] >= 1 and group["linear"] >= 1
    assert group["breakthrough_like_ci_low"] > 0 and group["linear_ci_high"] < 1
    three = findings_of(family([0.5, 0.5, 0.5]))[2]
    assert three["status"] == UNTESTABLE and "needs 4 or more scales" in three["reason"]


def test_what_cannot_be_tested_says_why():
    findings = findings_of(family([0.05, 0.3, 0.7, 0.95], n_seeds=4))
    assert findings[1]["status"] == UNTESTABLE and "too few seeds" in findings[1]["reason"]
    assert findings[3]["status"] == UNTESTABLE and "too few seeds" in findings[3]["reason"]
    assert findings[4]["status"] == UNTESTABLE and "no width family" in findings[4]["reason"]
    assert findings[5]["status"] == UNTESTABLE and "no fixed-parameter family" in findings[5]["reason"]


def test_analyze_prints_the_verdicts_and_findings_and_writes_one_entry_per_finding(tmp_path, capsys):
    table = pd.concat([family([0.05, 0.3, 0.7, 0.95], n_seeds=12, seed=1, population="both"),
                       family([0.5] * 4, [0.6, 0.7, 0.8, 0.9], "width", n_seeds=12, seed=2, population="both")], ignore_index=True)
    write_table(table, tmp_path / "results.parquet")
    out = tmp_path / "analysis"
    assert main(["analyze", str(tmp_path / "results.parquet"), "--out", str(out), "--resamples", "40",
                 "--no-plan"]) == 0
    printed = capsys.readouterr().out
    claims = json.loads((out / "claims.json").read_text())["claims"]
    assert [claim["finding"] for claim in claims] == [1, 2, 3, 4, 5]
    assert all(claim["status"] in (HOLDS, DOES_NOT_HOLD, UNTESTABLE) and claim["reason"] for claim in claims)
    for claim in claims:
        assert re.search(rf"\|\s+{claim['finding']} \| {claim['status']}\s", printed), claim
    assert "Verdicts at each family's reference condition" in printed
    assert printed.count(" len30 ") == 8  # one verdict row per scale of both families
    assert "## The paper's findings" in (out / "summary.md").read_text()
    assert not any(np.isinf(v) for claim in claims for g in claim["groups"] for v in g.values()
                   if isinstance(v, float))
