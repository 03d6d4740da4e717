"""How a container command launches Python, and whether Python ends up as PID 1.

Containers start Python through layers: init shims (tini, dumb-init), privilege droppers
(gosu), environment runners (uv, poetry), APM wrappers and shell scripts. This module peels
those layers off an argv to find the Python program and whether the kernel will deliver the
container's SIGTERM to it directly (PID 1) or to something in front of it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence

from tprlint.records import frozen

# Wrapper recursion is bounded so hostile or cyclic-looking input can't recurse without end.
_MAX_LAYERS = 16


@frozen
class PythonLaunch:
    target_kind: str  # "module" | "script" | "console_script"
    target: str  # "pkg.worker", "app/worker.py" or the console script's name
    python_is_pid1: bool
    description: str  # e.g. "python -m orders.worker (via tini)"


@frozen
class ShellCommand:
    """One simple command of a shell script, with what decides whether it replaces the shell."""

    argv: tuple[str, ...]
    exec_: bool  # prefixed by the `exec` builtin
    background: bool  # in a pipeline, a subshell or `&`: never the shell's own process
    prefix: tuple[str, ...] = ()  # keywords and assignments stripped off the front (`while`, `A=1`)


_PYTHON_RE = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)*)?[dmu]?(?:\.exe)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})

# CPython's command-line options (see `python --help`).
_PY_FLAGS = frozenset("bBdEhiIOPqsSuvVx?")
_PY_VALUE_OPTS = frozenset("WX")
_PY_LONG_VALUE_OPTS = frozenset({"--check-hash-based-pycs"})

# Runners that exec the program they are given (os.exec* on POSIX): PID 1 is preserved.
# Each maps to the argv prefix it consumes before the program.
_EXEC_RUNNERS: dict[str, tuple[str, ...]] = {
    "poetry": ("run",),
    "pipenv": ("run",),
    "opentelemetry-instrument": (),
    "ddtrace-run": (),
    "newrelic-admin": ("run-program",),
}
# Options of those runners that take a value, so the value is not mistaken for the program.
_RUNNER_VALUE_OPTS: dict[str, frozenset[str]] = {
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
}
# `uv run` spawns the program as a child (it forwards signals, but is PID 1 itself).
_UV_VALUE_OPTS = frozenset(
    {
        "--with",
        "--with-editable",
        "--with-requirements",
        "-w",
        "--python",
        "-p",
        "--package",
        "--extra",
        "--group",
        "--only-group",
        "--no-group",
        "--env-file",
        "--directory",
        "--project",
        "--index",
        "--default-index",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "-f",
        "--config-file",
        "--cache-dir",
        "--index-strategy",
        "--keyring-provider",
        "--resolution",
        "--prerelease",
        "--exclude-newer",
        "--link-mode",
        "--reinstall-package",
        "--refresh-package",
        "--upgrade-package",
        "-P",
        "--color",
        "--python-preference",
        "--allow-insecure-host",
        "--no-binary-package",
        "--no-build-package",
        "--config-setting",
        "-C",
    }
)
# Programs we know are not Python, so a runner's argument naming them is not a console script.
_NOT_PYTHON = frozenset(
    {"node", "npm", "npx", "java", "ruby", "go", "dotnet", "php", "perl", "true", "false", "sleep", "echo"}
)
_SHELL_KEYWORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "{", "!", "time"})
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def parse_launch(argv: Sequence[str]) -> PythonLaunch | None:
    """The Python program ``argv`` (a container's full command + args) runs, or None if unknown.

    ``argv`` is what the container runtime executes, so its first element is PID 1.
    """
    if isinstance(argv, str):
        return None  # a bare string is almost certainly a caller bug; don't iterate characters
    return _launch([str(arg) for arg in argv], pid1=True, via=(), depth=0, in_env=False)


def split_shell_form(text: str) -> list[str]:
    """Words of a shell-form command line (Dockerfile `CMD python x`), best effort."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()  # an unbalanced quote: whitespace split is the best guess left


def split_shell_commands(script: str) -> list[ShellCommand]:
    """Split a `sh -c` script into its simple commands, in order.

    Good enough for container entrypoint one-liners and short scripts; it does not understand
    functions, loops or command substitution, and never raises.
    """
    tokens = _shell_tokens(script)
    commands: list[ShellCommand] = []
    current: list[str] = []
    skip_comment = False
    skip_redirect_target = False
    piped_in = False
    depth = 0  # subshell `( … )` nesting: commands inside run in a forked shell

    def flush(separator: str) -> None:
        nonlocal current, piped_in
        words = current
        current = []
        start = 0
        while start < len(words) and (words[start] in _SHELL_KEYWORDS or _ASSIGNMENT_RE.match(words[start])):
            start += 1  # `then python …`, `FOO=1 python …`
        exec_ = words[start : start + 1] == ["exec"]
        background = piped_in or depth > 0 or separator in ("|", "&", "|&")
        piped_in = separator in ("|", "|&")
        argv = tuple(words[start + (1 if exec_ else 0) :])
        if argv:
            commands.append(ShellCommand(argv, exec_, background, tuple(words[:start])))

    for token, is_operator in tokens:
        if skip_comment:
            skip_comment = "\n" not in token or not is_operator
            if skip_comment:
                continue
        if is_operator:
            if "<" in token or ">" in token:
                skip_redirect_target = True  # `> log`, `2>&1`: the next word is not an argument
                continue
            for op in _split_operator(token):
                if op == "(":
                    flush(";")
                    depth += 1
                elif op == ")":
                    flush(";")
                    depth = max(0, depth - 1)
                else:
                    flush(op)
            continue
        if skip_redirect_target:
            skip_redirect_target = False
            continue
        if token.startswith("#"):
            skip_comment = True  # an inline comment runs to the end of the line
            continue
        current.append(token)
    flush(";")
    return commands


def _split_operator(token: str) -> list[str]:
    """shlex glues adjacent punctuation together (`;\\n`, `&&(`); take it apart again."""
    ops: list[str] = []
    i = 0
    while i < len(token):
        pair = token[i : i + 2]
        if pair in ("&&", "||", ";;", "|&"):
            ops.append(pair)
            i += 2
        else:
            ops.append(token[i])
            i += 1
    return [op for op in ops if not op.isspace() or op == "\n"]


def _shell_tokens(script: str) -> list[tuple[str, bool]]:
    """(token, is_operator) pairs; newlines are operators because they separate commands."""
    # Backslash-newline is a line continuation in sh; full-line comments are dropped up front so
    # an apostrophe in them ("# don't") can't unbalance the quoting of what follows.
    script = script.replace("\\\r\n", "").replace("\\\n", "")
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    lexer = shlex.shlex(text, posix=True, punctuation_chars="();<>|&\n")
    lexer.whitespace = " \t\r"
    lexer.commenters = ""
    lexer.whitespace_split = True
    tokens: list[tuple[str, bool]] = []
    try:
        for token in lexer:
            tokens.append((token, bool(token) and all(c in "();<>|&\n" for c in token)))
    except ValueError:
        # Unbalanced quotes: fall back to whitespace words per line, still splitting commands.
        tokens = []
        for line in lines:
            for word in line.split():
                tokens.append((word, all(c in "();<>|&" for c in word)))
            tokens.append(("\n", True))
    return tokens


def _launch(argv: list[str], *, pid1: bool, via: tuple[str, ...], depth: int, in_env: bool) -> PythonLaunch | None:
    if depth > _MAX_LAYERS or not argv or not argv[0]:
        return None
    program = posixpath.basename(argv[0])
    rest = argv[1:]

    def inner(args: list[str], *, keeps_pid1: bool, layer: str, env: bool = in_env) -> PythonLaunch | None:
        return _launch(args, pid1=pid1 and keeps_pid1, via=(*via, layer), depth=depth + 1, in_env=env)

    if _PYTHON_RE.match(program):
        return _python(program, rest, pid1=pid1, via=via)
    if program == "exec":
        return _launch(rest, pid1=pid1, via=via, depth=depth + 1, in_env=in_env)
    if program == "env":
        return inner(_after_env(rest), keeps_pid1=True, layer="env")
    if program in ("tini", "tini-static", "dumb-init"):
        # An init stays PID 1 and forwards signals to its child: python is not PID 1.
        return inner(_after_init(program, rest), keeps_pid1=False, layer=program)
    if program in ("gosu", "su-exec"):
        return inner(rest[1:], keeps_pid1=True, layer=program)  # `gosu USER cmd…` execs cmd
    if program in _SHELLS:
        return _shell(program, rest, pid1=pid1, via=via, depth=depth)
    if program == "uv" and rest[:1] == ["run"]:
        return _uv_run(rest[1:], pid1=pid1, via=via, depth=depth)
    if program == "newrelic-admin" and rest[:1] == ["run-python"]:
        return _python("python", rest[1:], pid1=pid1, via=(*via, "newrelic-admin"))
    if program in _EXEC_RUNNERS:
        value_opts = _RUNNER_VALUE_OPTS.get(program, frozenset())
        # opentelemetry-instrument's options are configuration settings that all take a value.
        long_values = program == "opentelemetry-instrument"
        # Global options may precede the subcommand: `poetry -C app run python …`.
        args = _skip_options(rest, value_opts, long_values=long_values)
        prefix = _EXEC_RUNNERS[program]
        if tuple(args[: len(prefix)]) != prefix:
            return None  # e.g. `poetry install`: not a launch
        args = _skip_options(args[len(prefix) :], value_opts, long_values=long_values)
        return inner(args, keeps_pid1=True, layer=program, env=True)
    if in_env and _looks_like_console_script(argv[0]):
        # A bare name run by a Python environment runner is that environment's console script.
        return PythonLaunch("console_script", program, pid1, _describe(program, via))
    return None


def _python(program: str, args: list[str], *, pid1: bool, via: tuple[str, ...]) -> PythonLaunch | None:
    """Read CPython's own options to find `-m module` or the script path."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg in _PY_LONG_VALUE_OPTS:
            i += 2
            continue
        if arg.startswith("--"):
            if arg.split("=", 1)[0] in _PY_LONG_VALUE_OPTS:
                i += 1
                continue
            return None  # --help, --version…: prints and exits
        if not arg.startswith("-") or arg == "-":
            break
        # A cluster of short options, e.g. `-uB`, `-Wignore`, `-X dev`, `-mpkg.worker`.
        for j, flag in enumerate(arg[1:], start=1):
            if flag in _PY_FLAGS:
                continue
            if flag in _PY_VALUE_OPTS:
                if j == len(arg) - 1:
                    i += 1  # the value is the next word
                break
            if flag == "m":
                module = arg[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                if not module:
                    return None
                return PythonLaunch("module", module, pid1, _describe(f"{program} -m {module}", via))
            return None  # -c (inline code) or an unknown option: no importable target
        i += 1
    if i >= len(args) or args[i] == "-":
        return None  # the REPL or stdin: nothing to analyse
    script = args[i]
    return PythonLaunch("script", script, pid1, _describe(f"{program} {script}", via))


def _shell(program: str, args: list[str], *, pid1: bool, via: tuple[str, ...], depth: int) -> PythonLaunch | None:
    if program == "busybox":
        if not args or args[0] not in ("sh", "ash"):
            return None
        args = args[1:]
    found_script = _shell_script(args)
    if found_script is None:
        return None  # `sh entrypoint.sh`: the script's content is not in the argv
    script, positional = found_script
    commands = split_shell_commands(script)
    layer = f"{program} -c"
    # The last command that launches Python is the long-running one; earlier ones are usually
    # migrations or setup. Dash and bash may exec a lone final command themselves, but that is
    # an optimisation, not a contract, so only an explicit `exec` counts as replacing the shell.
    for command in reversed(commands):
        replaces_shell = command.exec_ and not command.background
        found = _launch(
            _expand_positional(command.argv, positional),
            pid1=pid1 and replaces_shell,
            via=(*via, layer),
            depth=depth + 1,
            in_env=False,
        )
        if found is not None:
            return found
    return None


def _expand_positional(argv: tuple[str, ...], positional: list[str]) -> list[str]:
    """Substitute `"$@"` - the `sh -c 'exec "$@"' -- python …` idiom passes the real command as arguments."""
    expanded: list[str] = []
    for word in argv:
        if word in ("$@", "${@}", "$*", "${*}"):
            expanded.extend(positional)
        else:
            expanded.append(word)
    return expanded


def _shell_script(args: list[str]) -> tuple[str, list[str]] | None:
    """The `-c` script and its positional parameters ($1…; the word after the script is $0).

    Handles `sh -c S`, `bash -lc S`, `sh -e -c S` and `sh -o pipefail -c S`.
    """
    i = 0
    has_c = False
    while i < len(args):
        arg = args[i]
        if arg in ("-o", "+o"):
            i += 2
            continue
        if arg == "--":
            i += 1
            break
        if len(arg) > 1 and arg[0] in "-+" and arg[1:].replace("-", "").isalpha():
            if arg.startswith("--"):
                i += 1  # --login, --norc, …
                continue
            has_c = has_c or "c" in arg[1:]
            i += 1
            continue
        break
    if not has_c or i >= len(args):
        return None
    return args[i], args[i + 2 :]


def _uv_run(args: list[str], *, pid1: bool, via: tuple[str, ...], depth: int) -> PythonLaunch | None:
    via = (*via, "uv run")
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg in ("-m", "--module"):
            # `uv run -m pkg` is `python -m pkg`; uv stays the parent process.
            return _python("python", ["-m", *args[i + 1 : i + 2]], pid1=False, via=via)
        if arg in _UV_VALUE_OPTS:
            i += 2
            continue
        if not arg.startswith("-"):
            break
        i += 1
    program = args[i:]
    if program and program[0].endswith(".py"):
        return _python("python", program, pid1=False, via=via)  # uv runs .py files with Python
    return _launch(program, pid1=False, via=via, depth=depth + 1, in_env=True)


def _after_env(args: list[str]) -> list[str]:
    """`env [-i] [-u NAME] [-C DIR] [NAME=VALUE…] cmd…` → cmd…"""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-u", "--unset", "-C", "--chdir"):
            i += 2
        elif arg == "--":
            return args[i + 1 :]
        elif arg.startswith("-") or _ASSIGNMENT_RE.match(arg):
            i += 1
        else:
            break
    return args[i:]


def _after_init(program: str, args: list[str]) -> list[str]:
    """Skip tini's / dumb-init's own options; both accept `--` before the child command."""
    value_opts = {"-r", "--rewrite"} if program == "dumb-init" else {"-p", "-e"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1 :]
        if arg in value_opts:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            break
    return args[i:]


def _skip_options(args: list[str], value_opts: frozenset[str], *, long_values: bool = False) -> list[str]:
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1 :]
        if arg in value_opts or (long_values and arg.startswith("--") and "=" not in arg):
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            break
    return args[i:]


def _looks_like_console_script(word: str) -> bool:
    if "/" in word or word.endswith(".sh") or not re.match(r"^[A-Za-z0-9][\w.-]*$", word):
        return False
    return word not in _NOT_PYTHON and word not in _SHELLS


def _describe(core: str, via: tuple[str, ...]) -> str:
    return f"{core} (via {', '.join(via)})" if via else core
