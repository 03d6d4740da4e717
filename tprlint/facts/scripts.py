"""Commands of scripts, Makefiles, justfiles, crontabs and CI workflow files, read by a shell lexer.

Each line is split into words by ``shlex`` the way the shell would split it: quotes, escapes, comments,
and ``;``/``&&``/``||``/``|`` between commands. Lines are read as a shell reads them: backslash
continuations joined, a Makefile recipe's ``@``/``-``/``+`` prefixes dropped, in a CI workflow file the
commands of its ``run:`` and ``script:`` entries, in a crontab the command after the five time fields.

Kept: commands that can kill a worker (TPR903); database backups, with whether their failure is seen
(``set -e``/``pipefail``, ``|| exit``, ``if !``, ``$?`` checks) and the "success" a script prints after
them, copies off the host and pruning of old backups (TPR904-TPR907); deploys of manifests and charts,
the commands that watch a rollout, and calls of other scripts and make targets (TPR908); crontab and CI
schedules. Only a file that names a backup tool is read whole; in the others only lines that name a
program of interest are lexed.
"""

from __future__ import annotations

import itertools
import re

from tprlint.facts.shell import (
    MAX_COMMANDS,
    Budget,
    Simple,
    State,
    heredoc_delimiter,
    logical_lines,
    scrub_text,
    scrub_words,
    shebang_flags,
    shell_simples,
    split_commands,
    tokens_of,
)
from tprlint.model import Location
from tprlint.records import frozen

__all__ = ["MAX_COMMANDS", "BackupStep", "Command", "DeployStep", "Schedule", "ScriptFacts", "extract_commands"]

# Programs whose commands can stop a process or a pod.
KILLERS = frozenset({"kubectl", "oc", "kill", "pkill", "killall", "docker", "docker-compose", "podman"})
# Database and volume backup tools; the first group writes one file (or folder) per run.
FILE_DUMPS = frozenset({"pg_dump", "pg_dumpall", "pg_basebackup", "mysqldump", "mysqlpump", "mariadb-dump",
                        "mongodump"})
_TOOL_VERBS = {"pgbackrest": ("backup",), "wal-g": ("backup-push",), "barman": ("backup",), "velero": ("backup",),
               "restic": ("backup",), "kopia": ("snapshot",), "medusa": ("backup", "backup-cluster"),
               "nodetool": ("snapshot",), "mariabackup": ("--backup",), "xtrabackup": ("--backup",)}
BACKUP_TOOLS = FILE_DUMPS | frozenset(_TOOL_VERBS)
# Dumps that are not backups: help, or the schema alone (`pg_dump -s` for migrations, `mysqldump -d`).
_NOT_A_BACKUP = {"pg_dump": {"-s", "--schema-only"}, "pg_dumpall": {"-s", "--schema-only", "-g", "--globals-only"},
                 "mysqldump": {"-d", "--no-data"}, "mariadb-dump": {"-d", "--no-data"}}
# Programs that run a backup tool elsewhere: `docker exec db pg_dump`, `kubectl exec pod -- pg_dump`.
_RUNNERS = frozenset({"docker", "podman", "docker-compose", "kubectl", "oc", "ssh", "su", "runuser"})
_FILE_HAS_BACKUP = re.compile(r"\b(pg_dump|pg_dumpall|pg_basebackup|mysqldump|mysqlpump|mariadb-dump|mongodump|"
                              r"pgbackrest|wal-g|barman|velero|restic|kopia|medusa|nodetool|mariabackup|xtrabackup)\b")
_CANDIDATE = re.compile(r"\b(kubectl|oc|kill|pkill|killall|docker|docker-compose|podman|helm|kustomize|argocd|"
                        r"kubectl-argo-rollouts|make|just|aws|gsutil|gcloud|rclone|azcopy|az|mc|s3cmd|rsync|scp|find|"
                        r"rm|tmpreaper|tmpwatch)\b|\.sh\b")
# A CI YAML line's own syntax before the shell text: `- run: ...`, `script:`, a list dash.
_YAML_PREFIX = re.compile(r"^\s*(?:-\s+)?(?:(?:run|script|before_script|after_script|command)\s*:\s*[|>]?[-+]?\s*)?"
                          r"(?:-\s+)?")
_CI_STEP = re.compile(r"^\s*(?:-\s+)?(?:run|script|before_script|after_script)\s*:")
_SETS_VARIABLE = re.compile(r"^\s*(?:export\s+|readonly\s+|local\s+)?[A-Za-z_][A-Za-z0-9_]*=")  # folders named once
_CI_KEY = re.compile(r"^\s*(?:-\s+)?(?!(?:run|script|before_script|after_script|command)\s*:)[\w.-]+\s*:(?:\s|$)")
_CI_CRON = re.compile(r"^\s*-?\s*cron\s*:\s*(.+)$")
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_./%-]+)\s*:(?!=)")
_CRON_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
_SUCCESS_WORDS = frozenset({"success", "successful", "successfully", "succeeded", "complete", "completed", "done",
                            "finished", "ok", "created", "✓", "✅"})
_FAILURE_WORDS = frozenset({"fail", "failed", "failure", "error", "not", "no", "unable", "cannot", "couldn"})
_LOOK_AHEAD = 300  # commands read after a dump for its checks and the success it reports: bounds hostile files
_REPORTERS = frozenset({"echo", "printf", "logger", "curl", "wget", "notify-send"})


@frozen
class Command:
    location: Location
    words: tuple[str, ...]  # the command's words, its program first (wrappers such as sudo dropped)
    block: str = ""  # the Makefile/justfile target it belongs to


@frozen
class BackupStep:
    location: Location
    words: tuple[str, ...]
    tool: str  # pg_dump, mysqldump, pgbackrest...
    hidden: str  # why a failure of the backup goes unseen ("" when it stops the script or is handled)
    success_claim: Location | None = None  # a later line that reports success all the same
    output: str = ""  # the local file or folder it writes, variables resolved where the script sets them
    dated: bool = False  # a new file each run (a date or time in its name)
    offsite_inline: bool = False  # its output is piped straight to object storage or another host


@frozen
class DeployStep:
    location: Location
    words: tuple[str, ...]
    verb: str  # "kubectl apply", "kubectl set image", "helm upgrade"...
    paths: tuple[str, ...] = ()  # manifest files and folders it applies
    names: tuple[str, ...] = ()  # workload names, helm release and chart
    waits: bool = False  # helm --wait / --atomic
    block: str = ""


@frozen
class Schedule:
    location: Location
    expression: str  # the five cron fields, or an @macro
    command: str = ""  # a crontab entry's command; "" for a CI workflow's schedule


@frozen
class ScriptFacts:
    path: str
    commands: tuple[Command, ...] = ()  # commands that could stop a worker
    backups: tuple[BackupStep, ...] = ()
    offsite: tuple[Command, ...] = ()  # copies to object storage or another host
    prunes: tuple[Command, ...] = ()  # removals of old files (find -mtime -delete, rm, retention commands)
    deploys: tuple[DeployStep, ...] = ()
    watches: tuple[Command, ...] = ()  # rollout status, kubectl wait, argo rollouts status
    calls: tuple[Command, ...] = ()  # scripts and make/just targets it runs
    schedules: tuple[Schedule, ...] = ()


def is_ci_file(path: str) -> bool:
    lower = path.lower()
    return ("/.github/workflows/" in f"/{lower}" and lower.endswith((".yml", ".yaml"))) or \
        lower.rsplit("/", 1)[-1] == ".gitlab-ci.yml"


def is_crontab(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name in ("crontab", "crontab.txt") or name.endswith((".cron", ".crontab"))


def extract_commands(text: str, path: str) -> ScriptFacts:
    """What ``text`` runs that the rules judge, each at its line."""
    name = path.rsplit("/", 1)[-1].lower()
    if name == ".env":
        return ScriptFacts(path)
    whole = bool(_FILE_HAS_BACKUP.search(text))
    simples, schedules = _read(text, path, name, whole)
    return facts_of(simples, path, schedules)


def facts_of(simples: list[Simple], path: str, schedules: tuple[Schedule, ...] = ()) -> ScriptFacts:
    """The facts of the simple commands of one file (also of a CronJob's shell text: tprlint.facts.backups)."""
    kills: list[Command] = []
    offsite: list[Command] = []
    prunes: list[Command] = []
    watches: list[Command] = []
    calls: list[Command] = []
    deploys: list[DeployStep] = []
    backups: list[BackupStep] = []
    budget = Budget()  # facts are cached: credentials masked in every word kept, within a budget per file
    for index, simple in enumerate(simples):
        words, where = simple.words, Location(path, simple.line)
        program = words[0].rsplit("/", 1)[-1]
        if program in KILLERS:
            kills.append(Command(where, scrub_words(words, budget), simple.block))
        else:  # `ssh host 'pkill -9 ...'`, `sh -c "kill -9 ..."`: the quoted command runs too
            kills += _nested_kills(words, where, simple.block, budget)
        if words[0].startswith("$"):  # `PG_DUMP=/usr/bin/pg_dump` ... `$PG_DUMP -h db ...`
            words = (_resolve(words[0], simple.assignments), *words[1:])
        tool = backup_tool(words)
        if tool:
            backups.append(_backup(simples, index, tool, where, budget))
        elif is_offsite(words) or _prunes(words):  # kept with the folders the script set resolved
            resolved = Command(where, scrub_words([_resolve(w, simple.assignments) for w in words], budget),
                               simple.block)
            (offsite if is_offsite(words) else prunes).append(resolved)
        elif is_watch(words):
            watches.append(Command(where, scrub_words(simple.words, budget), simple.block))
        elif (deploy := _deploy(simples, index, where, budget)) is not None:
            deploys.append(deploy)
        elif _is_call(words):
            calls.append(Command(where, scrub_words(simple.words, budget), simple.block))
    return ScriptFacts(path, tuple(kills), tuple(backups), tuple(offsite), tuple(prunes), tuple(deploys),
                       tuple(watches), tuple(calls), schedules)


_KILL_WORD = re.compile(r"\b(kubectl|oc|kill|pkill|killall|docker|docker-compose|podman)\b")


def _nested_kills(words: tuple[str, ...], where: Location, block: str, budget: Budget,
                  depth: int = 0) -> list[Command]:
    found: list[Command] = []
    for word in words[1:]:
        if depth >= 2 or " " not in word or not _KILL_WORD.search(word):
            continue
        for simple in shell_simples(word, where.line):
            if simple.words[0].rsplit("/", 1)[-1] in KILLERS:
                found.append(Command(where, scrub_words(simple.words, budget), block))
            else:
                found += _nested_kills(simple.words, where, block, budget, depth + 1)
    return found


# --- reading lines into simple commands ------------------------------------------------------

def _read(text: str, path: str, name: str, whole: bool) -> tuple[list[Simple], tuple[Schedule, ...]]:
    ci, cron = is_ci_file(path), is_crontab(path)
    make = name in ("makefile", "gnumakefile") or name.endswith(".mk")
    just = name == "justfile"
    shell_flags = _make_shell_flags(text) if make else ""
    # Defaults of the shell each kind of file runs in: CI runners stop a step at its first failing command
    # (GitHub Actions runs `bash -e`, with pipefail when the step says `shell: bash`; GitLab sets both).
    errexit = ci or any(f[:1] == "-" and f[1:2] != "-" and "e" in f for f in shell_flags.split())
    pipefail = ("pipefail" in shell_flags) or (ci and (name == ".gitlab-ci.yml" or "shell: bash" in text))
    simples: list[Simple] = []
    schedules: list[Schedule] = []
    state = State(errexit, pipefail)
    budget = Budget()  # for the crontab commands kept (facts are cached: credentials masked)
    unit, block, heredoc = 0, "", ""
    for line_no, line in logical_lines(text):
        if heredoc:
            if line.strip() == heredoc:
                heredoc = ""
            continue
        recipe, ignored = True, False
        if ci:
            if _CI_STEP.match(line):
                unit, state = unit + 1, State(errexit, pipefail)
            if (cron_line := _CI_CRON.match(line)) and whole:
                schedules.append(Schedule(Location(path, line_no), _unquote(cron_line.group(1))))
                continue
            if _CI_KEY.match(line):
                continue  # a YAML key of the workflow (`name:`, `env:`), not shell
            line = _YAML_PREFIX.sub("", line, count=1)
        elif make or just:
            recipe = line[:1] in ("\t", " ") and bool(line.strip())
            if not recipe and (target := _MAKE_TARGET.match(line)):
                block = target.group(1)
            stripped = line.lstrip("\t ")
            ignored = recipe and stripped.lstrip("@+").startswith("-")
            line = stripped.lstrip("@-+")
            unit, state = unit + 1, State(errexit, pipefail)  # every recipe line runs in a shell of its own
        elif cron:
            entry = _crontab_entry(line, path)
            if entry is None:
                continue
            expression, line = entry
            unit, state = unit + 1, State(False, False)
            schedules.append(Schedule(Location(path, line_no), expression, scrub_text(line, budget)))
        elif line_no == 1 and line.startswith("#!"):
            state = State(*shebang_flags(line))
            continue
        if not (whole and recipe) and not _CANDIDATE.search(line) and not _SETS_VARIABLE.match(line):
            continue
        tokens = tokens_of(line)
        if tokens is None:
            continue
        heredoc = heredoc_delimiter(tokens)
        split_commands(tokens, line_no, unit, block, ignored, state, simples)
        if len(simples) >= MAX_COMMANDS:
            break
    return simples[:MAX_COMMANDS], tuple(schedules)


def _make_shell_flags(text: str) -> str:
    for line in text.splitlines():
        if line.startswith(".SHELLFLAGS"):
            return line.partition("=")[2].strip()
    return ""


def _crontab_entry(line: str, path: str) -> tuple[str, str] | None:
    """A crontab line's schedule and command (`%` ends the command: what follows is its input)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or _CRON_ENV.match(stripped):
        return None
    fields = 1 if stripped.startswith("@") else 5
    parts = stripped.split(None, fields)
    if len(parts) <= fields:
        return None
    command = parts[fields]
    system = "/cron.d/" in f"/{path}" or path.endswith("etc/crontab")
    if system or command.split(None, 1)[0] == "root":
        command = command.split(None, 1)[1] if " " in command else ""
    command = re.split(r"(?<!\\)%", command, maxsplit=1)[0]
    return " ".join(parts[:fields]), command



def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


# --- backups ---------------------------------------------------------------------------------

def backup_tool(words: tuple[str, ...]) -> str:
    """The backup tool a command runs (itself, or through `docker exec`/`kubectl exec`/ssh), or ""."""
    program = words[0].rsplit("/", 1)[-1]
    candidates = [program] if program not in _RUNNERS else \
        [w.split(None, 1)[0].rsplit("/", 1)[-1] for w in words[1:] if w.strip()]
    for index, tool in enumerate(candidates):
        if tool in FILE_DUMPS:
            skipped = _NOT_A_BACKUP.get(tool, set()) | {"--help", "--version"}
            return "" if skipped.intersection(words) else tool
        if tool in _TOOL_VERBS:
            rest = " ".join(words).split(tool, 1)[-1].split()
            return tool if any(verb in rest for verb in _TOOL_VERBS[tool]) else ""
        if program not in _RUNNERS or index > 16:
            break
    return ""


def _backup(simples: list[Simple], index: int, tool: str, where: Location, budget: Budget) -> BackupStep:
    simple = simples[index]
    pipe = [s for s in simples[index:index + 20] if s.pipeline == simple.pipeline and s.unit == simple.unit]
    output = _resolve(_output(simple, pipe, tool), simple.assignments)
    hidden = _hidden(simples, index, pipe)
    claim = _success_claim(simples, index, pipe[-1], where.path) if hidden else None
    local = bool(output) and not re.match(r"^[a-z][a-z0-9+.-]*://", output) and not output.startswith("/dev/")
    return BackupStep(where, scrub_words(simple.words, budget), tool, hidden, claim,
                      scrub_text(output, budget) if local else "",
                      local and bool(_DATED.search(output)), any(is_offsite(s.words) for s in pipe[1:]))


_DATED = re.compile(r"\$\(date|`date|%[YmdFHMSjs]|\$\{?[A-Za-z_]*(?:DATE|TIME|STAMP|NOW|DAY|TS)\b", re.IGNORECASE)


def _hidden(simples: list[Simple], index: int, pipe: list[Simple]) -> str:
    """Why a failure of ``simples[index]`` is seen by nobody ("" when the script stops or handles it)."""
    dump, last = simples[index], pipe[-1]
    # Units are runs of consecutive commands: read up to the unit's end, at most _LOOK_AHEAD commands on.
    following = list(itertools.takewhile(lambda s: s.unit == dump.unit,
                                         itertools.islice(simples, index + len(pipe), index + _LOOK_AHEAD)))
    nxt = following[0] if following else None
    checks = nxt is not None and any("$?" in w or "PIPESTATUS" in w for w in nxt.raw)
    if dump.function or last.after == "&":
        return ""  # a function's caller decides; a job in the background is waited for elsewhere
    if dump.ignored:
        return "the recipe line starts with `-`, so make ignores its failure"
    if len(pipe) > 1 and not dump.pipefail:  # an `if` on the pipeline tests the compressor too
        if nxt is not None and any("PIPESTATUS" in w for w in nxt.raw):
            return ""
        return (f"its output is piped into `{pipe[1].words[0]}`, and without `set -o pipefail` a pipeline's status "
                f"is that of its last command (`{last.words[0]}`), which succeeds even when the dump fails")
    if dump.condition:
        return ""  # `if ! pg_dump ...; then exit 1; fi`: its branches handle it
    if last.after == "||":
        handler = nxt.words[0] if nxt is not None else ""
        return f"`|| {handler}` discards its failure" if handler in ("true", ":") else ""
    if checks:
        return ""
    if last.after == "&&":
        return "" if not following or not _success_claim(simples, index, last, "") else \
            "a failed `&&` list does not stop the script, even under `set -e`"
    if dump.errexit or not following:
        return ""
    return (f"without `set -e` the script goes on after it, and exits with the status of its last command "
            f"(`{following[-1].words[0]}`)")


def _success_claim(simples: list[Simple], index: int, last: Simple, path: str) -> Location | None:
    """The first later command of the same script or target that reports success (an echo, a webhook)."""
    dump = simples[index]
    for later in itertools.islice(simples, index + 1, index + _LOOK_AHEAD):
        if later.unit != dump.unit and not (later.block and later.block == dump.block):
            continue
        if later.pipeline == last.pipeline or later.condition or later.words[0] not in _REPORTERS:
            continue
        words = re.split(r"[^\w✓✅]+", " ".join(later.words[1:]).lower())
        if _SUCCESS_WORDS.intersection(words) and not _FAILURE_WORDS.intersection(words):
            return Location(path, later.line)
    return None


def _output(simple: Simple, pipe: list[Simple], tool: str) -> str:
    """Where the dump lands: a redirection at the end of its pipeline, or the tool's own file option."""
    for member in reversed(pipe):
        raw = member.raw
        for i, word in enumerate(raw):
            if word in (">", ">>") and i + 1 < len(raw):
                return raw[i + 1]
            if word.startswith(">") and not word.startswith(">&"):
                return word.lstrip(">")
    words = simple.words
    options = {"pg_basebackup": ("-D", "--pgdata"), "mongodump": ("-o", "--out"),
               "mysqldump": ("-r", "--result-file")}.get(tool, ("-f", "--file"))
    for i, word in enumerate(words):
        for option in options:
            if word == option and i + 1 < len(words):
                return words[i + 1]
            if word.startswith(option + "=") or (len(option) == 2 and word.startswith(option) and len(word) > 2):
                return word.split("=", 1)[1] if "=" in word else word[2:]
    return ""


def _resolve(value: str, assignments: dict[str, str], depth: int = 0) -> str:
    if "$" not in value or depth > 2:
        return value
    resolved = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                      lambda m: assignments.get(m.group(1), m.group(0)), value)
    return resolved if resolved == value else _resolve(resolved, assignments, depth + 1)


def is_offsite(words: tuple[str, ...]) -> bool:
    """A copy to object storage or to another host."""
    program, rest = words[0].rsplit("/", 1)[-1], words[1:]
    args = [w for w in rest if not w.startswith("-")]  # the verbs, whatever options come first
    if program == "aws":
        after = args[args.index("s3") + 1:] if "s3" in args else []
        return after[:1] in (["cp"], ["sync"], ["mv"]) or "put-object" in args
    if program in ("gsutil", "s3cmd", "mc", "azcopy", "rclone"):
        return args[:1] in (["cp"], ["rsync"], ["mv"], ["put"], ["sync"], ["mirror"], ["pipe"], ["copy"],
                            ["copyto"], ["move"], ["moveto"], ["rcat"])
    if program == "gcloud":
        return args[:1] == ["storage"] and args[1:2] in (["cp"], ["rsync"], ["mv"])
    if program == "az":
        return args[:1] == ["storage"] and any(w.startswith(("upload", "sync")) for w in args[2:4])
    if program in ("rsync", "scp"):
        return any(re.match(r"^(?:[\w.-]+@)?[\w.-]+:(?!//)", w) or w.startswith("rsync://") for w in args)
    if program == "curl":
        return any(w in ("-T", "--upload-file") for w in rest)
    return False


def _prunes(words: tuple[str, ...]) -> bool:
    program, rest = words[0].rsplit("/", 1)[-1], words[1:]
    if program == "find":
        return "-delete" in rest or any(w in ("-exec", "-execdir") and i + 1 < len(rest) and rest[i + 1] == "rm"
                                        for i, w in enumerate(rest))
    if program in ("rm", "tmpreaper", "tmpwatch"):
        return True
    if program in ("aws", "gsutil", "mc", "s3cmd"):
        return any(w in ("rm", "del") for w in rest[:2])
    return program == "rclone" and rest[:1] in (("delete",), ("purge",))


# --- deploys ---------------------------------------------------------------------------------

_KUBECTL_VALUE_FLAGS = frozenset({"-n", "--namespace", "--context", "--kubeconfig", "-s", "--server", "--cluster",
                                  "--user", "--token", "-l", "--selector", "-o", "--output"})
_HELM_VALUE_FLAGS = frozenset({"-f", "--values", "--set", "--set-string", "--set-file", "--set-json", "-n",
                               "--namespace", "--version", "--timeout", "--kube-context", "--kubeconfig", "--repo",
                               "--post-renderer", "--description", "-o", "--output", "--history-max"})


def _positional(words: tuple[str, ...], value_flags: frozenset[str]) -> list[str]:
    found: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in value_flags
        else:
            found.append(word)
    return found


def is_watch(words: tuple[str, ...]) -> bool:
    """A command that waits for a rollout to finish and fails when it does not."""
    program = words[0].rsplit("/", 1)[-1]
    args = _positional(words[1:], _KUBECTL_VALUE_FLAGS)
    if program in ("kubectl", "oc"):
        return args[:2] == ["rollout", "status"] or args[:1] == ["wait"] or args[:3] == ["argo", "rollouts", "status"]
    if program == "kubectl-argo-rollouts":
        return args[:1] == ["status"]
    return (program == "argo" and args[:2] == ["rollouts", "status"]) or (program == "argocd" and
                                                                          args[:2] == ["app", "wait"])


def _deploy(simples: list[Simple], index: int, where: Location, budget: Budget) -> DeployStep | None:
    simple = simples[index]
    words = simple.words
    program = words[0].rsplit("/", 1)[-1]
    if program in ("kubectl", "oc"):
        args = _positional(words[1:], _KUBECTL_VALUE_FLAGS)
        if args[:1] in (["apply"], ["create"], ["replace"]):
            paths = _file_options(words)
            if "-" in paths:  # `kustomize build k8s/ | kubectl apply -f -`: the files of the commands before
                paths = [p for s in simples[max(0, index - 5):index] if s.pipeline == simple.pipeline
                         for p in _pipe_sources(s)] + [p for p in paths if p != "-"]
            return DeployStep(where, scrub_words(words, budget), f"{program} {args[0]}",
                              tuple(scrub_text(p, budget) for p in paths), (), False, simple.block)
        if args[:2] == ["set", "image"] or args[:4] == ["argo", "rollouts", "set", "image"]:
            rest = args[4:] if args[0] == "argo" else args[2:]
            target = (rest[1] if len(rest) > 1 and "/" not in rest[0] and "=" not in rest[1] else rest[0]) \
                if rest else ""
            return DeployStep(where, scrub_words(words, budget), f"{program} set image", (),
                              (target.rsplit("/", 1)[-1],), False, simple.block)
        return None
    if program == "helm":
        args = _positional(words[1:], _HELM_VALUE_FLAGS)
        if args[:1] in (["upgrade"], ["install"]):
            waits = any(w.startswith(("--wait", "--atomic", "--rollback-on-failure")) and not w.endswith("=false")
                        for w in words)
            return DeployStep(where, scrub_words(words, budget), f"helm {args[0]}",
                              tuple(a for a in args[1:3] if "/" in a),
                              tuple(args[1:3]), waits, simple.block)
    return None


def _file_options(words: tuple[str, ...]) -> list[str]:
    found = []
    for i, word in enumerate(words):
        if word in ("-f", "--filename", "-k", "--kustomize") and i + 1 < len(words):
            found.append(words[i + 1])
        elif word.startswith(("--filename=", "--kustomize=", "-f=", "-k=")):
            found.append(word.split("=", 1)[1])
    return found


def _pipe_sources(simple: Simple) -> list[str]:
    return [w.lstrip("<") for w in simple.raw[1:] if not w.startswith("-") and ("/" in w or w.endswith(
        (".yaml", ".yml")) or w in (".", "<"))] or []


def _is_call(words: tuple[str, ...]) -> bool:
    program = words[0].rsplit("/", 1)[-1]
    return program.endswith(".sh") or program in ("make", "just") or (
        program in ("sh", "bash") and len(words) > 1 and words[1].endswith(".sh"))
