"""Fixes: ``tprlint --fix`` / ``--diff`` / ``--unsafe-fixes``.

A fix is computed from a finding and the text of its file, never by running anything: a fixer re-reads
what it needs at the finding's location (libcst for Python, lines for YAML) and returns a text edit, or
None when it cannot be sure. Nothing here imports libcst at import time: the console's "[*]" marker uses
``tprlint.fix.fixable`` only, and ``tprlint.fix.apply`` loads the fixers when a fix is asked for.
"""
