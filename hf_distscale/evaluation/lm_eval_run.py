"""The lm-eval benchmark: lm-evaluation-harness tasks on a population of causal LMs, resumably.

Tasks are built once for the whole population (`TaskManager` indexing is the
slow part: 13-18 s with lm-eval's own tasks), then every model goes through
`lm_eval.evaluator.evaluate(HFLM(pretrained=model), ..., log_samples=True)`.
Per model and task it writes results-table rows (one per subject task and one
for the task or group as given) and keeps every item's per-choice
log-likelihoods in a side table, `<out>.items.parquet`, so later metrics need
no model. Both files are replaced atomically after each model (the side table
first), and a (model, task) pair with an aggregate row is skipped on rerun, so
a killed run loses at most the model in flight (see `evaluation.loop`).
"""

from __future__ import annotations

import difflib
import logging
import sys
from pathlib import Path

import evaluate
import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import hf_distscale
from hf_distscale.data.lm_eval_tasks import lm_eval_task_folders
from hf_distscale.evaluation.loop import evaluate_models
from hf_distscale.evaluation.models import ModelRef, model_folder, resolve_models
from hf_distscale.evaluation.multiple_choice import leaves_under
from hf_distscale.formats.results import write_table
from hf_distscale.hub.reading import dataset_card_data

PACKAGE = Path(hf_distscale.__file__).parent
METRIC = PACKAGE / "metrics" / "multiple_choice"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def items_path(out: str | Path) -> Path:
    """The side table of per-item log-likelihoods next to the results table."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".parquet") + ".items.parquet")


def build_tasks(tasks: list[str], num_fewshot: int | None = None,
                include_path: str | None = None) -> dict[str, dict]:
    """Task name -> `TaskManager.load` result (tasks, groups, group_map), built once.

    Our tasks (`hf_distscale/lm_eval_tasks`) need no index of lm-eval's own;
    `include_path` adds a folder of task YAMLs, as lm-eval's `--include_path`.

    lm-eval's own tasks (e.g. `mmlu`) are indexed only when a requested name
    is not one of ours. An unknown name, a split the task's dataset lacks, and
    few-shot examples from a split carved out of the test split are each a
    ValueError saying what to do.
    """
    from lm_eval.tasks import TaskManager  # lm_eval is heavy: imported only when tasks are built

    folders = lm_eval_task_folders() + ([str(include_path)] if include_path else [])
    manager = TaskManager(include_path=folders, include_defaults=False)
    if include_path or not set(tasks) <= set(manager.all_tasks):  # included YAMLs may use lm-eval's
        print("indexing lm-eval's own tasks for a name that is not ours (10-20 s)...",
              file=sys.stderr)
        manager = TaskManager(include_path=folders, include_defaults=True)
    for name in tasks:
        if name not in manager.all_tasks:
            close = difflib.get_close_matches(name, manager.all_tasks, n=5, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "see `lm-eval ls tasks`"
            raise ValueError(f"tasks: {name!r} is not an lm-eval task or group; {hint}")
    try:
        built = {name: manager.load([name]) for name in tasks}
    except OSError as err:  # lm-eval's own tasks download their data on first use
        raise ValueError(
            f"tasks: could not load the data of {', '.join(tasks)} ({str(err).splitlines()[0]}); "
            f"check the network, HF_HUB_OFFLINE and HF_DATASETS_OFFLINE"
        ) from None
    except KeyError as err:  # lm-eval indexes the dataset by split name while building a task
        raise ValueError(
            f"tasks: the dataset of {', '.join(tasks)} has no {err.args[0]!r} split, which the task "
            f"reads (lm-eval's mmlu tasks read 'dev' for few-shot examples, even zero-shot); add a "
            f"{err.args[0]!r} split to the dataset (`make real-assets` builds cais/mmlu with one)"
        ) from None
    for loaded in built.values():
        for task in loaded["tasks"].values():
            if task.get_config("output_type") != "multiple_choice":
                raise ValueError(
                    f"tasks: {task.config.task!r} is a {task.get_config('output_type')} task; "
                    f"`lm-eval` scores multiple-choice tasks (such as mmlu)"
                )
            if num_fewshot is not None and task.get_config("num_fewshot") != 0:
                task.set_config(key="num_fewshot", value=num_fewshot)
            elif task.get_config("num_fewshot") is None:
                task.set_config(key="num_fewshot", value=0)
            task.set_fewshot_seed(seed=1234)  # lm-eval's default, as in simple_evaluate
    _refuse_carved_fewshot([task for loaded in built.values() for task in loaded["tasks"].values()])
    return built


def _refuse_carved_fewshot(tasks: list) -> None:
    """A ValueError when a few-shot task draws its examples from a split that its dataset's card
    says was carved from the test split (`hf_distscale.carved_dev_split`): test items would
    appear in their own prompts."""
    cards = {}
    for task in tasks:
        shots, split = task.get_config("num_fewshot"), task.fewshot_cfg.split
        if not shots or split is None:
            continue
        path = task.get_config("dataset_path")
        if not isinstance(path, str) or not (Path(path).is_dir() or "/" in path):
            continue  # a builder name ("json") or a custom loader: no card to read
        if path not in cards:
            cards[path] = dataset_card_data(path).get("hf_distscale", {}).get("carved_dev_split") or {}
        carved = cards[path]
        if carved.get("split") == split:
            raise ValueError(
                f"tasks: {task.config.task} with {shots}-shot would take its examples from the "
                f"{split!r} split of {path}, which was carved from its {carved.get('from')!r} split, "
                f"so test items would appear in their own prompts; run zero-shot (--num-fewshot 0) "
                f"or use a dataset with a real {split!r} split"
            )


def evaluate_lm_population(
    sources: str | Path | list[str] | list[ModelRef],
    tasks: list[str],
    out: str | Path,
    limit: int | float | None = None,
    batch_size: int = 32,
    device: str | None = None,
    num_fewshot: int | None = None,
    dtype: str = "auto",
    include_path: str | None = None,
    **identity,
) -> pd.DataFrame:
    """Evaluate every model of `sources` on `tasks`; returns the whole results table at `out`.

    `sources`: one spec or a list of specs for `resolve_models` (folders,
    repo-id patterns), or resolved references; `identity` (population, family,
    name_rule) goes to `resolve_models`. `limit`, `batch_size`, `num_fewshot`
    and `include_path` are lm-eval's; `dtype` "auto" is float32 on CPU and the checkpoint's dtype
    elsewhere. Rows already in `out` count as done whatever `limit` made them;
    write a full run to a new `out`.
    """
    if not tasks:
        raise ValueError("tasks: give at least one lm-eval task, e.g. --tasks mmlu")
    refs = [sources] if isinstance(sources, (str, Path)) else list(sources)
    if not all(isinstance(ref, ModelRef) for ref in refs):
        refs = resolve_models([str(spec) for spec in refs], **identity)
    for ref in refs:
        if ref.task is not None:
            raise ValueError(
                f"model: {ref.model_path} was trained on the counting task, so its tokenizer is the "
                f"counting task's (one token per number), not a text tokenizer, and lm-eval's prompts "
                f"are text; score it with `hf-distscale eval`, and give `lm-eval` language models "
                f"(e.g. a population from `hf-distscale reinit`)"
            )
        if ref.folder is not None:
            _check_tokenizer(ref.folder)
    benchmark = LMEval(build_tasks(tasks, num_fewshot, include_path), items_path(out), limit,
                       batch_size, dtype)
    return evaluate_models(refs, benchmark, out, device)


class LMEval:
    """The lm-eval adapter of the evaluation loop: HFLM over the loaded model, tasks built once.

    It keeps every item's per-choice log-likelihoods in its side table, written
    before the results rows, so a kill between the two only redoes that model.
    """

    def __init__(self, built: dict[str, dict], items_file: Path, limit, batch_size: int,
                 dtype: str):
        self.built, self.items_file = built, items_file
        self.limit, self.batch_size, self.dtype = limit, batch_size, dtype
        self.metric = evaluate.load(str(METRIC))
        self.items = None  # read at the first score, under the results table's lock
        logging.getLogger("lm_eval").setLevel(logging.ERROR)

    def pending(self, done: pd.DataFrame, ref: ModelRef) -> list[str]:
        """Tasks without their aggregate row (written with all the task's others)."""
        finished = set(done.loc[done["benchmark"] == done["condition"], "benchmark"])
        return [name for name in self.built if name not in finished]

    def load(self, ref: ModelRef, device: str):
        return (*load_lm(ref, device, self.dtype), device)

    def score(self, loaded, ref: ModelRef, pending: list[str]) -> list[dict]:
        results = _run_lm_eval(*loaded, self.built, pending, self.limit, self.batch_size)
        rows, new_items = [], []
        for name in pending:
            task_rows, task_items = _task_rows(results, self.built[name], name, ref, self.metric)
            rows += task_rows
            new_items.append(task_items)
        if self.items is None:
            self.items = pd.read_parquet(self.items_file) if self.items_file.is_file() else pd.DataFrame()
        if not self.items.empty:
            stale = (self.items["model_path"] == ref.model_path) & self.items["benchmark"].isin(pending)
            new_items.insert(0, self.items[~stale])
        self.items = pd.concat(new_items, ignore_index=True)
        write_table(self.items, self.items_file)
        return rows


def load_lm(ref: ModelRef, device: str = "cpu", dtype: str = "auto"):
    """(model in eval mode on `device`, tokenizer) of one model.

    `dtype` "auto" is float32 on CPU and the checkpoint's dtype elsewhere.
    """
    torch_dtype = torch.float32 if dtype == "auto" and device == "cpu" else dtype
    folder = model_folder(ref)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"model: {ref.model_path} has no usable tokenizer ({type(err).__name__}); save "
            f"one next to the weights with `tokenizer.save_pretrained(folder)`"
        ) from None
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype)
    return model.to(device).eval(), tokenizer


def _check_tokenizer(folder: Path) -> None:
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ValueError(
            f"model: {folder} has no tokenizer (none of {', '.join(TOKENIZER_FILES)}); save one "
            f"next to the weights with `tokenizer.save_pretrained(folder)`"
        )


def _run_lm_eval(model, tokenizer, device, built, pending, limit, batch_size) -> dict:
    from lm_eval.evaluator import evaluate as lm_evaluate  # heavy, as in build_tasks
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, device=device)
    task_dict = {part: {key: value for name in pending for key, value in built[name][part].items()}
                 for part in ("tasks", "groups", "group_map")}
    return lm_evaluate(lm=lm, task_dict=task_dict, limit=limit, log_samples=True,
                       bootstrap_iters=0, verbosity="ERROR")


def _task_rows(results, loaded, name, ref, metric) -> tuple[list[dict], pd.DataFrame]:
    """One row per subject task (leaf), one per group inside `name` (e.g. mmlu's four
    categories) and one for `name`; the items of every leaf."""
    leaves = list(loaded["tasks"])
    samples = {leaf: results["samples"][leaf] for leaf in leaves}
    groups = [str(group) for group in loaded["groups"] if str(group) != name]
    group_map = {str(group): children for group, children in loaded["group_map"].items()}
    conditions = ([] if leaves == [name] else leaves) + groups + [name]
    rows = []
    for condition in conditions:
        pooled = sum((samples[leaf] for leaf in leaves_under(condition, group_map, leaves)), [])
        lls = [[float(resp[0]) for resp in s["filtered_resps"]] for s in pooled]
        gold = [int(s["target"]) for s in pooled]
        scores = metric.compute(loglikelihoods=lls, references=gold)
        reported = results["results"].get(condition, {})
        rows.append({
            **ref.identity,
            "benchmark": name,
            "condition": condition,
            "test_length": -1,
            "n_examples": len(pooled),
            "chance": scores["chance"],
            "acc": reported.get("acc,none", np.mean([s["acc"] for s in pooled])),
            "acc_norm": reported.get("acc_norm,none", float("nan")),
            "nll_correct": scores["nll_correct"],
            "p_correct": scores["p_correct"],
            "brier": scores["brier"],
            "model_path": ref.model_path,
        })
    items = pd.DataFrame([
        {
            "model_path": ref.model_path,
            "population": ref.identity["population"],
            "scale": ref.identity["scale"],
            "seed": ref.identity["seed"],
            "benchmark": name,
            "condition": leaf,
            "doc_id": int(s["doc_id"]),
            "target": int(s["target"]),
            "loglikelihoods": [float(resp[0]) for resp in s["filtered_resps"]],
            "is_greedy": [bool(resp[1]) for resp in s["filtered_resps"]],
        }
        for leaf in leaves
        for s in samples[leaf]
    ])
    return rows, items
