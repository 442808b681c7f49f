"""The benchmarks' timing helper: variants take turns, warm-ups are not samples, spread is flagged."""

import importlib.util
import sys
import time
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parents[1] / "benchmarks" / "timing.py"


@pytest.fixture(scope="module")
def timing():
    spec = importlib.util.spec_from_file_location("timing", HELPER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["timing"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def recorder(calls: list, name: str):
    def variant() -> float:
        calls.append(name)
        return float(len(calls))  # the call's position: which samples were kept shows
    return variant


def test_variants_take_turns_after_their_warm_up(timing):
    calls = []
    results = timing.interleave({"A": recorder(calls, "A"), "B": recorder(calls, "B")}, repeats=3, warmup=1)
    assert calls == ["A", "B"] * 4
    assert results["A"].samples == [3.0, 5.0, 7.0] and results["B"].samples == [4.0, 6.0, 8.0]
    assert results["A"].median == 5.0 and (results["A"].low, results["A"].high) == (3.0, 7.0)


def test_a_failing_variant_keeps_its_samples_and_the_others_go_on(timing):
    calls = []

    def fails_in_round_two() -> float:
        calls.append("F")
        if calls.count("F") == 3:
            raise RuntimeError("compile unsupported\nsecond line")
        return 1.0

    results = timing.interleave({"F": fails_in_round_two, "B": recorder(calls, "B")}, repeats=3,
                                failures=(RuntimeError,))
    assert calls.count("F") == 3 and calls.count("B") == 4
    assert results["F"].samples == [1.0]
    assert results["F"].missing == "failed: RuntimeError: compile unsupported"
    with pytest.raises(ValueError):  # an error not named in `failures` is a bug: it propagates
        timing.interleave({"bad": lambda: int("x")}, repeats=1, failures=(RuntimeError,))


def test_past_the_deadline_nothing_more_runs(timing):
    calls = []
    results = timing.interleave({"A": recorder(calls, "A")}, repeats=5, deadline=time.perf_counter() - 1)
    assert calls == [] and results["A"].missing == "skipped: past the time budget"
    assert timing.paired_ratio(results["A"], timing.Measurement([1.0])).missing == results["A"].missing


def test_spread_is_flagged_above_a_quarter_of_the_median(timing):
    steady, at_limit = timing.Measurement([1.0, 1.1, 1.2]), timing.Measurement([3.5, 4.0, 4.5])
    assert steady.spread == pytest.approx(0.2 / 1.1) and not steady.noisy
    assert at_limit.spread == 0.25 and not at_limit.noisy  # at the limit is not over it
    flagged = timing.Measurement([1.0, 1.4, 1.2])
    assert flagged.noisy
    lines = timing.spread_warnings({"steady": steady, "flagged": flagged, "none": timing.Measurement()})
    assert len(lines) == 1 and lines[0].startswith("NOISY: flagged: spread 33%")
    assert flagged.text() == "1.20 (1.00-1.40)"


def test_ratios_pair_the_samples_of_one_round(timing):
    ours, baseline = timing.Measurement([2.0, 8.0, 3.0]), timing.Measurement([1.0, 4.0, 1.0])
    ratio = timing.paired_ratio(ours, baseline)
    assert ratio.samples == [2.0, 2.0, 3.0] and ratio.median == 2.0
    assert ours.median / baseline.median == 3.0  # what unpaired medians would have said


def test_the_machine_line_names_only_known_features(timing):
    assert set(timing.cpu_features()) <= set(timing.CPU_FEATURES.values())
    assert timing.machine_line().startswith("CPU: ")


def test_waiting_advances_the_wall_clock_and_not_the_cpu_clock(timing):
    results = timing.interleave({"wall": timing.timed(lambda: time.sleep(0.05), timing.CLOCKS["wall"]),
                                 "cpu": timing.timed(lambda: time.sleep(0.05), timing.CLOCKS["cpu"])},
                                repeats=1, warmup=0)
    assert results["wall"].median >= 0.05 and results["cpu"].median < 0.02
