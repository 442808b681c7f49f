"""The Hub stage: staged repo trees and cards, round trips through a Hub-protocol server, bad input.

A `smoke` population is trained once, evaluated locally, staged as the three
repos (population, dataset, results) and served by olah on loopback. Client
code runs in subprocesses (huggingface_hub and datasets read HF_ENDPOINT on
import) through the real code paths: `from_pretrained(repo_id, subfolder=...)`,
`load_dataset(repo_id, config)`, `hf-distscale eval REPO_ID`, `hf-distscale
analyze RESULTS_REPO`, `hf-distscale hub pull`.
"""

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import torch
from huggingface_hub import DatasetCard, ModelCard
from safetensors.torch import load_file

from eval_helpers import exported_dataset
from hf_distscale.cli import main
from hf_distscale.evaluation import evaluate_population
from hf_distscale.formats.results import COLUMNS, read_table
from hf_distscale.hub import seeds_index, stage_all, stage_dataset, stage_population, stage_results
from hf_distscale.training import train_population
from olah_server import OlahServer, free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "hf_distscale.cli"]
POPULATION = "cpu_depth-smoke"
POPULATION_REPO, DATASET_REPO, RESULTS_REPO = "org/smoke-population", "org/counting", "org/results"
BROKEN_REPO = "org/broken-population"
COMPARED = [column for column in COLUMNS if column != "model_path"]


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A smoke population (2 scales x 2 seeds), its local results table and the smoke dataset."""
    root = tmp_path_factory.mktemp("hub_trained")
    torch.set_num_threads(1)
    train_population(family="cpu_depth", scales="l1,l2", seeds=[0, 1], preset="smoke",
                     out_dir=root / "runs", progress=False)
    population = root / "runs" / POPULATION
    results = evaluate_population(population, root / "results.parquet")
    return {"population": population, "results": results, "results_path": root / "results.parquet",
            "dataset": exported_dataset()}


@pytest.fixture(scope="session")
def hub(trained, tmp_path_factory):
    """olah serving the three staged repos, plus a population repo that lost a seed folder."""
    root = tmp_path_factory.mktemp("hub_server")
    staged = root / "staged"
    population = stage_population(trained["population"], staged / "population", POPULATION_REPO,
                                  trained["results"], DATASET_REPO)
    with OlahServer(root) as server:
        server.publish("model", POPULATION_REPO, population)
        server.publish("dataset", DATASET_REPO, stage_dataset(trained["dataset"], staged / "dataset"))
        server.publish("dataset", RESULTS_REPO,
                       stage_results(trained["results"], staged / "results", RESULTS_REPO, DATASET_REPO))
        broken = shutil.copytree(population, staged / "broken")
        shutil.rmtree(broken / "l2" / "seed-0001")
        server.publish("model", BROKEN_REPO, broken)
        yield server


def run(command, env, **kwargs):
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, **kwargs)


# One client process runs the reads below, then each CLI case (argv, environment
# overrides) through `hf_distscale.cli.main`, and prints {"reads": ..., "cases": {name: [code, stderr]}}.
CLIENT = """
import contextlib, io, json, os, sys
from pathlib import Path
from hf_distscale.cli import main
reads, cases = None, json.loads(sys.argv[1])
if len(sys.argv) > 2:
    import torch
    from datasets import load_dataset
    from huggingface_hub import DatasetCard, ModelCard
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from hf_distscale.hub import download_seed
    out, local_seed = Path(sys.argv[2]), sys.argv[3]
    model = AutoModelForCausalLM.from_pretrained("{population}", subfolder="l2/seed-0001")
    # transformers probes the repo root for chat templates; olah answers 401 where the Hub answers
    # 404, so the tokenizer files come through the server first and then load from the cache.
    download_seed("{population}", "l2/seed-0001")
    tokenizer = AutoTokenizer.from_pretrained("{population}", subfolder="l2/seed-0001", local_files_only=True)
    local = AutoModelForCausalLM.from_pretrained(local_seed)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), local.state_dict().values()))
    for split, rows in load_dataset("{dataset}", "smoke").items():
        rows.to_parquet(str(out / f"dataset-{{split}}.parquet"))
    load_dataset("{results}", "{name}", split="train").to_parquet(str(out / "results.parquet"))
    cards = {{"model": ModelCard.load("{population}").data.to_dict(),
              "dataset": DatasetCard.load("{dataset}", repo_type="dataset").data.to_dict(),
              "results": DatasetCard.load("{results}", repo_type="dataset").data.to_dict()}}
    reads = {{"same_weights": same, "ids": tokenizer("$ 3 5 >").input_ids, "cards": cards}}
outcome = {{}}
for name, (argv, overrides) in cases.items():
    saved = {{key: os.environ.get(key) for key in overrides}}
    os.environ.update(overrides)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    outcome[name] = (code, stderr.getvalue())
print(json.dumps({{"reads": reads, "cases": outcome}}))
""".format(population=POPULATION_REPO, dataset=DATASET_REPO, results=RESULTS_REPO, name=POPULATION)


def run_client(env: dict, cases: dict, *reads_args) -> dict:
    """Run CLIENT in one process with `env` (progress bars off, so errors are the only stderr)."""
    result = run([sys.executable, "-c", CLIENT, json.dumps(cases), *map(str, reads_args)],
                 {**env, "TQDM_DISABLE": "1"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def one_line(stderr: str, verb: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"hf-distscale {verb}: error: ")
    return lines[0]


# Staging: pure, no server.

def test_staged_population_tree_seed_index_and_card(trained, tmp_path):
    population = trained["population"]
    staged = stage_population(population, tmp_path / "repo", "org/pop", trained["results"], "org/data")
    seed_files = {p.relative_to(population).as_posix() for p in population.glob("*/seed-*/*") if p.is_file()}
    tree = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    assert tree == seed_files | {"population.json", "seeds.parquet", "README.md"}
    assert {"l1/seed-0000/model.safetensors", "l2/seed-0001/tokenizer.json"} <= tree

    index = pd.read_parquet(staged / "seeds.parquet")
    assert index["subfolder"].tolist() == ["l1/seed-0000", "l1/seed-0001", "l2/seed-0000", "l2/seed-0001"]
    assert {"scale", "seed", "data_seed", "num_parameters", "steps", "stop_reason",
            "in_distribution_em"} <= set(index.columns)
    record = json.loads((population / "l2/seed-0001/seed_record.json").read_text())
    row = index.iloc[3]
    assert (row["num_parameters"], row["steps"], row["stop_reason"]) == (
        record["num_parameters"], record["steps"], record["stop_reason"])

    card = ModelCard.load(staged / "README.md")
    assert card.data.library_name == "transformers" and card.data.license == "apache-2.0"
    assert card.data.datasets == ["org/data"] and "seed-population" in card.data.tags
    assert card.data.to_dict()["hf_distscale"]["preset"] == "smoke"
    assert 'from_pretrained("org/pop", subfolder="l1/seed-0000")' in card.text
    assert "## Results" in card.text and "| l2      |            10 |" in card.text


def test_staged_dataset_and_results_cards(trained, tmp_path):
    dataset = DatasetCard.load(stage_dataset(trained["dataset"], tmp_path / "dataset") / "README.md")
    assert [config["config_name"] for config in dataset.data.configs] == ["smoke"]
    results = stage_results(trained["results_path"], tmp_path / "results", "org/results", "org/data")
    card = DatasetCard.load(results / "README.md")
    assert card.data.configs == [{"config_name": POPULATION,
                                  "data_files": [{"split": "train", "path": f"{POPULATION}/*.parquet"}]}]
    assert card.data.license == "apache-2.0" and card.data.source_datasets == ["org/data"]
    assert f'load_dataset("org/results", "{POPULATION}", split="train")' in card.text
    assert (results / POPULATION / "results.parquet").is_file()


def test_restaging_after_more_seeds_touches_only_new_files(trained, tmp_path):
    population = shutil.copytree(trained["population"], tmp_path / POPULATION)
    late = population / "l2" / "seed-0001"
    held_back = shutil.move(late, tmp_path / "late")
    (population / "l2" / "seed-0001" / "checkpoint").mkdir(parents=True)  # an unfinished seed
    (population / "l2" / "seed-0001" / "checkpoint" / "latest.json").write_text("{}")
    staged = stage_population(population, tmp_path / "repo", "org/pop")
    assert not (staged / "l2" / "seed-0001").exists()
    before = {p: p.stat() for p in staged.rglob("*") if p.is_file()}

    shutil.rmtree(population / "l2" / "seed-0001")
    shutil.move(held_back, late)
    stage_population(population, staged, "org/pop")
    after = {p: p.stat() for p in staged.rglob("*") if p.is_file()}
    changed = {p.relative_to(staged).as_posix() for p in before
               if (before[p].st_ino, before[p].st_mtime_ns) != (after[p].st_ino, after[p].st_mtime_ns)}
    assert changed == {"seeds.parquet", "README.md"}
    new = {p.relative_to(staged).as_posix() for p in set(after) - set(before)}
    assert new == {f"l2/seed-0001/{p.name}" for p in late.iterdir() if p.is_file()}
    assert len(seeds_index(population)) == len(pd.read_parquet(staged / "seeds.parquet")) == 4

    other = json.loads((population / "population.json").read_text()) | {"precision": "bf16"}
    (population / "population.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="holds a population made with a different precision"):
        stage_population(population, staged, "org/pop")


def test_stage_all_stages_three_repos_with_their_push_commands(trained, tmp_path):
    staged = stage_all(tmp_path, trained["population"], trained["dataset"], trained["results_path"])
    assert sorted(staged) == ["dataset", "population", "results"]
    for kind, (folder, command) in staged.items():
        assert folder == tmp_path / "hub" / kind and (folder / "README.md").is_file()
        assert command.startswith(f"hf-distscale hub push {kind} ")
    assert f"USER/{POPULATION} --results {trained['results_path']}" in staged["population"][1]
    assert ModelCard.load(staged["population"][0] / "README.md").data.datasets == ["USER/hf-distscale-counting"]


# Round trips through olah.

@pytest.fixture(scope="session")
def client(hub, trained, tmp_path_factory):
    """The client process against olah: reads, eval, analyze and pull by repo id, and bad input."""
    out = tmp_path_factory.mktemp("client")
    clash = shutil.copytree(trained["population"], out / "clash" / POPULATION)
    identity = json.loads((clash / "population.json").read_text()) | {"precision": "bf16"}
    (clash / "population.json").write_text(json.dumps(identity))
    cases = {
        "eval": (["eval", POPULATION_REPO, "--out", str(out / "hub.parquet")], {}),
        "analyze": (["analyze", f"{RESULTS_REPO}:{POPULATION}", "--out", str(out / "analysis"),
                     "--resamples", "40"], {}),
        "pull": (["hub", "pull", POPULATION_REPO, "--out", str(out / "pulled")], {}),
        "pull results": (["hub", "pull", RESULTS_REPO, "--out", str(out / "pulled_results")], {}),
        "verify": (["verify", POPULATION_REPO, "--out", str(out / "verify.json")], {}),
        "verify missing seed": (["verify", BROKEN_REPO, "--out", str(out / "verify-broken.json")], {}),
        "unknown repo": (["eval", "org/no-such-repo", "--out", str(out / "x.parquet")], {}),
        "missing seed": (["eval", BROKEN_REPO, "--out", str(out / "x.parquet")], {}),
        "no token": (["hub", "push", "results", str(trained["results_path"]), "org/r"], {}),
        "identity clash": (["hub", "push", "population", str(clash), POPULATION_REPO,
                            "--staging", str(out / "staged")], {"HF_TOKEN": "hf_test"}),
    }
    outcome = run_client(hub.env(), cases, out, trained["population"] / "l2" / "seed-0001")
    return out, outcome["reads"], outcome["cases"]


def test_seed_loads_by_repo_id_and_subfolder(client):
    _, reads, _ = client
    assert reads["same_weights"]
    assert reads["ids"] == [24, 3, 5, 25]
    assert reads["cards"]["model"]["library_name"] == "transformers"
    assert reads["cards"]["model"]["datasets"] == [DATASET_REPO]


def test_dataset_repo_loads_equal_to_local_folder(client, trained):
    out, reads, _ = client
    from datasets import load_dataset

    local = load_dataset(str(trained["dataset"]), "smoke")
    assert sorted(p.stem.removeprefix("dataset-") for p in out.glob("dataset-*")) == sorted(local)
    for split, rows in local.items():
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"dataset-{split}.parquet"), rows.to_pandas())
    assert [c["config_name"] for c in reads["cards"]["dataset"]["configs"]] == ["smoke"]


def test_results_repo_loads_equal_to_local_table(client, trained):
    out, reads, _ = client
    from hf_distscale.formats.results import conform

    hub_rows = conform(pd.read_parquet(out / "results.parquet"))
    pd.testing.assert_frame_equal(hub_rows, trained["results"].reset_index(drop=True))
    assert [c["config_name"] for c in reads["cards"]["results"]["configs"]] == [POPULATION]


def test_eval_repo_id_equals_local_folder_row_for_row(client, trained):
    out, _, cases = client
    assert cases["eval"][0] == 0, cases["eval"][1]
    from_hub, local = read_table(out / "hub.parquet"), trained["results"]
    pd.testing.assert_frame_equal(from_hub[COMPARED], local[COMPARED])
    subfolders = [Path(path).relative_to(trained["population"]).as_posix() for path in local["model_path"]]
    assert from_hub["model_path"].tolist() == [f"hf://{POPULATION_REPO}/{s}" for s in subfolders]


def test_analyze_reads_a_results_repo(client):
    out, _, cases = client
    assert cases["analyze"][0] == 0, cases["analyze"][1]
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    assert set(summary["scale"]) == {"l1", "l2"} and len(summary) == 6


def test_verify_reads_a_population_repo_seed_by_seed(client):
    out, _, cases = client
    assert cases["verify"][0] == 0, cases["verify"][1]
    report = json.loads((out / "verify.json").read_text())
    assert report["checked"]["seeds"] == 4 and report["findings"] == []
    assert cases["verify missing seed"][0] == 1, cases["verify missing seed"][1]
    broken = json.loads((out / "verify-broken.json").read_text())["findings"]
    assert [(f["kind"], f["where"]) for f in broken] == [("missing-seed", f"hf://{BROKEN_REPO}/l2/seed-0001")]


def test_pull_gives_the_population_folder_and_the_results_repo(client, trained):
    out, _, cases = client
    assert cases["pull"][0] == 0, cases["pull"][1]
    for seed in trained["population"].glob("*/seed-*"):
        pulled = out / "pulled" / seed.relative_to(trained["population"])
        weights, original = load_file(pulled / "model.safetensors"), load_file(seed / "model.safetensors")
        assert all(torch.equal(weights[k], original[k]) for k in original)
        assert (pulled / "seed_record.json").read_text() == (seed / "seed_record.json").read_text()
    assert (out / "pulled" / "population.json").read_text() == (
        trained["population"] / "population.json").read_text()
    assert cases["pull results"][0] == 0, cases["pull results"][1]  # found out to be a dataset repo
    pd.testing.assert_frame_equal(read_table(out / "pulled_results" / POPULATION / "results.parquet"),
                                  trained["results"])


# Bad input: one line, exit code 2.

def test_a_missing_local_path_is_no_such_folder_not_a_repo_id(capsys, tmp_path):
    for argv in (["eval", "/nonexistent", "--out", str(tmp_path / "r.parquet")],
                 ["eval", "./runs/missing", "--out", str(tmp_path / "r.parquet")],
                 ["hub", "push", "population", str(tmp_path / "gone"), "org/pop"],
                 ["analyze", str(tmp_path / "gone.parquet"), "--out", str(tmp_path / "a")]):
        assert main(argv) == 2
        assert "no such" in one_line(capsys.readouterr().err, argv[0])


@pytest.mark.parametrize("case, verb, message", [
    ("unknown repo", "eval", "model repo 'org/no-such-repo' on http://127.0.0.1:"),
    ("unknown repo", "eval", "does not exist (404) or is private"),
    ("missing seed", "eval", f"model repo '{BROKEN_REPO}' has no seed folder l2/seed-0001/"),
    ("no token", "hub", "no Hugging Face token to push dataset repo 'org/r'; set HF_TOKEN or run `hf auth login`"),
    ("identity clash", "hub", f"model repo '{POPULATION_REPO}' holds a population made with a different precision"),
])
def test_hub_bad_input_is_one_line(client, case, verb, message):
    code, stderr = client[2][case]
    assert code == 2
    assert message in one_line(stderr, verb)


def test_unreachable_hub_and_interrupted_push_say_rerun(hub, trained, tmp_path):
    """HF_ENDPOINT at a closed loopback port: reads fail in one line; a push says a rerun resumes."""
    env = hub.env(HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    outcome = run_client(env, {
        "eval": (["eval", "org/other-population", "--out", str(tmp_path / "r.parquet")], {}),
        "push": (["hub", "push", "dataset", str(trained["dataset"]), "org/data",
                  "--staging", str(tmp_path / "staged")], {"HF_TOKEN": "hf_test"}),
    })["cases"]
    assert outcome["eval"][0] == outcome["push"][0] == 2
    assert "cannot reach the Hub at http://127.0.0.1:" in one_line(outcome["eval"][1], "eval")
    push = one_line(outcome["push"][1], "hub")
    assert "cannot reach the Hub" in push and "run the same command again to resume the upload" in push
    assert (tmp_path / "staged" / "README.md").is_file()  # staged before the upload failed; kept for the rerun


class RejectingHub(BaseHTTPRequestHandler):
    """What the Hub answers to a rejected token (olah has no authentication to reject one with)."""

    def _reject(self):
        self.send_response(401)
        self.send_header("X-Error-Message", "Invalid credentials in Authorization header")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": "Invalid credentials in Authorization header"}')

    do_GET = do_HEAD = do_POST = do_PUT = _reject

    def log_message(self, *args):
        pass


def test_rejected_token_is_one_line(hub, trained, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RejectingHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = hub.env(HF_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}", HF_TOKEN="hf_revoked")
        outcome = run_client(env, {"push": (["hub", "push", "dataset", str(trained["dataset"]), "org/data",
                                             "--staging", str(tmp_path / "staged")], {})})["cases"]
    finally:
        server.shutdown()
    code, stderr = outcome["push"]
    assert code == 2
    assert "the token was rejected (HTTP 401)" in one_line(stderr, "hub")

