"""Python written for a newer interpreter than the one running tprlint.

Analysis runs on ``ast``, which only reads the grammar of the running Python: under 3.11, a file with
``def f[T](x: T)``, ``type X = ...``, quotes reused inside an f-string (3.12), ``except A, B:`` or a
t-string (3.14) is a syntax error, and every finding in it would be lost. When ``ast`` rejects a file,
libcst, whose parser reads every grammar up to 3.14, finds those constructs and the file is rewritten
to a form the running ``ast`` reads, **byte for byte the same layout**: every line and column the
rules report stays exact. What the rewrite gives up is said where it happens:

- type parameters (``[T: int = str]``) become blanks: they carry nothing the rules judge;
- ``type X[T] = v`` becomes ``(0);X    = v``: the alias is still an assignment of ``v`` to ``X``;
- ``except A, B:`` keeps ``A`` only (there is no room for the parentheses);
- ``except* E`` (3.11, for tprlint running on 3.10) loses its star;
- a t-string becomes an f-string;
- an f-string that reuses its own quotes inside (``f"{d["k"]}"``) takes the other quotes when it does
  not use them; any other f-string the running Python cannot read (a backslash or a comment inside
  ``{}``) becomes ``(0   )``, and its expressions are not analysed.

libcst's parser is native code that overflows its stack on deeply nested input (measured: 10,000
nested parentheses end the process with SIGSEGV), and this runs on files from strangers, so it runs in
a child process under a time and memory limit; a crash there is a file tprlint could not parse.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tprlint.records import frozen

CHILD_SECONDS = 20.0
CHILD_MEMORY_BYTES = 1 << 30

# Syntax errors that no newer grammar accepts: libcst is not asked about them.
_HOPELESS = ("too many nested parentheses", "too many statically nested blocks", "too many levels of indentation")

# Only a file using one of these can be valid under a newer grammar and rejected by the running one.
_NEWER_MARKERS = re.compile(
    rb"^[ \t]*type[ \t]+\w+"  # type alias statement
    rb"|\b(?:def|class)[ \t]+\w+[ \t]*\["  # type parameters
    rb"|\bexcept\b"  # except A, B: / except*
    rb"|(?<![\w.])(?:[fFtT][rRbB]?|[rR][fFtT])['\"]",  # f-strings and t-strings
    re.MULTILINE,
)

_PACKAGE_PARENT = Path(__file__).resolve().parents[3]


@frozen
class Rewrite:
    """A file rewritten for the running ``ast`` (``source``), or why there is none (``error``)."""

    source: bytes | None
    error: str = ""


def worth_trying(data: bytes, error: SyntaxError) -> bool:
    """Whether ``data``, rejected by the running ``ast``, may be valid under a newer grammar."""
    if sys.version_info >= (3, 14):
        return False  # the running grammar is the newest libcst knows
    message = str(error.msg or "")
    return not any(text in message for text in _HOPELESS) and _NEWER_MARKERS.search(data) is not None


def rewrite_in_child(data: bytes, seconds: float = CHILD_SECONDS, memory_bytes: int = CHILD_MEMORY_BYTES) -> Rewrite:
    """``rewrite(data)`` in a child process under limits (see the module's documentation)."""
    # Isolated mode (-I): nothing in the scanned repository (a stray `libcst.py`) may be imported.
    bootstrap = (f"import sys; sys.path.insert(0, {str(_PACKAGE_PARENT)!r}); "
                 "from tprlint.facts.python.newer_grammar import main; sys.exit(main())")
    try:
        done = subprocess.run([sys.executable, "-I", "-c", bootstrap], input=data, capture_output=True,
                              timeout=seconds, check=False, preexec_fn=_limited(memory_bytes, seconds))
    except subprocess.TimeoutExpired:
        return Rewrite(None, f"reading it with a newer Python grammar took more than {seconds:g} s")
    except OSError as exc:
        return Rewrite(None, f"the parser for newer Python grammar could not be started: {exc.strerror or exc}")
    if done.returncode == 0:
        return Rewrite(done.stdout)
    if done.returncode == _NOT_PYTHON:
        return Rewrite(None)  # a real syntax error: the running ast's message says it best
    if done.returncode < 0:
        return Rewrite(None, f"the parser for newer Python grammar stopped on it (signal {-done.returncode}; "
                             f"nesting too deep?)")
    return Rewrite(None, "the parser for newer Python grammar failed on it")


def _limited(memory_bytes: int, seconds: float) -> Any:
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    return apply


_NOT_PYTHON = 3


def main() -> int:
    """Child process: source bytes on stdin, the rewritten source on stdout; exit 3 if not Python."""
    import libcst

    data = sys.stdin.buffer.read()
    try:
        rewritten = rewrite(data)
    except (libcst.ParserSyntaxError, UnicodeDecodeError):
        return _NOT_PYTHON
    sys.stdout.buffer.write(rewritten)
    sys.stdout.buffer.flush()
    return 0


# --------------------------------------------------------------------------------------------
# The rewrite itself (runs in the child).


@frozen
class _Edit:
    start: int  # character offsets in the decoded source
    end: int
    text: str | None  # the replacement, or None to blank the range
    covers: bool = False  # blanks a whole construct: edits inside it are dropped


def rewrite(data: bytes) -> bytes:
    """``data`` with the constructs of newer grammar rewritten in place (raises if libcst rejects it)."""
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    module = libcst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    starts = _line_starts(text)

    def offsets(node: libcst.CSTNode) -> tuple[int, int]:
        where = positions[node]
        return (starts[where.start.line - 1] + where.start.column, starts[where.end.line - 1] + where.end.column)

    edits: list[_Edit] = []
    for node in positions:
        if isinstance(node, libcst.TypeParameters):
            edits.append(_Edit(*offsets(node), None))
        elif isinstance(node, libcst.TypeAlias):
            start, _ = offsets(node)
            edits.append(_Edit(start, start + 4, "(0);"))  # `type` → `(0);`
        elif isinstance(node, libcst.ExceptHandler) and isinstance(node.type, libcst.Tuple) and not node.type.lpar:
            _, first_end = offsets(node.type.elements[0].value)
            edits.append(_Edit(first_end, offsets(node.type)[1], None))
        elif isinstance(node, libcst.ExceptStarHandler) and sys.version_info < (3, 11):
            star = text.index("*", offsets(node)[0])
            edits.append(_Edit(star, star + 1, None))
        elif isinstance(node, (libcst.FormattedString, libcst.TemplatedString)):
            edits += _string_edits(text, *offsets(node), templated=isinstance(node, libcst.TemplatedString))
    return (bom + _apply(text, edits)).encode("utf-8")


def _string_edits(text: str, start: int, end: int, templated: bool) -> list[_Edit]:
    segment = text[start:end]
    prefix = re.match(r"[A-Za-z]*", segment)
    prefix_end = prefix.end() if prefix else 0
    if templated:  # t"…" → f"…": the same expressions, read by a grammar that knows f-strings
        segment = re.sub("[tT]", "f", segment[:prefix_end], count=1) + segment[prefix_end:]
    if _readable(segment):
        return [_Edit(start, start + prefix_end, segment[:prefix_end])] if templated else []
    quote, body = segment[prefix_end], segment[prefix_end + 1:-1]
    other = "'" if quote == '"' else '"'
    swapped = segment[:prefix_end] + other + body + other
    if segment[prefix_end:prefix_end + 3] != quote * 3 and other not in body and _readable(swapped):
        return [_Edit(start, end, swapped, covers=True)]  # f"{d["k"]}" → f'{d["k"]}': nothing lost
    return [_Edit(start, end, "(0" + _blank(segment[2:-1]) + ")", covers=True)]


def _readable(segment: str) -> bool:
    """Whether the running Python reads this string literal."""
    try:
        ast.parse("(" + segment + "\n)", mode="eval")
    except SyntaxError:
        return False
    return True


def _apply(text: str, edits: list[_Edit]) -> str:
    kept: list[_Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, -e.end)):
        if kept and kept[-1].covers and edit.start < kept[-1].end:
            continue  # inside a construct already blanked whole
        kept.append(edit)
    for edit in reversed(kept):
        replacement = _blank(text[edit.start:edit.end]) if edit.text is None else edit.text
        text = text[:edit.start] + replacement + text[edit.end:]
    return text


def _blank(segment: str) -> str:
    """Spaces taking the bytes ``segment`` takes, line breaks kept: byte columns stay exact."""
    return "".join(c if c in "\r\n" else " " * len(c.encode("utf-8")) for c in segment)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    return starts
