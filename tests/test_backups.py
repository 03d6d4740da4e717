"""TPR904-TPR907 read backups as the shell runs them (tprlint.facts.scripts, tprlint.facts.backups): each
case is a script, crontab, Makefile, CI step or CronJob a real project could hold."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from tests.project_helpers import findings
from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.backups import cadence, extract_backup_jobs
from tprlint.facts.scripts import MAX_COMMANDS, extract_commands
from tprlint.facts.shell import MAX_TOKENS, scrub_words, tokens_of
from tprlint.facts.yaml_docs import load_yaml_documents
from tprlint.report import FORMATS

DUMP = "pg_dump -h temporal-db -U temporal temporal"


def hidden(text: str, path: str = "ops/backup.sh") -> list[bool]:
    """Whether the failure of each backup step of ``text`` goes unseen."""
    return [bool(step.hidden) for step in extract_commands(textwrap.dedent(text), path).backups]


@pytest.mark.parametrize(("script", "unseen"), [
    (f"#!/bin/sh\n{DUMP} > /b/t.sql\n", [False]),  # the last command: its status is the script's
    (f"#!/bin/sh\n{DUMP} > /b/t.sql\necho 'Backup completed'\n", [True]),
    (f"#!/bin/sh\nset -e\n{DUMP} > /b/t.sql\necho 'Backup completed'\n", [False]),
    (f"#!/bin/bash\nset -e\n{DUMP} | gzip > /b/t.gz\necho done\n", [True]),  # errexit sees gzip's status only
    (f"#!/bin/bash\nset -euo pipefail\n{DUMP} | gzip > /b/t.gz\necho done\n", [False]),
    (f"#!/bin/bash\nset -o errexit\nset -o pipefail\n{DUMP} | gzip > /b/t.gz\necho done\n", [False]),
    (f"#!/bin/bash -e\n{DUMP} > /b/t.sql\necho done\n", [False]),
    (f"#!/bin/bash\nset -e\nset +e\n{DUMP} > /b/t.sql\necho done\n", [True]),
    (f"#!/bin/sh\n{DUMP} > /b/t.sql || exit 1\necho done\n", [False]),
    (f"#!/bin/sh\n{DUMP} > /b/t.sql || {{ echo failed >&2; exit 1; }}\necho done\n", [False]),
    (f"#!/bin/sh\n{DUMP} > /b/t.sql || true\necho done\n", [True]),
    (f"#!/bin/sh\nif ! {DUMP} > /b/t.sql; then\n  exit 1\nfi\necho done\n", [False]),
    (f"#!/bin/bash\nif ! {DUMP} | gzip > /b/t.gz; then\n  exit 1\nfi\necho done\n", [True]),  # tests gzip
    (f"#!/bin/bash\nset -o pipefail\nif ! {DUMP} | gzip > /b/t.gz; then\n  exit 1\nfi\necho done\n", [False]),
    (f"#!/bin/sh\n{DUMP} > /b/t.sql\nif [ $? -ne 0 ]; then exit 1; fi\necho done\n", [False]),
    (f"#!/bin/bash\n{DUMP} | gzip > /b/t.gz\nif [ $? -ne 0 ]; then exit 1; fi\necho done\n", [True]),
    (f"#!/bin/bash\n{DUMP} | gzip > /b/t.gz\n[ \"${{PIPESTATUS[0]}}\" -eq 0 ] || exit 1\necho done\n", [False]),
    (f"#!/bin/bash\ntrap 'echo failed; exit 1' ERR\n{DUMP} > /b/t.sql\necho done\n", [False]),
    ("#!/bin/sh\ndocker exec temporal-db pg_dump -U temporal temporal > /b/t.sql\necho ok\n", [True]),
    ("#!/bin/sh\nkubectl exec -n db postgres-0 -- pg_dump -U temporal temporal > /b/t.sql\necho ok\n", [True]),
    (f"#!/bin/sh\nbackup() {{\n  {DUMP} > /b/t.sql\n  echo done\n}}\nbackup || exit 1\n", [False]),  # caller decides
    ("#!/bin/sh\nPG_DUMP=/usr/bin/pg_dump\n${PG_DUMP} -h db temporal | gzip > /b/t.gz\necho done\n", [True]),
    ("#!/bin/sh\ncat <<EOF\npg_dump -h db temporal\nEOF\necho done\n", []),  # a heredoc's text is not run
    ("#!/bin/sh\npg_dump --version\necho done\n", []),
    ("#!/bin/sh\npg_dump -s -d temporal > schema.sql\necho done\n", []),  # the schema, for migrations
    ("#!/bin/sh\npg_dump -d temporal > t.sql\necho done\n", [True]),
    ("#!/bin/sh\nrestic -r s3:s3.amazonaws.com/b backup /var/lib/data\necho done\n", [True]),
    ("#!/bin/sh\nrestic -r s3:s3.amazonaws.com/b forget --keep-daily 7\necho done\n", []),  # not a backup
])
def test_when_a_failed_dump_goes_unseen(script: str, unseen: list[bool]) -> None:
    assert hidden(script) == unseen


def test_the_line_that_reports_success_is_named() -> None:
    script = f"#!/bin/bash\nDATE=$(date +%F)\n{DUMP} | gzip > /var/backups/t_$DATE.gz\necho \"Backup completed\"\n"
    step = extract_commands(script, "ops/backup.sh").backups[0]
    assert step.success_claim is not None and step.success_claim.line == 4
    assert step.output == "/var/backups/t_$(date +%F).gz" and step.dated
    failed = f"#!/bin/sh\n{DUMP} > /b/t.sql\necho 'backup failed' >&2\n"
    assert extract_commands(failed, "ops/backup.sh").backups[0].success_claim is None


@pytest.mark.parametrize(("path", "text", "unseen"), [
    ("Makefile", f"backup:\n\t{DUMP} | gzip > /b/t.gz\n", [True]),
    ("Makefile", f"backup:\n\t{DUMP} > /b/t.sql\n\techo done\n", [False]),  # make stops at a failing line
    ("Makefile", f"backup:\n\t{DUMP} > /b/t.sql; echo done\n", [True]),
    ("Makefile", f"backup:\n\t-{DUMP} > /b/t.sql\n", [True]),  # `-`: make ignores the failure
    ("Makefile", f"SHELL := /bin/bash\n.SHELLFLAGS := -eu -o pipefail -c\nbackup:\n\t{DUMP} | gzip > /b/t.gz\n",
     [False]),
    (".github/workflows/backup.yml", f"jobs:\n  b:\n    steps:\n      - run: {DUMP} | gzip > t.gz\n", [True]),
    (".github/workflows/backup.yml",
     f"jobs:\n  b:\n    steps:\n      - shell: bash\n        run: {DUMP} | gzip > t.gz\n", [False]),
    (".github/workflows/backup.yml", f"jobs:\n  b:\n    steps:\n      - run: |\n          {DUMP} > t.sql\n"
     "          echo done\n", [False]),  # GitHub runs `bash -e`
    (".gitlab-ci.yml", f"backup:\n  script:\n    - {DUMP} | gzip > t.gz\n    - echo done\n", [False]),
    ("ops/crontab", f"MAILTO=ops@example.com\n0 2 * * * {DUMP} | gzip > /b/t.gz\n", [True]),
    ("ops/crontab", f"0 2 * * * {DUMP} > /b/t.sql\n", [False]),
])
def test_each_runner_has_its_own_shell(path: str, text: str, unseen: list[bool]) -> None:
    assert hidden(text, path) == unseen


def test_crontab_entries_and_ci_schedules() -> None:
    crontab = "# m h dom mon dow command\nSHELL=/bin/bash\n@weekly /opt/ops/backup.sh\n0 3 * * 1-5 run.sh %input\n"
    schedules = extract_commands(crontab, "ops/crontab").schedules
    assert [(s.expression, s.command, s.location.line) for s in schedules] == [
        ("@weekly", "/opt/ops/backup.sh", 3), ("0 3 * * 1-5", "run.sh ", 4)]
    workflow = f"on:\n  schedule:\n    - cron: '0 3 * * 0'\njobs:\n  b:\n    steps:\n      - run: {DUMP} > t.sql\n"
    assert [s.expression for s in extract_commands(workflow, ".github/workflows/b.yml").schedules] == ["0 3 * * 0"]


@pytest.mark.parametrize(("expression", "daily"), [
    ("0 2 * * *", True), ("@daily", True), ("@midnight", True), ("*/15 * * * *", True), ("0 0 * * 0-6", True),
    ("0 0 * * 1-7", True), ("0 0 0 * * *", True), ("CRON_TZ=Europe/Paris 0 3 * * *", True), ("@every 12h", True),
    ("@weekly", False), ("0 3 * * 0", False), ("0 3 * * MON-FRI", False), ("0 3 1 * *", False),
    ("0 3 */2 * *", False), ("0 0 1,15 * 1", False), ("0 0 * 1-6 *", False), ("@monthly", False),
    ("@every 48h", False), ("@reboot", False),
])
def test_cron_cadence(expression: str, daily: bool) -> None:
    said = cadence(expression)
    assert said is not None and said.daily is daily, said


@pytest.mark.parametrize("expression", ["bad", "0 0 32 * *", "0 25 * * *", "* * * *", "0 0 * * 8", "0 0 5-1 * *"])
def test_an_unreadable_cron_expression_is_not_guessed(expression: str) -> None:
    assert cadence(expression) is None


def test_backup_cronjobs_are_read_as_scripts() -> None:
    text = textwrap.dedent("""\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: temporal-db-backup}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: dump
                      image: postgres:16
                      command: ["/bin/bash", "-euo", "pipefail", "-c"]
                      args: ["pg_dump -h db temporal | gzip > /backup/t.gz"]
                    - name: other
                      image: postgres:16
                      command: ["sh", "-c", "pg_dump -h db temporal | gzip > /backup/v.gz; echo ok"]
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: report}
        spec: {schedule: "0 * * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: r, image: busybox,
          command: [echo, hi]}]}}}}}
        """)
    jobs = extract_backup_jobs(load_yaml_documents(text, "deploy/backup.yaml"), "deploy/backup.yaml")
    assert [(j.name, j.schedule) for j in jobs] == [("temporal-db-backup", "0 3 * * *")]
    steps = jobs[0].steps
    assert steps is not None
    assert [(bool(s.hidden), s.location.line) for s in steps.backups] == [(False, 14), (True, 17)]


def test_a_hostile_script_is_bounded() -> None:
    text = "#!/bin/sh\n" + f"{DUMP} | gzip > /b/$(date +%F).gz; echo ok\n" * 20_000
    started = time.perf_counter()
    facts = extract_commands(text, "ops/backup.sh")
    assert len(facts.backups) <= MAX_COMMANDS
    assert time.perf_counter() - started < 20


def _lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[tuple[str, int]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return sorted((f.location.path.rsplit("/", 1)[-1], f.location.line)
                  for f in findings(tmp_path, monkeypatch, files, rule))


WEEKLY_SCRIPT = "#!/bin/bash\nset -euo pipefail\npg_dump -Fc temporal -f /b/t.dump\naws s3 cp /b/t.dump s3://b/\n"


def test_a_crontab_entry_is_linked_to_the_script_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"ops/crontab": "0 3 * * 0 /opt/ops/backup.sh\n", "ops/backup.sh": WEEKLY_SCRIPT}
    assert _lint(tmp_path, monkeypatch, files, "TPR905") == [("crontab", 1)]
    files["ops/crontab"] = "0 3 * * 0 /opt/ops/rotate-logs.sh\n"  # not a backup
    assert _lint(tmp_path / "b", monkeypatch, files, "TPR905") == []


def test_an_unreadable_schedule_is_undecided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "crontab").write_text("0 3 * * 9 /opt/ops/backup.sh\n")
    (tmp_path / "ops" / "backup.sh").write_text(WEEKLY_SCRIPT)
    monkeypatch.chdir(tmp_path)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR905",), root=tmp_path),
                 use_cache=False, jobs=1)
    assert result.findings == []
    assert [u.rule_id for u in result.not_checked] == ["TPR905"]


def test_a_copy_or_a_prune_in_another_script_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = "#!/bin/bash\nset -euo pipefail\npg_dump -Fc temporal -f /var/backups/temporal/t_$(date +%F).dump\n"
    files = {"ops/backup.sh": dump}
    assert _lint(tmp_path, monkeypatch, files, "TPR906") == [("backup.sh", 3)]
    assert _lint(tmp_path / "b", monkeypatch, files, "TPR907") == [("backup.sh", 3)]
    files["ops/upload.sh"] = "#!/bin/sh\nDIR=/var/backups/temporal\ngsutil -m rsync -r $DIR gs://acme-backups/temporal\n"
    files["ops/prune.sh"] = "#!/bin/sh\nfind /var/backups/temporal -mtime +7 -delete\n"
    assert _lint(tmp_path / "c", monkeypatch, files, "TPR906") == []
    assert _lint(tmp_path / "d", monkeypatch, files, "TPR907") == []


def test_dumps_streamed_to_a_bucket_or_kept_in_tmp_are_not_local(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"ops/stream.sh": "#!/bin/bash\nset -euo pipefail\npg_dump temporal | gzip | aws s3 cp - s3://b/t.gz\n",
             "ops/tmp.sh": "#!/bin/bash\nset -euo pipefail\npg_dump temporal > /tmp/t_$(date +%F).sql\n"
                           "rclone copy /tmp offsite:b\n"}
    assert _lint(tmp_path, monkeypatch, files, "TPR906") == []
    assert _lint(tmp_path / "b", monkeypatch, files, "TPR907") == []


def test_a_ci_runner_keeps_nothing_so_its_dumps_are_not_local(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    workflow = ("on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  backup:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: pg_dump -Fc temporal -f temporal-$(date +%F).dump\n"
                "      - uses: actions/upload-artifact@v4\n        with: {path: '*.dump'}\n")
    files = {".github/workflows/backup.yml": workflow}
    assert _lint(tmp_path, monkeypatch, files, "TPR906") == []
    assert _lint(tmp_path / "b", monkeypatch, files, "TPR905") == []
    files[".github/workflows/backup.yml"] = workflow.replace("0 3 * * *", "0 3 * * 0")
    assert _lint(tmp_path / "c", monkeypatch, files, "TPR905") == [("backup.yml", 3)]


def test_development_and_test_scripts_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = f"#!/bin/sh\n{DUMP} | gzip > /b/t.gz\necho done\n"
    files = {"tests/fixtures/backup.sh": script, "examples/local/backup.sh": script}
    assert _lint(tmp_path, monkeypatch, files, "TPR904") == []


def test_the_chapter_backup_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapter's script pipes pg_dump into gzip, has no `set -e`, and echoes success: reported; its
    nightly cron entry and its seven-day pruning are right: not reported."""
    ops = REPO / "fixtures" / "chapter" / "ops"
    monkeypatch.chdir(ops)
    result = run([ops], Config(root=ops).with_overrides(
        select=("TPR904", "TPR905", "TPR906", "TPR907"), root=ops), use_cache=False, jobs=1)
    got = sorted((f.rule_id, Path(f.location.path).name, f.location.line) for f in result.findings)
    assert got == [("TPR904", "backup.sh", 6), ("TPR904", "backup.sh", 7), ("TPR906", "backup.sh", 6)]
    assert any("Line 12 then reports success" in f.message for f in result.findings)
    assert result.applied["TPR905"] and result.applied["TPR907"]


def test_a_prune_of_a_neighbouring_folder_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"ops/backup.sh": "#!/bin/bash\nset -euo pipefail\npg_dump temporal > /backup/t_$(date +%F).sql\n"
                              "rclone copy /backup offsite:b\n",
             "ops/prune.sh": "#!/bin/sh\nfind /var/backups/app -mtime +7 -delete\n"}
    assert _lint(tmp_path, monkeypatch, files, "TPR907") == [("backup.sh", 3)]


# --- hostile input and credentials (review of issue 14) -----------------------------------------

@pytest.mark.parametrize("expression", [
    "0 2 * * ²", "0 2 * * ٣", "0 2 */" + "9" * 5000 + " * *", "@every " + "9" * 5000 + "h", "0 2 1/" + "9" * 5 + " * *",
    "0 " * 200 + "* * *",
])
def test_hostile_digits_make_a_schedule_unreadable_not_an_error(expression: str) -> None:
    assert cadence(expression) is None


def test_a_hostile_schedule_is_undecided_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "crontab").write_text("0 2 * * ² pg_dump -Fc app > /backups/a.dump\n"
                                              f"0 2 */{'9' * 5000} * * pg_dump -Fc app > /backups/b.dump\n",
                                              encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "backup.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {{name: temporal-db-backup}}
        spec:
          schedule: "@every {'9' * 5000}h"
          jobTemplate: {{spec: {{template: {{spec: {{containers: [{{name: dump, image: "postgres:16",
            command: ["sh", "-c", "pg_dump -h db temporal > /backup/t.sql"]}}]}}}}}}}}
        """), encoding="utf-8")
    result = run_cli(".", "-f", "json", "--select", "TPR905", cwd=tmp_path)
    assert "TPR000" not in result.stdout and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert "Exceeds the limit" not in result.stdout + result.stderr
    undecided = json.loads(result.stdout)["summary"]["not_checked"]
    assert [(u["rule"], u["why"]) for u in undecided] == [("TPR905", "tprlint cannot read this cron expression")] * 3


SECRETS = ("Hunter2Secret", "PgS3cretPass", "CronPassw0rd", "Sup3rS3cretPw", "AKIAIOSFODNN7EXAMPLE", "Tok3nValue99")


def _leaked(tmp_path: Path, files: dict[str, str], expected: str) -> list[str]:
    """The secrets of ``files`` that any output format or the facts cache holds (``expected`` must be shown)."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    shown = []
    for fmt in FORMATS:
        result = run_cli(".", "-f", fmt, cwd=tmp_path)
        assert "Traceback" not in result.stderr
        shown.append(result.stdout + result.stderr)
    assert expected in shown[0], shown[0]
    cache = Path(os.environ["TPRLINT_CACHE_DIR"])
    stored = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in cache.rglob("*") if p.is_file())
    assert stored  # the cache was written
    return [s for s in SECRETS if s in "\n".join(shown) + stored]


def test_a_dump_command_never_shows_nor_stores_its_password(tmp_path: Path) -> None:
    script = ("#!/bin/bash\nmysqldump -u root -pHunter2Secret temporal | gzip > /backups/t-$(date +%F).sql.gz\n"
              'pg_dump "postgresql://temporal:PgS3cretPass@db:5432/temporal" | gzip > /backups/p-$(date +%F).sql.gz\n')
    crontab = "0 3 * * 0 PGPASSWORD=CronPassw0rd pg_dump -h db -U temporal temporal > /backups/w.sql\n"
    files = {"ops/backup.sh": script, "ops/crontab": crontab}
    assert _leaked(tmp_path, files, "TPR904") == []
    result = run_cli(".", "--select", "TPR904,TPR905", cwd=tmp_path)
    assert "-p****" in result.stdout and "temporal:****@db" in result.stdout and "PGPASSWORD=****" in result.stdout


def test_stored_words_are_scrubbed_when_facts_are_built() -> None:
    facts = extract_commands("#!/bin/sh\nmysqldump -uroot -pHunter2Secret app > /b/a.sql\n"
                             "mysqldump --password=Tok3nValue99 app > /b/b.sql\n"
                             "docker exec db sh -c 'mysqldump -pHunter2Secret app' > /b/c.sql\n"
                             "mysqldump -p app > /b/d.sql\npg_dump -p5432 -h db app > /b/e.sql\n", "ops/backup.sh")
    words = [step.words for step in facts.backups]
    assert words[0][:4] == ("mysqldump", "-uroot", "-p****", "app")
    assert words[1][:3] == ("mysqldump", "--password=****", "app")
    assert "mysqldump -p**** app" in words[2]
    assert words[3][:3] == ("mysqldump", "-p", "app")  # `-p` alone prompts: the next word is the database
    assert words[4][:2] == ("pg_dump", "-p5432")  # pg tools' `-p` is the port
    crontab = extract_commands("0 2 * * * mysqldump -pHunter2Secret app > /b/a.sql\n", "ops/crontab")
    assert crontab.schedules[0].command == "mysqldump -p**** app > /b/a.sql"


def test_a_one_megabyte_hostile_line_is_read_quickly_and_bounded() -> None:
    lines = ["pg_dump db > x.sql; echo " + "$( " * 350_000, "kill 1;" * 150_000, "x" * 1_000_000,
             "pg_dump db > x.sql; echo " + "$( " * 3_000]  # the last one is short enough to be read
    for line in lines:
        started = time.perf_counter()
        tokens = tokens_of(line)
        assert time.perf_counter() - started < 2
        assert tokens is None or len(tokens) <= MAX_TOKENS
    started = time.perf_counter()
    facts = extract_commands("#!/bin/sh\n" + "\n".join(lines[:3]) + "\n" + ("kill 1; " * 1300 + "\n") * 20,
                             "ops/stop.sh")
    assert time.perf_counter() - started < 2
    assert len(facts.commands) <= MAX_COMMANDS
    assert tokens_of("a $(date +%F) b 2>&1 c &>f $(x $(y) z)k; d") == \
        ["a", "$(date +%F)", "b", "2>&1", "c", "&>f", "$(x $(y) z)k", ";", "d"]


def test_masking_stored_words_is_bounded_per_file() -> None:
    """`tprlint.secrets`' patterns are slow on long runs of word characters: such a chunk is masked whole, and
    past a budget per file only the program's name is kept."""
    started = time.perf_counter()
    assert scrub_words(["kill", "a" * 5000, "password=" + "b" * 5000]) == ("kill", "…", "…")
    text = "#!/bin/sh\n" + ("kill " + ("a" * 64 + " ") * 240 + "\n") * 100
    facts = extract_commands(text, "ops/stop.sh")
    assert len(facts.commands) == 100 and facts.commands[-1].words == ("kill", "…")
    assert time.perf_counter() - started < 5
