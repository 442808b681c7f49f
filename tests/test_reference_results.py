"""The shipped results datasets under `hf_distscale/reference/` read as results tables."""

from pathlib import Path

from huggingface_hub import DatasetCard

import hf_distscale
from hf_distscale.hub.reading import read_results

SMOLLM2 = Path(hf_distscale.__file__).parent / "reference" / "smollm2-reinit"


def test_the_smollm2_reinit_population_is_eight_seeds_on_five_mmlu_subjects():
    table = read_results(SMOLLM2 / "results.parquet")
    assert sorted(table["seed"].unique()) == list(range(8))
    assert table["condition"].nunique() == 5 and (table["n_examples"] == 50).all()
    assert table.groupby("seed")["nll_correct"].mean().nunique() == 8  # seeds differ
    card = DatasetCard.load(SMOLLM2 / "README.md")
    assert {c["config_name"] for c in card.data.configs} == {"results", "items", "base", "seeds"}
    assert "hf-distscale reinit HuggingFaceTB/SmolLM2-135M-Instruct" in card.text
