"""`hf-distscale eval`: evaluate populations or model folders into a results table."""

from __future__ import annotations

from hf_distscale.evaluation.sources import check_sources
from hf_distscale.formats.outputs import check_output
from hf_distscale.presets import available_presets


# A counting test length is at most the task's count of numbers (146 at the paper preset);
# more lengths than this in one list is a typo, refused before the range is expanded.
MAX_TEST_LENGTHS = 1000


def _test_lengths(text: str) -> list[int]:
    """Parse "30,40,50" or "30-100:10" (LOW-HIGH:STEP, inclusive), at most MAX_TEST_LENGTHS of them."""
    try:
        if "-" in text:
            span, _, step = text.partition(":")
            low, high = (int(x) for x in span.split("-"))
            lengths = range(low, high + 1, int(step or 1))
        else:
            lengths = [int(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(
            f"test-lengths: {text!r} is not a list; write 30,40,50 or LOW-HIGH[:STEP]"
        ) from None
    if len(lengths) > MAX_TEST_LENGTHS:
        raise ValueError(f"test-lengths: {text!r} is {len(lengths):,} lengths, more than the {MAX_TEST_LENGTHS} "
                         f"a counting task can have (a length is at most its count of numbers); e.g. 30-100:10")
    if not lengths:
        raise ValueError(f"test-lengths: range {text!r} is empty; write LOW-HIGH with LOW <= HIGH")
    return list(lengths)


def run(args) -> None:
    test_lengths = _test_lengths(args.test_lengths) if args.test_lengths else None
    if args.batch_size < 1:
        raise ValueError(f"--batch-size: {args.batch_size} is not a positive count; e.g. --batch-size 512")
    if args.preset is not None and args.preset not in available_presets():
        raise ValueError(f"--preset: unknown preset {args.preset!r}; choose one of {', '.join(available_presets())}")
    check_sources(args.sources)
    check_output(args.out, "file", inputs=args.sources, example="results.parquet")
    from hf_distscale.formats.results import read_table  # pandas: after the instant checks

    read_table(args.out)
    from hf_distscale.evaluation.device import resolve_device  # torch: after the instant checks

    device = resolve_device(args.device)
    from hf_distscale.evaluation.run import evaluate_population  # heavy (torch): after the checks

    table = evaluate_population(
        args.sources,
        args.out,
        test_lengths=test_lengths,
        preset=args.preset,
        batch_size=args.batch_size,
        precision=args.precision,
        generate=args.generate,
        device=device,
        items=args.items,
    )
    summary = table.groupby(["population", "scale", "test_length"])["em"].agg(["count", "mean"])
    print(summary.rename(columns={"count": "seeds", "mean": "mean_em"}).to_string())
    from hf_distscale.formats.items import items_path

    print(f"wrote {len(table)} rows to {args.out}"
          + (f", each test window's result to {items_path(args.out)}" if args.items else ""))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate every seed of a population (EM per test length, NLL, p_exact)",
        description="Teacher-forced EM and continuous metrics for every seed; resumable.",
    )
    parser.add_argument(
        "sources", nargs="+", help="population folders, model folders or Hub repo ids"
    )
    parser.add_argument(
        "--out", required=True, help="results table (Parquet); existing rows are kept"
    )
    parser.add_argument("--test-lengths", help="e.g. 30,40,50 or 30-100:10 (default: the task's)")
    parser.add_argument("--preset", help="task preset for model folders without seed_record.json")
    parser.add_argument("--batch-size", type=int, default=512, help="windows per forward pass")
    parser.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="auto = the population's training precision",
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="also score greedy model.generate() (reference path, slow)",
    )
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--no-items", dest="items", action="store_false",
                        help="keep no items table beside --out (for very large runs; the seeds-versus-items "
                             "split and item-paired comparisons need it)")
    parser.set_defaults(func=run)
