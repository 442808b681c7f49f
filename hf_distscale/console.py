"""The one channel to the terminal for every verb: bad input is one line on stderr and exit code 2.

It sits below every stage, so a stage that runs as its own program (what
torchrun starts) reports errors exactly as `hf-distscale VERB` does.
"""

from __future__ import annotations

import argparse
import sys


def report_errors(prog: str, func, args: argparse.Namespace) -> int:
    """Run `func(args)`; bad input (ValueError, FileNotFoundError) becomes one line and exit code 2."""
    try:
        func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    return 0
