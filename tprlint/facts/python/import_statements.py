"""What a module imports, read from its import statements alone (``tprlint.discover.imports``).

A module that never mentions Temporal is parsed only when an analysis needs a name in it, but the
import closure of a process (which modules it loads, so which signal handlers and Workers) runs through
such modules too. Parsing a dozen import lines costs a hundredth of parsing the module and extracting
its facts, and gives the same ``ImportedModule`` list the full extraction would.
"""

from __future__ import annotations

import ast

from tprlint.facts.python.facts import ImportedModule
from tprlint.facts.python.names import Imports


def imports_of_statements(path: str, statements: bytes) -> list[ImportedModule] | None:
    """The modules ``statements`` (one import statement per line, continuations kept) import, as the
    module at ``path`` would; None when one of them does not parse alone (an ``import`` line inside a
    string, say): then only parsing the module tells."""
    if not statements:
        return []
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
