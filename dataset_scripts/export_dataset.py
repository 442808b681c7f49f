"""Export the counting task as a Hub-ready dataset folder, and optionally push it.

    python dataset_scripts/export_dataset.py --out counting-dataset
    python dataset_scripts/export_dataset.py --out counting-dataset --push-to-hub user/counting

The folder loads with `datasets.load_dataset(folder, "paper", split="test_len60")`;
after the push (the same as `hf-distscale hub push dataset FOLDER REPO_ID`), the same
call works with the repo id in place of the folder.
"""

from __future__ import annotations

import argparse

from hf_distscale.data import export_dataset
from hf_distscale.hub import push_dataset
from hf_distscale.presets import available_presets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (must be new or empty)")
    parser.add_argument("--preset", action="append", help="preset(s) to export; default: all")
    parser.add_argument("--train-rows", type=int, help="size of the finite training sample")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the folder as a dataset repo")
    args = parser.parse_args()
    try:
        folder = export_dataset(args.preset or available_presets(), args.out, train_rows=args.train_rows)
        print(f"dataset written to {folder}")
        if args.push_to_hub:
            print(f"pushed to {push_dataset(folder, args.push_to_hub)}")
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"export_dataset: error: {err}\n")


if __name__ == "__main__":
    main()
