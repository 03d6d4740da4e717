"""Commands in scripts, Makefiles, justfiles and CI workflow files that stop processes or pods.

Only what could kill a worker is kept: ``kubectl``/``oc``, ``kill``/``pkill``/``killall``, ``docker``/
``podman`` and compose commands, each split into words by a shell lexer (``shlex``) the way the shell would
split it: quotes, escapes, comments, and ``;``/``&&``/``||``/``|`` between commands. Lines are read as a
shell reads them: backslash continuations joined, a Makefile recipe's ``@``/``-``/``+`` prefixes dropped,
and in a CI workflow file, the commands of its ``run:`` and ``script:`` entries.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from tprlint.model import Location

# Programs whose commands can stop a process or a pod.
KILLERS = frozenset({"kubectl", "oc", "kill", "pkill", "killall", "docker", "docker-compose", "podman"})
# Words that run the next word as the command.
_WRAPPERS = frozenset({"sudo", "exec", "env", "nohup", "time", "command", "xargs", "timeout"})
_CANDIDATE = re.compile(r"\b(kubectl|oc|kill|pkill|killall|docker|docker-compose|podman)\b")
_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
# A CI YAML line's own syntax before the shell text: `- run: ...`, `script:`, a list dash.
_YAML_PREFIX = re.compile(r"^\s*(?:-\s+)?(?:(?:run|script|before_script|after_script|command)\s*:\s*[|>]?[-+]?\s*)?"
                          r"(?:-\s+)?")
MAX_COMMANDS = 2000  # per file: a generated script of thousands of kills says nothing more


@dataclass(frozen=True)
class Command:
    location: Location
    words: tuple[str, ...]  # the command's words, its program first (wrappers such as sudo dropped)


@dataclass(frozen=True)
class ScriptFacts:
    path: str
    commands: tuple[Command, ...] = ()


def is_ci_file(path: str) -> bool:
    lower = path.lower()
    return ("/.github/workflows/" in f"/{lower}" and lower.endswith((".yml", ".yaml"))) or \
        lower.rsplit("/", 1)[-1] == ".gitlab-ci.yml"


def extract_commands(text: str, path: str) -> ScriptFacts:
    """The commands of ``text`` that could stop a worker, each at its line."""
    name = path.rsplit("/", 1)[-1].lower()
    if name == ".env":
        return ScriptFacts(path)
    ci = is_ci_file(path)
    make = name in ("makefile", "gnumakefile") or name.endswith(".mk")
    found: list[Command] = []
    for line_no, line in _logical_lines(text):
        if not _CANDIDATE.search(line):
            continue
        if ci:
            line = _YAML_PREFIX.sub("", line, count=1)
        elif make:
            line = line.lstrip("\t ").lstrip("@-+")
        for words in _commands(line):
            found.append(Command(Location(path, line_no), words))
            if len(found) >= MAX_COMMANDS:
                return ScriptFacts(path, tuple(found))
    return ScriptFacts(path, tuple(found))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 1
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        lines.append((start, " ".join(pending)))
        pending = []
    if pending:
        lines.append((start, " ".join(pending)))
    return lines


def _commands(line: str, depth: int = 0) -> list[tuple[str, ...]]:
    """The simple commands of a shell line whose program may kill something."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")  # `$(...)` stays in its words
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unclosed quote (a line of a heredoc or YAML folded text): not a command we can read
        return []
    commands: list[tuple[str, ...]] = []
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token in _OPERATORS:
            words = _program_first(current)
            if words and words[0].rsplit("/", 1)[-1] in KILLERS:
                commands.append(tuple(words))
            elif depth < 2:  # `ssh host 'pkill -9 ...'`, `sh -c "kill -9 ..."`: the quoted command runs too
                for word in words[1:]:
                    if " " in word and _CANDIDATE.search(word):
                        commands += _commands(word, depth + 1)
            current = []
        else:
            current.append(token)
    return commands


def _program_first(words: list[str]) -> list[str]:
    """Drop leading wrappers (``sudo``, ``env A=B``, ``timeout 30``) and a ``$(`` that opens a substitution."""
    index = 0
    while index < len(words):
        word = words[index].lstrip("$(`")
        if word in _WRAPPERS or ("=" in word and not word.startswith("-")) or not word or \
                (index > 0 and words[index - 1] == "timeout" and word[:1].isdigit()):
            index += 1
            continue
        return [word, *words[index + 1:]]
    return []

