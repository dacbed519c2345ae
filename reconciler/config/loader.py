"""Read YAML config files into plain data plus the `file:line:col` of every key.

Config files come from pull requests, so the loader treats them as hostile: size, encoding,
nesting depth and alias expansion are bounded, and custom tags are refused, so a bad file
gives one clear diagnostic quickly instead of a hang, a traceback or a constructed object.

libyaml parses, `_compose` composes the node graph (compact tuples carrying libyaml's marks),
and the plain values are built by `_Builder`, which is what lets it report every duplicate
key with both places, give merged-in (`<<: *base`) values the location where they were
written, keep timestamps as strings and count nodes after alias expansion.

Most config files need none of that: `_load_plain` builds a file with no anchor, alias, tag,
merge key or problem straight from the events, and hands anything else to the general path
(same data and sources either way; it is what makes a 5,000-alarm stack load in about a
second).
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from reconciler.diagnostics import ConfigError, Diagnostic, Location

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NODES = 100_000  # values in one document, counted after alias and merge expansion
MAX_DEPTH = 100  # nesting levels; also keeps ruamel's recursive composer far from Python's limit
YAML_SUFFIXES = (".yaml", ".yml")

_YAML_TAG = "tag:yaml.org,2002:"
_MAP, _SEQ, _MERGE = _YAML_TAG + "map", _YAML_TAG + "seq", _YAML_TAG + "merge"
_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class SourceDocument:
    path: str  # as the user gave it (or as found under the directory they gave)
    data: dict  # plain Python: dict, list, str, int, float, bool, None
    sources: dict[tuple, Location] = field(default_factory=dict)  # key path -> where written


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
    except _Unreadable as problem:
        return None, [Diagnostic(problem.message, Location(path, problem.line, problem.col))]
    except OSError as error:
        return None, [Diagnostic(f"cannot read file: {error.strerror}", Location(path, 1, 1))]


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
    document = _load_plain(path, text)
    if document is not None:
        return document, []
    # The node graph is garbage once built: freed here, before the collector runs again.
    return _Builder(path).document(_compose_single_document(text))


def _load_plain(path: str, text: str) -> SourceDocument | None:
    """The document of `text` built straight from the events, when it is plain: no anchor,
    alias, tag, merge key, key that is not a string, duplicate key, value of another type
    than string, number, boolean, null or date, nor anything the composer or the builder
    would refuse. Otherwise None, and the general path (`_compose` + `_Builder`) reads the
    file again and has the last word, errors included.

    Same data and sources as the general path, in the same order; it skips the node graph
    and its walk, which is most of the loading time of a large stack (config files are
    mostly plain). tests/config/test_loader.py holds the two paths equal.
    """
    max_nodes, max_depth = MAX_NODES, MAX_DEPTH
    scalar_event, mapping_start, sequence_start = (yaml.ScalarEvent, yaml.MappingStartEvent,
                                                   yaml.SequenceStartEvent)
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    implicit_resolvers, any_first, plain = _IMPLICIT, bool(_IMPLICIT_ANY), _PLAIN_VALUES
    resolved = _resolved
    new_location, no_key = _new_location, _INVALID
    sources: dict[tuple, Location] = {}
    stack: list[tuple] = []  # the enclosing collections' (container, path, is_mapping, key)
    container: Any = None  # the innermost open collection
    here: tuple = ()  # its path
    is_mapping = False
    key: Any = no_key  # in a mapping: the key read, waiting for its value
    root = None
    nodes = depth = 0
    try:
        for event in _events(text):
            cls = event.__class__
            if cls is scalar_event:
                nodes += 1
                if nodes > max_nodes or depth >= max_depth or event.anchor or event.tag is not None:
                    return None
                value = event.value
                if not event.implicit[0]:
                    tag = _STR
                elif value[:1] in implicit_resolvers or any_first:
                    tag = resolved.get(value) or _resolve(value, event.implicit)
                else:
                    tag = _DEFAULT_SCALAR
                if is_mapping and key is no_key:  # a key
                    if tag != _STR or value in container:
                        return None
                    key = value
                    mark = event.start_mark
                    sources[here + (key,)] = new_location(
                        Location, (path, mark.line + 1, mark.column + 1))
                    continue
                kind = plain.get(tag)
                if kind is None:
                    return None
                if kind == "str":
                    pass
                elif kind == "null":
                    value = None
                else:
                    try:
                        value = _construct(kind, tag, value)
                    except ValueError:
                        return None
                if is_mapping:
                    container[key] = value
                    key = no_key
                elif container is not None:
                    mark = event.start_mark
                    sources[here + (len(container),)] = new_location(
                        Location, (path, mark.line + 1, mark.column + 1))
                    container.append(value)
                else:
                    return None  # the top level must be a mapping
            elif cls is mapping_start or cls is sequence_start:
                nodes += 1
                if nodes > max_nodes or depth >= max_depth or event.anchor or event.tag is not None:
                    return None
                new: Any = {} if cls is mapping_start else []
                if is_mapping:
                    if key is no_key:
                        return None  # a collection as a key
                    container[key] = new
                    inner = here + (key,)  # its source is its key's
                else:
                    if container is not None:
                        inner = here + (len(container),)
                        container.append(new)
                    elif root is None and cls is mapping_start:
                        root, inner = new, ()
                    else:
                        return None  # the top level must be a mapping
                    mark = event.start_mark
                    sources[inner] = new_location(Location, (path, mark.line + 1, mark.column + 1))
                stack.append((container, here, is_mapping, key))
                container, here, is_mapping, key = new, inner, cls is mapping_start, no_key
                depth += 1
            elif cls is mapping_end or cls is sequence_end:
                container, here, is_mapping, key = stack.pop()
                key = no_key
                depth -= 1
            elif cls is document_start:
                if root is not None:
                    return None
            elif cls is not yaml.StreamStartEvent and cls is not yaml.StreamEndEvent \
                    and cls is not yaml.DocumentEndEvent:
                return None  # an alias
    except yaml.YAMLError:
        return None
    return None if root is None else SourceDocument(path, root, sources)


class _Unreadable(Exception):
    """A problem that stops reading a file; the rest of the file is not looked at."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col

    @classmethod
    def at(cls, message: str, mark) -> "_Unreadable":
        return cls(message, mark.line + 1, mark.column + 1)


def _read_text(path: str) -> str:
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or a device would block or never end.
        raise _Unreadable("not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise _Unreadable(_too_large(info.st_size))
    with open(path, "rb") as stream:
        raw = stream.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    if len(raw) > MAX_FILE_BYTES:
        raise _Unreadable(_too_large(len(raw)))
    return _decode(raw)


def _too_large(size: int) -> str:
    return f"file is {size / 2**20:.1f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB limit"


def _decode(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise _Unreadable(f"file is {encoding} encoded; save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        if _looks_utf16(raw):
            raise _Unreadable("file looks UTF-16 encoded; save it as UTF-8")
        raise _Unreadable("binary content (NUL byte); not a YAML text file", *_byte_position(raw, nul))
    try:
        return raw.decode("utf-8-sig")  # a UTF-8 BOM is harmless
    except UnicodeDecodeError as error:
        byte = raw[error.start]
        raise _Unreadable(f"invalid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8",
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


def _compose_single_document(text: str) -> tuple:
    """The one document of `text` as a node graph, composed from libyaml's event stream.

    libyaml (PyYAML's C parser) only tokenizes here: it is ~25x faster than ruamel's pure
    Python parser (a 5,000-alarm stack: 1.2 s instead of 30 s). Composing is ours and
    iterative, so depth and size are bounded before anything is built, and tags come from
    ruamel's YAML 1.2 resolver (`on`/`yes` stay strings), never from a constructor.
    """
    try:
        return _compose(_events(text))
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        col = error.position - text.rfind("\n", 0, error.position)
        raise _Unreadable(f"unacceptable character #x{error.character:04x}: {error.reason}",
                          line, col) from None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise (_Unreadable.at(f"invalid YAML: {error}", mark) if mark
               else _Unreadable(f"invalid YAML: {error}")) from None


# libyaml when PyYAML was built with it; its pure parser otherwise (slower, same events).
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _events(text: str) -> Iterator[Any]:
    """The parser's events (`yaml.parse` without its generator: a few percent faster)."""
    return iter(_PARSER(text).get_event, None)


_RESOLVER = VersionedResolver(version=(1, 2))
_STR, _NULL = _YAML_TAG + "str", _YAML_TAG + "null"
# ruamel's YAML 1.2 implicit resolvers by first character, as `_RESOLVER.resolve` walks them
# (without re-reading the processing version for every scalar): first character -> (tag, match).
_IMPLICIT: dict[str, tuple[tuple[str, Any], ...]] = {
    first: tuple((str(Tag(suffix=tag)), regexp.match)
                 for tag, regexp in resolvers + _RESOLVER.versioned_resolver.get(None, []))
    for first, resolvers in _RESOLVER.versioned_resolver.items() if first is not None
}
_IMPLICIT_ANY = tuple((str(Tag(suffix=tag)), regexp.match)
                      for tag, regexp in _RESOLVER.versioned_resolver.get(None, []))
_DEFAULT_SCALAR = str(_RESOLVER.DEFAULT_SCALAR_TAG)


def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    """The YAML 1.2 tag of an untagged scalar: what `_RESOLVER.resolve(ScalarNode, value,
    implicit)` answers (tests/config/test_loader.py holds them equal)."""
    if not implicit[0]:
        return _DEFAULT_SCALAR
    tag = _resolved.get(value)
    if tag is None:
        tag = _DEFAULT_SCALAR
        for candidate, match in _IMPLICIT.get(value[:1], _IMPLICIT_ANY):
            if match(value):
                tag = candidate
                break
        if len(_resolved) < _RESOLVED_CACHE_SIZE:
            _resolved[value] = tag
    return tag


_RESOLVED_CACHE_SIZE = 4096
_resolved: dict[str, str] = {}  # plain scalar text -> tag: config files repeat values a lot


# Nodes are tuples (kind, tag, value, mark): a scalar's value is its text, a collection's a
# list of nodes (a mapping's: key, value, key, value, ...); mark is libyaml's start mark,
# turned into a line and column only where a location is needed. Tuples, not node objects:
# a large stack has hundreds of thousands of nodes.
_SCALAR, _MAPPING, _SEQUENCE = 0, 1, 2


def _compose(events: Iterator[Any]) -> tuple:
    """Nodes from parser events with an explicit stack (no recursion), counting values and
    nesting as it goes; aliases point at the anchored node (the builder expands and counts
    them).

    A billion-laughs document is stopped in the same linear pass: a collection's expanded
    size is 1 + its items' (an alias counts as the whole anchored collection, each time),
    which is the running total of expanded values at the collection's end minus the total
    at its start.
    """
    max_nodes, max_depth = MAX_NODES, MAX_DEPTH
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    implicit_resolvers, default_tag, any_first = _IMPLICIT, _DEFAULT_SCALAR, bool(_IMPLICIT_ANY)
    resolved = _resolved
    anchors: dict[str, tuple] = {}
    expanded: dict[int, int] = {}  # id(anchored collection) -> values once aliases expand
    stack: list[tuple[tuple, int, bool]] = []  # open collections: node, total at start, anchored
    append = None  # appends to the innermost open collection's items
    root = None
    nodes = total = depth = 0
    for event in events:
        cls = event.__class__
        if cls is scalar_event:  # most events: kept short
            nodes += 1
            if nodes > max_nodes or depth >= max_depth:
                _too_large_or_deep(nodes > max_nodes, max_nodes, max_depth, event)
            tag, value = event.tag, event.value
            if tag is None:
                tag = ((resolved.get(value) or _resolve(value, event.implicit))
                       if event.implicit[0] and (value[:1] in implicit_resolvers or any_first)
                       else default_tag)
            elif tag == "!":
                tag = _STR
            node = (_SCALAR, tag, value, event.start_mark)
            total += 1
            if event.anchor:
                anchors[event.anchor] = node
            if append is not None:
                append(node)
            elif root is None:
                root = node
        elif cls is mapping_start or cls is sequence_start:
            nodes += 1
            if nodes > max_nodes or depth >= max_depth:
                _too_large_or_deep(nodes > max_nodes, max_nodes, max_depth, event)
            tag, mapping = event.tag, cls is mapping_start
            if tag is None or tag == "!":
                tag = _MAP if mapping else _SEQ
            node = (_MAPPING if mapping else _SEQUENCE, tag, [], event.start_mark)
            if event.anchor:
                anchors[event.anchor] = node
            if append is not None:
                append(node)
            elif root is None:
                root = node
            stack.append((node, total, bool(event.anchor)))
            append = node[2].append
            total += 1
            depth += 1
        elif cls is mapping_end or cls is sequence_end:
            node, start, anchored = stack.pop()
            depth -= 1
            size = total - start
            if size > max_nodes:
                raise _Unreadable.at(f"alias expansion too large: more than {max_nodes:,} values",
                                     node[3])
            if anchored:
                expanded[id(node)] = size
            append = stack[-1][0][2].append if stack else None
        elif cls is alias_event:
            node = anchors.get(event.anchor)
            if node is None:
                raise _Unreadable.at(f"YAML syntax error: found undefined alias {event.anchor!r}",
                                     event.start_mark)
            total += expanded.get(id(node), 1)
            if append is not None:
                append(node)
            elif root is None:
                root = node
        elif cls is document_start and root is not None:
            raise _Unreadable.at("several YAML documents in one file (`---`); put each "
                                 "document in its own file", event.start_mark)
    if root is None or _is_empty(root):
        raise _Unreadable("file is empty: expected a mapping like `stack: NAME`")
    return root


def _too_large_or_deep(too_large: bool, max_nodes: int, max_depth: int, event: Any) -> None:
    if too_large:
        raise _Unreadable.at(f"document too large: more than {max_nodes:,} values",
                             event.start_mark)
    raise _Unreadable.at(f"nesting deeper than {max_depth} levels", event.start_mark)


def _syntax_error(error: yaml.MarkedYAMLError) -> _Unreadable:
    message = f"YAML syntax error: {error.problem or error.context or error}"
    if error.context and error.problem and error.context_mark:
        message += f" ({error.context} started at line {error.context_mark.line + 1})"
    mark = error.problem_mark or error.context_mark
    return _Unreadable.at(message, mark) if mark else _Unreadable(message)


def _display_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


_CONSTRUCTOR = YAML(typ="safe", pure=True).constructor
_CONSTRUCTORS = {"int": _CONSTRUCTOR.construct_yaml_int, "float": _CONSTRUCTOR.construct_yaml_float,
                 "bool": _CONSTRUCTOR.construct_yaml_bool}
_CONSTRUCTED_CACHE_SIZE = 4096
_constructed: dict[tuple[str, str], Any] = {}  # (kind, text) -> value: config repeats numbers
# Untagged scalar tags the plain path builds, and how.
_PLAIN_VALUES = {_STR: "str", _YAML_TAG + "timestamp": "str", _NULL: "null",
                 _YAML_TAG + "int": "int", _YAML_TAG + "float": "float", _YAML_TAG + "bool": "bool"}


def _construct(kind: str, tag: str, text: str) -> Any:
    """An int, float or bool by ruamel's YAML 1.2 rules (ValueError when `text` is none)."""
    value = _constructed.get((kind, text), _INVALID)
    if value is _INVALID:
        # ruamel's YAML 1.2 number/bool rules want its own node type.
        value = _CONSTRUCTORS[kind](RuamelScalarNode(tag, text, None))
        if len(_constructed) < _CONSTRUCTED_CACHE_SIZE:
            _constructed[(kind, text)] = value  # immutable values: safe to share
    return value
_new_location = tuple.__new__  # Location(file, line, col) without the Python-level __new__


class _Builder:
    """Turns one document's node graph into plain values and their sources."""

    def __init__(self, path: str):
        self.path = path
        self.sources: dict[tuple, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self.count = 0  # values built so far, aliases expanded
        self.active: set[int] = set()  # nodes being built: an alias to one of them is a cycle

    def location(self, node: tuple) -> Location:
        mark = node[3]
        return _new_location(Location, (self.path, mark.line + 1, mark.column + 1))

    def document(self, root: tuple) -> tuple[SourceDocument | None, list[Diagnostic]]:
        if root[0] != _MAPPING:
            raise _Unreadable.at(_not_a_mapping(root), root[3])
        self.sources[()] = self.location(root)
        data = self.value(root, (), 1)
        return (None if self.diagnostics else SourceDocument(self.path, data, self.sources),
                self.diagnostics)

    def value(self, node: tuple, path: tuple, depth: int) -> Any:
        self.tick(node)
        if depth > MAX_DEPTH:
            raise _Unreadable.at(f"nesting deeper than {MAX_DEPTH} levels (through aliases)",
                                 node[3])
        kind = node[0]
        if kind == _SCALAR:
            return self.scalar(node)
        if id(node) in self.active:
            raise _Unreadable.at("recursive alias: a value contains itself", node[3])
        self.active.add(id(node))
        try:
            if kind == _MAPPING:
                return self.mapping(node, path, depth)
            return self.sequence(node, path, depth)
        finally:
            self.active.discard(id(node))

    def tick(self, node: tuple) -> None:
        # The composer already bounds the written nodes, so passing the bound here means
        # aliases multiplied them (billion laughs).
        self.count += 1
        if self.count > MAX_NODES:
            raise _Unreadable.at(f"alias expansion too large: more than {MAX_NODES:,} values",
                                 node[3])

    def mapping(self, node: tuple, path: tuple, depth: int) -> dict:
        if node[1] != _MAP:
            self.check_tag(node, _MAP)
        result: dict = {}
        merges = []
        sources, file = self.sources, self.path
        pairs = iter(node[2])
        for key_node, value_node in zip(pairs, pairs):
            key = key_node[2]
            if key_node[1] == _STR and key_node[0] == _SCALAR and key not in result:
                # entry() inlined for the common case: a string key, written once.
                here = path + (key,)
                mark = key_node[3]
                sources[here] = _new_location(Location, (file, mark.line + 1, mark.column + 1))
                if value_node[0] == _SCALAR and self.count < MAX_NODES and depth < MAX_DEPTH:
                    self.count += 1  # value() inlined: a scalar within the bounds
                    result[key] = (value_node[2] if value_node[1] == _STR
                                   else self.scalar(value_node))
                else:
                    result[key] = self.value(value_node, here, depth + 1)
            elif key_node[1] == _MERGE:
                merges.append(value_node)
            else:
                self.entry(result, key_node, value_node, False, path, depth)
        if merges:
            for key_node, value_node, _ in self.merged_entries(merges, depth):
                self.entry(result, key_node, value_node, True, path, depth)
        return result

    def entry(self, result: dict, key_node: tuple, value_node: tuple, merged: bool,
              path: tuple, depth: int) -> None:
        """One key and its value into `result`; a key written twice is an error, one that a
        merge also brings is simply overridden (YAML merge semantics)."""
        if key_node[0] != _SCALAR:
            self.error("a mapping key must be a plain value, not a list or mapping", key_node)
            return
        tag = key_node[1]
        key = key_node[2] if tag == _STR else self.scalar(key_node)
        here = path + (key,)
        if key in result:
            if not merged:
                # The first one's source is the written key's: merged entries come after.
                self.error(f"duplicate key {key!r} (first defined at {self.sources[here]})",
                           key_node)
            return
        mark = key_node[3]
        self.sources[here] = _new_location(Location, (self.path, mark.line + 1, mark.column + 1))
        if value_node[0] == _SCALAR and self.count < MAX_NODES and depth < MAX_DEPTH:
            self.count += 1  # value() inlined: a scalar within the bounds contains nothing
            result[key] = value_node[2] if value_node[1] == _STR else self.scalar(value_node)
        else:
            result[key] = self.value(value_node, here, depth + 1)

    def merged_entries(self, merges: list[tuple], depth: int
                       ) -> Iterator[tuple[tuple, tuple, bool]]:
        """Key/value nodes that `<<` merges bring, in order: earlier merges win."""
        for merge in merges:
            for source in self.merge_sources(merge):
                if id(source) in self.active:
                    raise _Unreadable.at("recursive merge: a mapping merges itself", merge[3])
                if depth > MAX_DEPTH:
                    raise _Unreadable.at(f"merges nested deeper than {MAX_DEPTH} levels",
                                         merge[3])
                self.active.add(id(source))
                try:
                    for key_node, value_node, _ in self.entries(source, depth + 1):
                        self.tick(key_node)  # merge chains multiply entries like aliases do
                        yield key_node, value_node, True
                finally:
                    self.active.discard(id(source))

    def entries(self, node: tuple, depth: int) -> Iterator[tuple[tuple, tuple, bool]]:
        """Key/value nodes: the ones written in `node` first, then those its `<<` merges bring."""
        items, merges = node[2], []
        for index in range(0, len(items), 2):
            if items[index][1] == _MERGE:
                merges.append(items[index + 1])
            else:
                yield items[index], items[index + 1], False
        if merges:
            yield from self.merged_entries(merges, depth)

    def merge_sources(self, merge: tuple) -> list[tuple]:
        sources = merge[2] if merge[0] == _SEQUENCE else [merge]
        if all(source[0] == _MAPPING for source in sources):
            return sources
        raise _Unreadable.at("merge key `<<` takes a mapping or a list of mappings "
                             "(usually `<<: *anchor`)", merge[3])

    def sequence(self, node: tuple, path: tuple, depth: int) -> list:
        if node[1] != _SEQ:
            self.check_tag(node, _SEQ)
        items = []
        sources, file = self.sources, self.path
        for index, item in enumerate(node[2]):
            here = path + (index,)
            mark = item[3]
            sources[here] = _new_location(Location, (file, mark.line + 1, mark.column + 1))
            if (item[1] == _STR and item[0] == _SCALAR
                    and self.count < MAX_NODES and depth < MAX_DEPTH):
                self.count += 1  # value() inlined: a string within the bounds
                items.append(item[2])
            else:
                items.append(self.value(item, here, depth + 1))
        return items

    def scalar(self, node: tuple) -> Any:
        tag = node[1]
        kind = tag.removeprefix(_YAML_TAG)
        if kind in ("str", "timestamp"):  # dates stay strings: no datetime in config values
            return node[2]
        if kind == "null":
            return None
        constructor = _CONSTRUCTORS.get(kind)
        if constructor is None:
            self.error(f"unsupported YAML tag {_display_tag(tag)!r}", node)
            return None
        try:
            return _construct(kind, tag, node[2])
        except ValueError as error:  # e.g. an int past Python's 4300-digit conversion limit
            self.error(f"invalid {kind} {node[2][:40]!r}: {error}", node)
        except KeyError:  # `!!bool maybe`: ruamel looks the word up in its table of booleans
            self.error(f"invalid {kind} {node[2][:40]!r}: use true or false", node)
        return None

    def check_tag(self, node: tuple, expected: str) -> None:
        if node[1] != expected:
            self.error(f"unsupported YAML tag {_display_tag(node[1])!r}", node)

    def error(self, message: str, node: tuple) -> None:
        self.diagnostics.append(Diagnostic(message, self.location(node)))


_INVALID = object()  # a key that could not be read (already reported)


def _is_empty(root: tuple) -> bool:
    """A document with nothing but a `---` marker."""
    return root[0] == _SCALAR and root[1] == _NULL and root[2] == ""


def _not_a_mapping(root: tuple) -> str:
    kind = "a list" if root[0] == _SEQUENCE else "a single value"
    return f"the top level must be a mapping (like `stack: NAME`), not {kind}"
