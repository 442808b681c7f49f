"""Model and dataset cards of the Hub repos: YAML metadata for the Hub, a body for readers."""

from __future__ import annotations

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData, ModelCard, ModelCardData

from hf_distscale.formats.results import COLUMNS, COUNTING_BENCHMARK
from hf_distscale.formats.population import RESULTS_FILE, SEEDS_INDEX

LICENSE = "apache-2.0"
TAGS = ["hf_distscale", "emergence", "seed-population", "counting", "length-generalization"]


def population_card(repo_id: str, name: str, identity: dict, seeds: pd.DataFrame,
                    results: pd.DataFrame | None = None, dataset_repo: str | None = None) -> ModelCard:
    """The card of a population repo: what it is, seeds per scale, how to load one, results."""
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="text-generation",
        license=LICENSE,
        tags=[*TAGS, "llama"],
        datasets=[dataset_repo] if dataset_repo else None,
        hf_distscale={"population": name, "preset": identity["preset"], "family": identity["family"],
                      "precision": identity["precision"], "seeds": len(seeds)},
    )
    per_scale = seeds.groupby(["scale_index", "scale"], sort=True).agg(
        layers=("num_layers", "first"), hidden=("hidden_size", "first"),
        parameters=("num_parameters", "first"), seeds=("seed", "count"),
        converged=("stop_reason", lambda s: int((s == "converged").sum())),
        in_distribution_em=("in_distribution_em", "mean"),
    ).reset_index(level="scale_index", drop=True)
    example = seeds["subfolder"].iloc[0]
    body = f"""
# {name}

A population of {len(seeds)} seed-runs of the hf_distscale counting task: family
`{identity['family']}`, training preset `{identity['preset']}`, precision `{identity['precision']}`.
Seeds of the same scale differ only in their init and data seeds, so the population shows the
distribution of outcomes at each scale, not one run per scale. Every seed is a standard
transformers `LlamaForCausalLM` folder with its tokenizer, in `<scale>/seed-XXXX/`;
`{SEEDS_INDEX}` lists them (subfolder, identity, steps, stop reason, in-distribution EM)
and `population.json` holds the task and training configuration.

{per_scale.reset_index().to_markdown(index=False, floatfmt=".3f")}

## Load one seed

```python
from transformers import AutoModelForCausalLM, AutoTokenizer

model = AutoModelForCausalLM.from_pretrained("{repo_id}", subfolder="{example}")
tokenizer = AutoTokenizer.from_pretrained("{repo_id}", subfolder="{example}")
```

Evaluate every seed with `hf-distscale eval {repo_id} --out results.parquet` (it downloads
one seed at a time).
{_results_section(results, name)}"""
    return ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body)


def _results_section(results: pd.DataFrame | None, name: str) -> str:
    if results is None:
        return ""
    rows = results[(results["population"] == name) & (results["benchmark"] == COUNTING_BENCHMARK)]
    if rows.empty:
        return ""
    summary = rows.groupby(["scale_index", "scale", "test_length"]).agg(
        seeds=("seed", "nunique"), min_em=("em", "min"), mean_em=("em", "mean"), max_em=("em", "max"),
    ).reset_index(level="scale_index", drop=True).reset_index()
    return (f"\n## Results\n\nExact match (EM) over seeds, per scale and test length "
            f"(`hf-distscale analyze` gives the full distributional analysis).\n\n"
            f"{summary.to_markdown(index=False, floatfmt='.3f')}\n")


def results_card(repo_id: str, configs: dict[str, pd.DataFrame],
                 dataset_repo: str | None = None) -> DatasetCard:
    """The card of a results repo: one config per population, the schema, what each holds."""
    data = DatasetCardData(
        pretty_name="hf_distscale results",
        license=LICENSE,
        tags=[*TAGS, "evaluation-results"],
        configs=[{"config_name": name, "data_files": [{"split": "train", "path": f"{name}/*.parquet"}]}
                 for name in sorted(configs)],
    )
    if dataset_repo:
        data.source_datasets = [dataset_repo]
    listing = pd.DataFrame(
        [{"config": name, "rows": len(table), "scales": table["scale"].nunique(),
          "seeds": table["seed"].nunique(), "benchmarks": ", ".join(sorted(table["benchmark"].unique()))}
         for name, table in sorted(configs.items())]
    )
    schema = "\n".join(f"| `{column}` | {dtype} |" for column, dtype in COLUMNS.items())
    first = min(configs)
    body = f"""
# hf_distscale results

Evaluation results of seed populations, one config per population, each in
`<population>/{RESULTS_FILE}`: one row per (model, benchmark, condition), in the
hf_distscale results schema. Metrics a benchmark does not measure are NaN.

{listing.to_markdown(index=False)}

```python
from datasets import load_dataset

rows = load_dataset("{repo_id}", "{first}", split="train").to_pandas()
```

`hf-distscale analyze {repo_id} --out analysis/` reads every config, `{repo_id}:{first}` one.

| column | dtype |
|---|---|
{schema}
"""
    return DatasetCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body)
