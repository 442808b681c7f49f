"""`analyze` on the reference demo's results table reproduces its statistics (to 1e-6 across CPUs) and verdicts (exactly)."""

import importlib.util
from pathlib import Path

from hf_distscale.analysis.report import analyze

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "demo_reference.py"


def load_comparer():
    spec = importlib.util.spec_from_file_location("demo_reference", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The mixture fit's optimiser ends within 1e-9 (relative) of the reference on
# another CPU model (its kernels round differently); verdicts and text are exact.
CROSS_MACHINE_RTOL = 1e-6


def test_analysis_of_the_reference_demo_is_unchanged(tmp_path):
    comparer = load_comparer()
    reference = comparer.REFERENCE
    (tmp_path / "results.parquet").symlink_to(reference / "results.parquet")
    analyze(reference / "results.parquet", tmp_path / "analysis", breakthrough_test_length=18)
    assert comparer.compare(tmp_path, rtol=CROSS_MACHINE_RTOL) == []


def test_a_changed_value_is_reported(tmp_path):
    comparer = load_comparer()
    table = comparer.read_table(comparer.REFERENCE / "results.parquet")
    table.loc[0, "em"] = 1.0 - table.loc[0, "em"]
    changed = comparer.differences(comparer.read_table(comparer.REFERENCE / "results.parquet"), table, "t",
                                   rtol=CROSS_MACHINE_RTOL)
    assert changed == ["t: column 'em' differs"]
