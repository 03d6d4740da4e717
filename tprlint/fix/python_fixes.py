"""libcst fixers for Python findings: TPR210 (non-deterministic calls in workflow code) and, as an unsafe
fix, TPR101 (a Worker without graceful_shutdown_timeout).

Each fixer parses the file, finds the call that starts and ends exactly where the finding says, checks
what the call's name is bound to (an import of the expected module, not a local of the same name), and
returns the replacement of that call's text. Imports are settled per file afterwards (``settle_imports``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import libcst as cst
from libcst.metadata import (
    Assignment,
    CodePosition,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)

from tprlint.fix.edits import Edit, Fix, apply, line_offsets
from tprlint.fix.fixable import RANDOM_METHODS
from tprlint.model import Finding

WORKFLOW_IMPORT = "from temporalio import workflow"
ASYNCIO_IMPORT = "import asyncio"
TIMEDELTA_IMPORT = "from datetime import timedelta"
# The name each import line binds, and what that name must already be bound to for the line not to be needed.
_BINDS = {
    WORKFLOW_IMPORT: ("workflow", "temporalio.workflow"),
    ASYNCIO_IMPORT: ("asyncio", "asyncio"),
    TIMEDELTA_IMPORT: ("timedelta", "datetime.timedelta"),
}
_CLOCKS = frozenset({"datetime.datetime.now", "datetime.datetime.utcnow"})
_UTC = frozenset({"datetime.timezone.utc", "datetime.UTC"})
GRACEFUL_SECONDS = 30
_WORKERS = frozenset({"temporalio.worker.Worker", "temporalio.worker._worker.Worker"})


class _Module:
    """One parse of a file, with the metadata the fixers use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.module = cst.parse_module(text)
        self.wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.names = self.wrapper.resolve(QualifiedNameProvider)
        self.offsets = line_offsets(text)

    def call_at(self, finding: Finding) -> cst.Call | None:
        """The call spanning exactly the finding's location (the inner one of `datetime.now().isoformat()`)."""
        loc = finding.location
        if loc.end_line is None or loc.end_column is None:
            return None
        start = CodePosition(loc.line, self._column(loc.line, loc.column))
        end = CodePosition(loc.end_line, self._column(loc.end_line, loc.end_column))
        for node, span in self.positions.items():
            if isinstance(node, cst.Call) and span.start == start and span.end == end:
                return node
        return None

    def _column(self, line: int, column: int) -> int:
        """A 0-based character column from the findings' 1-based UTF-8 byte column (Python's ast)."""
        if not 1 <= line < len(self.offsets):
            return -1
        raw = self.text[self.offsets[line - 1]: self.offsets[line]].encode("utf-8")
        return len(raw[: column - 1].decode("utf-8", errors="ignore"))

    def qualified(self, node: cst.CSTNode) -> str | None:
        """What ``node`` names through an import (``datetime.datetime.now``), or None when not exactly one."""
        names = self.names.get(node)
        if callable(names):  # libcst computes qualified names on first use
            names = names()
        if not names or len(names) != 1:
            return None
        (name,) = names
        return name.name if name.source is QualifiedNameSource.IMPORT else None

    def offset(self, position: CodePosition) -> int:
        return self.offsets[position.line - 1] + position.column

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]
        return self.offset(where.start), self.offset(where.end)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def binding_ok(self, at: cst.CSTNode, import_line: str) -> bool:
        """Can ``import_line``'s name be used at ``at``: unbound (the import is added) or bound to it already?"""
        name, target = _BINDS[import_line]
        scope = self.scopes.get(at)
        if scope is None:
            return False
        if not scope[name]:
            return True
        return {q.name for q in scope.get_qualified_names_for(name)} == {target}


@lru_cache(maxsize=1)
def _parse(text: str) -> _Module | None:
    """The parse of a file, shared by the fixes of its findings (asked for one after the other)."""
    try:
        return _Module(text)
    except cst.ParserSyntaxError:
        return None


def fix_nondeterministic_call(finding: Finding, text: str) -> Fix | None:
    """TPR210: the clock, uuid4 and random calls to their `workflow.` versions; `time.sleep` in an async
    function to `await asyncio.sleep`."""
    parsed = _parse(text)
    call = parsed.call_at(finding) if parsed else None
    if parsed is None or call is None or any(arg.star for arg in call.args):
        return None
    api = parsed.qualified(call.func)
    if api is None or not _message_names(finding.message, api):
        return None
    unused = (_head(call.func),) if _head(call.func) else ()
    if api == "time.sleep":
        return _sleep(parsed, call, unused)
    replacement = _workflow_call(parsed, call, api)
    if replacement is None or not parsed.binding_ok(call, WORKFLOW_IMPORT):
        return None
    start, end = parsed.span(call)
    return Fix((Edit(start, end, replacement),), (WORKFLOW_IMPORT,), unused)


def _workflow_call(parsed: _Module, call: cst.Call, api: str) -> str | None:
    args = call.args
    if api in _CLOCKS:
        # workflow.now() is UTC-aware: the same instant as now(timezone.utc); another zone is not the same.
        if api.endswith(".now") and len(args) == 1 and args[0].keyword in (None, "tz"):
            if parsed.qualified(args[0].value) not in _UTC:
                return None
        elif args:
            return None
        return "workflow.now()"
    if api == "time.time" and not args:
        return "workflow.time()"
    if api == "uuid.uuid4" and not args:
        return "workflow.uuid4()"
    module, _, method = api.partition(".")
    if module == "random" and method in RANDOM_METHODS:
        bare = call.with_changes(func=cst.parse_expression(f"workflow.random().{method}"), lpar=[], rpar=[])
        return parsed.code(bare)
    return None


def _sleep(parsed: _Module, call: cst.Call, unused: tuple[str, ...]) -> Fix | None:
    """`time.sleep(x)` → `await asyncio.sleep(x)`, only where `await` is allowed: the nearest enclosing
    function is an `async def` (not a nested sync function, not a lambda)."""
    node: cst.CSTNode = call
    while not isinstance(node, cst.Module):
        node = parsed.parents[node]
        if isinstance(node, (cst.Lambda, cst.ClassDef, cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp)):
            return None  # `await` there would make an async generator or comprehension: not the same code
        if isinstance(node, cst.FunctionDef):
            if node.asynchronous is None:
                return None
            break
    else:
        return None
    if len(call.args) != 1 or call.args[0].keyword is not None or not parsed.binding_ok(call, ASYNCIO_IMPORT):
        return None
    text = f"await asyncio.sleep({parsed.code(call.args[0].value).strip()})"
    parent = parsed.parents[call]
    if not isinstance(parent, cst.Expr):  # inside an expression: `await` binds looser than most operators
        text = f"({text})"
    start, end = parsed.span(call)
    return Fix((Edit(start, end, text),), (ASYNCIO_IMPORT,), unused)


def fix_worker_shutdown(finding: Finding, text: str) -> Fix | None:
    """TPR101 (unsafe: it changes how the worker stops): pass graceful_shutdown_timeout to the Worker."""
    if "sets no graceful_shutdown_timeout" not in finding.message:
        return None
    parsed = _parse(text)
    call = parsed.call_at(finding) if parsed else None
    if parsed is None or call is None or parsed.qualified(call.func) not in _WORKERS or not call.args:
        return None
    if any(arg.star for arg in call.args) or any(
        arg.keyword is not None and arg.keyword.value == "graceful_shutdown_timeout" for arg in call.args
    ):
        return None  # `**options` may set it already
    if not parsed.binding_ok(call, TIMEDELTA_IMPORT):
        return None
    keyword = f"graceful_shutdown_timeout=timedelta(seconds={GRACEFUL_SECONDS})"
    last = call.args[-1]
    if isinstance(last.comma, cst.Comma):
        # A trailing comma: one argument per line (or `Worker(a, b,)`): add a line like the last one.
        comma_end = parsed.span(last.comma)[1]
        last_start = parsed.positions[last].start
        if parsed.positions[last.comma].start.line == parsed.positions[call].end.line:
            return Fix((Edit(comma_end, comma_end, f" {keyword},"),), (TIMEDELTA_IMPORT,))
        line_text = text[parsed.offsets[last_start.line - 1]: parsed.offset(last_start)]
        indent = line_text if not line_text.strip() else " " * len(line_text)
        return Fix((Edit(comma_end, comma_end, f"\n{indent}{keyword},"),), (TIMEDELTA_IMPORT,))
    end = parsed.offset(parsed.positions[last].end)
    return Fix((Edit(end, end, f", {keyword}"),), (TIMEDELTA_IMPORT,))


def _message_names(message: str, api: str) -> bool:
    """The finding's message names the call the fixer found (`datetime.now()`, `random.randint()`)."""
    named = re.match(r"`([\w.]+)\(\)`", message)
    short = "datetime." + api[len("datetime.datetime."):] if api.startswith("datetime.datetime.") else api
    return named is not None and named.group(1) == short


def _head(func: cst.BaseExpression) -> str:
    """The first name of `datetime.datetime.now`: the import the fix may leave unused."""
    while isinstance(func, cst.Attribute):
        func = func.value
    return func.value if isinstance(func, cst.Name) else ""


# -- imports, once per file -------------------------------------------------------------------------


def settle_imports(text: str, needed: list[str], maybe_unused: list[str]) -> str | None:
    """``text`` with the import lines the fixes need added (when not bound already) and the imports of
    ``maybe_unused`` names dropped when nothing reads them any more; None if the result does not parse."""
    try:
        parsed = _Module(text)
    except cst.ParserSyntaxError:
        return None
    edits: list[Edit] = []
    missing = [line for line in dict.fromkeys(needed) if not _bound(parsed, line)]
    first, after = _import_points(parsed)
    # The standard library's modules before the module's imports, temporalio after them (isort's order
    # for most files, without moving any line the author wrote).
    for at, lines in ((first, [m for m in missing if m != WORKFLOW_IMPORT]),
                      (after, [m for m in missing if m == WORKFLOW_IMPORT])):
        if lines:
            newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ending
            edits.append(Edit(at, at, "".join(f"{line}{newline}" for line in lines)))
    for name in dict.fromkeys(maybe_unused):
        edit = _drop_import(parsed, name)
        if edit is not None:
            edits.append(edit)
    text = apply(text, edits)  # an import dropped where one is added: the drop first, then the addition
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    return text


def _bound(parsed: _Module, line: str) -> bool:
    name, target = _BINDS[line]
    scope = parsed.scopes.get(parsed.module)
    return scope is not None and {q.name for q in scope.get_qualified_names_for(name)} == {target}


def _import_points(parsed: _Module) -> tuple[int, int]:
    """Where the module's leading imports start (after its docstring and `from __future__` lines) and end."""
    first: int | None = None
    point = 0
    for index, statement in enumerate(parsed.module.body):
        small = list(statement.body) if isinstance(statement, cst.SimpleStatementLine) else []
        imports = [s for s in small if isinstance(s, (cst.Import, cst.ImportFrom))]
        is_import = bool(imports) and len(imports) == len(small)
        is_docstring = index == 0 and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.SimpleString)
        if not (is_import or is_docstring):
            break
        future = any(isinstance(s, cst.ImportFrom) and isinstance(s.module, cst.Name) and s.module.value == "__future__"
                     for s in imports)
        if is_import and not future and first is None:
            first = parsed.offsets[parsed.positions[statement].start.line - 1]
        end = parsed.positions[statement].end
        point = parsed.offsets[end.line] if end.line < len(parsed.offsets) else len(parsed.text)
    if point == 0 and parsed.module.body:
        # No docstring or import first: before the first statement, below the shebang, the coding
        # cookie and the comments of the module's header.
        point = parsed.offsets[parsed.positions[parsed.module.body[0]].start.line - 1]
    return (point if first is None else first), point


def _drop_import(parsed: _Module, name: str) -> Edit | None:
    """Remove ``name`` from its module-level import when nothing else in the module uses it."""
    scope = parsed.scopes.get(parsed.module)
    if scope is None or re.search(rf"""["']{re.escape(name)}["']""", parsed.text):  # `__all__`, string annotations
        return None
    assignments = list(scope.assignments[name])
    if len(assignments) != 1 or not isinstance(assignments[0], Assignment) or assignments[0].references:
        return None
    statement = assignments[0].node
    for line in parsed.module.body:
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and line.body[0] is statement):
            continue
        if not isinstance(statement, (cst.Import, cst.ImportFrom)) or isinstance(statement.names, cst.ImportStar):
            return None
        kept = [a for a in statement.names if _alias_name(a) != name]
        start = parsed.offsets[parsed.positions[line].start.line - 1]
        end_line = parsed.positions[line].end.line
        end = parsed.offsets[end_line] if end_line < len(parsed.offsets) else len(parsed.text)
        if not kept:
            return Edit(start, end, "")
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return Edit(*parsed.span(statement), parsed.code(statement.with_changes(names=kept)))
    return None


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    node: cst.BaseExpression = alias.name
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""

