"""The compose rules as a user meets them: TPR602 against the worker's drain (what it cannot decide, and
why, at the nesting limit of the values it follows), and the compose parts of TPR503, TPR509 and TPR510
on projects with base, override and production files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import findings, write
from tprlint.config import Config
from tprlint.engine import run
from tprlint.model import Finding
from tprlint.rules.compose import image_parts

DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
WORKER = """
    import asyncio, os, signal
    from datetime import timedelta
    from temporalio.worker import Worker
    {imports}
    DRAIN = timedelta(seconds={seconds})

    async def main(client):
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with Worker(client, task_queue="orders", activities=[], graceful_shutdown_timeout=DRAIN):
            await stop.wait()

    if __name__ == "__main__":
        asyncio.run(main(None))
"""


def worker(seconds: str, imports: str = "") -> str:
    return WORKER.format(seconds=seconds, imports=imports)


def tpr602(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
           ) -> tuple[list[tuple[str, int]], list[str], tuple[tuple[str, str, str], ...]]:
    """(path, line) and message of each TPR602 finding, and what TPR602 reported it could not decide."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR602",)), use_cache=False, jobs=1)
    found = [f for f in result.findings if f.rule_id == "TPR602"]
    return ([(f.location.path, f.location.line) for f in found], [f.message for f in found],
            tuple((u.rule_id, u.what, u.why) for u in result.not_checked))


def worker_service(environment: str = "", extra: str = "") -> str:
    return ("services:\n  orders-worker:\n    build: .\n    command: python -m app.worker\n"
            + (f"    environment: {environment}\n" if environment else "") + extra)


# -- TPR602: what the drain depends on ----------------------------------------------------------


@pytest.mark.parametrize(("depth", "named"), [(16, "DRAIN_SECONDS"), (17, "WORKER_DRAIN_SECONDS")])
def test_tpr602_follows_a_drain_variable_twenty_levels_deep_and_no_deeper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int, named: str) -> None:
    # timedelta(seconds=LIMIT + 0 + ... + 0), LIMIT imported from the settings module and read from
    # $WORKER_DRAIN_SECONDS, whose default is $DRAIN_SECONDS: with 16 additions $DRAIN_SECONDS is 20
    # levels down (followed), with 17 it is 21 (not followed); both are taken from the host.
    where, messages, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": worker_service("[WORKER_DRAIN_SECONDS, DRAIN_SECONDS]"),
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/settings.py": """
            import os
            LIMIT = int(os.environ.get("WORKER_DRAIN_SECONDS", os.environ.get("DRAIN_SECONDS", "60")))
        """,
        "app/worker.py": worker("LIMIT" + " + 0" * depth, "from app.settings import LIMIT"),
    })
    assert where == [] and messages == []
    assert not_checked == (("TPR602", "compose service orders-worker",
                            f"the drain comes from ${named}, whose value is not in the file"),)


def test_tpr602_names_the_first_unknown_variable_of_a_drain_computed_from_two(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": worker_service(extra="    env_file: worker.env\n"),
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": worker('int(os.environ.get("SHUTDOWN_GRACE_MINUTES", "1")) * 60'
                                ' + int(os.environ.get("ACTIVITY_SLACK_SECONDS", "30"))'),
    })
    assert not_checked == (("TPR602", "compose service orders-worker",
                            "the drain comes from $ACTIVITY_SLACK_SECONDS, whose value is not in the file"),)


def test_tpr602_undecided_when_the_drain_variable_is_the_right_operand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its default (2 min) would be reported against the 10 s default grace period: the host may set another.
    where, _, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": worker_service("[DRAIN_MINUTES]"),
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": worker('60 * int(os.environ.get("DRAIN_MINUTES", "2"))'),
    })
    assert where == []
    assert not_checked == (("TPR602", "compose service orders-worker",
                            "the drain comes from $DRAIN_MINUTES, whose value is not in the file"),)


def test_tpr602_undecided_when_an_imported_drain_reads_a_host_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where, _, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": worker_service("[DRAIN_SECONDS]", "    stop_grace_period: 90s\n"),
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/settings.py": 'import os\nDRAIN_SECONDS = int(os.getenv("DRAIN_SECONDS", "120"))\n',
        "app/worker.py": worker("DRAIN_SECONDS", "from app.settings import DRAIN_SECONDS"),
    })
    assert where == []
    assert not_checked == (("TPR602", "compose service orders-worker",
                            "the drain comes from $DRAIN_SECONDS, whose value is not in the file"),)


# -- TPR602: the grace period -------------------------------------------------------------------


@pytest.mark.parametrize(("grace", "reported"), [("30s", True), ("31s", False)])
def test_tpr602_a_grace_period_equal_to_drain_plus_margin_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace: str, reported: bool) -> None:
    where, messages, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": worker_service(extra=f"    stop_grace_period: {grace}\n"),
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": worker("25"),
    })
    assert not_checked == ()
    assert where == ([("docker-compose.yml", 5)] if reported else [])
    if reported:
        assert "stop_grace_period `30s` = 30 s, but the worker" in messages[0]
        assert "25 s + 5 s margin = 30 s" in messages[0] and "Set `stop_grace_period: 31s`" in messages[0]


def test_tpr602_an_unfollowed_extends_leaves_only_an_unset_grace_period_undecided(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where, messages, not_checked = tpr602(tmp_path, monkeypatch, {
        "docker-compose.yml": """\
            services:
              orders-worker:
                extends: {file: ../platform/worker-base.yml, service: python-worker}
                build: .
                command: python -m app.worker
              billing-worker:
                extends: {file: ../platform/worker-base.yml, service: python-worker}
                build: .
                command: python -m app.worker
                stop_grace_period: 5s
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": worker("60"),
    })
    assert where == [("docker-compose.yml", 10)]
    assert "`billing-worker` gives its container stop_grace_period `5s` = 5 s" in messages[0]
    assert [(rule, what) for rule, what, _ in not_checked] == [("TPR602", "compose service orders-worker")]
    assert not_checked[0][2].startswith("its stop_grace_period may come from ")


# -- TPR509 (compose part): database passwords of Temporal server services -----------------------

TEMPORAL = """\
    services:
      temporal:
        image: temporalio/auto-setup:1.29.1
        environment:
          DB: postgres12
          POSTGRES_SEEDS: {seeds}
          POSTGRES_USER: temporal
          POSTGRES_PWD: temporal-db-pw
"""


def tpr509(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> list[Finding]:
    return [f for f in findings(tmp_path, monkeypatch, files, "TPR509") if not f.is_suppressed]


def located(found: list[Finding]) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.line) for f in found)


def test_tpr509_the_only_service_of_a_compose_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tpr509(tmp_path, monkeypatch, {"docker-compose.yml": TEMPORAL.format(seeds="db.internal.example.com")})
    assert located(found) == [("docker-compose.yml", 8)]
    assert found[0].message.startswith("Compose service `temporal` (temporalio/auto-setup:1.29.1) sets "
                                       "`POSTGRES_PWD` to a literal value in docker-compose.yml")


def test_tpr509_each_folder_reports_its_own_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tpr509(tmp_path, monkeypatch, {
        "orders/docker-compose.yml": TEMPORAL.format(seeds="orders-db"),
        "payments/docker-compose.yml": TEMPORAL.format(seeds="payments-db"),
    })
    assert located(found) == [("orders/docker-compose.yml", 8), ("payments/docker-compose.yml", 8)]


def test_tpr509_a_password_the_production_file_reads_from_the_environment_is_not_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tpr509(tmp_path, monkeypatch, {
        "docker-compose.yml": TEMPORAL.format(seeds="postgresql") + "          ES_PWD: elastic-pw\n",
        "docker-compose.prod.yml": """\
            services:
              temporal:
                environment:
                  POSTGRES_PWD: ${POSTGRES_PWD:?set POSTGRES_PWD}
        """,
    })
    assert located(found) == [("docker-compose.yml", 9)]
    assert "`ES_PWD`" in found[0].message


def test_tpr509_a_password_literal_in_every_configuration_is_reported_once_where_first_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tpr509(tmp_path, monkeypatch, {
        "docker-compose.yml": TEMPORAL.format(seeds="postgresql"),
        "docker-compose.prod.yml": """\
            services:
              temporal:
                environment:
                  POSTGRES_PWD: prod-db-pw
        """,
    })
    assert located(found) == [("docker-compose.yml", 8)]


def test_tpr509_only_database_passwords_of_temporal_server_services(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tpr509(tmp_path, monkeypatch, {
        "docker-compose.yml": """\
            services:
              postgresql:
                image: postgres:16
                environment:
                  POSTGRES_PASSWORD: temporal-db-pw
              temporal:
                image: temporalio/auto-setup:1.29.1
                environment:
                  POSTGRES_PWD: ${POSTGRES_PWD:?}
              temporal-ui:
                image: temporalio/ui:2.34.0
                environment:
                  TEMPORAL_AUTH_ENABLED: "true"
                  TEMPORAL_AUTH_CLIENT_ID: temporal-ui
                  TEMPORAL_AUTH_CLIENT_SECRET: oidc-client-secret
              admin-tools:
                image: temporalio/admin-tools:1.29.1
                profiles: [debug]
                environment:
                  POSTGRES_PWD: temporal-db-pw
        """,
    })
    assert found == []


# -- TPR503 (compose part) and image references ----------------------------------------------------


def test_tpr503_a_local_temporalite_image_without_a_registry(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "docker-compose.yml": "services:\n  temporal:\n    image: temporalite:latest\n    ports: ['7233:7233']\n",
    }, "TPR503")
    assert [(f.location.path, f.location.line) for f in found] == [("docker-compose.yml", 3)]
    assert "runs a development Temporal server (temporalite)" in found[0].message


@pytest.mark.parametrize(("image", "parts"), [
    ("postgres:16", ("postgres", "16", None)),
    ("localhost/temporalio/server:1.29.1", ("temporalio/server", "1.29.1", None)),
    ("registry.example.com:5000/temporal-server:1.29", ("temporal-server", "1.29", None)),
])
def test_image_parts_drop_the_registry_host_only(image: str, parts: tuple[str, str | None, str | None]) -> None:
    assert image_parts(image) == parts


# -- TPR510 (compose part) -------------------------------------------------------------------------


def test_tpr510_an_image_from_a_registry_variable_without_a_tag(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    found = findings(tmp_path, monkeypatch, {
        "docker-compose.yml": """\
            services:
              temporal:
                image: ${REGISTRY}/temporalio/server
              temporal-admin-tools:
                image: ${REGISTRY}/temporalio/admin-tools:${TEMPORAL_VERSION}
        """,
    }, "TPR510")
    assert [(f.location.path, f.location.line) for f in found] == [("docker-compose.yml", 3)]
    assert "runs `${REGISTRY}/temporalio/server` with no tag (so `latest`)" in found[0].message


def test_tpr602_undecided_when_a_settings_field_may_come_from_the_env_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pydantic reads WORKER_DRAIN_SECONDS from the environment, which the env_file may set: its default
    # (120 s, reported against the 10 s compose default) is not what the container runs with.
    settings = """
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="WORKER_")
            drain_seconds: int = 120

        settings = Settings()
    """
    files = {
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/settings.py": settings,
        "app/worker.py": worker("settings.drain_seconds", "from app.settings import settings"),
    }
    where, _, not_checked = tpr602(tmp_path, monkeypatch, {
        **files, "docker-compose.yml": worker_service(extra="    env_file: worker.env\n")})
    assert where == []
    assert not_checked == (("TPR602", "compose service orders-worker",
                            "the drain comes from $WORKER_drain_seconds, whose value is not in the file"),)
    # Set in the service's own environment, the value is known and judged.
    where, messages, _ = tpr602(tmp_path, monkeypatch, {
        **files, "docker-compose.yml": worker_service("[WORKER_DRAIN_SECONDS=300]",
                                                      "    env_file: worker.env\n")})
    assert where == [("docker-compose.yml", 2)] and "300 s" in messages[0]
