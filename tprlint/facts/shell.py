"""The shell as tprlint reads it: lines split into simple commands by ``shlex``, each with what the shell knows
around it (its pipeline, the operator after it, whether it is a condition, `set -e`/`pipefail` in effect).

Nothing is expanded or run: ``$(...)`` stays one word, variables stay as written (assignments are kept so
that a later word can be resolved), heredoc bodies are skipped by the caller (``heredoc_delimiter``).
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import field

from tprlint.records import mutable
from tprlint.secrets import MASK, mask_mysql_password, mentions_mysql_client, scrub, scrub_argv

_WRAPPERS = frozenset({"sudo", "exec", "env", "nohup", "time", "command", "xargs", "timeout", "nice", "ionice"})
_KEYWORDS = frozenset({"then", "else", "do", "{", "}", "(", ")", "fi", "done", "esac"})
_CONDITION_OPENERS = frozenset({"if", "elif", "while", "until"})
OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
MAX_COMMANDS = 2000  # per file: a generated script of thousands of commands says nothing more
MAX_VARIABLES = 200  # assignments remembered per script, to resolve the folders a dump is written to
# A logical line longer than this is not read: ``shlex`` grows each word one character at a time (quadratic in
# a word's length), and no command a person wrote is this long (a generated or hostile line says nothing).
MAX_LINE = 16_384
MAX_TOKENS = 4_000  # words and operators per line, for the same reason


@mutable
class Simple:
    """One simple command with what the shell knows around it; exists only during extraction."""

    line: int
    words: tuple[str, ...]  # program first
    raw: tuple[str, ...]  # as written, assignments and redirections included
    unit: int  # the script, recipe line, CI step or crontab entry it runs in
    block: str
    pipeline: int
    after: str  # the operator after it
    condition: bool  # in an if/while/until condition or negated with `!`
    function: bool
    ignored: bool  # a Makefile recipe line with `-`: make ignores its status
    errexit: bool
    pipefail: bool
    assignments: dict[str, str] = field(default_factory=dict)


@mutable
class State:
    """What the shell carries from one command to the next while a script is read."""

    errexit: bool
    pipefail: bool
    condition: bool = False  # between `if` and `then`
    function_depth: int = 0
    groups: int = 0  # `{ ...; }` groups open
    pipeline: int = 0
    assignments: dict[str, str] = field(default_factory=dict)


def shell_simples(text: str, line: int, errexit: bool = False, pipefail: bool = False) -> list[Simple]:
    """The simple commands of one shell text (a CronJob's ``sh -c``), every one at ``line``."""
    simples: list[Simple] = []
    state = State(errexit, pipefail)
    for _, part in logical_lines(text):
        tokens = tokens_of(part)
        if tokens is not None:
            split_commands(tokens, line, 0, "", False, state, simples)
        if len(simples) >= MAX_COMMANDS:
            break
    return simples[:MAX_COMMANDS]


def split_commands(tokens: list[str], line: int, unit: int, block: str, ignored: bool, state: State,
                   out: list[Simple]) -> None:
    """Append the simple commands of one line's tokens to ``out``, ``state`` carried from line to line."""
    current: list[str] = []
    for token in [*tokens, ";"]:
        if len(out) >= MAX_COMMANDS:
            return  # bounded within a line too: one line of `kill 1;` repeated must not build unbounded objects
        if token not in OPERATORS:
            current.append(token)
            continue
        raw, condition = _strip_keywords(current, state)
        current = []
        if (raw and (raw[-1] == "{" or raw[-1].endswith("()"))) or (len(raw) >= 2 and raw[0] == "function"):
            state.function_depth += 1  # `name() {`, `function name {`
            continue
        if raw[:1] in (["export"], ["readonly"], ["local"], ["declare"]) and len(raw) > 1:
            raw = raw[1:]  # `export BACKUP_DIR=/var/backups`: an assignment all the same
        words = tuple(program_first(raw))
        if not words:
            if raw and all(_ASSIGNMENT.match(w) for w in raw):
                # A new dict on each change: the commands before it keep the values they ran with.
                added = dict(word.partition("=")[::2] for word in raw)
                if len(state.assignments) + len(added) <= MAX_VARIABLES:
                    state.assignments = {**state.assignments, **added}
                # kept as a command of its own: `status=$?` checks the command before it
                out.append(Simple(line, tuple(raw), tuple(raw), unit, block, state.pipeline, token, False,
                                   state.function_depth > 0, ignored, state.errexit, state.pipefail))
                state.pipeline += 1
            continue
        _set_options(words, state)
        out.append(Simple(line, words, tuple(raw), unit, block, state.pipeline, token, condition,
                           state.function_depth > 0, ignored, state.errexit, state.pipefail, state.assignments))
        if token not in ("|", "|&"):
            state.pipeline += 1


def _strip_keywords(words: list[str], state: State) -> tuple[list[str], bool]:
    """The command without the shell's reserved words around it, and whether it is a condition."""
    negated = False
    while words and (words[0] in _KEYWORDS or words[0] in _CONDITION_OPENERS or words[0] == "!"):
        head = words.pop(0)
        if head in _CONDITION_OPENERS:
            state.condition = True
        elif head in ("then", "do"):
            state.condition = False
        elif head == "{":
            state.groups += 1
        elif head == "}":
            if state.groups:
                state.groups -= 1
            elif state.function_depth:
                state.function_depth -= 1
        negated = negated or head == "!"
    return words, state.condition or negated


def _set_options(words: tuple[str, ...], state: State) -> None:
    """`set -e`, `set -euo pipefail`, `set -o errexit`, `set +e`, and an ERR trap that exits."""
    if words[0] == "trap" and len(words) >= 3 and "ERR" in words[2:] and "exit" in words[1]:
        state.errexit = True  # runs on the same failures as errexit, and stops the script
        return
    if words[0] != "set":
        return
    for index, word in enumerate(words[1:], 1):
        on = word.startswith("-")
        letters = word[1:] if word[:1] in "-+" and not word.startswith("--") else ""
        if "e" in letters:
            state.errexit = on
        if "o" in letters and index + 1 < len(words):
            option = words[index + 1]
            if option == "errexit":
                state.errexit = on
            elif option == "pipefail":
                state.pipefail = on


def shebang_flags(line: str) -> tuple[bool, bool]:
    words = line[2:].split()
    flags = [w for w in words[1:] if w.startswith("-") and w != "-S"]
    return any("e" in f[1:] and not f.startswith("--") for f in flags), "pipefail" in words


def heredoc_delimiter(tokens: list[str]) -> str:
    for index, token in enumerate(tokens):
        if token.startswith("<<") and not token.startswith("<<<"):
            delimiter = token[2:].lstrip("-") or (tokens[index + 1] if index + 1 < len(tokens) else "")
            return delimiter.strip("'\"")
    return ""


def logical_lines(text: str) -> list[tuple[int, str]]:
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


def tokens_of(line: str) -> list[str] | None:
    """The line's words and operators, or None for a line a shell could not read alone (or too long to read)."""
    if len(line) > MAX_LINE:
        return None
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")  # `$(...)` stays in its words
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(itertools.islice(lexer, MAX_TOKENS + 1))
    except ValueError:  # an unclosed quote (a line of a heredoc or YAML folded text): not a command we can read
        return None
    if len(tokens) > MAX_TOKENS:
        return None
    merged: list[str] = []
    # `$(` opened minus `)` closed in the last merged word, counted as tokens are added (recounting the whole
    # growing word for each token is quadratic). Joining with " " or an operator (`;`, `&`, `|`) or a
    # redirection's `&`/`>`/digit cannot form a `$(` or `)` across the join, so the running count is exact.
    depth = 0
    for token in tokens:  # `2>&1` and `&>file` are redirections, not `&`; `$(date +%F)` is one word
        if merged and depth > 0:
            merged[-1] += ("" if token in OPERATORS else " ") + token
        elif merged and _redirection(merged[-1], token):
            merged[-1] += token
        else:
            merged.append(token)
            depth = 0
        depth += token.count("$(") - token.count(")")
    return merged


def _redirection(previous: str, token: str) -> bool:
    """Whether ``token`` continues the redirection ``previous`` (`2>` `&` `1`, `&` `>file`)."""
    return (previous == "&" and token.startswith(">")) or (previous.endswith(">") and token == "&") or \
        (previous.endswith(">&") and token[:1].isdigit())


def program_first(words: list[str]) -> list[str]:
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


# --- credentials in the words that facts keep -------------------------------------------------
# Facts are cached on disk and their words are shown in findings: a credential written on a command line
# is masked before a word is stored (``tprlint.secrets`` masks `password=...`, URL passwords, tokens of known
# formats, the word after `--password`); these are the shell forms it does not know.

# Options whose value is a credential or a file that holds credentials, whatever their name says.
_CREDENTIAL_OPTIONS = frozenset({"--kubeconfig", "--token", "--password", "--client-key", "--key-file"})
_HELM_SETS = frozenset({"--set", "--set-string", "--set-file", "--set-json", "--set-literal"})
# A chunk with a run this long of the characters `tprlint.secrets`' patterns scan is masked whole: those
# regexes take time quadratic in such a run's length, and no key or value a person typed is this long.
_LONG_RUN = re.compile(r"[^\s,;]*[A-Za-z0-9_.+\-]{65,}[^\s,;]*")
SCRUB_BUDGET = 262_144  # characters masked per file; past it, stored words are dropped (a hostile file)


@mutable
class Budget:
    """What is left of one file's scrubbing budget: masking costs more than linear time in the worst case."""

    left: int = SCRUB_BUDGET

    def spend(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


def _masked_option_value(value: str) -> str:
    return value if not value or value.startswith(("$", "{{")) else MASK


def scrub_text(text: str, budget: Budget | None = None) -> str:
    """A command line (a crontab entry's command) as facts may keep it and findings may show it."""
    if budget is not None and not budget.spend(len(text)):
        return "…"
    return scrub(_LONG_RUN.sub("…", text[:MAX_LINE]))  # `-pPASS` of a MySQL client is masked there too


def scrub_words(words: tuple[str, ...] | list[str], budget: Budget | None = None) -> tuple[str, ...]:
    """A command's words as facts may keep them and findings may show them: `-pPASS` of MySQL clients,
    `--set key=value` with a credential key, `--token=`, `--password`, `--kubeconfig` values, and everything
    ``tprlint.secrets.scrub_argv`` masks (`PGPASSWORD=x`, URL passwords, known token formats). Past the
    file's ``budget`` only the program's name is kept."""
    if budget is not None and not budget.spend(sum(len(w) + 1 for w in words)):
        return (_LONG_RUN.sub("…", words[0].rsplit("/", 1)[-1]), "…") if words else ()
    mysql = any(mentions_mysql_client(w) for w in words[:20])
    kept: list[str] = []
    for index, word in enumerate(words):
        previous = words[index - 1] if index else ""
        word = _LONG_RUN.sub("…", word)
        name, equals, value = word.partition("=")
        if previous in _CREDENTIAL_OPTIONS and not word.startswith("-"):
            word = _masked_option_value(word)
        elif equals and name in _CREDENTIAL_OPTIONS:
            word = f"{name}={_masked_option_value(value)}"
        elif previous in _HELM_SETS:
            word = scrub(word)  # `key=value` pairs, a credential key masked (`db.password=****`)
        elif equals and name in _HELM_SETS:
            word = f"{name}={scrub(value)}"
        elif mysql and " " not in word:
            word = mask_mysql_password(word)
        if " " in word:  # `sh -c "mysqldump -pS3cret db"`: a command inside a word
            word = scrub_text(word)
        kept.append(word)
    return scrub_argv(kept)
