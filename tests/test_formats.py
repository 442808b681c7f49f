"""The on-disk contracts carry a format version; a version this code does not know is one line."""

import json
import subprocess
import sys

import pandas as pd
import pyarrow
import pyarrow.parquet as pq
import pytest

from hf_distscale.analysis.synthetic import synthetic_results
from hf_distscale.formats import analysis, identity, population, results, versions


def small_table():
    return results.conform(synthetic_results([0.2, 0.8], n_seeds=3))


def test_results_table_round_trips_with_its_version(tmp_path):
    table = small_table()
    path = tmp_path / "results.parquet"
    results.write_table(table, path)
    metadata = pq.read_schema(path).metadata
    assert metadata[versions.PARQUET_VERSION_KEY] == str(versions.CURRENT["results"]).encode()
    pd.testing.assert_frame_equal(results.read_table(path), table)


def test_unversioned_results_table_still_reads(tmp_path):
    table = small_table()
    path = tmp_path / "old.parquet"
    table.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(results.read_table(path), table)


def write_future_table(path):
    arrow = pyarrow.Table.from_pandas(small_table(), preserve_index=False)
    pq.write_table(arrow.replace_schema_metadata({versions.PARQUET_VERSION_KEY: b"99"}), path)


def test_unknown_results_version_is_refused(tmp_path):
    path = tmp_path / "future.parquet"
    write_future_table(path)
    with pytest.raises(ValueError, match="results format version 99 is not one this hf_distscale reads"):
        results.read_table(path)


def test_unknown_results_version_is_one_line_at_the_cli(tmp_path):
    path = tmp_path / "future.parquet"
    write_future_table(path)
    run = subprocess.run([sys.executable, "-m", "hf_distscale.cli", "analyze", str(path), "--out",
                          str(tmp_path / "analysis")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "format version 99" in run.stderr
    assert not (tmp_path / "analysis").exists()


@pytest.mark.parametrize("kind, write, read", [
    ("statistics", analysis.write_statistics, analysis.read_statistics),
    ("claims", lambda folder, data: analysis.write_claims(folder, [data]),
     lambda folder: analysis.read_claims(folder)[0]),
])
def test_analysis_files_are_versioned(tmp_path, kind, write, read):
    path = write(tmp_path, {"metric": "em"})
    assert json.loads(path.read_text())[versions.VERSION_KEY] == versions.CURRENT[kind]
    assert read(tmp_path) == {"metric": "em"}
    path.write_text(json.dumps({versions.VERSION_KEY: 7, "claims": [], "metric": "em"}))
    with pytest.raises(ValueError, match=f"{kind} format version 7"):
        read(tmp_path)


def test_claims_of_the_first_version_read_as_unnumbered_findings(tmp_path):
    old = {"population": "p", "benchmark": "counting", "family": "cpu_depth", "condition": "len18",
           "claim": "depth raises P(success)", "status": "undecided (intervals overlap)", "evidence": "slope ..."}
    (tmp_path / analysis.CLAIMS_FILE).write_text(json.dumps({versions.VERSION_KEY: 1, "claims": [old]}))
    finding, = analysis.read_claims(tmp_path)
    assert finding["finding"] is None and finding["statement"] == "depth raises P(success)"
    assert finding["status"] == "does_not_hold" and finding["reason"] == "slope ..."
    assert finding["groups"] == [{"family": "cpu_depth", "condition": "len18"}]


def test_seed_record_of_an_old_population_reads_and_a_new_one_is_stamped(tmp_path):
    folder = tmp_path / "l1" / "seed-0000"
    folder.mkdir(parents=True)
    record = {"seed": 0, "data_seed": 0}
    (folder / population.SEED_RECORD).write_text(json.dumps(record))
    assert population.read_seed_record(folder) == record
    (folder / population.SEED_RECORD).write_bytes(versions.dump_json(record, "seed_record"))
    assert json.loads((folder / population.SEED_RECORD).read_text())[versions.VERSION_KEY] == 1
    assert population.read_seed_record(folder) == record
    assert population.seed_subfolder("l1", 0) == "l1/seed-0000"


def test_every_kind_s_migration_chain_reaches_its_current_version():
    """A new format version is one more `@migration` step; a gap in a chain would strand old files."""
    for kind, current in versions.CURRENT.items():
        assert sorted(versions.MIGRATIONS.get(kind, {})) == list(range(1, current)), kind


def test_a_first_version_table_is_lifted_by_the_chain_whatever_reads_it(tmp_path):
    """The same step migrates a stamped version-1 file and an unstamped DataFrame of that schema."""
    current = small_table()
    first = current.drop(columns=["benchmark", "condition", "chance", *results.MULTIPLE_CHOICE_METRICS])
    arrow = pyarrow.Table.from_pandas(first, preserve_index=False)
    pq.write_table(arrow.replace_schema_metadata({versions.PARQUET_VERSION_KEY: b"1"}), tmp_path / "v1.parquet")
    with pytest.warns(UserWarning, match="counting-only results table"):
        from_file = results.read_parquet(tmp_path / "v1.parquet")
    with pytest.warns(UserWarning, match="counting-only results table"):
        from_frame = results.conform(first)
    pd.testing.assert_frame_equal(from_file, current)
    pd.testing.assert_frame_equal(from_frame, current)


def test_a_result_s_identity_extends_the_model_s():
    assert identity.RESULT_KEY[:len(identity.MODEL_KEY)] == identity.MODEL_KEY
    assert set(identity.MODEL_KEY) <= set(identity.IDENTITY_COLUMNS) <= set(results.COLUMNS)
    assert population.IDENTITY_COLUMNS is identity.IDENTITY_COLUMNS


def test_a_fault_names_the_source_column_first_rows_by_identity_and_the_rest_by_count():
    table = small_table()
    table.loc[[1, 4, 5, 8, 9], "acc"] = [1.5, 2.0, -0.5, 3.0, 7.0]
    with pytest.raises(ValueError) as raised:
        results.conform(table, "results: mine.parquet")
    message = str(raised.value)
    assert message.startswith("results: mine.parquet: column 'acc' must hold a score in [0, 1]")
    assert "5 rows do not: row 1 (population 'synthetic-fixed_depth' family 'fixed_depth' scale 's0' seed 1" in message
    assert "= 1.5 (out of range), row 4 (" in message and "= -0.5 (out of range), and 2 more;" in message
    assert "\n" not in message
