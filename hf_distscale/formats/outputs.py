"""Every output a verb writes goes through here: checked before work, locked while written, atomic.

A command does its whole job or leaves things as they were (the README's
"What the tool guarantees about outputs"). Three shapes of output:

- a file (a plan, a results table, an ingested table): `write_file` writes a
  temporary sibling `.tmp-<name>-<pid>`, fsyncs it and renames it into place;
- a folder replaced whole (analysis, leaderboard, dataset, comparison): `folder_output`
  builds it in a `.tmp-<name>-<pid>` sibling, writes its manifest
  (`MANIFEST`, {kind, files}) last, and exchanges it with the old folder:
  in one step where the system has one (Linux `renameat2(RENAME_EXCHANGE)`),
  else old -> `.old-<name>`, new -> `<name>`, then `.old-<name>` removed;
- a folder or table that grows as work finishes (a population during `train`,
  a results table during `eval`): each seed or model is made atomic by its
  writer, and the whole is only locked.

Recovery rule, applied by `recover` (the next writer of the output, and a
reader that finds leftovers while no writer holds the lock): `.old-<name>` is
the complete previous output, so it is put back when `<name>` is missing (a
kill between the two renames) and deleted otherwise (a kill before its
removal ended); a `.tmp-<name>-<pid>` is never a finished output (or, after
an exchange, the previous one), so it is deleted. After a kill at any point,
`<name>` therefore holds the complete old output or the complete new one.

`output_lock` makes a second run writing the same output fail at once, with
one line naming the run that holds it (pid, host and command line, kept in a
sidecar while the lock is held). The processes of one sharded run are one
writer: only the main process takes the lock and writes the final output.

Outputs in progress note what an interruption keeps (`note_kept`), so Ctrl-C
ends with one line saying so (`hf_distscale.console.report_errors`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hf_distscale.formats.versions import dump_json, load_json

# Written last into every folder output: {kind, files}. A folder without it is not finished.
MANIFEST = "hf_distscale_output.json"
# Kinds of output (`check_output`): a file, a folder that grows, and the folder outputs replaced whole.
FILE, GROWING = "file", "growing"
ANALYSIS, LEADERBOARD, DATASET, COMPARISON = "analysis", "leaderboard", "dataset", "comparison"
_TMP = ".tmp-"
_OLD = ".old-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# Output path -> what an interruption now would keep, for the one line Ctrl-C prints.
_KEPT: dict[Path, str] = {}


class OutputLocked(ValueError):
    """Another run holds the output's lock; the message names it."""


def check_output(path: str | Path, kind: str = FILE, inputs: Iterable[str | Path] = (),
                 option: str = "--out", example: str = "out", overwrite: bool | None = None) -> Path:
    """`path` as a Path when it can take an output of `kind`, else one-line ValueError naming `option`.

    `kind`: FILE; GROWING (a folder that fills as work finishes, never
    replaced whole); or a folder output's kind (ANALYSIS, LEADERBOARD,
    DATASET), replaced whole, so the folder must be new, empty or a finished
    output of that kind. Checked before any work: the nearest existing folder
    above `path` is a writable folder (missing ones are made when written); a
    file output is not a folder and a folder output not a file; the output is
    no input (`inputs`, compared as resolved paths), lies inside no input
    folder, and a folder replaced whole holds no input. `example` names a
    good output in the fix (a file name, or a folder suffix); `overwrite`:
    see `check_replaceable`.
    """
    path = Path(path).expanduser()
    if kind == FILE and path.is_dir():
        raise ValueError(f"{option}: {path} is a folder; give a file name, e.g. {option} {path / example}")
    if kind != FILE and path.exists() and not path.is_dir():
        raise ValueError(f"{option}: {path} is a file; give a folder, e.g. {option} {path.with_suffix('')}-{example}")
    parent = next(folder for folder in path.absolute().parents if folder.exists())
    if not parent.is_dir():
        raise ValueError(f"{option}: {path} lies under {parent}, which is a file; give a path under a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{option}: cannot write into {parent} (permission denied); give a path in a "
                         "folder you can write to")
    replaced = kind not in (FILE, GROWING)
    target = path.resolve()
    for source in inputs:
        source_path = Path(source).expanduser()
        if not source_path.exists():
            continue  # a repo id, or a path the verb's own checks report
        resolved = source_path.resolve()
        if target == resolved:
            raise ValueError(f"{option}: {path} is also an input ({source}); an output never overwrites an "
                             f"input: give {option} a new name")
        if resolved.is_dir() and target.is_relative_to(resolved):
            raise ValueError(f"{option}: {path} lies inside the input {source}, which it would change; give "
                             f"{option} a path outside it")
        if replaced and resolved.is_relative_to(target):
            raise ValueError(f"{option}: {path} holds the input {source} and would replace it; give "
                             f"{option} a path that holds no input")
    if replaced and Path.cwd().resolve().is_relative_to(target):
        raise ValueError(f"{option}: {path} holds the folder you are in, which it would replace; give "
                         f"{option} a folder beside it")
    if replaced:
        check_replaceable(path, kind, option, overwrite)
    return path


def check_replaceable(path: Path, kind: str, option: str = "--out", overwrite: bool | None = None) -> None:
    """One-line ValueError unless the folder `path` may be replaced: new or empty, or else
    a finished output of `kind` (`overwrite` None: the verb has no `--overwrite`), nothing
    more (False: it has one, not given), anything (True: given).
    """
    if overwrite or not path.is_dir() or not any(path.iterdir()):
        return
    if overwrite is False:
        raise ValueError(f"{option}: {path} is not empty; choose a new folder, or pass --overwrite to replace it")
    found = finished_kind(path)
    if found != kind:
        what = f"a finished {found} output" if found else f"no {MANIFEST}"
        raise ValueError(f"{option}: {path} exists and is not a finished {kind} output ({what}); "
                         "choose a new or empty folder, or move it away")


def lock_path(path: Path) -> Path:
    """`.<name>.lock` beside the output: outside it, so it outlives the folder exchange."""
    path = path.absolute()
    return path.parent / f".{path.name}.lock"


def _owner_path(path: Path) -> Path:
    return lock_path(path).with_name(lock_path(path).name + ".owner")


@contextmanager
def output_lock(path: str | Path, held: bool = True) -> Iterator[Path]:
    """Hold the lock of the output at `path` while the body writes it; OutputLocked at once if taken.

    `held` False (a sharded run's other processes) takes no lock: the main
    process holds it for all of them. On entry the output's leftovers of an
    earlier, killed writer are recovered (`recover`).
    """
    path = Path(path).expanduser()
    if not held:
        yield path
        return
    import socket  # socket and filelock only when an output is written: the console imports this module

    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputLocked(f"{path} is being written by another run ({_holder(path)}); wait for it to end, "
                           "or write to another path") from None
    owner = _owner_path(path)
    try:
        write_file(owner, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                      "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                                      "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        recover(path)
        note_kept(path, f"{path} as it was" if path.exists() else f"no {path} (nothing was written)")
        yield path
    except KeyboardInterrupt:
        raise  # its note stays for the Ctrl-C line (`kept_on_interrupt`)
    except BaseException:
        _KEPT.pop(path, None)
        raise
    else:
        _KEPT.pop(path, None)
    finally:
        owner.unlink(missing_ok=True)
        lock_path(path).unlink(missing_ok=True)  # unlinked while held: a waiting peer sees it and retries
        lock.release()


def _holder(path: Path) -> str:
    """The run holding `path`'s lock, as its sidecar names it."""
    try:
        owner = json.loads(_owner_path(path).read_text())
        return f"pid {owner['pid']} on {owner['host']} since {owner['since']}: {owner['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return f"its lock is {lock_path(path)}"


def note_kept(path: str | Path, kept: str) -> None:
    """Say what an interruption of the output at `path` would keep now (e.g. its finished rows)."""
    _KEPT[Path(path).expanduser()] = kept


def kept_on_interrupt() -> str:
    """What the interrupted outputs kept, for the Ctrl-C line; the notes are then forgotten."""
    kept = "; ".join(_KEPT.values()) or "every finished output"
    _KEPT.clear()
    return kept


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_file(path: str | Path, data: bytes | Callable[[Path], object]) -> Path:
    """Write a file output atomically: `data` (bytes, or a function writing the given path) goes to a
    temporary sibling, is fsynced and renamed over `path`. Readers never see half a file."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.parent / f"{_TMP}{path.name}-{os.getpid()}"
    try:
        if isinstance(data, bytes):
            partial.write_bytes(data)
        else:
            data(partial)
        _fsync(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    _fsync(path.parent)
    return path


def _leftovers(path: Path) -> list[Path]:
    """The `.tmp-<name>-<pid>` and `.old-<name>` siblings of `path`."""
    path = path.absolute()
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"{re.escape(_TMP + path.name)}-\d+|{re.escape(_OLD + path.name)}")
    return sorted(sibling for sibling in path.parent.iterdir() if pattern.fullmatch(sibling.name))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def recover(path: str | Path) -> None:
    """Apply the recovery rule (module docstring) to the leftovers of `path`; call it under its lock."""
    path = Path(path).expanduser().absolute()
    for leftover in _leftovers(path):
        if leftover.name.startswith(_OLD) and not path.exists():
            os.rename(leftover, path)
        else:
            _remove(leftover)


def _exchange(new: Path, old: Path) -> bool:
    """Swap `new` and `old` in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # as in output_lock: not at start

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def replace_folder(new: Path, path: Path) -> None:
    """Put the finished folder `new` at `path`, whose old folder (if any) is complete until then."""
    if not path.exists():
        os.rename(new, path)
    elif _exchange(new, path):
        shutil.rmtree(new)  # the old output, now under the temporary name
    else:
        old = path.parent / f"{_OLD}{path.name}"
        os.rename(path, old)
        try:
            os.rename(new, path)
        except BaseException:
            os.rename(old, path)  # a kill here instead is what `recover` puts right
            raise
        shutil.rmtree(old)
    _fsync(path.parent)


def write_manifest(folder: str | Path, kind: str) -> Path:
    """Mark `folder` a finished output of `kind`: its manifest, listing its files, written last."""
    folder = Path(folder)
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    return write_file(folder / MANIFEST, dump_json({"kind": kind, "files": files}, "output"))


def finished_kind(folder: str | Path) -> str | None:
    """The kind in `folder`'s manifest; None when it has none (not a finished output)."""
    manifest = Path(folder) / MANIFEST
    return load_json(manifest, "output").get("kind") if manifest.is_file() else None


def require_finished(folder: str | Path, kind: str, fix: str) -> Path:
    """`folder` when it is a finished output of `kind`; else one-line ValueError ending in `fix`.

    Leftovers of a killed writer are recovered first when no writer holds the
    lock (a running writer leaves `folder` complete, old or new, meanwhile).
    """
    folder = Path(folder).expanduser()
    if _leftovers(folder):
        try:
            with output_lock(folder):
                pass
        except (OutputLocked, OSError):
            pass
    found = finished_kind(folder) if folder.is_dir() else None
    if found != kind:
        what = f"a finished {found} output" if found else f"no {MANIFEST}, written last: unfinished or written by an older hf-distscale"
        raise ValueError(f"{folder} is not a finished {kind} output ({what}); {fix}")
    return folder


@contextmanager
def folder_output(path: str | Path, kind: str, option: str = "--out",
                  overwrite: bool | None = None) -> Iterator[Path]:
    """Build a folder output of `kind`: yields the temporary folder to write; on success the manifest is
    written and the folder exchanged with `path`; on any failure `path` is left as it was.

    `path` must be new, an empty folder, or a finished output of the same kind
    (which is replaced): anything else is one-line ValueError naming
    `option`; `overwrite` as in `check_replaceable`.
    """
    path = Path(path).expanduser()
    with output_lock(path):
        check_replaceable(path, kind, option, overwrite)
        final = path.absolute()
        staging = final.parent / f"{_TMP}{final.name}-{os.getpid()}"
        staging.mkdir()
        try:
            yield staging
            write_manifest(staging, kind)
            replace_folder(staging, final)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
