"""`hf-distscale dataset build`: export presets as a Hub-ready dataset folder."""

from __future__ import annotations

from hf_distscale.formats.outputs import DATASET, check_output
from hf_distscale.presets import available_presets, load_preset


def register(subparsers) -> None:
    parser = subparsers.add_parser("dataset", help="build the counting-task dataset")
    verbs = parser.add_subparsers(dest="dataset_verb", required=True, metavar="ACTION")
    build = verbs.add_parser("build", help="export presets to a Parquet folder with a dataset card")
    build.add_argument(
        "--preset", action="append", required=True,
        help=f"preset to export, repeatable (available: {', '.join(available_presets())})",
    )
    build.add_argument("--out", required=True, help="output folder (must be new or empty)")
    build.add_argument("--train-rows", type=int, help="size of the finite training sample")
    build.add_argument("--train-seed", type=int, default=0, help="data seed of the training sample")
    build.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    build.set_defaults(func=_build)


def _build(args) -> None:
    for name in args.preset:  # an unknown name, before `datasets` loads
        load_preset(name)
    check_output(args.out, DATASET, example="dataset", overwrite=args.overwrite)
    from hf_distscale.data.export import export_dataset

    out = export_dataset(
        args.preset, args.out, train_rows=args.train_rows,
        train_seed=args.train_seed, overwrite=args.overwrite,
    )
    print(f"dataset written to {out} (configs: {', '.join(args.preset)})")
