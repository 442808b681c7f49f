"""`hf-distscale verify`: each fault planted in a clean population or table is found and named.

A two-seed smoke population is trained once (its seed records carry the
SHA-256 of their files) and evaluated; each test copies it, plants one fault
and runs the CLI's `main()` in process: exit 1 and a finding naming the seed
or row, exit 0 when clean. The shipped reference table is verified as it is.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from eval_helpers import smoke_population
from hf_distscale.cli import main
from hf_distscale.formats.results import read_parquet, write_table

POPULATION = "cpu_depth-smoke"
REFERENCE = Path(__file__).resolve().parents[1] / "hf_distscale" / "reference" / "cpu-reference" / "results.parquet"


@pytest.fixture(scope="module")
def clean():
    """A trained population (cpu_depth l1, seeds 0 and 1, smoke) and its results table."""
    return smoke_population()


def verify(paths, tmp_path, capfd) -> tuple[int, list[dict], str]:
    """(exit code, findings of the JSON report, stdout) of `hf-distscale verify PATHS --out`."""
    out = tmp_path / "verify.json"
    capfd.readouterr()
    code = main(["verify", *map(str, paths), "--out", str(out)])
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err, printed.err
    findings = json.loads(out.read_text())["findings"] if code != 2 else []
    return code, findings, printed.out


def faults(findings: list[dict]) -> dict[str, list[dict]]:
    """Fault findings by kind."""
    found = {}
    for finding in findings:
        if finding["severity"] == "fault":
            found.setdefault(finding["kind"], []).append(finding)
    return found


def copy(population: Path, tmp_path: Path) -> Path:
    return shutil.copytree(population, tmp_path / "copy" / POPULATION)


def test_a_clean_population_and_its_table_exit_0(clean, tmp_path, capfd):
    population, results = clean
    code, findings, out = verify([population, results], tmp_path, capfd)
    assert code == 0 and findings == [], out
    assert "verify: 2 seeds and 6 result rows checked: clean" in out


def test_records_carry_the_hash_of_every_file_but_themselves(clean):
    record = json.loads((clean[0] / "l1" / "seed-0000" / "seed_record.json").read_text())
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(record["sha256"])
    assert "seed_record.json" not in record["sha256"]


def test_copied_weights_are_found_and_named(clean, tmp_path, capfd):
    seeds = copy(clean[0], tmp_path) / "l1"
    shutil.copy(seeds / "seed-0000" / "model.safetensors", seeds / "seed-0001" / "model.safetensors")
    code, findings, out = verify([seeds.parent], tmp_path, capfd)
    found = faults(findings)
    assert code == 1
    assert [(f["where"], f["detail"]) for f in found["duplicate-weights"]] == [
        (str(seeds / "seed-0001"), f"holds the same weights as {seeds / 'seed-0000'}")]
    assert [f["where"] for f in found["hash"]] == [str(seeds / "seed-0001")]
    assert "changed since training: model.safetensors" in found["hash"][0]["detail"]
    assert f"fault   duplicate-weights   {seeds / 'seed-0001'}" in out


def test_a_truncated_weights_file_is_found_and_named(clean, tmp_path, capfd):
    seed = copy(clean[0], tmp_path) / "l1" / "seed-0001"
    weights = seed / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    code, findings, _ = verify([seed.parent.parent], tmp_path, capfd)
    found = faults(findings)
    assert code == 1
    assert [f["where"] for f in found["load"]] == [str(seed)]
    assert "model.safetensors is truncated" in found["load"][0]["detail"]
    assert [f["where"] for f in found["hash"]] == [str(seed)]


def test_a_mismatched_config_is_found_and_named(clean, tmp_path, capfd):
    seed = copy(clean[0], tmp_path) / "l1" / "seed-0001"
    config = json.loads((seed / "config.json").read_text())
    (seed / "config.json").write_text(json.dumps(config | {"num_hidden_layers": 3}))
    code, findings, _ = verify([seed.parent.parent], tmp_path, capfd)
    found = faults(findings)
    assert code == 1
    assert set(found) == {"load", "hash", "config"}
    assert all(f["where"] == str(seed) for kind in found.values() for f in kind)
    assert "tensors missing" in found["load"][0]["detail"]
    assert "num_hidden_layers 3 (there: 1)" in found["config"][0]["detail"]


def test_records_without_hashes_are_a_note_not_a_fault(clean, tmp_path, capfd):
    population = copy(clean[0], tmp_path)
    for record_path in population.glob("*/seed-*/seed_record.json"):
        record = json.loads(record_path.read_text())
        del record["sha256"]
        record_path.write_text(json.dumps(record))
    code, findings, _ = verify([population], tmp_path, capfd)
    assert code == 0
    assert [(f["severity"], f["kind"], f["where"]) for f in findings] == [("note", "no-hashes", str(population))]


def test_the_same_build_under_two_families_is_shared_not_a_fault(clean, tmp_path, capfd):
    """A second family whose h64 is the first's l1, as the reference's cpu_width h64 is cpu_depth l2."""
    other = shutil.copytree(clean[0], tmp_path / "width" / POPULATION)
    for record_path in other.glob("*/seed-*/seed_record.json"):
        record_path.write_text(json.dumps(json.loads(record_path.read_text()) | {"family": "cpu_width"}))
    code, findings, _ = verify([clean[0], other], tmp_path, capfd)
    assert code == 0
    assert [(f["severity"], f["where"]) for f in findings] == [
        ("shared", f"{POPULATION}/cpu_depth/l1 = {POPULATION}/cpu_width/l1")]
    assert findings[0]["detail"].startswith("2 seeds hold the same weights")


def test_a_duplicated_results_identity_is_found_and_named(clean, tmp_path, capfd):
    table = read_parquet(clean[1])
    write_table(pd.concat([table, table.iloc[[0]]], ignore_index=True), tmp_path / "twice.parquet")
    code, findings, _ = verify([tmp_path / "twice.parquet"], tmp_path, capfd)
    assert code == 1
    assert [(f["kind"], f["where"]) for f in findings] == [
        ("duplicate-identity", f"population '{POPULATION}' family 'cpu_depth' scale 'l1' seed 0")]
    assert "2 rows for 1 (benchmark, condition) identities (len6)" in findings[0]["detail"]


def test_one_model_under_two_names_is_found_and_named(clean, tmp_path, capfd):
    table = read_parquet(clean[1])
    renamed = table[table["seed"] == 0].assign(seed=7, data_seed=7)
    write_table(pd.concat([table, renamed], ignore_index=True), tmp_path / "renamed.parquet")
    code, findings, _ = verify([tmp_path / "renamed.parquet"], tmp_path, capfd)
    assert code == 1
    assert [(f["kind"], f["where"]) for f in findings] == [("same-model", f"population '{POPULATION}' family 'cpu_depth' scale 'l1' seed 7")]
    assert f"equal those of population '{POPULATION}' family 'cpu_depth' scale 'l1' seed 0 on 3 conditions" in findings[0]["detail"]


def test_the_reference_table_is_clean_with_h64_shared_with_l2(tmp_path, capfd):
    """cpu_width h64 is cpu_depth l2, and cpu_fixed_params l6 is cpu_depth l6, by design."""
    code, findings, _ = verify([REFERENCE], tmp_path, capfd)
    assert code == 0
    assert [(f["severity"], f["where"]) for f in findings] == [
        ("shared", "cpu-reference/cpu_depth/l2 = cpu-reference/cpu_width/h64"),
        ("shared", "cpu-reference/cpu_depth/l6 = cpu-reference/cpu_fixed_params/l6")]
    assert all(finding["detail"].startswith("32 seeds have equal metrics") for finding in findings)


@pytest.mark.parametrize("argv, words", [
    (["verify", "no/such/population"], "no/such/population: no such population folder or results table"),
    (["verify", "{population}", "--out", "{population}/verify.json"], "lies inside the input"),
    (["verify", "{results}", "--out", "{results}"], "is not a .json file name"),
])
def test_bad_input_is_one_line_exit_2(clean, argv, words, capfd):
    population, results = clean
    capfd.readouterr()
    code = main([arg.format(population=population, results=results) for arg in argv])
    err = capfd.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and words in err, err
