"""`--changed-since GIT_REF`: the stacks a change touches, found with git (no AWS call).

What counts as changed: `git diff --raw --no-renames REF` against the working tree (so the
checked-out commit, staged and unstaged edits alike; in CI that is the pull request's merge
commit) plus untracked files git does not ignore. A rename is a delete and an add.

Which stacks that selects:
- a stack one of whose files changed;
- a stack that a changed file belonged to at REF (its `stack:` key there, read with
  `git cat-file`): a file deleted, or moved to another stack, leaves resources its old stack
  must prune; this looks at changed YAML files anywhere in the repository, so a run on some of
  a stack's files still finds it;
- a stack with no file left at all, when a file deleted under PATH named it at REF: it is
  planned as an empty stack with the settings (region, role, prune patterns) it had at REF,
  so with --prune everything it owns is a delete, under the mass-delete guard. Such a stack's
  former files may be given as PATH (they no longer exist): that is how `obsctl stacks
  --format github-matrix` names it.

Only deleted files make a stack "emptied", never a file that now belongs to another stack:
`obsctl plan FILES...` of one stack (a matrix job) must not take a stack whose other files it
was not given for one with no file left, and prune all of it. So a stack whose last file was
moved to another stack (its `stack:` key edited) is not found: delete that file and add a new
one instead.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from reconciler.config.loader import YAML_SUFFIXES, parse_bytes
from reconciler.config.registry import Registry
from reconciler.config.stack import Stack
from reconciler.config.validate import Draft, build_stack_model, validate_draft
from reconciler.diagnostics import ObsctlError
from reconciler.text import visible

# The settings an emptied stack keeps from REF: where it lives and what it owns.
STACK_SETTINGS = ("stack", "region", "role_arn", "role_external_id", "role_duration_seconds",
                  "profile", "prune")
_NO_BLOB = "0" * 40


@dataclass(frozen=True)
class RawChange:
    """One line of `git diff --raw -z`: a path (relative to the repository) and the blob it
    had at REF (None: it did not exist there)."""

    path: str
    status: str  # A added, D deleted, M modified, T type changed, U unmerged
    old_blob: str | None


@dataclass
class Changes:
    """The files changed since `ref`, as real paths, and whom the YAML ones belonged to."""

    ref: str
    changed: set[str] = field(default_factory=set)  # still there, or deleted
    deleted: set[str] = field(default_factory=set)
    former_stack: dict[str, str] = field(default_factory=dict)  # real path -> stack at REF
    former_settings: dict[str, dict] = field(default_factory=dict)  # real path -> settings at REF


@dataclass
class Selection:
    """The stacks to plan, and per stack its files under PATH deleted since REF (display
    paths)."""

    stacks: list[Stack]
    deleted_files: dict[str, list[str]]


# --- pure parsing -----------------------------------------------------------------------

def parse_raw_diff(output: bytes) -> list[RawChange]:
    """`git diff --raw -z --no-abbrev --no-renames` output: `:mode mode sha sha X\\0path\\0`."""
    fields = output.split(b"\0")
    changes = []
    for header, path in zip(fields[0::2], fields[1::2]):
        parts = header.decode("ascii").lstrip(":").split()
        if len(parts) != 5:
            raise ObsctlError(f"unexpected output of git diff --raw: {visible(repr(header))}")
        old_mode, _new_mode, old_blob, _new_blob, status = parts
        gone = old_blob == _NO_BLOB or old_mode in ("000000", "160000")  # new, or a submodule
        changes.append(RawChange(path=path.decode("utf-8", "surrogateescape"), status=status[0],
                                 old_blob=None if gone else old_blob))
    return changes


def parse_batch(output: bytes) -> dict[str, bytes]:
    """`git cat-file --batch` output: per object `<sha> <type> <size>\\n<content>\\n`, or
    `<name> missing\\n`. Blobs only."""
    blobs: dict[str, bytes] = {}
    at = 0
    while at < len(output):
        end = output.index(b"\n", at)
        header = output[at:end].decode("ascii").split()
        at = end + 1
        if len(header) != 3:  # `missing`, `ambiguous`
            continue
        sha, kind, size = header[0], header[1], int(header[2])
        if kind == "blob":
            blobs[sha] = output[at:at + size]
        at += size + 1
    return blobs


def stack_settings(raw: bytes, path: str) -> dict | None:
    """The stack settings of a config file's content (None: not an obsctl file)."""
    document, problems = parse_bytes(path, raw)
    if document is None or problems or not isinstance(document.data, dict):
        return None
    if not isinstance(document.data.get("stack"), str):
        return None
    return {key: document.data[key] for key in STACK_SETTINGS if key in document.data}


def is_config_file(path: str) -> bool:
    """What a directory PATH loads: *.yaml/*.yml, nothing hidden (see config.loader)."""
    return path.endswith(YAML_SUFFIXES) and not any(
        part.startswith(".") for part in path.split("/") if part not in (".", ".."))


# --- git --------------------------------------------------------------------------------

def _run_git(where: str, *args: str, stdin: bytes | None = None
             ) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", where, *args], input=stdin, capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise ObsctlError("--changed-since needs git, and it is not installed") from None


def _git(top: str, *args: str, stdin: bytes | None = None) -> bytes:
    """git's output, or ObsctlError with its last line of complaint."""
    done = _run_git(top, *args, stdin=stdin)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ObsctlError(f"git {args[0]} failed: {visible(message[-1] if message else '')}")
    return done.stdout


def repository_root(paths: list[str]) -> str:
    """The top of the git work tree holding the first PATH (or its nearest existing parent)."""
    start = os.path.abspath(paths[0] if paths else ".")
    while not os.path.isdir(start):
        start = os.path.dirname(start)
    done = _run_git(start, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = "" if not said or "not a git repository" in said[0] else f" ({visible(said[0])})"
        raise ObsctlError(f"--changed-since needs a git repository: {visible(start)} is not in "
                          f"one{why}")
    return os.path.realpath(done.stdout.decode("utf-8", "surrogateescape").strip())


def resolve(top: str, ref: str) -> str:
    """The commit `ref` names, or ObsctlError (one line)."""
    if not ref or ref.startswith("-"):
        raise ObsctlError(f"--changed-since: '{visible(ref)}' is not a git ref")
    done = _run_git(top, "rev-parse", "--verify", "--quiet", "--end-of-options",
                    f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise ObsctlError(f"--changed-since: unknown git ref '{visible(ref)}' (in CI, fetch it: "
                          "actions/checkout with fetch-depth: 0)")
    return done.stdout.decode("ascii").strip()


def changes_since(ref: str, paths: list[str]) -> Changes:
    top = repository_root(paths)
    commit = resolve(top, ref)
    raw = parse_raw_diff(_git(top, "diff", "--raw", "-z", "--no-abbrev", "--no-renames",
                              "--no-ext-diff", commit, "--"))
    untracked = _git(top, "ls-files", "-z", "--others", "--exclude-standard").split(b"\0")
    changes = Changes(ref=ref)
    for name in untracked:
        if name:
            changes.changed.add(_real(top, name.decode("utf-8", "surrogateescape")))
    old_blobs = {}
    for change in raw:
        real = _real(top, change.path)
        changes.changed.add(real)
        if change.status == "D":
            changes.deleted.add(real)
        if change.old_blob and is_config_file(change.path):
            old_blobs[real] = change.old_blob
    if old_blobs:
        contents = parse_batch(_git(top, "cat-file", "--batch",
                                    stdin="".join(f"{b}\n" for b in old_blobs.values()).encode()))
        for real, blob in old_blobs.items():
            settings = stack_settings(contents.get(blob, b""), real)
            if settings is not None:
                changes.former_stack[real] = settings["stack"]
                changes.former_settings[real] = settings
    return changes


def _real(top: str, relative: str) -> str:
    return os.path.realpath(os.path.join(top, relative))


# --- selection --------------------------------------------------------------------------

def paths_to_load(paths: list[str], changes: Changes) -> list[str]:
    """PATHs minus those gone since REF: deleted files (a deleted stack's former files), and
    directories that held only deleted files."""
    return [p for p in paths if os.path.lexists(p)
            or not any(_under(deleted, [p]) for deleted in changes.deleted)]


def select(stacks: list[Stack], changes: Changes, paths: list[str], kinds: Registry) -> Selection:
    """The loaded stacks the change touches, then the emptied stacks (see the module doc)."""
    touched = set(changes.former_stack.values())
    chosen = [s for s in stacks
              if s.name in touched or any(os.path.realpath(f) in changes.changed for f in s.files)]
    loaded = {s.name for s in stacks}
    lost: dict[str, list[str]] = {}  # stack -> its files deleted under PATH (real paths)
    for real in sorted(changes.deleted & set(changes.former_stack)):
        if _under(real, paths):
            lost.setdefault(changes.former_stack[real], []).append(real)
    emptied = [_empty_stack(name, [changes.former_settings[r] for r in reals], kinds, changes.ref)
               for name, reals in sorted(lost.items()) if name not in loaded]
    return Selection(stacks=chosen + emptied, deleted_files={
        name: [_display(r, paths) for r in reals] for name, reals in lost.items()})


def _under(real: str, paths: list[str]) -> bool:
    for path in paths or ["."]:
        base = os.path.realpath(path)
        if real == base:
            return True
        if real.startswith(base.rstrip(os.sep) + os.sep) and is_config_file(
                os.path.relpath(real, base).replace(os.sep, "/")):
            return True
    return False


def _display(real: str, paths: list[str]) -> str:
    """A deleted file's name as the loader would have printed it: relative to the working
    directory when PATH was relative."""
    if all(os.path.isabs(p) for p in paths or ["."]):
        return real
    return os.path.relpath(real, os.path.realpath(os.getcwd()))


def _empty_stack(name: str, settings: list[dict], kinds: Registry, ref: str) -> Stack:
    """A stack with no file left: no resources, the settings its files had at REF."""
    merged: dict = {}
    for one in settings:
        for key, value in one.items():
            merged.setdefault(key, value)
    stack, errors = validate_draft(Draft(name, data=merged),
                                   build_stack_model(tuple(kinds.values())))
    if stack is None:
        where = ".".join(str(p) for p in errors[0]["loc"])
        raise ObsctlError(f"stack '{visible(name)}' has no file left, and its settings at "
                          f"{visible(ref)} are invalid ({visible(where)}: "
                          f"{visible(errors[0]['msg'])}); plan it without --changed-since")
    return stack
