"""The general path: libyaml's events composed into a node graph, then built into plain
values by `Builder`, which reports every duplicate key with both places, gives merged-in
(`<<: *base`) values the location where they were written, keeps timestamps as strings,
refuses custom tags and counts values after alias expansion (billion laughs)."""

from __future__ import annotations

from typing import Any, Iterator

import yaml

from reconciler.config import yaml_scalars
from reconciler.config.yaml_scalars import (CONSTRUCTORS, DEFAULT_SCALAR, IMPLICIT, IMPLICIT_ANY,
                                            MAP, MERGE, NULL, SEQ, STR, YAML_TAG, SourceDocument,
                                            Unreadable, construct, events, new_location, resolve)
from reconciler.diagnostics import Diagnostic, Location


def compose_document(text: str) -> tuple:
    """The one document of `text` as a node graph, composed from libyaml's event stream.

    libyaml (PyYAML's C parser) only tokenizes here: it is ~25x faster than ruamel's pure
    Python parser (a 5,000-alarm stack: 1.2 s instead of 30 s). Composing is ours and
    iterative, so depth and size are bounded before anything is built, and tags come from
    ruamel's YAML 1.2 resolver (`on`/`yes` stay strings), never from a constructor.
    """
    try:
        return _compose(events(text))
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        col = error.position - text.rfind("\n", 0, error.position)
        raise Unreadable(f"unacceptable character #x{error.character:04x}: {error.reason}",
                          line, col) from None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise (Unreadable.at(f"invalid YAML: {error}", mark) if mark
               else Unreadable(f"invalid YAML: {error}")) from None


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
    max_nodes, max_depth = yaml_scalars.MAX_NODES, yaml_scalars.MAX_DEPTH
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    implicit_resolvers, default_tag, any_first = IMPLICIT, DEFAULT_SCALAR, bool(IMPLICIT_ANY)
    resolved = yaml_scalars.resolved
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
                tag = ((resolved.get(value) or resolve(value, event.implicit))
                       if event.implicit[0] and (value[:1] in implicit_resolvers or any_first)
                       else default_tag)
            elif tag == "!":
                tag = STR
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
                tag = MAP if mapping else SEQ
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
                raise Unreadable.at(f"alias expansion too large: more than {max_nodes:,} values",
                                     node[3])
            if anchored:
                expanded[id(node)] = size
            append = stack[-1][0][2].append if stack else None
        elif cls is alias_event:
            node = anchors.get(event.anchor)
            if node is None:
                raise Unreadable.at(f"YAML syntax error: found undefined alias {event.anchor!r}",
                                     event.start_mark)
            total += expanded.get(id(node), 1)
            if append is not None:
                append(node)
            elif root is None:
                root = node
        elif cls is document_start and root is not None:
            raise Unreadable.at("several YAML documents in one file (`---`); put each "
                                 "document in its own file", event.start_mark)
    if root is None or _is_empty(root):
        raise Unreadable("file is empty: expected a mapping like `stack: NAME`")
    return root


def _too_large_or_deep(too_large: bool, max_nodes: int, max_depth: int, event: Any) -> None:
    if too_large:
        raise Unreadable.at(f"document too large: more than {max_nodes:,} values",
                             event.start_mark)
    raise Unreadable.at(f"nesting deeper than {max_depth} levels", event.start_mark)


def _syntax_error(error: yaml.MarkedYAMLError) -> Unreadable:
    message = f"YAML syntax error: {error.problem or error.context or error}"
    if error.context and error.problem and error.context_mark:
        message += f" ({error.context} started at line {error.context_mark.line + 1})"
    mark = error.problem_mark or error.context_mark
    return Unreadable.at(message, mark) if mark else Unreadable(message)


def _display_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(YAML_TAG) if tag.startswith(YAML_TAG) else tag


class Builder:
    """Turns one document's node graph into plain values and their sources."""

    def __init__(self, path: str):
        self.path = path
        self.sources: dict[tuple, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self.count = 0  # values built so far, aliases expanded
        self.active: set[int] = set()  # nodes being built: an alias to one of them is a cycle

    def location(self, node: tuple) -> Location:
        mark = node[3]
        return new_location(Location, (self.path, mark.line + 1, mark.column + 1))

    def document(self, root: tuple) -> tuple[SourceDocument | None, list[Diagnostic]]:
        if root[0] != _MAPPING:
            raise Unreadable.at(_not_a_mapping(root), root[3])
        self.sources[()] = self.location(root)
        data = self.value(root, (), 1)
        return (None if self.diagnostics else SourceDocument(self.path, data, self.sources),
                self.diagnostics)

    def value(self, node: tuple, path: tuple, depth: int) -> Any:
        self.tick(node)
        if depth > yaml_scalars.MAX_DEPTH:
            raise Unreadable.at(f"nesting deeper than {yaml_scalars.MAX_DEPTH} levels (through aliases)",
                                 node[3])
        kind = node[0]
        if kind == _SCALAR:
            return self.scalar(node)
        if id(node) in self.active:
            raise Unreadable.at("recursive alias: a value contains itself", node[3])
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
        if self.count > yaml_scalars.MAX_NODES:
            raise Unreadable.at(f"alias expansion too large: more than {yaml_scalars.MAX_NODES:,} values",
                                 node[3])

    def mapping(self, node: tuple, path: tuple, depth: int) -> dict:
        if node[1] != MAP:
            self.check_tag(node, MAP)
        result: dict = {}
        merges = []
        sources, file = self.sources, self.path
        pairs = iter(node[2])
        for key_node, value_node in zip(pairs, pairs):
            key = key_node[2]
            if key_node[1] == STR and key_node[0] == _SCALAR and key not in result:
                # entry() inlined for the common case: a string key, written once.
                here = path + (key,)
                mark = key_node[3]
                sources[here] = new_location(Location, (file, mark.line + 1, mark.column + 1))
                if value_node[0] == _SCALAR and self.count < yaml_scalars.MAX_NODES and depth < yaml_scalars.MAX_DEPTH:
                    self.count += 1  # value() inlined: a scalar within the bounds
                    result[key] = (value_node[2] if value_node[1] == STR
                                   else self.scalar(value_node))
                else:
                    result[key] = self.value(value_node, here, depth + 1)
            elif key_node[1] == MERGE:
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
        key = key_node[2] if tag == STR else self.scalar(key_node)
        here = path + (key,)
        if key in result:
            if not merged:
                # The first one's source is the written key's: merged entries come after.
                self.error(f"duplicate key {key!r} (first defined at {self.sources[here]})",
                           key_node)
            return
        mark = key_node[3]
        self.sources[here] = new_location(Location, (self.path, mark.line + 1, mark.column + 1))
        if value_node[0] == _SCALAR and self.count < yaml_scalars.MAX_NODES and depth < yaml_scalars.MAX_DEPTH:
            self.count += 1  # value() inlined: a scalar within the bounds contains nothing
            result[key] = value_node[2] if value_node[1] == STR else self.scalar(value_node)
        else:
            result[key] = self.value(value_node, here, depth + 1)

    def merged_entries(self, merges: list[tuple], depth: int
                       ) -> Iterator[tuple[tuple, tuple, bool]]:
        """Key/value nodes that `<<` merges bring, in order: earlier merges win."""
        for merge in merges:
            for source in self.merge_sources(merge):
                if id(source) in self.active:
                    raise Unreadable.at("recursive merge: a mapping merges itself", merge[3])
                if depth > yaml_scalars.MAX_DEPTH:
                    raise Unreadable.at(f"merges nested deeper than {yaml_scalars.MAX_DEPTH} levels",
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
            if items[index][1] == MERGE:
                merges.append(items[index + 1])
            else:
                yield items[index], items[index + 1], False
        if merges:
            yield from self.merged_entries(merges, depth)

    def merge_sources(self, merge: tuple) -> list[tuple]:
        sources = merge[2] if merge[0] == _SEQUENCE else [merge]
        if all(source[0] == _MAPPING for source in sources):
            return sources
        raise Unreadable.at("merge key `<<` takes a mapping or a list of mappings "
                             "(usually `<<: *anchor`)", merge[3])

    def sequence(self, node: tuple, path: tuple, depth: int) -> list:
        if node[1] != SEQ:
            self.check_tag(node, SEQ)
        items = []
        sources, file = self.sources, self.path
        for index, item in enumerate(node[2]):
            here = path + (index,)
            mark = item[3]
            sources[here] = new_location(Location, (file, mark.line + 1, mark.column + 1))
            if (item[1] == STR and item[0] == _SCALAR
                    and self.count < yaml_scalars.MAX_NODES and depth < yaml_scalars.MAX_DEPTH):
                self.count += 1  # value() inlined: a string within the bounds
                items.append(item[2])
            else:
                items.append(self.value(item, here, depth + 1))
        return items

    def scalar(self, node: tuple) -> Any:
        tag = node[1]
        kind = tag.removeprefix(YAML_TAG)
        if kind in ("str", "timestamp"):  # dates stay strings: no datetime in config values
            return node[2]
        if kind == "null":
            return None
        constructor = CONSTRUCTORS.get(kind)
        if constructor is None:
            self.error(f"unsupported YAML tag {_display_tag(tag)!r}", node)
            return None
        try:
            return construct(kind, tag, node[2])
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


def _is_empty(root: tuple) -> bool:
    """A document with nothing but a `---` marker."""
    return root[0] == _SCALAR and root[1] == NULL and root[2] == ""


def _not_a_mapping(root: tuple) -> str:
    kind = "a list" if root[0] == _SEQUENCE else "a single value"
    return f"the top level must be a mapping (like `stack: NAME`), not {kind}"
