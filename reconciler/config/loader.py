"""Read YAML config files into plain data plus the `file:line:col` of every key.

Config files come from pull requests, so the loader treats them as hostile: size, encoding,
nesting depth and alias expansion are bounded, and custom tags are refused, so a bad file
gives one clear diagnostic quickly instead of a hang, a traceback or a constructed object.

libyaml parses, `_EventComposer` composes the node graph (nodes carry their marks), and the
plain values are built by `_Builder`, which is what lets it report every duplicate key with both places,
give merged-in (`<<: *base`) values the location where they were written, keep timestamps
as strings and count nodes after alias expansion.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
        root = _compose_single_document(text)
        return _Builder(path).document(root)
    except _Unreadable as problem:
        return None, [Diagnostic(problem.message, Location(path, problem.line, problem.col))]
    except OSError as error:
        return None, [Diagnostic(f"cannot read file: {error.strerror}", Location(path, 1, 1))]


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


def _compose_single_document(text: str) -> Node:
    """The one document of `text` as a node graph, composed from libyaml's event stream.

    libyaml (PyYAML's C parser) only tokenizes here: it is ~25x faster than ruamel's pure
    Python parser (a 5,000-alarm stack: 1.2 s instead of 30 s). Composing is ours and
    iterative, so depth and size are bounded before anything is built, and tags come from
    ruamel's YAML 1.2 resolver (`on`/`yes` stay strings), never from a constructor.
    """
    try:
        return _EventComposer(yaml.parse(text, Loader=_PARSER)).document()
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
_RESOLVER = VersionedResolver(version=(1, 2))


@functools.lru_cache(maxsize=4096)
def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    """The YAML 1.2 tag of an untagged scalar (config files repeat values a lot)."""
    return str(_RESOLVER.resolve(RuamelScalarNode, value, implicit))


class _EventComposer:
    """Builds ruamel-shaped nodes from parser events with an explicit stack (no recursion),
    counting values and nesting as it goes; aliases point at the anchored node (the builder
    expands and counts them)."""

    def __init__(self, events: Iterator[Any]):
        self.events = events
        self.anchors: dict[str, Node] = {}
        self.nodes = 0
        self.expanded: dict[int, int] = {}  # id(collection) -> values once aliases expand

    def measure(self, node: Node, items: list[Node]) -> None:
        """Stop a billion-laughs document in one linear pass: a collection's expanded size is
        1 + its items' (an alias counts as the whole anchored collection, each time)."""
        size = 1 + sum(self.expanded.get(id(item), 1) for item in items)
        if size > MAX_NODES:
            raise _Unreadable.at(f"alias expansion too large: more than {MAX_NODES:,} values",
                                 node.start_mark)
        self.expanded[id(node)] = size

    def document(self) -> Node:
        root = None
        stack: list[tuple[Node, list]] = []  # open collections and their items
        for event in self.events:
            if isinstance(event, yaml.DocumentStartEvent) and root is not None:
                raise _Unreadable.at("several YAML documents in one file (`---`); put each "
                                     "document in its own file", event.start_mark)
            if isinstance(event, yaml.CollectionEndEvent):
                node, items = stack.pop()
                node.value = list(zip(items[0::2], items[1::2])) if isinstance(node, MappingNode) else items
                self.measure(node, items)
                continue
            node = self.node(event, len(stack))
            if node is None:
                continue
            if stack:
                stack[-1][1].append(node)
            elif root is None:
                root = node
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append((node, []))
        if root is None or _is_empty(root):
            raise _Unreadable("file is empty: expected a mapping like `stack: NAME`")
        return root

    def node(self, event: Any, depth: int) -> Node | None:
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise _Unreadable.at(f"YAML syntax error: found undefined alias {event.anchor!r}",
                                     event.start_mark)
            return self.anchors[event.anchor]
        if not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            return None  # stream and document markers
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Unreadable.at(f"document too large: more than {MAX_NODES:,} values",
                                 event.start_mark)
        if depth >= MAX_DEPTH:
            raise _Unreadable.at(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        node = self.new_node(event)
        if event.anchor:
            self.anchors[event.anchor] = node
        return node

    @staticmethod
    def new_node(event: Any) -> Node:
        explicit = event.tag not in (None, "!")
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag if explicit else (
                _YAML_TAG + "str" if event.tag == "!" else _resolve(event.value, event.implicit))
            return ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        if isinstance(event, yaml.MappingStartEvent):
            return MappingNode(event.tag if explicit else _MAP, [], event.start_mark, None)
        return SequenceNode(event.tag if explicit else _SEQ, [], event.start_mark, None)


def _syntax_error(error: yaml.MarkedYAMLError) -> _Unreadable:
    message = f"YAML syntax error: {error.problem or error.context or error}"
    if error.context and error.problem and error.context_mark:
        message += f" ({error.context} started at line {error.context_mark.line + 1})"
    mark = error.problem_mark or error.context_mark
    return _Unreadable.at(message, mark) if mark else _Unreadable(message)


def _display_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _Builder:
    """Turns one document's node graph into plain values and their sources."""

    def __init__(self, path: str):
        self.path = path
        self.sources: dict[tuple, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self.count = 0  # values built so far, aliases expanded
        self.active: set[int] = set()  # nodes being built: an alias to one of them is a cycle
        self.scalars = YAML(typ="safe", pure=True).constructor

    def location(self, node: Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def document(self, root: Node) -> tuple[SourceDocument | None, list[Diagnostic]]:
        if not isinstance(root, MappingNode):
            raise _Unreadable.at(_not_a_mapping(root), root.start_mark)
        self.sources[()] = self.location(root)
        data = self.value(root, (), 1)
        return (None if self.diagnostics else SourceDocument(self.path, data, self.sources),
                self.diagnostics)

    def value(self, node: Node, path: tuple, depth: int) -> Any:
        self.tick(node)
        if depth > MAX_DEPTH:
            raise _Unreadable.at(f"nesting deeper than {MAX_DEPTH} levels (through aliases)",
                                 node.start_mark)
        if id(node) in self.active:
            raise _Unreadable.at("recursive alias: a value contains itself", node.start_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path, depth)
            if isinstance(node, SequenceNode):
                return self.sequence(node, path, depth)
            return self.scalar(node)
        finally:
            self.active.discard(id(node))

    def tick(self, node: Node) -> None:
        # The composer already bounds the written nodes, so passing the bound here means
        # aliases multiplied them (billion laughs).
        self.count += 1
        if self.count > MAX_NODES:
            raise _Unreadable.at(f"alias expansion too large: more than {MAX_NODES:,} values",
                                 node.start_mark)

    def mapping(self, node: MappingNode, path: tuple, depth: int) -> dict:
        self.check_tag(node, _MAP)
        result: dict = {}
        written: dict[Any, Location] = {}
        for key_node, value_node, merged in self.entries(node, depth):
            key = self.key(key_node)
            if key is _INVALID:
                continue
            if key in result:
                # A key written here twice is an error; one that a merge also brings is
                # simply overridden (YAML merge semantics).
                if not merged:
                    self.error(f"duplicate key {key!r} (first defined at {written[key]})", key_node)
                continue
            if not merged:
                written[key] = self.location(key_node)
            self.sources[path + (key,)] = self.location(key_node)
            result[key] = self.value(value_node, path + (key,), depth + 1)
        return result

    def entries(self, node: MappingNode, depth: int) -> Iterator[tuple[Node, Node, bool]]:
        """Key/value nodes: the ones written in `node` first, then those its `<<` merges bring."""
        merges = []
        for key_node, value_node in node.value:
            if str(key_node.tag) == _MERGE:
                merges.append(value_node)
            else:
                yield key_node, value_node, False
        for merge in merges:
            for source in self.merge_sources(merge):
                if id(source) in self.active:
                    raise _Unreadable.at("recursive merge: a mapping merges itself", merge.start_mark)
                if depth > MAX_DEPTH:
                    raise _Unreadable.at(f"merges nested deeper than {MAX_DEPTH} levels",
                                         merge.start_mark)
                self.active.add(id(source))
                try:
                    for key_node, value_node, _ in self.entries(source, depth + 1):
                        self.tick(key_node)  # merge chains multiply entries like aliases do
                        yield key_node, value_node, True
                finally:
                    self.active.discard(id(source))

    def merge_sources(self, merge: Node) -> list[MappingNode]:
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        if all(isinstance(source, MappingNode) for source in sources):
            return sources
        raise _Unreadable.at("merge key `<<` takes a mapping or a list of mappings "
                             "(usually `<<: *anchor`)", merge.start_mark)

    def key(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            self.error("a mapping key must be a plain value, not a list or mapping", node)
            return _INVALID
        return self.scalar(node)

    def sequence(self, node: SequenceNode, path: tuple, depth: int) -> list:
        self.check_tag(node, _SEQ)
        items = []
        for index, item in enumerate(node.value):
            self.sources[path + (index,)] = self.location(item)
            items.append(self.value(item, path + (index,), depth + 1))
        return items

    def scalar(self, node: ScalarNode) -> Any:
        kind = str(node.tag).removeprefix(_YAML_TAG)
        if kind in ("str", "timestamp"):  # dates stay strings: no datetime in config values
            return node.value
        if kind == "null":
            return None
        constructor = {"int": self.scalars.construct_yaml_int,
                       "float": self.scalars.construct_yaml_float,
                       "bool": self.scalars.construct_yaml_bool}.get(kind)
        if constructor is None:
            self.error(f"unsupported YAML tag {_display_tag(str(node.tag))!r}", node)
            return None
        try:
            # ruamel's YAML 1.2 number/bool rules want its own node type.
            return constructor(RuamelScalarNode(node.tag, node.value, node.start_mark))
        except ValueError as error:  # e.g. an int past Python's 4300-digit conversion limit
            self.error(f"invalid {kind} {node.value[:40]!r}: {error}", node)
            return None

    def check_tag(self, node: Node, expected: str) -> None:
        if str(node.tag) != expected:
            self.error(f"unsupported YAML tag {_display_tag(str(node.tag))!r}", node)

    def error(self, message: str, node: Node) -> None:
        self.diagnostics.append(Diagnostic(message, self.location(node)))


_INVALID = object()  # a key that could not be read (already reported)


def _is_empty(root: Node) -> bool:
    """A document with nothing but a `---` marker."""
    return isinstance(root, ScalarNode) and str(root.tag) == _YAML_TAG + "null" and root.value == ""


def _not_a_mapping(root: Node) -> str:
    kind = "a list" if isinstance(root, SequenceNode) else "a single value"
    return f"the top level must be a mapping (like `stack: NAME`), not {kind}"
