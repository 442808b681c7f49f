"""`python -m hf_distscale`: the `hf-distscale` command, for an install whose scripts are not on PATH."""

import sys

from hf_distscale.cli import main

if __name__ == "__main__":
    sys.exit(main())
