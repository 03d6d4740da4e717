"""Backup CronJobs of Kubernetes manifests, and how often a cron schedule runs.

A CronJob is read like a script: the shell text of its ``sh -c`` (or its command as written) goes through
the same lexer as ``*.sh`` files (``tprlint.facts.scripts``), so that a dump piped into gzip without
``pipefail`` is judged the same in both; a CronJob is a backup job when that text runs a backup tool.
Velero ``Schedule``s and CloudNativePG ``ScheduledBackup``s are not read here: what they cover (the
cluster's objects, or base backups beside WAL archiving) says too little about how much data can be lost.
``cadence`` reads a cron expression (five fields, the @macros, six fields with seconds first) into whether
it runs every day.
"""

from __future__ import annotations

import re
import shlex

from tprlint.facts.kube_values import as_dict, as_text, get_in
from tprlint.facts.scripts import ScriptFacts, backup_tool, facts_of
from tprlint.facts.shell import Simple, shell_simples
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.model import Location
from tprlint.records import frozen

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
MAX_JOBS = 200  # per file


@frozen
class BackupJob:
    kind: str  # CronJob
    name: str
    location: Location  # the object's `kind:` line
    schedule: str
    schedule_location: Location
    steps: ScriptFacts | None = None  # what its containers run, read as a script; None when nothing is readable
    suspended: bool = False


def extract_backup_jobs(docs: list[YamlDoc], path: str) -> tuple[BackupJob, ...]:
    """The scheduled backups among the file's objects."""
    found: list[BackupJob] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or len(found) >= MAX_JOBS:
            continue
        kind = as_text(data.get("kind")) or ""
        name = as_text(as_dict(data.get("metadata")).get("name")) or ""
        schedule = get_in(data, "spec", "schedule")
        if not isinstance(schedule, str) or not name:
            continue
        where = Location(path, *doc.loc("kind"))
        at = Location(path, *doc.loc("spec", "schedule"))
        suspended = get_in(data, "spec", "suspend") is True
        if kind == "CronJob":
            steps = _cronjob_steps(doc, data, path)
            if steps is not None and steps.backups:
                found.append(BackupJob(kind, name, where, schedule, at, steps, suspended))
    return tuple(found)


def _cronjob_steps(doc: YamlDoc, data: dict[object, object], path: str) -> ScriptFacts | None:
    """The containers' commands read as one script (None when no container runs a shell or a backup tool)."""
    spec_path = ("spec", "jobTemplate", "spec", "template", "spec")
    containers = get_in(data, *spec_path, "containers")
    simples: list[Simple] = []
    for index, container in enumerate(containers if isinstance(containers, list) else ()):
        container = as_dict(container)
        argv = [w for key in ("command", "args") for w in _strings(container.get(key))]
        if not argv:
            continue
        keys = (*spec_path, "containers", index, "args" if "args" in container else "command")
        simples += _argv_simples(argv, doc.loc(*keys)[0])
    return facts_of(simples, path) if simples else None


def _argv_simples(argv: list[str], line: int) -> list[Simple]:
    program = argv[0].rsplit("/", 1)[-1]
    if program in _SHELLS:
        flags = [w for w in argv[1:] if w.startswith("-")]
        if any(w.endswith("c") and not w.startswith("--") for w in flags):
            text = next((w for w in argv[1:] if not w.startswith("-") and w != "pipefail"), "")
            errexit = any("e" in w[1:] for w in flags if not w.startswith("--"))
            return shell_simples(text, line, errexit, "pipefail" in argv)
    if backup_tool(tuple(argv)):
        return shell_simples(shlex.join(argv), line)  # exec form: its status is the container's
    return []


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# --- how often a cron schedule runs -----------------------------------------------------------

_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# ASCII digits only (`\d` and `str.isdigit` accept `²` and other scripts' digits, which `int` rejects or reads),
# and at most 6 of them: a longer number is no schedule a person wrote, and `int()` of thousands of digits raises.
_EVERY = re.compile(r"^@every\s+(?:([0-9]{1,6})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,6})s)?$")
_NUMBER = re.compile(r"[0-9]{1,4}")
_MAX_EXPRESSION = 200  # longer is not a cron expression tprlint can read: undecided


@frozen
class Cadence:
    daily: bool  # runs at least once every day
    description: str  # how often it runs when not daily ("once a week, on Sunday")


def cadence(expression: str) -> Cadence | None:
    """How often ``expression`` runs, or None when it cannot be read (then nothing is judged)."""
    text = expression.strip()
    if len(text) > _MAX_EXPRESSION:
        return None
    if text.split(None, 1)[:1] and re.match(r"^(CRON_)?TZ=", text):
        text = text.split(None, 1)[1] if " " in text else ""
    text = _MACROS.get(text.lower(), text)
    if text.lower() == "@reboot":
        return Cadence(False, "only when the machine boots")
    every = _EVERY.match(text)
    if every and any(every.groups()):
        hours, minutes, seconds = (int(g or 0) for g in every.groups())
        total = hours * 3600 + minutes * 60 + seconds
        return Cadence(total <= 86400, f"every {total / 3600:g} hours")
    fields = text.split()
    if len(fields) == 6:
        fields = fields[1:]  # seconds first (CloudNativePG, Quartz-like)
    if len(fields) != 5:
        return None
    dom = _field(fields[2], 1, 31, {})
    month = _field(fields[3], 1, 12, _MONTHS)
    dow = _field(fields[4], 0, 7, _DAYS)
    if dom is None or month is None or dow is None or _field(fields[0], 0, 59, {}) is None \
            or _field(fields[1], 0, 23, {}) is None:
        return None
    dow = {d % 7 for d in dow}  # 7 is Sunday too
    all_dom, all_dow = len(dom) == 31, len(dow) == 7
    # Vixie cron: when either day field starts with `*`, a day must match both; otherwise either.
    starred = fields[2][:1] in "*?" or fields[4][:1] in "*?"
    every_day = (all_dom and all_dow) if starred else (all_dom or all_dow)
    if every_day:
        return Cadence(True, "every day") if len(month) == 12 else \
            Cadence(False, f"only in {len(month)} months of the year")
    week = f"{len(dow)} day{'s' if len(dow) > 1 else ''} of the week ({', '.join(_DAY_NAMES[d] for d in sorted(dow))})"
    month_days = f"day {','.join(str(d) for d in sorted(dom))} of the month" if len(dom) <= 8 else \
        f"{len(dom)} days of the month"
    if starred and all_dom:
        return Cadence(False, f"on {week}")
    if starred and all_dow:
        return Cadence(False, f"on {month_days}")
    return Cadence(False, f"on {month_days}" + (f" and {week}" if not starred else f", {week} only"))


def _field(text: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    found: set[int] = set()
    for item in text.lower().split(",")[:60]:
        base, _, step_text = item.partition("/")
        step = _value(step_text, {}) if step_text else 1
        if not step:  # unreadable, or `/0`
            return None
        if base in ("*", "?"):
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start_value, end_value = _value(first, names), _value(last, names) if last else None
            if start_value is None or (last and end_value is None):
                return None
            start = start_value
            end = end_value if end_value is not None else (high if step_text else start_value)
        if not low <= start <= high or not low <= end <= high or start > end:
            return None
        found.update(range(start, end + 1, step))
    return found or None


def _value(text: str, names: dict[str, int]) -> int | None:
    if _NUMBER.fullmatch(text):
        return int(text)
    return names.get(text[:3]) if len(text) >= 3 else None
