"""The fast path: a plain config file (no anchor, alias, tag, merge key or problem) built
straight from libyaml's events, without a node graph. Most config files are plain, and this
is what makes a 5,000-alarm stack load in about a second; anything else returns None and the
general composer (`compose_yaml`) reads the file and has the last word, errors included.
tests/config/test_loader.py holds the two paths equal on every example and corpus file."""

from __future__ import annotations

from typing import Any

import yaml

from reconciler.config import yaml_scalars
from reconciler.config.yaml_scalars import (DEFAULT_SCALAR, IMPLICIT, IMPLICIT_ANY, INVALID,
                                            PLAIN_VALUES, STR, SourceDocument, construct, events,
                                            resolve)
from reconciler.diagnostics import Location


def load_plain(path: str, text: str) -> SourceDocument | None:
    """The document of `text` built straight from the events, when it is plain: no anchor,
    alias, tag, merge key, key that is not a string, duplicate key, value of another type
    than string, number, boolean, null or date, nor anything the composer or the builder
    would refuse. Otherwise None, and the general path (`compose_yaml`) reads the
    file again and has the last word, errors included.

    Same data and sources as the general path, in the same order; it skips the node graph
    and its walk, which is most of the loading time of a large stack (config files are
    mostly plain). tests/config/test_loader.py holds the two paths equal.
    """
    max_nodes, max_depth = yaml_scalars.MAX_NODES, yaml_scalars.MAX_DEPTH
    scalar_event, mapping_start, sequence_start = (yaml.ScalarEvent, yaml.MappingStartEvent,
                                                   yaml.SequenceStartEvent)
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    implicit_resolvers, any_first, plain = IMPLICIT, bool(IMPLICIT_ANY), PLAIN_VALUES
    resolved = yaml_scalars.resolved
    new_location, no_key = yaml_scalars.new_location, INVALID
    sources: dict[tuple, Location] = {}
    stack: list[tuple] = []  # the enclosing collections' (container, path, is_mapping, key)
    container: Any = None  # the innermost open collection
    here: tuple = ()  # its path
    is_mapping = False
    key: Any = no_key  # in a mapping: the key read, waiting for its value
    root = None
    nodes = depth = 0
    try:
        for event in events(text):
            cls = event.__class__
            if cls is scalar_event:
                nodes += 1
                if nodes > max_nodes or depth >= max_depth or event.anchor or event.tag is not None:
                    return None
                value = event.value
                if not event.implicit[0]:
                    tag = STR
                elif value[:1] in implicit_resolvers or any_first:
                    tag = resolved.get(value) or resolve(value, event.implicit)
                else:
                    tag = DEFAULT_SCALAR
                if is_mapping and key is no_key:  # a key
                    if tag != STR or value in container:
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
                        value = construct(kind, tag, value)
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

