"""The Temporal probe against a real development server and real worker processes, and how the probe's
connection settings are resolved (flags, TEMPORAL_* variables, the CLI's config file)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.live_temporal import WorkerProcess, free_port, run_worker, run_workflows
from tprlint.live.options import ProbeConfigError, TemporalConnection
from tprlint.live.snapshot import LiveSnapshot, QueueState, TemporalState, to_json
from tprlint.live.temporal_connect import resolve_temporal
from tprlint.live.temporal_probe import NOT_PROBED, probe_temporal

pytest.importorskip("temporalio", reason="the live extra (temporalio) is missing")

SECRET = "tprlint-test-api-key-5f0c1e"


def probe(conn: TemporalConnection, queues: list[str] | None = None, *, since: datetime | None = None,
          deadline_in: float = 20.0) -> TemporalState:
    since = since or datetime.now(timezone.utc) - timedelta(hours=1)
    return probe_temporal(conn, queues or [], since, time.monotonic() + deadline_in)


def queue(state: TemporalState, name: str, kind: str) -> QueueState:
    [found] = [q for q in state.queues if q.name == name and q.kind == kind]
    return found


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unique(what: str) -> str:
    return f"{what}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def busy(temporal_dev_server: str) -> Iterator[WorkerProcess]:
    """A worker polling its own queue for the whole module."""
    with run_worker(temporal_dev_server, [unique("probe-busy")]) as worker:
        yield worker


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung frontend or a black-holing proxy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


# -- the server -----------------------------------------------------------------------------------


def test_the_dev_server_as_the_probe_sees_it(temporal_dev_server: str) -> None:
    state = probe(TemporalConnection(address=temporal_dev_server))
    assert (state.error, state.errors, state.namespace_error) == ("", (), "")
    assert state.serving is True and state.tls is False
    assert state.server_version.startswith("1.")
    assert (state.history_shard_count, state.persistence_store, state.visibility_store) == (1, "sqlite", "sqlite")
    assert "supports_schedules" in state.capabilities
    assert state.retention_seconds == 86400  # `default` keeps closed workflows for one day
    assert (state.history_archival, state.visibility_archival) == ("disabled", "disabled")


def test_a_namespace_that_does_not_exist(temporal_dev_server: str) -> None:
    state = probe(TemporalConnection(address=temporal_dev_server, namespace="no-such-namespace"), ["q"])
    assert state.error == "" and state.server_version  # the server itself answered
    assert "namespace no-such-namespace does not exist" in state.namespace_error
    assert "--namespace" in state.namespace_error
    assert all("does not exist" in q.error for q in state.queues)
    assert state.counts is not None and "does not exist" in state.counts.error


# -- task queues ----------------------------------------------------------------------------------


def test_a_queue_with_a_running_worker_has_workflow_and_activity_pollers(temporal_dev_server: str,
                                                                         busy: WorkerProcess) -> None:
    [name] = busy.queues
    idle = unique("probe-idle")
    state = probe(TemporalConnection(address=temporal_dev_server), [name, idle])
    for kind in ("workflow", "activity"):
        polled = queue(state, name, kind)
        assert polled.error == ""
        [poller] = polled.pollers
        assert poller.identity == busy.identity
        assert poller.build_id and not poller.versioned  # the SDK's default build id, no Worker Deployment
        age = (datetime.now(timezone.utc) - stamp(poller.last_access)).total_seconds()
        assert -5 < age < 90
        assert (polled.backlog_count, polled.backlog_age_seconds) == (0, 0)
        empty = queue(state, idle, kind)
        assert (empty.pollers, empty.error, empty.backlog_count) == ((), "", 0)


def test_a_worker_deployment_version_is_seen_on_its_pollers(temporal_dev_server: str) -> None:
    name = unique("probe-versioned")
    with run_worker(temporal_dev_server, [name], deployment="probe-deployment", build_id="build-7"):
        state = probe(TemporalConnection(address=temporal_dev_server), [name])
    for kind in ("workflow", "activity"):
        [poller] = queue(state, name, kind).pollers
        assert (poller.deployment_name, poller.build_id, poller.versioned) == ("probe-deployment", "build-7", True)


def test_a_stopped_workers_pollers_stay_listed_with_a_last_access_that_only_ages(temporal_dev_server: str) -> None:
    # Measured on Server 1.32: after a worker stops, the server lists its pollers for minutes (until its
    # poller history expires), and their last_access never moves again. A live idle worker's last_access
    # is renewed when its long poll returns, about once a minute. So "gone" is judged by age (about 90 s),
    # never by absence.
    name = unique("probe-stopping")
    conn = TemporalConnection(address=temporal_dev_server)
    with run_worker(temporal_dev_server, [name]) as worker:
        pass
    stopped_at = datetime.now(timezone.utc)
    first = probe(conn, [name])
    time.sleep(1.5)
    second = probe(conn, [name])
    for kind in ("workflow", "activity"):
        [before] = queue(first, name, kind).pollers
        [after] = queue(second, name, kind).pollers
        assert before.identity == after.identity == worker.identity
        assert before.last_access == after.last_access
        assert stamp(after.last_access) <= stopped_at


# -- closed workflows -----------------------------------------------------------------------------


def test_failed_and_completed_workflows_are_counted(temporal_dev_server: str, busy: WorkerProcess) -> None:
    conn = TemporalConnection(address=temporal_dev_server)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    [name] = busy.queues
    before = probe(conn, [name], since=since).counts
    assert before is not None and before.error == ""
    started = datetime.now(timezone.utc)
    run_workflows(temporal_dev_server, name, failing=2, completing=1)
    expected = {**asdict(before), "failed": (before.failed or 0) + 2, "completed": (before.completed or 0) + 1}
    waited = time.monotonic()
    while True:  # visibility may trail the executions by a moment
        state = probe(conn, [name], since=since)
        assert state.counts is not None
        if asdict(state.counts) == expected or time.monotonic() - waited > 10:
            break
        time.sleep(0.2)
    assert asdict(state.counts) == expected
    assert state.counts.since.endswith("Z")
    # Polls that returned tasks were renewed: a worker at work shows a fresh last_access.
    [poller] = queue(state, name, "workflow").pollers
    assert stamp(poller.last_access) >= started - timedelta(seconds=2)


# -- failures: never an exception, never a hang, never a secret -----------------------------------


def test_nothing_listening_is_an_error_within_the_timeout() -> None:
    port = free_port()
    started = time.monotonic()
    state = probe(TemporalConnection(address=f"127.0.0.1:{port}", timeout=3), ["q"])
    assert time.monotonic() - started < 3
    assert state.error.startswith(f"cannot reach the Temporal server at 127.0.0.1:{port}: connection refused")
    assert "Check --address/TEMPORAL_ADDRESS, that the frontend is up, and TLS settings" in state.error
    assert (state.serving, state.queues, state.counts) == (None, (), None)


def test_a_port_that_never_answers_is_bounded_by_the_timeout(silent_port: int) -> None:
    started = time.monotonic()
    state = probe(TemporalConnection(address=f"127.0.0.1:{silent_port}", timeout=1), ["q"])
    assert 0.9 < time.monotonic() - started < 3
    assert "no answer within 1 s" in state.error


def test_the_api_key_never_shows_in_an_error(temporal_dev_server: str, silent_port: int) -> None:
    env = {"PROBE_KEY": SECRET}
    closed = resolve_temporal(address=f"127.0.0.1:{free_port()}", api_key_env="PROBE_KEY", env=env)
    plaintext = resolve_temporal(address=temporal_dev_server, api_key_env="PROBE_KEY", env=env)
    silent = resolve_temporal(address=f"127.0.0.1:{silent_port}", api_key_env="PROBE_KEY", timeout=1, env=env)
    assert closed.tls and closed.api_key == SECRET  # an API key turns TLS on
    states = [probe(conn, ["q"]) for conn in (closed, plaintext, silent)]
    assert "connection refused" in states[0].error
    assert "does not answer with TLS" in states[1].error  # the dev server speaks plaintext
    assert "no answer within 1 s" in states[2].error
    for conn, state in zip((closed, plaintext, silent), states, strict=True):
        assert state.tls
        assert SECRET not in to_json(LiveSnapshot(taken_at="2026-01-01T00:00:00Z", temporal=state))
        assert SECRET not in repr(conn)


def test_a_deadline_already_past_returns_at_once() -> None:
    started = time.monotonic()
    state = probe_temporal(TemporalConnection(address="127.0.0.1:7233"), ["q"], datetime.now(timezone.utc),
                           time.monotonic() - 1)
    assert time.monotonic() - started < 0.1
    assert state.error.startswith(NOT_PROBED) and "127.0.0.1:7233" in state.error


def test_the_deadline_cuts_a_hanging_connect_short(silent_port: int) -> None:
    started = time.monotonic()
    state = probe(TemporalConnection(address=f"127.0.0.1:{silent_port}", timeout=5), ["q"], deadline_in=0.5)
    assert time.monotonic() - started < 1.5
    assert state.error.startswith(NOT_PROBED)


def test_the_probe_runs_from_a_thread_and_from_inside_an_event_loop(temporal_dev_server: str) -> None:
    conn = TemporalConnection(address=temporal_dev_server)
    results: list[TemporalState] = []
    thread = threading.Thread(target=lambda: results.append(probe(conn)))
    thread.start()
    thread.join(30)

    async def inside_a_loop() -> TemporalState:
        return probe(conn)

    results.append(asyncio.run(inside_a_loop()))
    assert [(s.error, s.history_shard_count) for s in results] == [("", 1), ("", 1)]


# -- resolving the connection ---------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(text, encoding="utf-8")
    return path


PROFILES = """
[profile.default]
address = "file-host:7233"
namespace = "file-ns"

[profile.staging]
address = "staging-host:7233"
namespace = "staging-ns"
api_key = "file-api-key"
"""


def resolve(**given: Any) -> TemporalConnection:
    env = given.pop("env", {})
    return resolve_temporal(env=env, **given)


def test_defaults_when_nothing_is_configured() -> None:
    conn = resolve()
    assert (conn.address, conn.namespace, conn.tls, conn.source) == ("localhost:7233", "default", False, "default")


def test_flags_beat_variables_beat_the_config_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, PROFILES)
    file_env = {"TEMPORAL_CONFIG_FILE": str(path)}
    from_file = resolve(env=file_env)
    assert (from_file.address, from_file.namespace) == ("file-host:7233", "file-ns")
    assert from_file.source == f"profile default ({path})"
    env = {**file_env, "TEMPORAL_ADDRESS": "env-host:7233", "TEMPORAL_NAMESPACE": "env-ns"}
    from_env = resolve(env=env)
    assert (from_env.address, from_env.namespace, from_env.source) == ("env-host:7233", "env-ns", "TEMPORAL_ADDRESS")
    from_flags = resolve(address="flag-host:7233", namespace="flag-ns", env=env)
    assert (from_flags.address, from_flags.namespace, from_flags.source) == ("flag-host:7233", "flag-ns", "--address")
    # An empty variable counts as unset.
    assert resolve(env={**file_env, "TEMPORAL_ADDRESS": ""}).address == "file-host:7233"


def test_the_profile_and_the_file_come_from_flags_or_variables(tmp_path: Path) -> None:
    path = write_config(tmp_path, PROFILES)
    by_flag = resolve(config_file=str(path), profile="staging")
    assert (by_flag.address, by_flag.api_key, by_flag.tls) == ("staging-host:7233", "file-api-key", True)
    by_env = resolve(env={"TEMPORAL_CONFIG_FILE": str(path), "TEMPORAL_PROFILE": "staging"})
    assert by_env.address == "staging-host:7233"
    assert resolve(config_file=str(path), env={"TEMPORAL_PROFILE": "staging"}, profile="default").address == \
        "file-host:7233"
    with pytest.raises(ProbeConfigError, match=r"profile 'prod' \(from --profile\) is not in .*default, staging"):
        resolve(config_file=str(path), profile="prod")


def test_the_default_config_file_is_found_from_the_given_environment(tmp_path: Path) -> None:
    folder = tmp_path / "home" / ".config" / "temporalio"
    folder.mkdir(parents=True)
    write_config(folder, PROFILES)
    assert resolve(env={"HOME": str(tmp_path / "home")}).address == "file-host:7233"
    assert resolve(env={"XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}).address == "file-host:7233"
    # The default file is optional; a file named explicitly is not.
    assert resolve(env={"HOME": str(tmp_path / "elsewhere")}).address == "localhost:7233"
    with pytest.raises(ProbeConfigError, match=r"missing\.toml \(from TEMPORAL_CONFIG_FILE\) does not exist"):
        resolve(env={"TEMPORAL_CONFIG_FILE": str(tmp_path / "missing.toml")})


def test_api_keys_come_from_variables_and_turn_tls_on(tmp_path: Path) -> None:
    by_name = resolve(api_key_env="MY_KEY", env={"MY_KEY": SECRET, "TEMPORAL_API_KEY": "other"})
    assert (by_name.api_key, by_name.tls) == (SECRET, True)
    assert SECRET not in repr(by_name)
    assert resolve(env={"TEMPORAL_API_KEY": SECRET}).api_key == SECRET
    assert resolve(env={"TEMPORAL_API_KEY": SECRET, "TEMPORAL_TLS": "false"}).tls is False
    for env in ({}, {"MY_KEY": ""}):
        with pytest.raises(ProbeConfigError, match="the environment variable it names is unset or empty"):
            resolve(api_key_env="MY_KEY", env=env)


def test_tls_settings_and_their_files(tmp_path: Path) -> None:
    cert, key, ca = (tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "ca.pem")
    for path in (cert, key, ca):
        path.write_text("-----BEGIN TEST-----\n", encoding="utf-8")
    mtls = resolve(tls_cert_path=str(cert), tls_key_path=str(key),
                   env={"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(ca), "TEMPORAL_TLS_SERVER_NAME": "frontend"})
    assert (mtls.tls, mtls.tls_cert_path, mtls.tls_key_path, mtls.tls_ca_path, mtls.tls_server_name) == \
        (True, str(cert), str(key), str(ca), "frontend")
    assert resolve(tls_ca_path=str(ca), tls=False).tls is False  # explicitly off wins
    assert resolve(env={"TEMPORAL_TLS": "1"}).tls is True
    path = write_config(tmp_path, f"""
[profile.default]
address = "secure:7233"
[profile.default.tls]
disabled = true
server_ca_cert_path = "{ca}"
disable_host_verification = true
""")
    from_file = resolve(config_file=str(path))
    assert (from_file.tls, from_file.tls_ca_path, from_file.tls_disable_host_verification) == (False, str(ca), True)
    assert resolve(config_file=str(path), env={"TEMPORAL_TLS": "true"}).tls is True
    with pytest.raises(ProbeConfigError, match=r"nope\.pem \(from --tls-cert-path\) does not exist"):
        resolve(tls_cert_path=str(tmp_path / "nope.pem"), tls_key_path=str(key))
    with pytest.raises(ProbeConfigError, match=r"nope\.pem \(from TEMPORAL_TLS_SERVER_CA_CERT_PATH\) does not exist"):
        resolve(env={"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tmp_path / "nope.pem")})
    with pytest.raises(ProbeConfigError, match="without its pair: give --tls-key-path"):
        resolve(tls_cert_path=str(cert))
    with pytest.raises(ProbeConfigError, match="reads certificates and keys from files only"):
        resolve(env={"TEMPORAL_TLS_SERVER_CA_CERT_DATA": "-----BEGIN CERTIFICATE-----"})


@pytest.mark.parametrize(("given", "message"), [
    ({"env": {"TEMPORAL_TLS": "yes"}}, r"TEMPORAL_TLS='yes': expected true, false, 1 or 0"),
    ({"address": "http://frontend:7233"}, r"'http://frontend:7233' \(from --address\) is not HOST:PORT"),
    ({"env": {"TEMPORAL_ADDRESS": "frontend"}}, r"'frontend' \(from TEMPORAL_ADDRESS\) is not HOST:PORT"),
    ({"timeout": 0}, "positive number of seconds"),
])
def test_settings_that_cannot_work_are_refused(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ProbeConfigError, match=message):
        resolve(**given)


def test_a_broken_config_file_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[profile.default\naddress = 1\n")
    with pytest.raises(ProbeConfigError, match=r"temporal\.toml is not valid TOML"):
        resolve(config_file=str(path))
    write_config(tmp_path, "[profile.default]\naddress = 7233\n")
    with pytest.raises(ProbeConfigError, match="`address` must be a string"):
        resolve(config_file=str(path))
