"""docker-compose: the compose model (forms, interpolation, durations, merging), linking services to
worker code, and TPR602-TPR604 plus the compose parts of the server rules, on projects written the
way real ones are: override and production files, build contexts, env files, factories."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.config import Config
from tprlint.discover.classify import FileKind, classify
from tprlint.engine import run
from tprlint.facts.compose import (
    ComposeFile,
    extract_compose,
    interpolate,
    is_dev_compose,
    parse_compose_duration,
)
from tprlint.facts.compose_projects import compose_configs
from tprlint.facts.extract import extract_file
from tprlint.facts.yaml_docs import load_yaml_documents
from tprlint.model import Finding
from tprlint.pipeline import build_project
from tprlint.rules import compose as compose_rules

# -- helpers -------------------------------------------------------------------------------------


def compose(text: str, path: str = "docker-compose.yml") -> ComposeFile:
    return extract_compose(load_yaml_documents(textwrap.dedent(text), path), path)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str) -> list[Finding]:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=(rule,)), use_cache=False, jobs=1)
    return [f for f in result.findings if f.rule_id == rule]


def where(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.location.path, f.location.line) for f in findings if not f.is_suppressed]


def project_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    from tprlint.discover import discover
    from tprlint.facts.python.names import module_key_for

    sources = discover([tmp_path])
    facts = [extract_file(s.display, s.kind, s.data) for s in sources]
    keys = [module_key_for(s.display) for s in sources if s.kind in (FileKind.PYTHON, FileKind.PYTHON_OTHER)]
    return build_project(facts, Config(root=tmp_path), keys)


WORKER = """
    import asyncio, os, signal
    from datetime import timedelta
    from temporalio.worker import Worker

    DRAIN = timedelta(seconds=int(os.environ.get("DRAIN_SECONDS", "120")))

    async def main(client):
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=DRAIN):
            await stop.wait()

    if __name__ == "__main__":
        asyncio.run(main(None))
"""
NO_HANDLER_WORKER = """
    import asyncio
    from datetime import timedelta
    from temporalio.worker import Worker

    async def main(client):
        worker = Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=timedelta(seconds=30))
        await worker.run()

    if __name__ == "__main__":
        asyncio.run(main(None))
"""
DOCKERFILE = """
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
"""

# -- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml", "docker-compose.override.yml",
    "deploy/docker-compose.prod.yml", "compose.staging.yaml", "docker-compose-ci.yml",
])
def test_compose_files_are_recognised_by_name_and_content(name: str) -> None:
    assert classify(name, b"version: '3.8'\nservices:\n  web:\n    image: nginx\n") is FileKind.COMPOSE


@pytest.mark.parametrize(("name", "data"), [
    ("docker-compose.yml", b"# just a comment\nx-common: &c {}\n"),  # no services: not a compose project
    ("stack.yml", b"services:\n  web: {image: nginx}\n"),  # another name: not read as compose
    ("compose.json", b"services:\n"),
])
def test_other_files_are_not_compose(name: str, data: bytes) -> None:
    assert classify(name, data) is not FileKind.COMPOSE


# -- the model -----------------------------------------------------------------------------------


def test_service_fields_and_locations() -> None:
    found = compose("""
        services:
          worker:
            image: ghcr.io/acme/worker:${TAG:-1.2.0}
            build:
              context: ./worker
              dockerfile: Dockerfile.prod
            entrypoint: /usr/bin/tini --
            command: ["python", "-m", "app.worker", "--queue", "$${QUEUE}"]
            environment:
              DRAIN_SECONDS: 300
              DEBUG: false
              FROM_HOST:
            env_file:
              - common.env
              - path: worker.env
                required: false
            stop_grace_period: 1m30s
            stop_signal: SIGTERM
            init: true
            healthcheck:
              test: curl -f http://localhost:8080/healthz
              interval: 10s
            ports: ["127.0.0.1:8080:80/tcp", 9000, {target: 9090, published: 19090}]
            labels: ["tprlint.io/ignore=TPR602", "team=payments"]
    """)
    service = found.services[0]
    assert service.name == "worker" and (service.location.line, service.location.column) == (3, 3)
    assert service.image == "ghcr.io/acme/worker:1.2.0" and not service.image_unresolved
    assert service.image_location is not None and service.image_location.line == 4
    assert service.build is not None and (service.build.context, service.build.dockerfile) == ("./worker",
                                                                                               "Dockerfile.prod")
    assert service.entrypoint == ("/usr/bin/tini", "--")
    assert service.command == ("python", "-m", "app.worker", "--queue", "${QUEUE}")
    assert service.command_location is not None and service.command_location.line == 9
    env = {e.name: e for e in service.environment}
    assert env["DRAIN_SECONDS"].value == "300" and env["DRAIN_SECONDS"].location.line == 11
    assert env["DEBUG"].value == "false"
    assert env["FROM_HOST"].value is None  # passed through from the host: unknown
    assert service.env_files == ("common.env", "worker.env")
    assert service.stop_grace_seconds == 90.0 and service.stop_grace_location is not None
    assert service.stop_grace_location.line == 18
    assert service.init is True and service.stop_signal == "SIGTERM"
    assert service.healthcheck is not None
    assert service.healthcheck.test == ("/bin/sh", "-c", "curl -f http://localhost:8080/healthz")
    assert service.ports == ("80", "9000", "9090")
    assert service.labels == {"tprlint.io/ignore": "TPR602", "team": "payments"}


def test_environment_list_form_and_command_string_split() -> None:
    service = compose("""
        services:
          worker:
            command: sh -c 'exec python -m app.worker'
            environment:
              - DRAIN_SECONDS=45
              - EMPTY=
              - PASSTHROUGH
              - FROM_SHELL=${DRAIN_FROM_SHELL}
              - WITH_DEFAULT=${DRAIN:-600}
    """).services[0]
    assert service.command == ("sh", "-c", "exec python -m app.worker")
    env = {e.name: e for e in service.environment}
    assert env["DRAIN_SECONDS"].value == "45" and env["EMPTY"].value == ""
    assert env["PASSTHROUGH"].value is None and env["FROM_SHELL"].value is None
    assert env["WITH_DEFAULT"].value == "600" and env["WITH_DEFAULT"].note == "default of ${DRAIN}"


def test_secret_values_never_reach_the_facts() -> None:
    found = compose("""
        services:
          temporal:
            image: temporalio/auto-setup:1.29.1
            environment:
              - POSTGRES_PWD=s3cr3t-Hunter2
              - DB_PASSWORD=${DB_PASSWORD}
              - ES_PWD=${ES_PWD:-fallbackHunter3}
              - API_TOKEN=
    """)
    env = {e.name: e for e in found.services[0].environment}
    assert env["POSTGRES_PWD"].value is None and env["POSTGRES_PWD"].secret_literal
    assert env["DB_PASSWORD"].value is None and not env["DB_PASSWORD"].secret_literal  # a reference
    assert env["ES_PWD"].secret_literal  # a literal default is a password in the file
    assert not env["API_TOKEN"].secret_literal
    blob = pickle.dumps(found)
    assert b"Hunter2" not in blob and b"Hunter3" not in blob


@pytest.mark.parametrize(("text", "seconds"), [
    ("10s", 10.0), ("1m30s", 90.0), ("300ms", 0.3), ("1h", 3600.0), ("1.5m", 90.0), ("2m10s", 130.0), ("0", 0.0),
    ("1h2m3s4ms", 3723.004), ("90", None), ("ten seconds", None), ("", None), ("5 s", None), ("-5s", None),
])
def test_compose_durations(text: str, seconds: float | None) -> None:
    result = parse_compose_duration(text)
    assert result == pytest.approx(seconds) if seconds is not None else result is None


@pytest.mark.parametrize(("text", "value", "note"), [
    ("plain", "plain", ""),
    ("${A:-2m}", "2m", "default of ${A}"),
    ("${A-2m}", "2m", "default of ${A}"),
    ("${A:-${B:-30s}}", "30s", "default of ${A}; default of ${B}"),
    ("$${NOT_A_VAR}", "${NOT_A_VAR}", ""),
    ("${A}", None, ""),
    ("$A", None, ""),
    ("${A:?must be set}", None, ""),
    ("${A:+x}", None, ""),
    ("${unterminated", None, ""),
    ("cost $5", "cost $5", ""),
])
def test_interpolation(text: str, value: str | None, note: str) -> None:
    assert interpolate(text) == (value, note)


@pytest.mark.parametrize(("text", "services"), [
    ("services: []\n", []), ("services:\n  a:\n", ["a"]), ("services:\n  a: 3\n", []),
    ("services:\n  a:\n    command: {x: 1}\n", ["a"]),
    ("services:\n  a:\n    environment: 5\n    env_file: {path: 3}\n    ports: 80\n    healthcheck: [1]\n", ["a"]),
    ("services:\n  a:\n    build: {context: null, dockerfile_inline: 'FROM x'}\n    extends: {file: 3}\n", ["a"]),
    ("services:\n  a:\n    labels: {x: [1]}\n    stop_grace_period: [1]\n    init: 'yes'\n", ["a"]),
    ("- just\n- a list\n", []), ("services:\n  ? [complex, key]\n  : {image: x}\n", []),
])
def test_unusual_shapes_keep_what_is_a_service(text: str, services: list[str]) -> None:
    found = compose(text)
    assert [s.name for s in found.services] == services
    (config,) = compose_configs([found])
    assert [s.name for s in config.services] == services


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from([
        "services", "image", "build", "command", "entrypoint", "environment", "env_file", "stop_grace_period",
        "init", "healthcheck", "test", "ports", "labels", "extends", "service", "file", "context", "worker", "x",
    ]), children, max_size=5),
    max_leaves=30,
))
def test_any_yaml_shape_is_survived(data: object) -> None:
    import yaml

    text = yaml.safe_dump({"services": {"worker": data, "other": data}})
    found = compose(text)
    configs = compose_configs([found, compose(text, "docker-compose.override.yml")])
    # A service is whatever mapping stands under its name; the override merges into the same project.
    expected = ["other", "worker"] if isinstance(data, dict) or data is None else []
    assert sorted(s.name for s in found.services) == expected
    assert len(configs) == 1 and sorted(s.name for s in configs[0].services) == expected


@pytest.mark.parametrize("data", [
    b"services:\n\tworker:\n\t\timage: x\n",  # tabs
    b"services:\n  worker: {image: a}\n  worker: {image: b}\n",  # duplicate keys: the last wins
    b"services:\n  a: &a [*a]\n",
    b"services:\n" + b"".join(b"  s%d: &s%d [" % (i, i) + (b"*s%d," % (i - 1)) * 9 + b"x]\n" for i in range(1, 20)),
    b"services:\x00\x01\x02 binary",
    b"services:\n  worker:\n    image: 'unterminated\n",
    "services:\n  wörker:\n    command: pythön -m äpp\n".encode("latin-1"),
])
def test_bad_compose_files_never_crash(data: bytes) -> None:
    facts = extract_file("docker-compose.yml", FileKind.COMPOSE, data)
    assert facts.error is not None or facts.compose is not None
    if facts.compose is not None:
        compose_configs([facts.compose])


def test_duplicate_service_keys_keep_the_last(tmp_path: Path) -> None:
    facts = extract_file("docker-compose.yml", FileKind.COMPOSE,
                         b"services:\n  worker: {image: a}\n  worker: {image: b}\n")
    assert facts.compose is not None and [s.image for s in facts.compose.services] == ["b"]


def test_dev_files_are_recognised() -> None:
    assert is_dev_compose("docker-compose.dev.yml") and is_dev_compose("compose.test.yaml")
    assert is_dev_compose(".devcontainer/docker-compose.yml") and is_dev_compose("tests/e2e/compose.yaml")
    assert not is_dev_compose("docker-compose.yml") and not is_dev_compose("docker-compose.prod.yml")
    assert not is_dev_compose("fixtures/demo-shop/docker-compose.yml")  # folder names are not file names
    assert not is_dev_compose("services/devices/docker-compose.yml")


# -- merging -------------------------------------------------------------------------------------


def test_base_override_and_variants_merge_like_compose() -> None:
    base = compose("""
        services:
          worker:
            build: .
            command: python -m app.worker
            environment: {DRAIN_SECONDS: "60", TEMPORAL_ADDRESS: "temporal:7233"}
            ports: ["8080"]
    """)
    override = compose("""
        services:
          worker:
            environment:
              - DRAIN_SECONDS=5
            ports: ["9000"]
          debug-ui:
            image: temporalio/ui
    """, "docker-compose.override.yml")
    prod = compose("""
        services:
          worker:
            image: ghcr.io/acme/worker:1.0
            stop_grace_period: 2m
    """, "docker-compose.prod.yml")
    configs = compose_configs([prod, override, base])
    assert [c.files for c in configs] == [
        ("docker-compose.yml", "docker-compose.override.yml"), ("docker-compose.yml", "docker-compose.prod.yml"),
    ]
    default, production = ({s.name: s for s in c.services} for c in configs)
    assert set(default) == {"worker", "debug-ui"} and set(production) == {"worker"}
    worker = default["worker"]
    assert {e.name: e.value for e in worker.environment} == {"DRAIN_SECONDS": "5", "TEMPORAL_ADDRESS": "temporal:7233"}
    assert worker.ports == ("8080", "9000") and worker.command == ("python", "-m", "app.worker")
    assert worker.files == ("docker-compose.yml", "docker-compose.override.yml")
    assert production["worker"].stop_grace_seconds == 120.0 and production["worker"].build is not None
    assert production["worker"].stop_grace_location is not None
    assert production["worker"].stop_grace_location.path == "docker-compose.prod.yml"


def test_compose_yaml_wins_over_docker_compose_yml_and_both_run() -> None:
    first = compose("services:\n  a: {image: x}\n", "compose.yaml")
    second = compose("services:\n  b: {image: y}\n", "docker-compose.yml")
    assert [c.files for c in compose_configs([second, first])] == [("compose.yaml",), ("docker-compose.yml",)]


def test_extends_within_and_across_files() -> None:
    common = compose("""
        services:
          base-worker:
            build: .
            stop_grace_period: 5m
            environment: {DRAIN_SECONDS: "240"}
    """, "compose.common.yaml")
    main = compose("""
        services:
          template:
            image: ghcr.io/acme/app:1
            init: true
          orders:
            extends: {file: compose.common.yaml, service: base-worker}
            command: python -m orders.worker
          billing:
            extends: template
            command: python -m billing.worker
          lost:
            extends: {file: elsewhere.yml, service: base}
    """, "compose.yaml")
    configs = compose_configs([common, main])
    services = {s.name: s for s in configs[0].services}
    assert services["orders"].stop_grace_seconds == 300.0 and services["orders"].command == (
        "python", "-m", "orders.worker")
    assert services["orders"].env("DRAIN_SECONDS") is not None and services["orders"].location.line == 6
    assert services["billing"].init is True and services["billing"].image == "ghcr.io/acme/app:1"
    assert "elsewhere.yml" in services["lost"].unresolved


def test_self_extending_service_does_not_loop() -> None:
    found = compose("services:\n  a:\n    extends: a\n  b:\n    extends: c\n  c:\n    extends: b\n")
    services = {s.name: s for s in compose_configs([found])[0].services}
    assert services["a"].unresolved and services["b"].unresolved


# -- linking -------------------------------------------------------------------------------------


def test_links_use_the_build_contexts_dockerfile_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_of(tmp_path, monkeypatch, {
        "deploy/docker-compose.yml": """
            services:
              orders:
                build: {context: ../services/orders, dockerfile: Dockerfile.worker}
              api:
                image: ghcr.io/acme/orders:1.0
              targeted:
                build: {context: ../services/orders, dockerfile: Dockerfile.worker, target: dev}
        """,
        "services/orders/Dockerfile.worker": """
            FROM python:3.12-slim
            ENV DRAIN_SECONDS=200
            CMD ["python", "-m", "orders.worker"]
        """,
        # Named like the image: a guess would link `api` to it, but the service does not build it.
        "orders/Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "orders.worker"]\n',
        "services/orders/orders/__init__.py": "",
        "services/orders/orders/worker.py": WORKER,
    })
    links = project.compose_links
    assert [(link.service.name, link.module) for link in links] == [
        ("orders", "path:services/orders/orders/worker")]
    link = links[0]
    assert link.python_is_pid1 and link.evidence.path == "services/orders/Dockerfile.worker"
    assert "Dockerfile CMD" in link.evidence_text


def test_pid1_needs_every_layer_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_of(tmp_path, monkeypatch, {
        "compose.yaml": """
            services:
              plain: {build: ., command: python -m app.worker}
              init: {build: ., init: true, command: python -m app.worker}
              tini: {build: ., entrypoint: [tini, --], command: [python, -m, app.worker]}
              shell: {build: ., command: sh -c "alembic upgrade head && python -m app.worker"}
              shell-exec: {build: ., command: sh -c "alembic upgrade head && exec python -m app.worker"}
              image-only: {image: ghcr.io/acme/app:1, command: python -m app.worker}
              own-entry: {image: ghcr.io/acme/app:1, entrypoint: python, command: -m app.worker}
              custom-base: {build: ./custom, command: python -m app.worker}
        """,
        "Dockerfile": DOCKERFILE,
        "custom/Dockerfile": "FROM ghcr.io/acme/python-base:3.12\nCOPY . .\n",
        "app/__init__.py": "",
        "app/worker.py": WORKER,
    })
    pid1 = {link.service.name: link.python_is_pid1 for link in project.compose_links}
    assert pid1 == {"plain": True, "init": False, "tini": False, "shell": False, "shell-exec": True,
                    "image-only": False, "own-entry": True, "custom-base": False}


# -- TPR602 --------------------------------------------------------------------------------------


def test_tpr602_default_grace_and_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              worker:
                build: .
                command: python -m app.worker
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": WORKER,
    }, "TPR602")
    assert where(found) == [("docker-compose.yml", 2)]
    message = found[0].message
    assert "stop_grace_period 10 s (the compose default; not set)" in message
    assert "120 s (2 min) (default of env DRAIN_SECONDS) + 5 s margin = 125 s" in message
    assert "`stop_grace_period: 126s`" in message
    assert [r.location.path for r in found[0].related] == ["app/worker.py", "docker-compose.yml"]


def test_tpr602_environment_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              short-env:          # the environment shortens the drain below the grace period
                build: .
                command: python -m app.worker
                environment: [DRAIN_SECONDS=3]
              env-file:           # DRAIN_SECONDS may be in the env file: unknown
                build: .
                command: python -m app.worker
                env_file: worker.env
              env-file-but-set:   # the environment beats the env file
                build: .
                command: python -m app.worker
                env_file: worker.env
                environment: {DRAIN_SECONDS: "${DRAIN_SECONDS:-90}"}
                stop_grace_period: ${STOP_GRACE:-30s}
              from-host:          # passed through from the host: unknown
                build: .
                command: python -m app.worker
                environment: [DRAIN_SECONDS]
              image-env:          # the Dockerfile's ENV applies when compose sets nothing
                build: ./with-env
                command: python -m app.worker
                stop_grace_period: 2m
              unreadable-grace:
                build: .
                command: python -m app.worker
                stop_grace_period: ${STOP_GRACE}
        """,
        "Dockerfile": DOCKERFILE,
        "with-env/Dockerfile": "FROM python:3.12-slim\nENV DRAIN_SECONDS=600\n",
        "app/__init__.py": "",
        "app/worker.py": WORKER,
        "with-env/app/__init__.py": "",
        "with-env/app/worker.py": WORKER,
    }, "TPR602")
    assert sorted(where(found)) == [("docker-compose.yml", 15), ("docker-compose.yml", 23)]
    by_line = {f.location.line: f.message for f in found}
    assert "`30s` = 30 s (default of ${STOP_GRACE})" in by_line[15] and "env DRAIN_SECONDS=90" in by_line[15]
    assert "600 s (10 min)" in by_line[23]


def test_tpr602_overlays_dev_files_and_suppressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              fixed-in-prod:
                build: .
                command: python -m app.worker
              broken-by-override:
                build: .
                command: python -m app.worker
                stop_grace_period: 3m
              labelled:
                build: .
                command: python -m app.worker
                labels: {tprlint.io/ignore: "TPR602"}
              commented:   # tprlint: ignore[TPR602]
                build: .
                command: python -m app.worker
        """,
        "docker-compose.override.yml": """
            services:
              broken-by-override:
                stop_grace_period: 1s
        """,
        "docker-compose.prod.yml": """
            services:
              fixed-in-prod:
                stop_grace_period: 130s
              broken-by-override:
                stop_grace_period: 4s
        """,
        "docker-compose.dev.yml": """
            services:
              broken-by-override:
                stop_grace_period: 5m
        """,
        "tests/docker-compose.yml": """
            services:
              it:
                build: ..
                command: python -m app.worker
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": WORKER,
    }, "TPR602")
    assert where(found) == [("docker-compose.override.yml", 3)]
    assert "(in docker-compose.yml + docker-compose.override.yml)" in found[0].message
    suppressed = sorted(f.location.line for f in found if f.is_suppressed)
    assert suppressed == [9, 13]


def test_tpr602_skips_services_of_dev_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              local-worker:
                profiles: ["dev"]
                build: .
                command: python -m app.worker
              worker:
                profiles: ["workers"]
                build: .
                command: python -m app.worker
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": WORKER,
    }, "TPR602")
    assert where(found) == [("docker-compose.yml", 6)]


def test_tpr602_follows_factories_and_constants_in_other_modules(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "compose.yaml": """
            services:
              workers:
                build: .
                entrypoint: ["uv", "run", "--frozen", "python", "-m", "app.main"]
                stop_grace_period: 150s
                environment:
                  - BILLING_DRAIN_MINUTES=4
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/settings.py": """
            import os
            from datetime import timedelta
            ORDERS_DRAIN = timedelta(minutes=2)
            BILLING_DRAIN = timedelta(minutes=int(os.getenv("BILLING_DRAIN_MINUTES", "1")))
        """,
        "app/factory.py": """
            from temporalio.worker import Worker

            def make_worker(client, **kwargs):
                return Worker(client, **kwargs)
        """,
        "app/main.py": """
            import asyncio, signal
            from app.factory import make_worker
            from app.settings import BILLING_DRAIN, ORDERS_DRAIN

            async def main(client):
                orders = make_worker(client, task_queue="orders", workflows=[], graceful_shutdown_timeout=ORDERS_DRAIN)
                billing = make_worker(client, task_queue="billing", activities=[],
                                      graceful_shutdown_timeout=BILLING_DRAIN)
                stop = asyncio.Event()
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
                async with orders, billing:
                    await stop.wait()

            if __name__ == "__main__":
                asyncio.run(main(None))
        """,
    }, "TPR602")
    assert where(found) == [("compose.yaml", 5)]
    assert "240 s (4 min) (env BILLING_DRAIN_MINUTES=4 set by the workload)" in found[0].message


def test_tpr602_silent_when_the_timeout_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              worker: {build: ., command: python -m app.worker}
              extended: {extends: {file: common.yml, service: worker}, command: python -m app.worker}
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": """
            import asyncio, os
            from datetime import timedelta
            from temporalio.worker import Worker

            async def main(client):
                drain = timedelta(seconds=int(os.environ["DRAIN_SECONDS"]))
                async with Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=drain):
                    await asyncio.Future()

            if __name__ == "__main__":
                asyncio.run(main(None))
        """,
    }, "TPR602")
    assert found == []


# -- TPR603 --------------------------------------------------------------------------------------

PROBED = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: worker}}
    spec:
      template:
        spec:
          containers:
            - name: worker
              image: ghcr.io/acme/worker:1.0
              command: {command}
              readinessProbe:
                httpGet: {{path: /ready, port: 8080}}
"""


@pytest.mark.parametrize(("extra_import", "fires"), [
    ("import json, logging", True),
    ("from temporalio.runtime import Runtime, TelemetryConfig, OpenTelemetryConfig", True),
    ("import httpx\nfrom aiohttp import ClientSession", True),
    ("from importlib.metadata import version", True),
    ("from temporalio.runtime import PrometheusConfig", False),  # answers every path on its port
    ("import temporalio.runtime", False),
    ("from prometheus_client import start_http_server", False),
    ("from fastapi import FastAPI", False),
    ("from aiohttp import web", False),
    ("import http.server", False),
    ("from http import server", False),
    ("import importlib", False),  # may load anything by name
    ("import some_inhouse_sdk", False),  # unknown package: may serve HTTP
    ("from app import helpers", True),  # a project module, read and checked in turn
])
def test_tpr603_only_when_the_process_certainly_serves_no_http(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra_import: str, fires: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/worker.yaml": PROBED.format(command='["python", "-m", "app.worker"]'),
        "app/__init__.py": "",
        "app/helpers.py": "import json\nX = 1\n",
        "app/worker.py": f"""
import asyncio
{extra_import}
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    async with Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=timedelta(seconds=30)):
        await asyncio.Future()

if __name__ == "__main__":
    asyncio.run(main(None))
""",
    }, "TPR603")
    assert where(found) == ([("deploy/worker.yaml", 11)] if fires else [])


@pytest.mark.parametrize(("web", "serves"), [
    ("def serve():\n    pass\n", False),  # its imports (none) and its words say it serves nothing
    ("def serve(server):\n    server.serve_forever()\n", True),  # parsed for it: it opens a server
])
def test_tpr603_reads_every_module_of_the_process_without_parsing_those_that_cannot_serve(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: str, serves: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/worker.yaml": PROBED.format(command='["python", "-m", "app.worker"]'),
        "app/__init__.py": "",
        "app/helpers.py": "from app.web import serve\n",
        "app/web.py": web,
        "app/worker.py": NO_HANDLER_WORKER.replace("import asyncio", "import asyncio\n    from app import helpers"),
    }, "TPR603")
    assert len(found) == (0 if serves else 1)


def test_tpr603_silent_through_a_shell_script_or_with_a_second_container(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    two = PROBED.format(command='["python", "-m", "app.worker"]') + (
        "            - name: sidecar\n              image: ghcr.io/acme/health:1\n")
    found = lint(tmp_path, monkeypatch, {
        "deploy/a.yaml": PROBED.format(
            command='["sh", "-c", "python -m http.server 8080 & exec python -m app.worker"]'),
        "deploy/b.yaml": two,
        "app/__init__.py": "",
        "app/worker.py": NO_HANDLER_WORKER,
    }, "TPR603")
    assert found == []


def test_tpr603_compose_healthchecks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "compose.yaml": """
            services:
              wget:
                build: .
                command: python -m app.worker
                healthcheck:
                  test: ["CMD-SHELL", "wget -qO- http://127.0.0.1:8000/ready || exit 1"]
              file-check:
                build: .
                command: python -m app.worker
                healthcheck:
                  test: ["CMD", "test", "-f", "/tmp/ready"]
              disabled:
                build: .
                command: python -m app.worker
                healthcheck: {test: ["NONE"]}
              remote:
                build: .
                command: python -m app.worker
                healthcheck: {test: "curl -f http://temporal:7233/health"}
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/worker.py": NO_HANDLER_WORKER,
    }, "TPR603")
    assert where(found) == [("compose.yaml", 5)]
    assert "http://127.0.0.1:8000/ready" in found[0].message


# -- TPR604 --------------------------------------------------------------------------------------


def test_tpr604_kubernetes_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}}}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: ghcr.io/acme/{image}:1.0
                  {command}
    """
    found = lint(tmp_path, monkeypatch, {
        "k8s/exec.yaml": manifest.format(name="exec", image="x",
                                         command="command: [sh, -c, 'exec python -m app.main']"),
        "k8s/shell.yaml": manifest.format(name="shell", image="x", command="command: [sh, -c, 'python -m app.main']"),
        "k8s/tini.yaml": manifest.format(name="tini", image="x", command="command: [tini, --, python, -m, app.main]"),
        # No command: the image's Dockerfile (found by name) runs Python as PID 1 from the python base image.
        "k8s/image.yaml": manifest.format(name="image", image="reports-worker", command=""),
        "k8s/image2.yaml": manifest.format(name="image2", image="reports-worker", command=""),
        # Args only, over an image whose base may have an ENTRYPOINT: not judged.
        "k8s/args.yaml": manifest.format(name="args", image="billing-worker", command="args: [python, -m, app.main]"),
        "reports-worker/Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "-m", "app.main"]\n',
        "billing-worker/Dockerfile": "FROM ghcr.io/acme/base:3\nCOPY . .\n",
        "app/__init__.py": "",
        "app/main.py": NO_HANDLER_WORKER,
    }, "TPR604")
    assert sorted(where(found)) == [("k8s/exec.yaml", 8), ("reports-worker/Dockerfile", 3)]
    assert "30 s later (the default terminationGracePeriodSeconds)" in found[0].message


def test_tpr604_quiet_when_sigterm_is_handled_anywhere_in_the_process(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "compose.yaml": """
            services:
              handled: {build: ., command: [python, -m, app.worker]}
              served: {build: ., command: [python, -m, app.api]}
        """,
        "Dockerfile": DOCKERFILE,
        "app/__init__.py": "",
        "app/lifecycle.py": """
            import signal

            def install(stop):
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
        """,
        "app/worker.py": """
            import asyncio
            from datetime import timedelta
            from temporalio.worker import Worker
            from app.lifecycle import install

            async def main(client):
                stop = asyncio.Event()
                install(stop)
                drain = timedelta(seconds=30)
                async with Worker(client, task_queue="q", workflows=[], graceful_shutdown_timeout=drain):
                    await stop.wait()

            if __name__ == "__main__":
                asyncio.run(main(None))
        """,
        "app/api.py": """
            import uvicorn
            from fastapi import FastAPI
            from temporalio.worker import Worker

            app = FastAPI()

            @app.on_event("startup")
            async def start_worker():
                worker = Worker(None, task_queue="q", workflows=[])
                await worker.run()

            if __name__ == "__main__":
                uvicorn.run(app, host="0.0.0.0", port=8000)
        """,
    }, "TPR604")
    assert found == []


def test_tpr604_same_dockerfile_cmd_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "compose.yaml": """
            services:
              a: {build: .}
              b: {build: .}
        """,
        "Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "-m", "app.worker"]\n',
        "app/__init__.py": "",
        "app/worker.py": NO_HANDLER_WORKER,
    }, "TPR604")
    assert where(found) == [("Dockerfile", 3)]


# -- compose parts of the server rules (wired by the server rule module) --------------------------


SERVER_STACK = """
    services:
      temporal:
        image: temporalio/auto-setup:1.29.1
        environment:
          - DB=postgres12
          - POSTGRES_USER=temporal
          - POSTGRES_PWD=temporal-Hunter2
          - POSTGRES_SEEDS=postgresql
      cli-dev:
        image: temporalio/temporal:1.4.1
        command: ["server", "start-dev", "--ip", "0.0.0.0"]
      server:
        image: docker.io/temporalio/server
        environment:
          POSTGRES_PWD: ${POSTGRES_PWD:?set it}
      ui:
        image: temporalio/ui:${UI_VERSION:-latest}
      admin-tools:
        image: temporalio/admin-tools:${TOOLS_VERSION}
      pinned:
        image: temporalio/server@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
      lite:
        image: ghcr.io/someone/temporalite:latest
"""


def test_compose_server_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_of(tmp_path, monkeypatch, {"docker-compose.yml": SERVER_STACK})
    dev = list(compose_rules.compose_dev_server(project))
    assert sorted((h.location.line, h.anchor.rsplit("/", 2)[-2]) for h in dev) == [
        (3, "temporal"), (11, "cli-dev"), (23, "lite")]
    assert "temporalio/auto-setup" in dev[0].message or any("auto-setup" in h.message for h in dev)
    secrets = list(compose_rules.compose_plaintext_db_password(project))
    assert [(h.location.line, h.redact_source) for h in secrets] == [(7, True)]
    assert "Hunter2" not in secrets[0].message and "POSTGRES_PWD" in secrets[0].message
    unpinned = list(compose_rules.compose_server_image_unpinned(project))
    assert sorted(h.location.line for h in unpinned) == [13, 17]  # admin-tools: a tag tprlint cannot know
    messages = {h.location.line: h.message for h in unpinned}
    assert "no tag (so `latest`)" in messages[13] and "the tag `latest`" in messages[17]


def test_compose_server_checks_skip_dev_files_and_fixed_overlays(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = project_of(tmp_path, monkeypatch, {
        "docker-compose.dev.yml": SERVER_STACK,
        "deploy/docker-compose.yml": """
            services:
              temporal:
                image: temporalio/auto-setup:1.29.1
        """,
        "deploy/docker-compose.prod.yml": """
            services:
              temporal:
                image: temporalio/server:1.29.1
        """,
    })
    assert list(compose_rules.compose_dev_server(project)) == []
    assert list(compose_rules.compose_plaintext_db_password(project)) == []
    assert list(compose_rules.compose_server_image_unpinned(project)) == []


@pytest.mark.parametrize(("image", "parts"), [
    ("temporalio/server", ("temporalio/server", None, None)),
    ("temporalio/server:1.29.1", ("temporalio/server", "1.29.1", None)),
    ("docker.io/temporalio/ui:latest", ("temporalio/ui", "latest", None)),
    ("localhost:5000/temporalio/server:1.2", ("temporalio/server", "1.2", None)),
    ("python", ("python", None, None)),
    ("library/python:3.12", ("python", "3.12", None)),
    ("ghcr.io/x/y@sha256:abc", ("x/y", None, "sha256:abc")),
])
def test_image_parts(image: str, parts: tuple[str, str | None, str | None]) -> None:
    assert compose_rules.image_parts(image) == parts


# -- the demo ------------------------------------------------------------------------------------


def test_demo_shop_compose_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    result = run([root / "fixtures" / "demo-shop"], Config(root=root).with_overrides(select=("TPR602",)),
                 use_cache=False, jobs=1)
    found = [(f.location.path, f.location.line) for f in result.findings]
    assert found == [("fixtures/demo-shop/docker-compose.yml", 3)]
    assert "`stop_grace_period: 126s`" in result.findings[0].message


def test_alternatives_side_by_side_are_separate_projects_and_variants_overlay_the_base() -> None:
    base = compose("services:\n  worker:\n    image: w\n  temporal:\n    image: t\n", "docker-compose.yml")
    postgres = compose("services:\n  temporal:\n    image: t\n  postgres:\n    image: p\n",
                       "docker-compose-postgres.yml")
    mysql = compose("services:\n  temporal:\n    image: t\n  mysql:\n    image: m\n", "docker-compose-mysql.yml")
    prod = compose("services:\n  worker:\n    stop_grace_period: 700s\n", "docker-compose.prod.yml")
    configs = {config.files: sorted(s.name for s in config.services)
               for config in compose_configs([base, postgres, mysql, prod])}
    assert configs == {
        ("docker-compose.yml",): ["temporal", "worker"],
        ("docker-compose-mysql.yml",): ["mysql", "temporal"],  # judged on its own, not merged with postgres
        ("docker-compose-postgres.yml",): ["postgres", "temporal"],
        ("docker-compose.yml", "docker-compose.prod.yml"): ["temporal", "worker"],
    }
