"""Safe YAML loading that keeps the position of every key.

PyYAML's constructors throw positions away, so we compose the node graph with a safe loader and
convert it to plain Python ourselves. Doing the conversion ourselves is also where the guards
live: aliases are expanded here, so a node budget that counts alias re-visits stops "billion
laughs" documents long before they cost real time or memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from typing import NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tprlint.records import mutable

# Only ever a *safe* loader: the C one when libyaml is present (fast, and its composer has its own
# nesting limit), else the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED: dict[tuple[str, object], str] = {}  # (plain scalar, implicit) -> its tag
_RESOLVED_MAX_ENTRIES, _RESOLVED_MAX_CHARS = 50_000, 64


class _ResolvedOnce:
    """Mixed into the safe loader: each short scalar's tag is resolved once per process. Even
    libyaml's composer asks Python for every scalar's tag, through a chain of regular expressions,
    and manifests repeat the same keys and values (`name`, `containerPort`, `"true"`) thousands of
    times."""

    def resolve(self, kind: type[Node], value: object, implicit: object) -> str:
        if kind is ScalarNode and isinstance(value, str) and len(value) <= _RESOLVED_MAX_CHARS:
            tag = _RESOLVED.get((value, implicit))
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
                if len(_RESOLVED) < _RESOLVED_MAX_ENTRIES:
                    _RESOLVED[(value, implicit)] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[misc,no-any-return]


_LOADERS: dict[type[yaml.SafeLoader], type[yaml.SafeLoader]] = {}


def _loader() -> type[yaml.SafeLoader]:
    found = _LOADERS.get(_LOADER)
    if found is None:
        found = _LOADERS[_LOADER] = type(f"ResolvedOnce{_LOADER.__name__}", (_ResolvedOnce, _LOADER), {})
    return found


MAX_NODES = 200_000  # per document, aliases expanded
FILE_NODES_FACTOR = 20  # a file's documents together: 4 million nodes
MAX_DEPTH = 200
_BINARY_SNIFF = 8192

_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
_STR_TAG = _TAG + "str"

Path = tuple[str | int, ...]
Position = tuple[int, int]


class YamlError(ValueError):
    """Unreadable or hostile YAML, with the 1-based position of the problem."""

    def __init__(self, message: str, line: int = 1, column: int = 1, path: str = "") -> None:
        # Every argument goes to ``args`` so the exception pickles across process pools.
        super().__init__(message, line, column, path)
        self.message = message
        self.line = line
        self.column = column
        self.path = path

    def __str__(self) -> str:
        # Just the problem: callers report line and column through their own Location.
        return self.message


@mutable
class YamlDoc:
    data: object
    positions: dict[Path, Position] = field(default_factory=dict)
    index: int = 0  # position of the document in the stream, counting skipped empty ones
    start_line: int = 1

    def loc(self, *path: str | int) -> Position:
        """Position of the deepest known prefix of ``path``; the document start if none is known."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return (self.start_line, 1)


def is_probably_binary(data: bytes) -> bool:
    """The same heuristic git and grep use: a NUL byte near the start means "not text"."""
    return b"\x00" in data[:_BINARY_SNIFF]


def load_yaml_documents(
    text: str, path: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
    skipped: list[YamlError] | None = None,
) -> list[YamlDoc]:
    """Parse every non-empty document of ``text``; raise :class:`YamlError` on anything suspicious.

    ``max_nodes`` bounds each document, counted as if every alias were expanded; the whole file may
    expand to ``FILE_NODES_FACTOR`` times that. With ``skipped`` given, a document over its budget is
    left out and its error appended there, and the file's other documents are still returned: a
    bundle of 20,000 ConfigMaps is not an alias bomb, and a bomb in one document hides no other."""
    if not isinstance(text, str):
        raise YamlError("input is not text", path=path)
    converter = _Converter(max_nodes, max_depth, path)
    file_budget = max_nodes * FILE_NODES_FACTOR
    counted = 0
    docs: list[YamlDoc] = []
    # Without an anchor there is no alias, so nothing expands beyond the nodes that conversion
    # counts itself: the measuring walk (a third of the cost of a manifest) is only for text with `&`.
    may_alias = "&" in text
    try:
        for index, root in enumerate(_compose(text)):
            if root is None:
                continue
            converter.positions = {}
            converter.visited = 0
            converter.max_nodes = min(max_nodes, file_budget - counted)
            try:
                if may_alias:
                    converter.measure(root)
                data = converter.convert(root, (), 0)
            except YamlError as exc:
                if skipped is None or counted + converter.visited >= file_budget:
                    raise
                skipped.append(exc)
                continue
            finally:
                counted += converter.visited
            if data is None:
                continue  # an empty document (`---` followed by nothing)
            start = _position(root)
            docs.append(YamlDoc(data, converter.positions, index, start[0]))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise YamlError(exc.problem or str(exc), line, column, path) from None
    except yaml.reader.ReaderError as exc:
        # Reader errors (bad encoding, control characters) carry a character offset, not a mark.
        line, column = _offset_to_position(text, exc.position)
        char = exc.character
        shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)  # libyaml gives a code point
        raise YamlError(f"unacceptable character {shown}: {exc.reason}", line, column, path) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), 1, 1, path) from None
    except RecursionError:
        # Only the pure-Python composer recurses per nesting level; libyaml stops at 1000 itself.
        raise YamlError(f"nesting deeper than {max_depth} levels", 1, 1, path) from None
    return docs


def _compose(text: str) -> Iterator[Node | None]:
    return yaml.compose_all(text, Loader=_loader())


def _position(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _offset_to_position(text: str, offset: int) -> Position:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return (line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


# Scalars are typed by the loader's implicit resolution; we build only these plain types.
# Timestamps, binary and application tags (`!Ref`) stay strings: manifests treat them as text,
# and nothing here may ever instantiate arbitrary classes.
_SCALAR_TYPES = frozenset(_TAG + name for name in ("null", "bool", "int", "float"))
_CONSTRUCTOR = SafeConstructor()


def _scalar(node: ScalarNode) -> object:
    if node.tag not in _SCALAR_TYPES:
        return node.value
    try:
        # The per-tag functions directly: ``construct_object`` would cache every node forever.
        value = SafeConstructor.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except (ValueError, TypeError, OverflowError, yaml.YAMLError):
        # e.g. `!!int abc`, or an integer longer than Python's int-from-str digit limit.
        return node.value
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        # `0x` + 4,000 digits: no API takes it (Kubernetes, compose and Helm use 64-bit numbers), and
        # printing it would exceed Python's int-to-str limit. It stays the text it was written as.
        return node.value
    return value


_INT64 = 2**63


class _Converter:
    """Node graph to plain data plus key positions, within a node budget and a depth limit."""

    def __init__(self, max_nodes: int, max_depth: int, path: str) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.path = path
        self.visited = 0  # nodes of the current document
        self.positions: dict[Path, Position] = {}

    def measure(self, root: Node) -> None:
        """Check the budget and depth of ``root`` as if every alias were expanded, cheaply.

        Sizes and heights are memoised per node, so a billion-laughs document is rejected after
        touching each distinct node once instead of after 200k conversions. A cyclic alias never
        gets a memo entry and so runs into the depth limit.
        """
        budget = self.max_nodes
        memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)

        def walk(node: Node, depth: int) -> tuple[int, int]:
            known = memo.get(id(node))
            if known is None:
                if depth > self.max_depth:
                    self._fail(node, f"nesting deeper than {self.max_depth} levels")
                size, height = 1, 0
                for child in _children(node):
                    child_size, child_height = walk(child, depth + 1)
                    size += child_size
                    height = max(height, child_height + 1)
                    if size > budget:
                        self._fail(node, f"more than {self.max_nodes} nodes (alias bomb?)")
                known = memo[id(node)] = (size, height)
            if depth + known[1] > self.max_depth:
                self._fail(node, f"nesting deeper than {self.max_depth} levels")
            return known

        walk(root, 0)

    def _fail(self, node: Node, message: str) -> NoReturn:
        line, column = _position(node)
        raise YamlError(message, line, column, self.path)

    def _visit(self, node: Node, depth: int) -> None:
        # A backstop behind ``measure``: conversion counts the same nodes it predicted.
        self.visited += 1
        if self.visited > self.max_nodes or depth > self.max_depth:
            self._refuse(node)

    def _refuse(self, node: Node) -> NoReturn:
        """The node just counted is over the budget or too deep (``visited`` already counts it)."""
        if self.visited > self.max_nodes:
            self._fail(node, f"more than {self.max_nodes} nodes (alias bomb?)")
        self._fail(node, f"nesting deeper than {self.max_depth} levels")

    def convert(self, node: Node, path: Path, depth: int) -> object:
        self._visit(node, depth)
        if path not in self.positions:  # children's positions are set by their parent
            self.positions[path] = _position(node)
        return self._value(node, path, depth)

    def _value(self, node: Node, path: Path, depth: int) -> object:
        """The value of a node already visited and placed. Every node of every manifest passes here:
        children are visited and placed inline, and a plain string child (most of them) is taken as
        it is, without a call."""
        if isinstance(node, ScalarNode):
            return _scalar(node)
        positions = self.positions
        depth += 1
        if isinstance(node, SequenceNode):
            items: list[object] = []
            for i, child in enumerate(node.value):
                self.visited += 1
                if self.visited > self.max_nodes or depth > self.max_depth:
                    self._refuse(child)
                child_path = (*path, i)
                mark = child.start_mark
                positions[child_path] = (mark.line + 1, mark.column + 1)
                if isinstance(child, ScalarNode):
                    items.append(child.value if child.tag == _STR_TAG else _scalar(child))
                else:
                    items.append(self._value(child, child_path, depth))
            return items
        if isinstance(node, MappingNode):
            result: dict[object, object] = {}
            for key, (key_node, value_node) in self._pairs(node, depth - 1).items():
                self.visited += 1
                if self.visited > self.max_nodes or depth > self.max_depth:
                    self._refuse(value_node)
                child_path = (*path, key if isinstance(key, (str, int)) else str(key))
                mark = key_node.start_mark
                positions[child_path] = (mark.line + 1, mark.column + 1)
                if isinstance(value_node, ScalarNode):
                    result[key] = value_node.value if value_node.tag == _STR_TAG else _scalar(value_node)
                else:
                    result[key] = self._value(value_node, child_path, depth)
            return result
        return None

    def _pairs(self, node: MappingNode, depth: int) -> dict[object, tuple[Node, Node]]:
        """The mapping's effective entries, deciding winners before any value is converted.

        Duplicate keys: the last one wins (what PyYAML, and kubectl's decoder in lenient mode, do).
        Merge keys (`<<: *base`): explicit keys beat merged ones, and earlier merge sources beat
        later ones. Deciding first means positions never describe a value that was overridden.
        """
        explicit: dict[object, tuple[Node, Node]] = {}
        merged: dict[object, tuple[Node, Node]] | None = None
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG:  # nearly every key
                self.visited += 1
                if self.visited > self.max_nodes or depth + 1 > self.max_depth:
                    self._refuse(key_node)
                explicit[key_node.value] = (key_node, value_node)
                continue
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
                merged = {} if merged is None else merged
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    self._visit(source, depth + 1)
                    if isinstance(source, MappingNode):
                        for key, pair in self._pairs(source, depth + 1).items():
                            merged.setdefault(key, pair)
                continue
            self._visit(key_node, depth + 1)
            if not isinstance(key_node, ScalarNode):
                continue  # complex keys (`? [a, b]`) never occur in manifests; drop them
            explicit[_scalar(key_node)] = (key_node, value_node)
        return explicit if merged is None else {**merged, **explicit}


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _segment(key: object) -> str | int:
    # Path segments are str or int (bool is an int, which keeps `on:`-style keys addressable).
    return key if isinstance(key, (str, int)) else str(key)
