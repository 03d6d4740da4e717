"""Which compose files are one project because the repository says so: ``COMPOSE_FILE`` in a folder's
``.env`` (what a bare ``docker compose up`` merges there), and ``-f`` chains written in a Makefile, a
justfile or a shell script (``docker compose -f docker-compose.yml -f docker-compose.prod.yml up``).

Only the compose file names are kept: a ``.env`` file often holds secrets, and nothing else of it is
read into the facts, cached or printed. A chain with a path tprlint cannot know (``$(ENV)``,
``${STACK}``) is not used: the files are then judged as their names suggest (compose_configs).
"""

from __future__ import annotations

import posixpath
import re
import shlex

from tprlint.records import frozen

CHAIN_FILE_NAMES = frozenset({".env", "makefile", "gnumakefile", "justfile"})
MAX_CHAIN_SOURCE_BYTES = 256 * 1024  # a build script, not data


@frozen
class ComposeChain:
    files: tuple[str, ...]  # paths as the scan names them, merged in this order
    default: bool  # from COMPOSE_FILE: what `docker compose` merges in that folder without -f
    source: str  # the file it was written in


@frozen
class ComposeChains:
    chains: tuple[ComposeChain, ...]


def is_chain_source(name: str) -> bool:
    lower = name.lower()
    return lower in CHAIN_FILE_NAMES or lower.endswith(".sh")


def extract_chains(text: str, path: str) -> ComposeChains:
    folder = posixpath.dirname(path)
    if posixpath.basename(path) == ".env":
        return ComposeChains(_from_env(text, folder, path))
    return ComposeChains(tuple(_from_script(text, folder, path)))


_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(COMPOSE_FILE|COMPOSE_PATH_SEPARATOR)\s*=\s*(.*?)\s*$", re.MULTILINE)


def _from_env(text: str, folder: str, path: str) -> tuple[ComposeChain, ...]:
    values = {name: _unquote(value) for name, value in _ASSIGNMENT.findall(text)}
    listed = values.get("COMPOSE_FILE", "")
    if not listed or "$" in listed:
        return ()
    separator = values.get("COMPOSE_PATH_SEPARATOR") or ":"
    files = tuple(_join(folder, part) for part in listed.split(separator) if part.strip())
    return (ComposeChain(files, True, path),) if files else ()


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _from_script(text: str, folder: str, path: str) -> list[ComposeChain]:
    found: list[ComposeChain] = []
    for line in re.sub(r"\\\r?\n", " ", text).splitlines():
        if "compose" not in line or ("-f" not in line and "--file" not in line):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue  # an unbalanced quote: not a command tprlint can read
        files = _files_of(words)
        if files and not any("$" in f for f in files):
            chain = ComposeChain(tuple(_join(folder, f) for f in files), False, path)
            if chain not in found:
                found.append(chain)
    return found


def _files_of(words: list[str]) -> list[str]:
    """The -f/--file arguments of the first `docker compose` / `docker-compose` command in ``words``."""
    for start, word in enumerate(words):
        if word == "docker-compose" or (word == "compose" and start and words[start - 1] == "docker"):
            break
    else:
        return []
    files: list[str] = []
    rest = words[start + 1:]
    for i, word in enumerate(rest):
        if word in ("-f", "--file") and i + 1 < len(rest):
            files.append(rest[i + 1])
        elif word.startswith("--file="):
            files.append(word[len("--file="):])
        elif word in ("&&", "||", ";", "|"):
            break
    return files


def _join(folder: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(folder, name.strip())) if folder else posixpath.normpath(name.strip())
