"""The one channel to the terminal for every verb: one line per error or warning, on stderr.

Bad input is `PROG: error: ...` and exit code 2; a warning is `warning: ...`.
Python warnings raised while a verb runs come out the same way: the
package's own as `warning:` lines, third-party ones only with `--verbose`,
which also lets libraries' log banners and progress bars through. It sits
below every stage, so a stage that runs as its own program (what torchrun
starts) reports exactly as `hf-distscale VERB` does.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from hf_distscale.formats.outputs import kept_on_interrupt

PACKAGE_DIR = Path(__file__).resolve().parent
# Progress bars and advice of the Hugging Face libraries, read when they are imported (after this).
QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
             "TRANSFORMERS_VERBOSITY": "error", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
             "DATASETS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false"}


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser with a usage error as one line (argparse prints the whole usage first)."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message}; see `{self.prog} --help`", file=sys.stderr)
        sys.exit(2)


def warn(message: str) -> None:
    """A warning as one line on stderr: `warning: MESSAGE`."""
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def _show_warning(verbose: bool):
    """`warnings.showwarning` for a verb: the package's warnings as one line, others only if verbose."""
    def show(message, category, filename, lineno, file=None, line=None):
        if Path(filename).resolve().is_relative_to(PACKAGE_DIR):
            warn(message)
        elif verbose:
            warn(f"{category.__name__}: {message}")

    return show


INTERRUPTED = 130  # the shell's code for a command ended by SIGINT (128 + 2)


def report_errors(prog: str, func, args: argparse.Namespace) -> int:
    """Run `func(args)`; bad input (ValueError, OSError such as a missing file) becomes one line and exit code 2.

    A verb whose answer is its exit code (`verify`: 1 when it found a fault)
    returns that int; whatever else a verb returns (records, a table) is exit 0.
    Ctrl-C (SIGINT) becomes one line saying what was kept (what the outputs in
    progress noted: finished rows, the previous output) and exit code 130.
    Unless `args.verbose`, third-party log lines below ERROR, their progress
    bars and their Python warnings stay off the terminal.
    """
    verbose = getattr(args, "verbose", False)
    if not verbose:
        for name, value in QUIET_ENV.items():
            os.environ.setdefault(name, value)
        if "huggingface_hub" in sys.modules:  # imported while the verbs registered, before the variable was set
            from huggingface_hub.utils import disable_progress_bars
            disable_progress_bars()
        logging.disable(logging.WARNING)
    shown = warnings.showwarning
    warnings.showwarning = _show_warning(verbose)
    try:
        answer = func(args)
    except (ValueError, OSError) as err:
        print(f"{prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; kept: {kept_on_interrupt()}; rerun the same command to finish",
              file=sys.stderr)
        return INTERRUPTED
    finally:
        warnings.showwarning = shown
        logging.disable(logging.NOTSET)
    return answer if type(answer) is int else 0
