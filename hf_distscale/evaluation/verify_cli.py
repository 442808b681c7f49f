"""`hf-distscale verify PATH...`: the integrity checks of `evaluation.verify`, as a verb.

It prints one line per finding (or a clean summary), writes the findings as
JSON with `--out`, and exits 0 when clean, 1 when it found a fault (shared
models and notes are not faults), 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path

from hf_distscale.formats.outputs import FILE, check_output, write_file
from hf_distscale.formats.population import POPULATION_FILE
from hf_distscale.hub.errors import looks_like_path, no_such_path


def check_out(out: str | None, sources: list[str]) -> Path | None:
    """`--out` as a path: a `.json` file name that `formats.outputs.check_output` accepts (never an input)."""
    if out is None:
        return None
    if Path(out).suffix != ".json":
        raise ValueError(f"--out: {out} is not a .json file name; give one, e.g. --out verify.json")
    return check_output(out, FILE, inputs=sources, example="verify.json")


def source_kind(source: str) -> str:
    """"table" (a local file), "population" (a local folder) or "hub" (a repo id), without reading it."""
    path = Path(source).expanduser()
    if path.is_file():
        return "table"
    if path.is_dir():
        if not (path / POPULATION_FILE).is_file() and not any(path.glob("*/seed-*")):
            raise ValueError(f"verify: {source} is neither a population folder (population.json, "
                             f"<scale>/seed-XXXX/) nor a results table; give one of them, or a Hub repo id")
        return "population"
    if looks_like_path(source):
        raise no_such_path(source, "population folder or results table")
    return "hub"


def run(args) -> int:
    kinds = {source: source_kind(source) for source in args.paths}
    out = check_out(args.out, args.paths)
    # pandas, torch and the Hub client: after the instant checks
    from hf_distscale.evaluation.verify import (
        FAULT, local_seeds, repo_seeds, report, verify_results, verify_seeds,
    )
    from hf_distscale.formats.versions import dump_json
    from hf_distscale.hub.reading import is_population_repo, read_results

    seeds, findings, rows = [], [], 0
    for source, kind in kinds.items():
        repo_id, _, revision = source.partition("@")
        if kind == "population":
            seeds += local_seeds(Path(source).expanduser())
        elif kind == "hub" and ":" not in source and is_population_repo(repo_id, revision or None):
            held, missing = repo_seeds(repo_id, revision or None)
            seeds += held
            findings += missing
        else:
            table = read_results(source, unique=False)  # a repeated identity is a finding here
            rows += len(table)
            findings += verify_results(table, source)
    if seeds:
        findings = verify_seeds(seeds) + findings
    for finding in findings:
        print(f"{finding.severity:<6}  {finding.kind:<18}  {finding.where}: {finding.detail}")
    faults = sum(finding.severity == FAULT for finding in findings)
    checked = {"seeds": len(seeds), "rows": rows}
    print(f"verify: {len(seeds)} seeds and {rows} result rows checked: "
          + (f"{faults} fault(s)" if faults else "clean") + f", {len(findings) - faults} other finding(s)")
    if out is not None:
        write_file(out, dump_json(report(findings, list(args.paths), checked), "verify"))
        print(f"wrote {out}")
    return 1 if faults else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="integrity checks of populations and results tables (exit 1 when something is wrong)",
        description="For a population (folder or Hub repo): every seed loads strictly, its files match "
                    "the SHA-256 in its seed record, no two seeds hold the same weights, one config per "
                    "scale. For a results table: no duplicate identities, no model under two names. "
                    "The same model under two families (same config, init and data seed) is reported as "
                    "shared, not as a fault.",
    )
    parser.add_argument("paths", nargs="+",
                        help="population folders, Hub population repos, results tables (Parquet) or "
                             "results repos; populations given together are checked together")
    parser.add_argument("--out", help="write the findings as JSON to this file")
    parser.set_defaults(func=run)
