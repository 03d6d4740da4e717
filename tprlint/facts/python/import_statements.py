"""What a module imports, read from its import statements alone (``tprlint.discover.imports``).

A module that never mentions Temporal is parsed only when an analysis needs a name in it, but the
import closure of a process (which modules it loads, so which signal handlers and Workers) runs through
such modules too: a web service's entry module, say, through the whole service, on every run. These
statements give the same ``ImportedModule`` list the full extraction would. The two plain forms of the
statement are read with string methods (10 µs a module, where ``ast.parse`` of the same lines takes
60 µs); anything else goes to ``ast``.
"""

from __future__ import annotations

import ast
import keyword

from tprlint.facts.python.facts import ImportedModule
from tprlint.facts.python.names import Imports


def imports_of_statements(path: str, statements: bytes) -> list[ImportedModule] | None:
    """The modules ``statements`` (one import statement per line) import, as the module at ``path``
    would; None when one of them does not parse alone (an ``import`` line inside a string, say): then
    only parsing the module tells."""
    if not statements:
        return []
    found: list[ImportedModule] = []
    try:
        for line in statements.decode("ascii").split("\n"):
            found += _plain(path, line.strip(" \t\r"))
        return found
    except ValueError:  # not ASCII, or not a plain import statement
        return _with_ast(path, statements)


def _plain(path: str, line: str) -> list[ImportedModule]:
    """``import a.b as c, d`` or ``from ..a import (b as c, d)``; ValueError for anything else."""
    if line.startswith(("import ", "import\t")):
        return [ImportedModule(f"mod:{_dotted(_alias(part))}") for part in line[7:].split(",")]
    if not line.startswith(("from ", "from\t")):
        raise ValueError(line)
    head, sep, names = line[5:].partition(" import ")
    if not sep:
        raise ValueError(line)
    names = names.strip(" \t")
    if names.startswith("("):
        if not names.endswith(")"):
            raise ValueError(line)
        names = names[1:-1].rstrip(" \t").removesuffix(",")
    head = head.strip(" \t")
    module = head.lstrip(".")
    level = len(head) - len(module)
    listed = [_alias(part) for part in names.split(",")]
    if not listed or (module and _dotted(module) != module) or module.startswith((" ", "\t")):
        raise ValueError(line)
    kept = tuple(name for name in listed if name != "*" and _dotted(name) == name and "." not in name)
    if len(kept) + listed.count("*") != len(listed) or ("*" in listed and len(listed) > 1):
        raise ValueError(line)
    base = _base(path, level, module)
    return [] if base is None else [ImportedModule(base, kept)]


def _alias(part: str) -> str:
    """``a.b`` of ``a.b as c`` (checking ``c``)."""
    words = part.split()
    if len(words) == 3 and words[1] == "as" and _dotted(words[2]) == words[2] and "." not in words[2]:
        return words[0]
    if len(words) != 1:
        raise ValueError(part)
    return words[0]


def _dotted(name: str) -> str:
    if name == "*":
        return name
    for part in name.split("."):
        if not part.isidentifier() or keyword.iskeyword(part):
            raise ValueError(name)
    return name


def _base(path: str, level: int, module: str) -> str | None:
    """The module key of ``from <level dots><module> import``, as ``names.Imports`` makes it."""
    if not level:
        return f"mod:{module}" if module else None
    package = path.rsplit("/", 1)[0] if "/" in path else "."
    for _ in range(level - 1):
        package = package.rsplit("/", 1)[0] if "/" in package else "."
    if module:
        sub = module.replace(".", "/")
        package = sub if package == "." else f"{package}/{sub}"
    return f"path:{'' if package == '.' else package}"


def _with_ast(path: str, statements: bytes) -> list[ImportedModule] | None:
    try:
        tree = ast.parse(statements)
    except (SyntaxError, ValueError):
        return None
    imports = Imports(path)
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            return None  # not an import statement: the scan met something it does not understand
        imports.add(node)
    return [ImportedModule(key, names) for key, names in imports.imported_modules]
