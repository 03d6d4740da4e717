"""No credential from the scanned tree is stored in a fact (the facts cache is a file on disk) or shown
in any output: values under credential names, passwords inside URLs, tokens of known formats,
`--password VALUE` options, and Helm's error messages that quote values.

tests/data/secrets holds one of each; every secret there contains `SEC` (or is an `AKIASEC...` key)."""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tprlint.discover.walk import find_candidates
from tprlint.report import FORMATS
from tprlint.scan import scan_file

TREE = REPO / "tests" / "data" / "secrets"
SECRET = re.compile(r"SEC-[a-z0-9]+-\d+|SEC[a-z]+\w*\d|AKIASEC\w+")


def _strings(value: object) -> list[str]:
    """Every string inside a fact, however nested."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, enum.Enum):
            continue
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return found


def test_the_fixture_holds_the_secrets_it_claims() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in TREE.rglob("*") if p.is_file())
    assert len(set(SECRET.findall(text))) == 23


def test_no_fact_holds_a_secret() -> None:
    scanned = [scan_file(candidate) for candidate in find_candidates([TREE], base=TREE)]
    assert len([s for s in scanned if s.facts is not None]) >= 6
    leaked = [(s.display, text) for s in scanned for text in _strings(s) if SECRET.search(text)]
    assert leaked == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_and_no_cache_file_shows_a_secret(tmp_path: Path, fmt: str) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(TREE, repo)
    cache = tmp_path / "cache"
    result = subprocess.run([sys.executable, "-m", "tprlint", ".", "-f", fmt], cwd=repo, capture_output=True,
                            text=True, timeout=120, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO), "TPRLINT_CACHE_DIR": str(cache)})
    assert "Traceback" not in result.stderr
    assert "TPR302" in result.stdout  # the findings about them are there
    assert "bad password ****" in result.stdout  # Helm's message, its value masked
    stored = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in cache.rglob("*") if p.is_file())
    assert stored  # the cache was written
    assert SECRET.findall(result.stdout + result.stderr) == []
    assert SECRET.findall(stored) == []
