"""The generated counting lm-eval tasks agree with `hf-distscale eval` on the same split."""

import pytest
import torch
from lm_eval import simple_evaluate
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager

from eval_helpers import exported_dataset, seed_folder, trained_population
from hf_distscale.data import write_counting_tasks
from hf_distscale.evaluation import evaluate_population

torch.set_num_threads(1)
TASKS = write_counting_tasks()


def test_lm_eval_task_em_matches_hf_distscale_eval(tmp_path):
    table = evaluate_population(trained_population(), tmp_path / "r.parquet")
    manager = TaskManager(
        include_path=str(TASKS),
        include_defaults=False,
        metadata={"data_dir": str(exported_dataset())},
    )
    model = HFLM(pretrained=str(seed_folder(trained_population())), device="cpu", batch_size=64)
    results = simple_evaluate(
        model=model, tasks=["counting_smoke"], task_manager=manager, bootstrap_iters=0
    )
    for row in table.itertuples():
        task = results["results"][f"counting_smoke_len{row.test_length}"]
        assert task["sample_len"] == row.n_examples
        assert round(task["acc,none"] * row.n_examples) == round(row.em * row.n_examples)
    assert 0 < table["em"].mean() < 1


def test_lm_eval_task_without_data_dir_names_the_fix():
    manager = TaskManager(include_path=str(TASKS), include_defaults=False)
    with pytest.raises(ValueError, match="--metadata data_dir="):
        manager.load(["counting_smoke_len6"])
