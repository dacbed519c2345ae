"""Read YAML config files into plain data plus the `file:line:col` of every key.

Config files come from pull requests, so the loader treats them as hostile: size, encoding,
nesting depth and alias expansion are bounded, and custom tags are refused, so a bad file
gives one clear diagnostic quickly instead of a hang, a traceback or a constructed object.

This module finds and reads the files (size, type, encoding); two paths turn a file's text
into data and sources: `plain_yaml` (the fast path, for plain files) and `compose_yaml` (the
general composer: anchors, merges, tags, and every error). `yaml_scalars` holds what both
share.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from typing import Iterator

from reconciler.config.compose_yaml import Builder, compose_document
from reconciler.config.plain_yaml import load_plain
from reconciler.config.yaml_scalars import SourceDocument, Unreadable
from reconciler.diagnostics import ConfigError, Diagnostic, Location

__all__ = ["SourceDocument", "find_config_files", "gc_paused", "load_documents", "parse_bytes",
           "read_document"]

MAX_FILE_BYTES = 10 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"


def load_documents(paths: list[str]) -> list[SourceDocument]:
    """Every YAML document under `paths`; raises ConfigError listing every problem found."""
    files, diagnostics = find_config_files(paths)
    documents = []
    for path in files:
        document, problems = read_document(path)
        diagnostics.extend(problems)
        if document is not None:
            documents.append(document)
    if diagnostics:
        raise ConfigError(diagnostics)
    return documents


def find_config_files(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """Files named by `paths` (default "."), directories expanded; each real file once."""
    files: list[str] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for path in paths or ["."]:
        if os.path.isdir(path):
            found = _yaml_files_under(path)
            if not found:
                diagnostics.append(Diagnostic(f"no YAML files (*.yaml, *.yml) under directory {path!r}"))
        elif os.path.lexists(path):
            found = [path]
        else:
            diagnostics.append(Diagnostic(f"no such file or directory: {path!r}"))
            continue
        for file in found:
            # `obsctl validate . stack.yaml` must not turn every entry of stack.yaml into
            # a "defined twice" error.
            real = os.path.realpath(file)
            if real not in seen:
                seen.add(real)
                files.append(file)
    return files, diagnostics


def _yaml_files_under(directory: str) -> list[str]:
    found = []
    for root, dirs, names in os.walk(directory):
        # Hidden entries are tool state (.git, .venv, .github, .pre-commit-config.yaml),
        # not obsctl config.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.normpath(os.path.join(root, name)) for name in names
                     if name.endswith(YAML_SUFFIXES) and not name.startswith("."))
    return sorted(found)


def read_document(path: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """One file's document, or None and the diagnostics that explain why not."""
    try:
        text = _read_text(path)
        with gc_paused():
            return _load(path, text)
    except Unreadable as problem:
        return None, [Diagnostic(problem.message, Location(path, problem.line, problem.col))]
    except OSError as error:
        return None, [Diagnostic(f"cannot read file: {error.strerror}", Location(path, 1, 1))]


def parse_bytes(path: str, raw: bytes) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """A document from bytes that are not a file here (e.g. a file's content at a git ref),
    with the same limits as `read_document`."""
    try:
        if len(raw) > MAX_FILE_BYTES:
            raise Unreadable(_too_large(len(raw)))
        text = _decode(raw)
        with gc_paused():
            return _load(path, text)
    except Unreadable as problem:
        return None, [Diagnostic(problem.message, Location(path, problem.line, problem.col))]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: building hundreds of thousands of small
    containers (nodes, values, sources) otherwise triggers collections again and again, each
    walking everything built so far. Reference counting still frees as usual.

    On the way out, what was built goes straight to the oldest generation (`gc.freeze()` then
    `gc.unfreeze()`): a loaded config lives as long as the run, and left in the youngest one
    it would be walked by a young, a middle and then a full collection (about 0.5 s for
    10,000 alarms, holding the GIL while the AWS reads wait). Cycles among the objects moved
    are still collected, by the next full collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _load(path: str, text: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    document = load_plain(path, text)
    if document is not None:
        return document, []
    # The node graph is garbage once built: freed here, before the collector runs again.
    return Builder(path).document(compose_document(text))


def _read_text(path: str) -> str:
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or a device would block or never end.
        raise Unreadable("not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise Unreadable(_too_large(info.st_size))
    with open(path, "rb") as stream:
        raw = stream.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    if len(raw) > MAX_FILE_BYTES:
        raise Unreadable(_too_large(len(raw)))
    return _decode(raw)


def _too_large(size: int) -> str:
    return f"file is {size / 2**20:.1f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB limit"


def _decode(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise Unreadable(f"file is {encoding} encoded; save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        if _looks_utf16(raw):
            raise Unreadable("file looks UTF-16 encoded; save it as UTF-8")
        raise Unreadable("binary content (NUL byte); not a YAML text file", *_byte_position(raw, nul))
    try:
        return raw.decode("utf-8-sig")  # a UTF-8 BOM is harmless
    except UnicodeDecodeError as error:
        byte = raw[error.start]
        raise Unreadable(f"invalid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8",
                          *_byte_position(raw, error.start)) from None


def _looks_utf16(raw: bytes) -> bool:
    """BOM-less UTF-16 of mostly ASCII text: NUL in every other byte, and only there."""
    head = raw[:256]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return min(even, odd) == 0 and max(even, odd) >= len(head) // 4


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of the byte at `offset`."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    if line_start == 0 and raw.startswith(_UTF8_BOM):
        line_start = len(_UTF8_BOM)
    column = len(raw[line_start:offset].decode("utf-8", errors="replace"))
    return raw.count(b"\n", 0, offset) + 1, column + 1


