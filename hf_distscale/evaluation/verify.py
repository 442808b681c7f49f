"""Integrity checks of populations and results tables: what `hf-distscale verify` finds.

A population (a local folder, or a Hub population repo read seed by seed):

- every seed loads strictly (`models.loading.load_causal_lm`: whole weights
  that are exactly its config's model, a record that agrees with the config);
- its files match the SHA-256 its seed record holds (records written before
  they carried hashes are a note, "no hashes recorded", not a fault);
- no two seeds hold identical weights;
- every seed of a scale has the same config.

A results table: no two rows share an identity (`RESULT_KEY`), and no two
models of different identity have equal metrics, a continuous one among them,
on at least `SAME_MODEL_CONDITIONS` conditions (the same model evaluated
twice under two names).

The same model under two families is by design, not a fault: the shipped
reference's `cpu_width` h64 is `cpu_depth` l2 (same config, init and data
seed). Identical weights, or identical rows, of two models of different
families built alike are reported once per pair of scales as "shared".
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from hf_distscale.formats.identity import MODEL_KEY, RESULT_KEY, describe
from hf_distscale.formats.population import (
    FILE_HASHES, finished_seeds, read_seed_record, seed_file_hashes, seed_uri, sha256,
)
from hf_distscale.formats.results import COUNTING_METRICS, MULTIPLE_CHOICE_METRICS
from hf_distscale.hub.reading import download_seed, population_repo_seeds
from hf_distscale.models.loading import load_causal_lm, weight_files

FAULT, SHARED, NOTE = "fault", "shared", "note"
# What makes two models the same build: equal on these (and in different families) is "shared".
BUILD_COLUMNS = ("num_layers", "hidden_size", "num_parameters", "seed", "data_seed", "precision", "preset")
# Metrics that take many values, so equal rows are not a coincidence of saturated scores.
CONTINUOUS_METRICS = ("token_accuracy", "nll_mean", "nll_sum", "p_exact", "nll_correct", "p_correct", "brier")
SAME_MODEL_CONDITIONS = 3
# config.json keys that say which software wrote it, not what the model is.
CONFIG_PROVENANCE = ("transformers_version", "_name_or_path", "_commit_hash")


@dataclass(frozen=True)
class Finding:
    """One thing `verify` found: `severity` fault, shared or note; `where` names the seed or row."""

    severity: str
    kind: str
    where: str
    detail: str


@dataclass(frozen=True)
class Seed:
    """A finished seed to check: where it is named, its local folder and its record."""

    where: str
    folder: Path
    record: dict


def local_seeds(population_dir: Path) -> list[Seed]:
    """Every finished seed of a population folder (a ValueError when it holds none)."""
    folders = finished_seeds(population_dir)
    if not folders:
        raise ValueError(f"verify: {population_dir} holds no finished seed (no */seed-*/seed_record.json); "
                         f"give a population folder, a Hub population repo or a results table")
    return [Seed(str(folder), folder, read_seed_record(folder)) for folder in folders]


def repo_seeds(repo_id: str, revision: str | None = None) -> tuple[list[Seed], list[Finding]]:
    """Every seed a Hub population repo lists, downloaded one at a time (through `hub/`), and a
    fault for each listed seed the repo does not hold."""
    seeds, missing = [], []
    for subfolder in population_repo_seeds(repo_id, revision)["subfolder"]:
        where = seed_uri(repo_id, subfolder, revision)
        try:
            folder = download_seed(repo_id, subfolder, revision)
        except ValueError:
            missing.append(Finding(FAULT, "missing-seed", where, "listed in seeds.parquet, but the repo has "
                                   "no such seed folder; push the population again"))
            continue
        seeds.append(Seed(where, folder, read_seed_record(folder)))
    return seeds, missing


def verify_seeds(seeds: list[Seed]) -> list[Finding]:
    """Every population check over `seeds` (one or several populations, checked together so
    that a model shared by two families is seen as such)."""
    findings = [finding for seed in seeds for finding in _seed_findings(seed)]
    unhashed = [seed for seed in seeds if FILE_HASHES not in seed.record]
    if unhashed:
        findings.append(Finding(NOTE, "no-hashes", _common_parent(unhashed),
                                f"no hashes recorded for {len(unhashed)} of {len(seeds)} seeds (trained "
                                f"before seed records carried them); their files are not checked"))
    return findings + _duplicate_weights(seeds) + _config_per_scale(seeds)


def _seed_findings(seed: Seed) -> list[Finding]:
    """The strict load and the recorded hashes of one seed."""
    findings = []
    try:
        load_causal_lm(seed.folder, seed.where)  # the load is the check; the model is dropped
    except (ValueError, OSError) as err:
        findings.append(Finding(FAULT, "load", seed.where, str(err).partition(f"{seed.where}: ")[2] or str(err)))
    recorded = seed.record.get(FILE_HASHES)
    if recorded is not None:
        actual = seed_file_hashes(seed.folder)
        missing = [name for name in recorded if name not in actual]
        changed = [name for name in recorded if name in actual and actual[name] != recorded[name]]
        if missing or changed:
            parts = [f"{what}: {', '.join(names)}" for what, names in
                     (("missing", missing), ("changed since training", changed)) if names]
            findings.append(Finding(FAULT, "hash", seed.where,
                                    f"files do not match the SHA-256 in its seed record ({'; '.join(parts)})"))
    return findings


def _weights_digest(seed: Seed) -> str | None:
    files = [path for path in weight_files(seed.folder) if path.is_file()]
    return "+".join(sha256(path) for path in files) if files else None


def _same_build(a: dict, b: dict) -> bool:
    """Two models built alike under two families: the same config, init seed and data seed (the
    seed is the init seed where a results row has no `init_seed`). A model of unknown shape
    (`num_layers` -1, from a name rule) is never taken for a shared one."""
    if a.get("family") == b.get("family") or a.get("num_layers", -1) <= 0:
        return False
    same_init = a.get("init_seed", a.get("seed")) == b.get("init_seed", b.get("seed"))
    return same_init and all(a.get(key) == b.get(key) for key in BUILD_COLUMNS)


def _duplicate_weights(seeds: list[Seed]) -> list[Finding]:
    """Seeds holding byte-identical weights: a fault, or one "shared" line per pair of scales."""
    by_digest = defaultdict(list)
    for seed in seeds:
        digest = _weights_digest(seed)
        if digest is not None:
            by_digest[digest].append(seed)
    findings, shared = [], Counter()
    for group in by_digest.values():
        first = group[0]
        for other in group[1:]:
            if _same_build(first.record, other.record):
                shared[(_scale_label(first.record), _scale_label(other.record))] += 1
            else:
                findings.append(Finding(FAULT, "duplicate-weights", other.where,
                                        f"holds the same weights as {first.where}"))
    return findings + _shared(shared, "hold the same weights")


def _config_per_scale(seeds: list[Seed]) -> list[Finding]:
    """Seeds of one scale whose config.json differs from the scale's first seed's."""
    findings, first = [], {}
    for seed in seeds:
        config = json.loads((seed.folder / "config.json").read_text())
        config = {key: value for key, value in config.items() if key not in CONFIG_PROVENANCE}
        scale = (seed.record.get("population"), seed.record.get("scale"))
        if scale not in first:
            first[scale] = (seed, config)
            continue
        reference, expected = first[scale]
        differ = sorted(key for key in config.keys() | expected.keys() if config.get(key) != expected.get(key))
        if differ:
            shown = ", ".join(f"{key} {config.get(key)!r} (there: {expected.get(key)!r})" for key in differ[:3])
            findings.append(Finding(FAULT, "config", seed.where,
                                    f"its scale {scale[1]!r} has another config in {reference.where}: {shown}"))
    return findings


def verify_results(table: pd.DataFrame, source: str) -> list[Finding]:
    """Duplicate identities and one model under two names in a results table."""
    return _duplicate_identities(table, source) + _same_models(table.drop_duplicates(list(RESULT_KEY)))


def _describe(values, key=MODEL_KEY) -> str:
    return describe(dict(zip(key, values)), key)


def _duplicate_identities(table: pd.DataFrame, source: str) -> list[Finding]:
    """One fault per model that has two or more rows for one (benchmark, condition)."""
    duplicated = table[table.duplicated(list(RESULT_KEY), keep=False)]
    findings = []
    for model, rows in duplicated.groupby(list(MODEL_KEY), sort=True):
        conditions = sorted(set(rows["condition"]))
        findings.append(Finding(FAULT, "duplicate-identity", _describe(model),
                                f"{len(rows)} rows for {len(conditions)} (benchmark, condition) identities "
                                f"({', '.join(conditions[:4])}{', ...' if len(conditions) > 4 else ''}) in "
                                f"{source}; keep one row each (evaluate again into a new file)"))
    return findings


def _same_models(table: pd.DataFrame) -> list[Finding]:
    """Pairs of models of different identity whose metrics are equal on SAME_MODEL_CONDITIONS or
    more conditions, each condition with a continuous metric measured."""
    metrics = [name for name in COUNTING_METRICS + MULTIPLE_CHOICE_METRICS if name in table]
    measured = table[table[[m for m in CONTINUOUS_METRICS if m in table]].notna().any(axis=1)]
    values = measured[metrics].astype(object).where(measured[metrics].notna(), None)
    signatures = defaultdict(list)
    for model, condition, row in zip(measured[list(MODEL_KEY)].itertuples(index=False, name=None),
                                     zip(measured["benchmark"], measured["condition"]),
                                     values.itertuples(index=False, name=None)):
        signatures[(condition, row)].append(model)
    equal = Counter(pair for models in signatures.values()
                    for pair in itertools.combinations(sorted(set(models)), 2))
    builds = measured.drop_duplicates(list(MODEL_KEY)).set_index(list(MODEL_KEY))
    findings, shared = [], Counter()
    for (a, b), count in sorted(equal.items()):
        if count < SAME_MODEL_CONDITIONS:
            continue
        first = {**builds.loc[a].to_dict(), **dict(zip(MODEL_KEY, a))}
        second = {**builds.loc[b].to_dict(), **dict(zip(MODEL_KEY, b))}
        if _same_build(first, second):
            shared[(_scale_label(first), _scale_label(second))] += 1
        else:
            findings.append(Finding(FAULT, "same-model", _describe(b),
                                    f"its metrics equal those of {_describe(a)} on {count} conditions: the "
                                    f"same model evaluated under two names? keep one of them"))
    return findings + _shared(shared, "have equal metrics")


def _shared(pairs: Counter, what: str) -> list[Finding]:
    """One "shared" line per pair of scales whose seeds are the same build under two families."""
    return [Finding(SHARED, "same-model", f"{a} = {b}",
                    f"{count} seeds {what}: the same config, init and data seed under two families (by design)")
            for (a, b), count in pairs.items()]


def _scale_label(record: dict) -> str:
    return f"{record.get('population')}/{record.get('family')}/{record.get('scale')}"


def _common_parent(seeds: list[Seed]) -> str:
    """Where a group of seeds lives: the population folder (or repo) they share."""
    parents = {seed.where.rsplit("/", 2)[0] for seed in seeds}
    return parents.pop() if len(parents) == 1 else f"{len(parents)} populations"


def report(findings: list[Finding], sources: list[str], checked: dict) -> dict:
    """The JSON report: what was checked, the findings, and whether any is a fault."""
    return {"sources": sources, "checked": checked,
            "faults": sum(finding.severity == FAULT for finding in findings),
            "findings": [asdict(finding) for finding in findings]}
