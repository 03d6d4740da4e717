"""Where a rendered object's fields were written: the template line, and the values key behind it.

Helm names the template of every rendered document (``# Source: chart/templates/x.yaml``) but not
the line. A key of the rendered document is matched to the template line that wrote it:
1. the same key path with the same text (every literal line of a template),
2. the same key path (``replicas: {{ ... }}``), item positions counted where the template lists
   items literally, else any item,
3. the nearest enclosing key that is in the template (keys produced by ``include``/``toYaml``).

A field then points at the values file instead when its template line (or the ``toYaml``/``include``
lines right under its key) reads ``.Values`` and the rendered value is exactly the value of one key of
the merged values: ``replicas: {{ default $.Values.server.replicaCount $svc.replicaCount }}`` rendered
as 5 for the history Deployment points at ``server.history.replicaCount: 5`` in the overlay that set
it. Variables bound with ``:=``, ``with`` blocks and ``range`` over a literal list or a values map are
followed; a key chosen through a ``range`` must also appear in the object's name (``history`` in
``temporal-history``). If nothing or several keys remain, the field stays on the template line. A
composed value (``image: "{{ .repository }}:{{ .tag }}"``) points at the part set last: the key from
the latest values file, else the last one on the line (the tag).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import field

from tprlint.facts.yaml_docs import YamlDoc
from tprlint.helm.values import KeyPath, lookup
from tprlint.model import Location
from tprlint.records import frozen, mutable

ITEM = "[]"  # a sequence item whose position is not known
Segment = str | int
# A segment of a values path read from a template: a key, a set of keys (a `range` over a literal
# list), or None (any key of a map: `range $k, $v := .Values.x`).
RefSegment = str | frozenset[str] | None
Ref = tuple[RefSegment, ...]

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_ACTION_ONLY = re.compile(r"^(\{\{.*?\}\}\s*)+$")
_KEY = re.compile(
    r"""^(?P<key>"[^"]*"|'[^']*'|[^\s#'"{}\[\]:|>-][^:#{}]*?|-[^\s:#{}][^:#{}]*?)\s*:(?=\s|$)\s*(?P<value>.*)$""")
_BLOCK_SCALAR = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")
_VAR_ASSIGN = re.compile(r"(\$[A-Za-z_]\w*)\s*:?=\s*(.+)$")
_RANGE = re.compile(r"^range\s+(?:(\$[A-Za-z_]\w*)\s*(?:,\s*(\$[A-Za-z_]\w*))?\s*:?=\s*)?(.+)$")
_LITERAL_LIST = re.compile(r"^\(?\s*list((?:\s+\"[^\"]*\")+)\s*\)?$")
_QUOTED = re.compile(r"\"([^\"]*)\"")
_INDEX = re.compile(r"\bindex\s+(\$?[\w.$]*)((?:\s+(?:\"[^\"]*\"|\$[A-Za-z_]\w*))+)")
_REFERENCE = re.compile(r"(?<![\w)\]])(\$\.Values|\.Values|\$[A-Za-z_]\w*|\$|\.)((?:\.[A-Za-z_][\w-]*)*)")
_CONTROL = frozenset({"if", "else", "with", "range", "end", "define", "block", "template"})
_NOT_VALUES = frozenset({"Release", "Chart", "Capabilities", "Template", "Files", "Subcharts"})


@mutable
class TemplateIndex:
    """Key paths of a template's literal YAML lines, and the values each line reads."""

    exact: dict[tuple[Segment, ...], int] = field(default_factory=dict)
    normal: dict[tuple[Segment, ...], int] = field(default_factory=dict)
    by_text: dict[tuple[tuple[Segment, ...], str], int] = field(default_factory=dict)
    refs: dict[int, list[Ref]] = field(default_factory=dict)
    columns: dict[int, int] = field(default_factory=dict)
    first_line: int = 0  # the first top-level key: where a document without a better match points

    def line_for(self, path: tuple[Segment, ...], text: str) -> int:
        normal = _normal(path)
        for end in range(len(path), 0, -1):
            head, head_normal = path[:end], normal[:end]
            found = (self.by_text.get((head_normal, text)) if end == len(path) else None) \
                or self.exact.get(head) or self.normal.get(head_normal)
            if found:
                return found
        return self.first_line or 1


def _normal(path: tuple[Segment, ...]) -> tuple[Segment, ...]:
    return tuple(ITEM if isinstance(p, int) else p for p in path)


@mutable
class _Entry:
    indent: int
    segment: Segment
    item: bool


class _Scope:
    """What `.` and `$vars` stand for at a point of the template, as values paths."""

    def __init__(self) -> None:
        self.variables: dict[str, list[Ref]] = {}
        self.literals: dict[str, frozenset[str]] = {}
        self.blocks: list[tuple[str, list[Ref] | None]] = []  # (keyword, dot)

    @property
    def dot(self) -> list[Ref] | None:
        for _, dot in reversed(self.blocks):
            if dot is not None:
                return dot
        return [()]  # the root: `.Values.x` and `.x` only mean values paths through `.Values`

    def in_define(self) -> bool:
        return any(keyword == "define" for keyword, _ in self.blocks)

    def action(self, text: str) -> list[Ref]:
        """Apply one `{{ ... }}` action; return the values it reads."""
        words = text.split(None, 1)
        keyword = words[0] if words else ""
        rest = words[1] if len(words) > 1 else ""
        if keyword == "end":
            if self.blocks:
                self.blocks.pop()
            return []
        if keyword in ("define", "block"):
            self.blocks.append(("define", None))
            return []
        if keyword == "with":
            refs = self.refs(rest)
            self.blocks.append(("with", refs))  # an unknown dot ([]) never names a values key
            return refs
        if keyword == "range":
            return self._range(rest)
        if keyword == "if":
            self.blocks.append(("if", None))
            return self.refs(rest)
        assignment = _VAR_ASSIGN.match(text)
        if assignment:
            name, expression = assignment.groups()
            literal = _LITERAL_LIST.match(expression.strip())
            if literal:
                self.literals[name] = frozenset(_QUOTED.findall(literal.group(1)))
            else:
                self.variables[name] = self.refs(expression)
            return self.variables.get(name, [])
        return self.refs(text)

    def _range(self, rest: str) -> list[Ref]:
        match = _RANGE.match(rest)
        if not match:
            self.blocks.append(("range", []))
            return []
        first, second, expression = match.groups()
        literal = _LITERAL_LIST.match(expression.strip())
        if literal:
            names = frozenset(_QUOTED.findall(literal.group(1)))
            element = second or first
            if element:
                self.literals[element] = names
            self.blocks.append(("range", []))  # dot is a string, not values
            return []
        refs = self.refs(expression)
        elements = [(*ref, None) for ref in refs]
        if second:  # range $key, $value := .Values.map
            self.variables[second] = elements
        elif first:
            self.variables[first] = elements
        self.blocks.append(("range", elements))
        return refs

    def refs(self, expression: str) -> list[Ref]:
        """Values paths an expression reads (each may be one of several keys, see ``RefSegment``)."""
        found: list[Ref] = []
        consumed: list[tuple[int, int]] = []
        for match in _INDEX.finditer(expression):
            bases = self._base(match.group(1))
            keys: list[RefSegment] = []
            for arg in match.group(2).split():
                if arg.startswith('"'):
                    keys.append(arg.strip('"'))
                else:
                    keys.append(self.literals.get(arg))  # an unknown key: any
            found += [(*base, *keys) for base in bases]
            consumed.append(match.span())
        for match in _REFERENCE.finditer(expression):
            if any(start <= match.start() < end for start, end in consumed):
                continue
            found += self._base(match.group(1) + match.group(2))
        return [ref for ref in found if ref]

    def _base(self, reference: str) -> list[Ref]:
        if not reference:
            return []
        head, _, tail = reference.partition(".") if not reference.startswith(".") else ("", "", reference[1:])
        if reference.startswith("$."):
            head, tail = "$", reference[2:]
        keys = [k for k in tail.split(".") if k]
        if head == "$" or (head == "" and keys[:1] == ["Values"]):
            if keys[:1] != ["Values"]:
                return []
            return [tuple(keys[1:])] if len(keys) > 1 else []
        if head.startswith("$"):
            if head in self.literals:
                return []
            return [(*ref, *keys) for ref in self.variables.get(head, [])]
        if keys[:1] and keys[0] in _NOT_VALUES:
            return []
        dot = self.dot or []
        return [(*ref, *keys) for ref in dot if ref != ()] if dot != [()] else []


def index_template(text: str) -> TemplateIndex:
    """Scan a template leniently: its literal YAML keys (by indentation) and the values each line reads."""
    index = TemplateIndex()
    scope = _Scope()
    stack: list[_Entry] = []
    ordinals: dict[tuple[Segment, ...], int] = {}
    block_indent: int | None = None
    last_key_line: int | None = None
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if not stripped or stripped.startswith("#"):
            continue
        reads: list[Ref] = []
        for action in _ACTION.findall(stripped):
            if action.startswith("/*"):
                continue  # a template comment
            found = scope.action(action)
            if (action.split(None, 1) or [""])[0] not in _CONTROL:
                reads += found  # conditions say whether a field exists, not what it holds
        if scope.in_define():
            continue
        if stripped == "---":
            stack.clear()
            ordinals.clear()
            last_key_line = None
            continue
        if _ACTION_ONLY.match(stripped):
            # `{{- toYaml .Values.x | nindent 8 }}` under a key: the key's value comes from here.
            if last_key_line is not None and reads:
                index.refs.setdefault(last_key_line, []).extend(reads)
            continue
        last_key_line = None
        rest, column = stripped, indent
        while rest.startswith("- ") or rest == "-":
            while stack and (stack[-1].indent > column or (stack[-1].indent == column and stack[-1].item)):
                stack.pop()
            parent = tuple(e.segment for e in stack)
            ordinal = ordinals.get(parent, 0)
            ordinals[parent] = ordinal + 1
            stack.append(_Entry(column, ordinal, True))
            _record(index, tuple(e.segment for e in stack), number, stripped, column)
            after = rest[1:]
            column += 1 + len(after) - len(after.lstrip(" "))
            rest = after.lstrip(" ")
        match = _KEY.match(rest)
        if match and "{{" not in match.group("key"):
            while stack and stack[-1].indent >= column:
                stack.pop()
            key = match.group("key").strip("\"'")
            stack.append(_Entry(column, key, False))
            path = tuple(e.segment for e in stack)
            ordinals.pop(path, None)
            _record(index, path, number, stripped, column)
            if _BLOCK_SCALAR.match(match.group("value")):
                block_indent = indent if not stripped.startswith("-") else column
            last_key_line = number
        if reads:
            index.refs.setdefault(number, []).extend(reads)
    return index


def _record(index: TemplateIndex, path: tuple[Segment, ...], line: int, text: str, column: int) -> None:
    normal = _normal(path)
    index.exact.setdefault(path, line)
    index.normal.setdefault(normal, line)
    index.by_text.setdefault((normal, text), line)
    index.columns.setdefault(line, column + 1)
    if not index.first_line and len(path) == 1:
        index.first_line = line


# --------------------------------------------------------------------------------------------
# Rendered documents


@mutable
class RenderedDocs:
    """The rendered documents of one template, searchable by line."""

    docs: list[YamlDoc]
    lines: list[str]
    starts: list[int] = field(init=False)
    by_position: list[dict[tuple[int, int], tuple[Segment, ...]]] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [doc.start_line for doc in self.docs]
        self.by_position = []
        for doc in self.docs:
            found: dict[tuple[int, int], tuple[Segment, ...]] = {}
            for path, position in doc.positions.items():
                known = found.get(position)
                if known is None or len(path) < len(known):
                    found[position] = path
            self.by_position.append(found)

    def find(self, line: int, column: int) -> tuple[YamlDoc, tuple[Segment, ...], str] | None:
        """The document, key path and line text at a position of the rendered text."""
        at = bisect.bisect_right(self.starts, line) - 1
        if at < 0:
            return None
        path = self.by_position[at].get((line, column))
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        return self.docs[at], path if path is not None else (), text


def rendered_value(doc: YamlDoc, path: tuple[Segment, ...]) -> tuple[bool, object]:
    data: object = doc.data
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or key >= len(data):
                return False, None
            data = data[key]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return False, None
    return True, data


def object_name(doc: YamlDoc) -> str:
    data = doc.data
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name) if name is not None else ""


# --------------------------------------------------------------------------------------------
# Values tracing


@frozen
class _Candidate:
    path: KeyPath
    chosen: tuple[str, ...]  # keys picked for `range` segments: must appear in the object's name
    order: int  # position of its reference on the line


def values_origin(refs: list[Ref], value: object, name: str, values: dict[str, object],
                  positions: dict[KeyPath, Location], file_order: dict[str, int]) -> Location | None:
    """The values key a rendered field was taken from, when exactly one fits (see the module doc)."""
    candidates = [c for order, ref in enumerate(refs) for c in _expand(ref, values, order)]
    candidates = [c for c in candidates if c.path in positions and all(key in name for key in c.chosen)]
    if not candidates:
        return None
    equal = [c for c in candidates if _same(lookup(values, c.path)[1], value)]
    if equal:
        longest = max(len(c.path) for c in equal)
        paths = {c.path for c in equal if len(c.path) == longest}
        return positions[paths.pop()] if len(paths) == 1 else None
    if not isinstance(value, str):
        return None
    parts = [c for c in candidates if _scalar_text(lookup(values, c.path)[1]) not in ("", None)
             and str(_scalar_text(lookup(values, c.path)[1])) in value]
    if not parts:
        return None
    best = max(parts, key=lambda c: (file_order.get(positions[c.path].path, -1), c.order))
    return positions[best.path]


def _expand(ref: Ref, values: object, order: int) -> Iterator[_Candidate]:
    def walk(data: object, rest: Ref, path: KeyPath, chosen: tuple[str, ...]) -> Iterator[_Candidate]:
        if not rest:
            yield _Candidate(path, chosen, order)
            return
        head, tail = rest[0], rest[1:]
        if not isinstance(data, dict):
            return
        if isinstance(head, str):
            if head in data:
                yield from walk(data[head], tail, (*path, head), chosen)
            return
        keys = [k for k in data if isinstance(k, str) and (head is None or k in head)]
        for key in keys:
            yield from walk(data[key], tail, (*path, key), (*chosen, key))

    yield from walk(values, ref, (), ())


def _scalar_text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def _same(known: object, rendered: object) -> bool:
    if isinstance(known, dict) and isinstance(rendered, dict):
        return known.keys() == {str(k) for k in rendered} and all(_same(known[str(k)], v) for k, v in rendered.items())
    if isinstance(known, list) and isinstance(rendered, list):
        return len(known) == len(rendered) and all(_same(a, b) for a, b in zip(known, rendered, strict=True))
    if isinstance(known, (dict, list)) or isinstance(rendered, (dict, list)):
        return False
    if known is None or rendered is None:
        return False
    if isinstance(known, (int, float)) and isinstance(rendered, (int, float)) \
            and not isinstance(known, bool) and not isinstance(rendered, bool):
        return float(known) == float(rendered)
    return _scalar_text(known) == _scalar_text(rendered)
