"""lm-eval's own output files as `ingest` reads them: structure and values checked on read.

lm-evaluation-harness (0.3 and 0.4.x) writes a results file,
`results_<date>.json`, holding `results` (task or group -> {"acc,none": 0.61,
"acc_stderr,none": ..., "alias": ...}; before 0.4 the keys have no ",none"),
optionally `groups`, `group_subtasks`, `n-samples`, and `config`, whose
`model_args` names the model; and with `--log_samples` one JSON line per item
in `samples_<task>_<date>.jsonl`. See `evaluation.ingest` for how they become
rows. This module is the contract: a file that is not lm-eval's, that holds no
results, or whose metric is not a number or lies outside its results-table
column's range (`formats.results.SCHEMA`: an accuracy of 1.7) is one line
naming the file, the task and the value.
"""

from __future__ import annotations

import json
from pathlib import Path

from hf_distscale.formats.results import SCHEMA

# lm-eval metric name -> results-table column; other metrics have no column.
TABLE_METRICS = {"acc": "acc", "acc_norm": "acc_norm", "brier_score": "brier"}
NOT_RESULTS = ("expected the JSON file lm-eval's --output_path writes (results_<date>.json), with "
               "'results' (task -> metrics) and 'config' with the 'model_args' that name the model")
# Parts of a results file that, where present, map a task or group to an object (or, for a group's
# subtasks, a list), and how a message says so.
_MAPPINGS = {"results": (dict, "an object"), "groups": (dict, "an object"), "group_subtasks": (list, "a list"),
             "n-samples": (dict, "an object")}


def read_results_file(path: Path) -> dict:
    """The parsed JSON of an lm-eval results file; a ValueError saying what was expected otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not (isinstance(data, dict) and isinstance(data.get("results"), dict)
            and isinstance(data.get("config"), dict)):
        raise ValueError(f"{path}: not an lm-eval results file; {NOT_RESULTS}")
    if not data["results"]:
        raise ValueError(f"{path}: holds no results ('results' is empty: lm-eval ran no task); give a results "
                         f"file of a run that finished its tasks")
    for part, (kind, described) in _MAPPINGS.items():
        mapping = data.get(part, {})
        wrong = [str(key) for key, value in mapping.items()
                 if not isinstance(value, kind)] if isinstance(mapping, dict) else []
        if not isinstance(mapping, dict) or wrong:
            raise ValueError(f"{path}: '{part}' {'of ' + ', '.join(wrong[:3]) + ' ' if wrong else ''}is not what "
                             f"lm-eval writes (task -> {described}); {NOT_RESULTS}")
    return data


def reported_metrics(path: Path, task: str, entry: dict) -> dict[str, float]:
    """The table's metrics among one results entry ("acc,none" or, before lm-eval 0.4, "acc").

    A value that is not a number, or lies outside its column's range, is a
    ValueError naming the file, the task, the metric and the value.
    """
    values = {}
    for key, value in entry.items():
        name, _, filter_name = key.partition(",")
        if name not in TABLE_METRICS or filter_name not in ("", "none") or value is None:
            continue
        column = SCHEMA[TABLE_METRICS[name]]
        fault = column.fault(value)
        if fault:
            raise ValueError(f"{path}: task {task!r} reports {key} = {value!r} ({fault}), but {name} must be "
                             f"{column.meaning}; correct the file or leave it out")
        values[TABLE_METRICS[name]] = float(value)
    return values


def read_samples(path: Path) -> list[dict]:
    """The items of an lm-eval samples file (one JSON object per line); a bad line is named."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            item = err
        if not isinstance(item, dict):
            raise ValueError(f"{path}: line {number} is not a JSON object (lm-eval writes one item per line; "
                             f"the file may be cut short); write it again with lm-eval --log_samples, or "
                             f"move it away to ingest the results file alone")
        items.append(item)
    return items
