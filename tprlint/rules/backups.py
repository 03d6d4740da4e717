"""TPR904-TPR907: backups that exist, judged on whether they work.

TPR901 asks whether any backup job exists; these rules read the ones that do (shell scripts, crontab
entries, Makefile targets, CI steps, backup CronJobs; see ``tprlint.facts.scripts``/``backups``):

* TPR904: a dump whose failure nobody sees (no ``set -e``, a pipe into gzip without ``pipefail``,
  ``|| true``), often followed by a line that reports success anyway;
* TPR905: a backup scheduled less often than daily;
* TPR906: dumps kept only where they were written (no copy to object storage or another host);
* TPR907: a new dump file each run and nothing that removes old ones.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from tprlint.devsetup import is_dev_path
from tprlint.facts.backups import BackupJob, cadence
from tprlint.facts.scripts import (
    FILE_DUMPS,
    BackupStep,
    Command,
    Schedule,
    ScriptFacts,
    backup_tool,
    is_ci_file,
)
from tprlint.facts.shell import program_first, scrub_words, tokens_of
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project, is_test_path

# Tools that keep their own repository and retention, usually beside continuous WAL archiving: how often
# their base backup runs, where it goes and how long it is kept are set in their configuration.
_REPOSITORY_TOOLS = frozenset({"pgbackrest", "wal-g", "barman", "velero", "restic", "kopia", "medusa"})
# Words in a folder that say it is not a local disk (a bucket mounted with s3fs/gcsfuse, NFS, EFS...).
_REMOTE_HINTS = ("s3", "gcs", "bucket", "nfs", "efs", "azure", "blob", "remote", "offsite", "off-site", "cloud")


@frozen
class Source:
    """One place backups run from: a script (crontab, Makefile, CI file) or a backup CronJob."""

    facts: ScriptFacts
    what: str  # "the script", "CronJob temporal-db-dump"
    job: BackupJob | None = None


def judged(project: Project, path: str) -> bool:
    """A production file: not a test, not a development set-up (`e2e.yml`, `scripts/local/...`). GitLab's
    `.gitlab-ci.yml` is named for CI whatever it runs: it is the pipeline that deploys production."""
    if is_test_path(path) or project.config.scope == "all":
        return not is_test_path(path)
    if posixpath.basename(path).lower() == ".gitlab-ci.yml":
        path = posixpath.join(posixpath.dirname(path), "gitlab.yml")
    return not is_dev_path(path)


def sources(project: Project) -> Iterator[Source]:
    for script in project.scripts:
        if script.backups and judged(project, script.path):
            yield Source(script, "the script")
    for job in project.backup_jobs:
        if job.steps is not None and job.steps.backups and judged(project, job.location.path):
            yield Source(job.steps, f"{job.kind} {job.name}", job)


def local_dumps(project: Project) -> Iterator[tuple[Source, BackupStep]]:
    """Dumps written to a local file or folder (TPR906). Not in CI files: a runner's disk is gone after the
    job, and what is kept is uploaded by steps (`uses: actions/upload-artifact`) that are not shell."""
    for source in sources(project):
        if is_ci_file(source.facts.path):
            continue
        for step in source.facts.backups:
            if step.tool in FILE_DUMPS and step.output and not step.offsite_inline and not _remote_folder(step):
                yield source, step


def dated_dumps(project: Project) -> Iterator[tuple[Source, BackupStep]]:
    """Local dumps that write a new file each run (TPR907)."""
    return ((source, step) for source, step in local_dumps(project)
            if step.dated and not _folder(step.output).startswith(("/tmp", "/var/tmp")))


def _folder(output: str) -> str:
    return posixpath.dirname(output.rstrip("/")) or "."


def _remote_folder(step: BackupStep) -> bool:
    return any(hint in step.output.lower() for hint in _REMOTE_HINTS)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shown(words: tuple[str, ...]) -> str:
    """A command as a finding shows it: credentials masked (facts already hold them masked; this also covers
    a crontab command lexed again here, and facts cached by an older version)."""
    text = " ".join(scrub_words(words[:40]))
    return text if len(text) <= 90 else text[:87] + "..."


# --- TPR904 ---------------------------------------------------------------------------------

def hidden_backup_failure(project: Project) -> Iterator[Hit]:
    for source in sources(project):
        seen: dict[str, int] = {}
        for step in source.facts.backups:
            seen[step.tool] = seen.get(step.tool, 0) + 1
            if not step.hidden:
                continue
            outcome = "the Job still succeeds" if source.job else "the run still succeeds"
            claim = f" Line {step.success_claim.line} then reports success all the same." \
                if step.success_claim is not None else ""
            yield Hit(step.location, f"`{_shown(step.words)}` can fail (database unreachable, wrong password, disk "
                      f"full) and {outcome}: {step.hidden}.{claim} A failed backup that looks like a good one "
                      "is found out only when a restore is needed. Make the failure stop the run: start the "
                      "script with `set -euo pipefail`, or check the dump itself (`if ! pg_dump ...; then exit 1; "
                      "fi`), so that cron mails, the Job fails and an alert can fire.",
                      anchor=f"{source.facts.path}/{source.what}/{step.tool}/{seen[step.tool]}/hidden-failure")


# --- TPR905 ---------------------------------------------------------------------------------

def backup_schedules(project: Project) -> Iterator[tuple[Schedule | BackupJob, str]]:
    """Each schedule of a backup, with what it runs."""
    with_backups = {posixpath.basename(s.path): s for s in project.scripts if s.backups}
    for script in project.scripts:
        if not script.schedules or not judged(project, script.path):
            continue
        for schedule in script.schedules:
            if not schedule.command:  # a CI workflow's `schedule:` runs the file's own backups
                tools = {step.tool for step in script.backups}
                what = "The workflow's backup"
            else:
                tools, what = _scheduled_tools(schedule.command, with_backups)
            if tools and not tools <= _REPOSITORY_TOOLS:
                yield schedule, what
    for job in project.backup_jobs:
        if job.suspended or not judged(project, job.location.path):
            continue
        tools = {step.tool for step in job.steps.backups} if job.steps is not None else set()
        if tools and not tools <= _REPOSITORY_TOOLS:
            yield job, f"{job.kind} {job.name}"


def _scheduled_tools(command: str, with_backups: dict[str, ScriptFacts]) -> tuple[set[str], str]:
    """The backup tools a crontab entry runs, directly or through a script of the scan."""
    tokens = tokens_of(command) or []
    words = tuple(program_first([t for t in tokens if t not in ("|", ";", "&&", "||")]))
    if words and (tool := backup_tool(words)):
        return {tool}, f"`{_shown(words)}`"
    for word in words:
        script = with_backups.get(posixpath.basename(word))
        if script is not None:
            return {step.tool for step in script.backups}, f"{script.path}"
    return set(), ""  # a script outside the scan: its name ("backup-logs.sh") says too little


def backup_less_than_daily(project: Project) -> Iterator[Hit]:
    found = list(backup_schedules(project))
    judged_cadences = [(item, what, cadence(item.schedule if isinstance(item, BackupJob) else item.expression))
                       for item, what in found]
    if any(c is not None and c.daily for _, _, c in judged_cadences):
        return  # a daily backup exists: a weekly one beside it is the extra (a full dump, a second copy)
    for item, what, said in judged_cadences:
        expression = item.schedule if isinstance(item, BackupJob) else item.expression
        where = item.schedule_location if isinstance(item, BackupJob) else item.location
        if said is None:
            shown = expression if len(expression) <= 60 else expression[:57] + "..."
            project.undecided("TPR905", f"the schedule `{shown}` of {what[:1].lower()}{what[1:]}",
                              "tprlint cannot read this cron expression", where)
            continue
        yield Hit(where, f"{what} runs on the schedule `{expression}`, {said.description}, not every day: a "
                  "database lost just before the next run loses everything since the last one, which is up to "
                  "days of workflow state and history. Back up at least daily (`0 3 * * *`), and keep WAL "
                  "archiving (point-in-time recovery) if even a day is too much to lose.",
                  anchor=f"{where.path}/{expression}/not-daily")


# --- TPR906 / TPR907 ------------------------------------------------------------------------

def _mentions(commands: tuple[Command, ...], folder: str) -> bool:
    """A command names the folder itself (`/backup`, `/backup/*.gz`, `--dir=/backup`), not `/backups`."""
    if folder in ("", ".", "/"):
        return False
    pattern = re.compile(r"(?:^|[=:\s'\"])" + re.escape(folder.rstrip("/")) + r"(?:/|$|['\"\s])")
    return any(pattern.search(word) for c in commands for word in c.words)


def _elsewhere(project: Project, source: Source, folder: str, attribute: str) -> bool:
    """Another script or job of the scan copies or prunes the same folder."""
    others = [s for s in project.scripts if s is not source.facts] + \
        [j.steps for j in project.backup_jobs if j.steps is not None and j.steps is not source.facts]
    return any(_mentions(getattr(other, attribute), folder) for other in others)


def backup_not_offsite(project: Project) -> Iterator[Hit]:
    said: set[int] = set()
    for source, step in local_dumps(project):
        folder = _folder(step.output)
        if source.facts.offsite or _elsewhere(project, source, folder, "offsite") or id(source.facts) in said:
            continue
        said.add(id(source.facts))
        where = "on the volume the Job mounts" if source.job else "on the host that runs it"
        yield Hit(step.location, f"{_capital(source.what)} writes its dump to `{step.output}` and nothing in the "
                  "scan copies it anywhere else (no `aws s3 cp`, `gsutil`, `rclone`, `azcopy`, `rsync` to another "
                  f"host): the only copy stays {where}, and is lost with that disk, host or cluster, which may be "
                  "the very failure a restore is for. Copy each dump to object storage in another location "
                  "(and test restoring from there).", anchor=f"{source.facts.path}/{source.what}/not-offsite")


def backup_no_retention(project: Project) -> Iterator[Hit]:
    said: set[int] = set()
    for source, step in dated_dumps(project):
        folder = _folder(step.output)
        if source.facts.prunes or _elsewhere(project, source, folder, "prunes") or id(source.facts) in said:
            continue
        said.add(id(source.facts))
        yield Hit(step.location, f"{_capital(source.what)} writes a new dump each run (`{step.output}`) and "
                  f"nothing removes old ones from `{folder}`: the disk fills up, and from then on every backup "
                  "fails. Keep a set number of days, e.g. `find " + folder + " -name '*.gz' -mtime +14 -delete` "
                  "after a successful dump (or a lifecycle rule on the bucket the dumps are copied to).",
                  anchor=f"{source.facts.path}/{source.what}/no-retention")


RULES = {
    "TPR904": hidden_backup_failure,
    "TPR905": backup_less_than_daily,
    "TPR906": backup_not_offsite,
    "TPR907": backup_no_retention,
}
