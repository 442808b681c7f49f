"""Every Hub failure a user can cause, turned into one line that names the problem and the fix.

All Hub calls of the package run inside `hub_errors(...)`; the CLI prints the
resulting ValueError as `hf-distscale VERB: error: ...` with exit code 2.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import httpx2
from huggingface_hub import constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    LocalTokenNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hf_distscale.formats.population import POPULATION_FILE

LOGIN = "set HF_TOKEN or run `hf auth login`"


def looks_like_path(spec: str) -> bool:
    """True for what a user means as a local path: starts with / . ~, or its parent folder exists.

    A Hub repo id is `name` or `org/name`; "runs/pop" is a path when `runs/` exists here.
    """
    if spec.startswith(("/", ".", "~")) or spec.count("/") > 1 or os.sep != "/" and os.sep in spec:
        return True
    parent = Path(spec).parent
    return parent != Path(".") and parent.exists()


def no_such_path(spec: str, what: str = "folder") -> FileNotFoundError:
    return FileNotFoundError(
        f"{spec}: no such {what}; give an existing local path, or a Hub repo id (org/name)"
    )


def check_results_source(source: str | Path) -> None:
    """Raise one line unless `source` is a file or could be a results repo id, org/name (nothing is read).

    A population folder, or a folder of them, gets the command that makes its results table.
    """
    source = str(source)
    path = Path(source).expanduser()
    if path.is_file():
        return
    populations = [path] if (path / POPULATION_FILE).is_file() else sorted(
        child for child in path.glob("*") if (child / POPULATION_FILE).is_file())
    if populations:
        what = "a population folder" if populations == [path] else "a folder of population folders"
        raise ValueError(
            f"{source} is {what}, not a results table; make its table with `hf-distscale eval "
            f"{' '.join(map(str, populations))} --out results.parquet` (or `hf-distscale lm-eval ...` for "
            f"a language-model population), then pass results.parquet"
        )
    if path.is_dir():
        raise ValueError(f"{source} is a folder, not a results table; give the Parquet file that "
                         f"`hf-distscale eval` or `lm-eval` wrote, or a results repo id")
    if looks_like_path(source) or source.endswith(".parquet") or "/" not in source.partition(":")[0]:
        raise no_such_path(source, "results file")  # a results repo id is always org/name


def endpoint() -> str:
    return constants.ENDPOINT


@contextmanager
def hub_errors(repo_id: str, repo_type: str = "model", action: str = "read"):
    """Re-raise a huggingface_hub error from the block as a one-line ValueError.

    `action` ("read" or "push") picks the advice: reading needs access, pushing
    needs a token with write access, and a rerun of a push resumes it.
    """
    what = f"{repo_type} repo {repo_id!r} on {endpoint()}"
    rerun = "; run the same command again to resume the upload" if action == "push" else ""
    try:
        yield
    except GatedRepoError:
        raise ValueError(f"{what} is gated: accept its terms on the Hub, then {LOGIN}") from None
    except RepositoryNotFoundError:
        raise ValueError(
            f"{what} does not exist (404) or is private; check the id and repo type, or {LOGIN} "
            f"with a token that can read it"
        ) from None
    except RevisionNotFoundError:
        raise ValueError(f"{what} has no such revision; check --revision or the @REVISION") from None
    except LocalTokenNotFoundError:
        raise ValueError(f"no Hugging Face token to {action} {what}; {LOGIN}") from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, httpx2.TransportError):
        if constants.HF_HUB_OFFLINE:
            kind = "" if repo_type == "model" else f" --repo-type {repo_type}"
            raise ValueError(
                f"{repo_type} repo {repo_id!r} is not in the local Hugging Face cache and "
                f"HF_HUB_OFFLINE=1 forbids fetching it; fetch it once online (`hf download "
                f"{repo_id}{kind}`, or this command without HF_HUB_OFFLINE)"
            ) from None
        raise ValueError(
            f"cannot reach the Hub at {endpoint()} for {repo_type} repo {repo_id!r}; check the "
            f"network, HF_ENDPOINT and HF_HUB_OFFLINE{rerun}"
        ) from None
    except EntryNotFoundError:
        raise ValueError(
            f"{what} lacks a file this command needs; is it a repo pushed with `hf-distscale hub push`?"
        ) from None
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else None
        if status in (401, 403):
            raise ValueError(
                f"the token was rejected (HTTP {status}) for {what}; {LOGIN} with a token that has "
                f"{'write' if action == 'push' else 'read'} access"
            ) from None
        raise ValueError(f"{what} answered HTTP {status} to a {action}{rerun}") from None
