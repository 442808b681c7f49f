"""lm-eval results someone already has -> the results table (`hf-distscale ingest`).

Public seed populations come with lm-eval output, not with our results table.
What lm-eval writes (0.4.x, `lm_eval --output_path OUT --log_samples`, see its
`loggers/evaluation_tracker.py`):

    OUT/<org>__<name>/results_<date>.json
    OUT/<org>__<name>/samples_<task>_<date>.jsonl     one line per item of a task

A results file holds `results` (task or group -> "acc,none", "acc_stderr,none",
..., "alias"), `groups`, `group_subtasks` (group -> its tasks), `n-samples`
(task -> {"original", "effective"}), `configs`, `versions`, `higher_is_better`,
`model_name` and `config`, whose `model_args` names the model
("pretrained=EleutherAI/pythia-70m-seed3,revision=step143000", or a dict).
Older lm-eval (0.3) wrote only `results` (task -> "acc", "acc_stderr", ...),
`versions` and `config` with `model_args`. A samples line holds `doc_id`,
`target` (the gold choice's index) and, per choice, `filtered_resps[j] =
[log-likelihood, is_greedy]` (`resps[j]` wraps it once more), as strings.

Each results key (task, subject task or group) becomes one row, as
`hf-distscale lm-eval` writes it: benchmark is the top group above the key
(the key itself outside any group), condition the key, test_length -1.
`acc` and `acc_norm` are the file's numbers (`brier` is lm-eval's
`brier_score`). Where samples files sit beside the results file, nll_correct,
p_correct, brier and chance come from the items' log-likelihoods through
`mean_choice_scores`, the code behind `hf-distscale lm-eval`, pooled over the
subject tasks of a group; n_examples counts the items (else lm-eval's
effective `n-samples`, else -1: unknown) and chance is NaN without samples.

Who a model is comes from its name (`models.name_identity`, by default
PolyPythias' `pythia-{size}[-seed{k}]`, the seed-less model being seed 0, with
a trailing variant such as `-Instruct` or `-deduped` read into the family:
`Qwen2.5-0.5B-Instruct` is family `Qwen2.5-Instruct`, scale `0.5B`; the default
rule must find a size in the name) and
the revision in `model_args`: the population is `<org>/<family>[@<revision>]`
and model_path `hf://<org>/<name>[@<revision>]`, as `hf-distscale lm-eval`
names Hub models, so a checkpoint (`revision=step143000`) is its own
population. num_parameters is the count the scale label says ("70m" ->
70,000,000; -1 for a label that is not a count), and scale_index ranks it.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from pathlib import Path

import pandas as pd

from hf_distscale.evaluation.models import DEFAULT_NAME_RULE, compile_name_rule, name_identity
from hf_distscale.evaluation.multiple_choice import leaves_under, mean_choice_scores
from hf_distscale.evaluation.sources import results_files
from hf_distscale.formats.identity import RESULT_KEY, describe
from hf_distscale.formats.lm_eval import NOT_RESULTS, TABLE_METRICS, read_results_file, read_samples, reported_metrics
from hf_distscale.formats.results import MULTIPLE_CHOICE_METRICS, append_rows, empty_table

# model_args keys that name the model, in lm-eval's order (GeneralConfigTracker._get_model_name).
MODEL_KEYS = ("peft", "delta", "pretrained", "model", "path", "engine")
_COUNT = re.compile(r"^(\d+(?:\.\d+)?)([kmbt])$", re.IGNORECASE)
_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}

def ingest(paths: list[str], name_rule: str | None = None, population: str | None = None,
           family: str | None = None) -> pd.DataFrame:
    """The results table of the lm-eval results files under `paths`; see the module docstring.

    Raises one-line errors (ValueError, FileNotFoundError) for a path that is
    not there, a folder without results files, a file that is not lm-eval's
    or holds no result the table keeps, a metric that is not a number or out
    of its range, a name the rule cannot read (the default rule must find a
    size, such as 70m, in it), two files for one (model, revision, task), and
    seeds of one scale measured on different tasks or metrics.
    """
    rule = compile_name_rule(name_rule or DEFAULT_NAME_RULE)
    sized = name_rule is None
    rows = [row for path in results_files(paths) for row in file_rows(path, rule, population, family, sized)]
    check_unique(rows)
    check_same_measurements(rows)
    return append_rows(empty_table(), rank_scales(rows))


def file_rows(path: Path, rule: re.Pattern, population: str | None = None,
              family: str | None = None, sized: bool = False) -> list[dict]:
    """One row per results key of one lm-eval results file (keys that hold no table metric are
    left out with a warning); each row also carries its `source` file."""
    data = read_results_file(path)
    model, revision = model_of(data, path)
    identity = model_identity(model, revision, rule, path, population, family, sized)
    entries = {**data.get("groups", {}), **data["results"]}
    group_map = {str(group): [str(child) for child in children]  # lm-eval 0.4.2 lists lone tasks, with []
                 for group, children in data.get("group_subtasks", {}).items() if children}
    leaves = [key for key in entries if key not in group_map]
    samples = {leaf: read_samples(found) for leaf in leaves if (found := samples_file(path, leaf))}
    rows, unkept = [], []
    for condition, reported in entries.items():
        under = leaves_under(condition, group_map, leaves)
        pooled = sum((samples[leaf] for leaf in under), []) if all(leaf in samples for leaf in under) else []
        metrics = {**choice_metrics(pooled), **reported_metrics(path, condition, reported)}
        if not any(name in metrics for name in MULTIPLE_CHOICE_METRICS):
            unkept.append(condition)
            continue
        rows.append({
            **identity,
            "benchmark": top_group(condition, group_map),
            "condition": condition,
            "test_length": -1,
            "n_examples": counted_items(data, under),  # the samples' count, where read, replaces it
            "chance": math.nan,
            **metrics,
            "source": str(path),
        })
    if not rows:
        raise ValueError(f"{path}: none of its results ({', '.join(unkept[:4])}{', ...' if len(unkept) > 4 else ''}) "
                         f"holds a metric the results table keeps ({', '.join(TABLE_METRICS)}, or multiple-choice "
                         f"samples); give results of multiple-choice tasks")
    if unkept:
        warnings.warn(f"{path}: left out {', '.join(unkept)}, with none of the metrics the results "
                      f"table keeps ({', '.join(TABLE_METRICS)}, or multiple-choice samples)", stacklevel=2)
    return rows


def model_of(data: dict, path: Path) -> tuple[str, str | None]:
    """(model name or path, revision or None) from `config.model_args`, else `model_name`."""
    args = data["config"].get("model_args") or {}
    if isinstance(args, str):
        args = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    model = next((str(args[key]) for key in MODEL_KEYS if args.get(key)), None) or data.get("model_name")
    if not model:
        raise ValueError(f"{path}: names no model (no pretrained=... in config.model_args, no "
                         f"model_name); {NOT_RESULTS}")
    revision = args.get("revision")
    return model.rstrip("/"), str(revision) if revision else None


def model_identity(model: str, revision: str | None, rule: re.Pattern, path: Path,
                   population: str | None = None, family: str | None = None, sized: bool = False) -> dict:
    """The identity columns and model_path of one model, read by the name rule; see the module docstring.

    With `sized` (the default rule) the scale must be a size such as 70m or 0.5B: nothing else in
    a name says how large the model is, and a word there (Instruct, deduped) is not a scale.
    """
    is_repo_id = model.count("/") <= 1 and not model.startswith((".", "/", "~"))
    org, _, name = model.rpartition("/") if is_repo_id else ("", "", Path(model).name)
    named = name_identity(name, rule, org, revision, population, family)
    if named is not None and named["scale"] and sized and nominal_parameters(named["scale"]) < 0:
        raise ValueError(
            f"{path}: the default name rule '{rule.pattern}' finds no size in the model name {name!r} (it reads "
            f"the scale {named['scale']!r}, not a count like 70m or 0.5B); pass --name-rule REGEX with "
            f"(?P<scale>...) and (?P<seed>...) groups (and optionally (?P<family>...) and (?P<variant>...)) "
            f"that say how to read it"
        )
    if named is None or not named["scale"]:
        problem = "does not match" if named is None else "reads no scale from"
        raise ValueError(
            f"{path}: the name rule '{rule.pattern}' {problem} the model name {name!r}; pass "
            f"--name-rule REGEX with (?P<scale>...) and (?P<seed>...) groups (and optionally "
            f"(?P<family>...)) that match it"
        )
    suffix = f"@{revision}" if revision else ""
    return {
        **named,
        "scale_index": -1,  # set by rank_scales once every model of the population is read
        "num_parameters": nominal_parameters(named["scale"]),
        "num_layers": -1,
        "hidden_size": -1,
        "precision": "",
        "preset": "",
        "model_path": f"hf://{model}{suffix}" if is_repo_id else f"{model}{suffix}",
    }


def samples_file(results: Path, task: str) -> Path | None:
    """The `samples_<task>_<date>.jsonl` written with `results`: the one of the same date, else the
    only one of that task beside it (a renamed results file); None when there is none."""
    exact = results.with_name(f"samples_{task}_{results.stem.rpartition('_')[2]}.jsonl")
    if exact.is_file():
        return exact
    prefix = f"samples_{task}_"  # the date holds no "_", so samples_mmlu_ does not take mmlu_anatomy's
    beside = [found for found in results.parent.glob(f"{prefix}*.jsonl")
              if "_" not in found.name[len(prefix):]]
    return beside[0] if len(beside) == 1 else None


def choice_metrics(samples: list[dict]) -> dict:
    """`mean_choice_scores` of multiple-choice items; {} unless every item is one (a choice index
    as target, two or more scored choices)."""
    if not samples or not all(is_multiple_choice(sample) for sample in samples):
        return {}
    return mean_choice_scores([loglikelihoods(sample) for sample in samples],
                              [int(sample["target"]) for sample in samples])


def is_multiple_choice(sample: dict) -> bool:
    responses = sample.get("filtered_resps", sample.get("resps")) or []
    return len(responses) >= 2 and str(sample.get("target", "")).strip().isdigit()


def loglikelihoods(sample: dict) -> list[float]:
    """Per choice, the log-likelihood lm-eval logged: `filtered_resps[j][0]`, else `resps[j][0][0]`."""
    if "filtered_resps" in sample:
        return [float(resp[0] if isinstance(resp, list) else resp) for resp in sample["filtered_resps"]]
    return [float(resp[0][0]) for resp in sample["resps"]]


def counted_items(data: dict, leaves: list[str]) -> int:
    """Items lm-eval scored over `leaves` by its `n-samples` (effective); -1 when it does not say."""
    counts = data.get("n-samples", {})
    if not all(leaf in counts for leaf in leaves):
        return -1
    return int(sum(counts[leaf].get("effective", counts[leaf].get("original", 0)) for leaf in leaves))


def top_group(key: str, group_map: dict[str, list[str]]) -> str:
    """The outermost group that holds `key` (mmlu for mmlu_anatomy), or `key` itself."""
    parents = {child: group for group, children in group_map.items() for child in children}
    while key in parents:
        key = parents[key]
    return key


def nominal_parameters(scale: str) -> int:
    """The parameter count a scale label says: 70m -> 70,000,000, 1.4b -> 1,400,000,000; -1 otherwise."""
    count = _COUNT.match(scale)
    return round(float(count[1]) * _UNITS[count[2].lower()]) if count else -1


def rank_scales(rows: list[dict]) -> list[dict]:
    """The rows with scale_index: the rank of (num_parameters, scale label) in their population."""
    scales = defaultdict(set)
    for row in rows:
        scales[row["population"]].add((row["num_parameters"], row["scale"]))
    order = {population: sorted(found) for population, found in scales.items()}
    return [{**row, "scale_index": order[row["population"]].index((row["num_parameters"], row["scale"]))}
            for row in rows]


def check_unique(rows: list[dict]) -> None:
    """A ValueError naming both files when two hold the same task of one model (or of one seed)."""
    seen = {}
    for row in rows:
        key = tuple(row[name] for name in RESULT_KEY)
        if key in seen and seen[key]["source"] != row["source"]:
            first = seen[key]
            raise ValueError(
                f"duplicate: {first['source']} and {row['source']} both hold {describe(row)} ({first['model_path']}"
                f"{'' if first['model_path'] == row['model_path'] else ' and ' + row['model_path']}); "
                f"give one of them (lm-eval writes a new results_<date>.json on every run)"
            )
        seen[key] = row


def check_same_measurements(rows: list[dict]) -> None:
    """A ValueError listing what some seeds of a scale lack: seeds compare only on the same tasks and metrics."""
    measured = defaultdict(set)
    for row in rows:
        metrics = {f"{row['condition']} {name}" for name in MULTIPLE_CHOICE_METRICS
                   if name in row and not math.isnan(row[name])}
        measured[(row["population"], row["scale"], row["seed"])] |= metrics
    scales = defaultdict(dict)
    for (population, scale, seed), metrics in measured.items():
        scales[(population, scale)][seed] = metrics
    for (population, scale), seeds in scales.items():
        every = set().union(*seeds.values())
        lacking = {seed: sorted(every - metrics) for seed, metrics in sorted(seeds.items()) if metrics != every}
        if lacking:
            listed = "; ".join(f"seed {seed} lacks {', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}"
                               for seed, missing in lacking.items())
            raise ValueError(
                f"mixed: the seeds of {population} scale {scale} were measured on different tasks or "
                f"metrics ({listed}); give results of one lm-eval setup per scale (same --tasks, "
                f"and --log_samples for all or none)"
            )
