"""What TPR301-TPR306 say, not only where: the reason a connection is plaintext, the advice for each
kind of credential, the namespace to use on Temporal Cloud, distinct anchors for repeated credentials,
the bounds of the data-converter search, and which runtimes TPR306 trusts to export metrics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import findings as project_findings
from tprlint.model import Finding
from tprlint.rules.client import classify_host, split_target


def findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, rule: str) -> list[Finding]:
    """The findings of ``rule`` on a project whose one module, app/client.py, is ``source``."""
    return project_findings(tmp_path, monkeypatch, {"app/client.py": source}, rule)


def message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, rule: str) -> str:
    (found,) = findings(tmp_path, monkeypatch, source, rule)
    return found.message


CONNECT = "import os\nfrom temporalio.client import Client\n\n"


@pytest.mark.parametrize(("call", "reason"), [
    ('Client.connect("temporal.example.com:7233")', "sets no tls and no api_key"),
    ('Client.connect("temporal.example.com:7233", tls=None)', "sets tls=None and no api_key"),
    ('Client.connect("temporal.example.com:7233", tls=False)', "sets tls=False"),
    ('Client.connect("http://temporal.example.com:7233")', "uses the http:// scheme"),
])
def test_tpr301_says_why_the_connection_is_plaintext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str,
                                                     reason: str) -> None:
    text = message(tmp_path, monkeypatch, CONNECT + f"client = await {call}\n", "TPR301")
    assert text.startswith(f"Client.connect to `{call.split(chr(34))[1]}` {reason}, so the SDK connects")
    assert "Temporal Cloud refuses plaintext connections" not in text


def test_tpr301_on_cloud_and_from_an_environment_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + 'client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "ns.acct.tmprl.cloud:7233"))\n'
    text = message(tmp_path, monkeypatch, source, "TPR301")
    assert text.startswith("Client.connect to `ns.acct.tmprl.cloud:7233` (the default of $TEMPORAL_ADDRESS) sets no")
    assert "Temporal Cloud refuses plaintext connections, so this cannot even connect." in text


@pytest.mark.parametrize(("host", "suggestion"), [
    ("ns.acct.tmprl.cloud", 'namespace="ns.acct"'),
    ("us-east-1.aws.api.temporal.io", 'namespace="<namespace>.<account>"'),
])
def test_tpr304_suggests_the_cloud_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str,
                                             suggestion: str) -> None:
    source = CONNECT + f'client = await Client.connect("{host}:7233", api_key=os.environ["K"])\n'
    text = message(tmp_path, monkeypatch, source, "TPR304")
    assert f"Temporal Cloud has no `default` namespace: every call fails until {suggestion}" in text


def test_tpr304_on_a_self_hosted_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + 'client = await Client.connect("temporal.example.com:7233", tls=True)\n'
    text = message(tmp_path, monkeypatch, source, "TPR304")
    assert "sets no namespace, so it uses `default`. A production namespace of its own" in text


@pytest.mark.parametrize(("assignment", "opening", "advice"), [
    ('TEMPORAL_API_KEY = "tcld_4f7Hq9ZkP2mX8vR1sT6wY3bN5cJ0dL"',
     "An API key is written into the source (`TEMPORAL_API_KEY`).", "Revoke and rotate the key, then read it at "
     'run time: api_key=os.environ["TEMPORAL_API_KEY"]'),
    # Another service's key: the general advice, not Temporal's.
    ('OPENAI_API_KEY = "sk-4f7Hq9ZkP2mX8vR1sT6wY3bN5cJ0dL"',
     "An API key is written into the source (`OPENAI_API_KEY`).",
     "Rotate it, then read it at run time from the environment or a secret manager"),
    ('TEMPORAL_KEY = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"',
     "A PEM private key is written into the source (`TEMPORAL_KEY`).", "Rotate the certificate and key"),
    ('DB_PASSWORD = "Zq8#kV2!pL9@xR4w"', "A password is written into the source (`DB_PASSWORD`).",
     "Rotate it, then read it at run time"),
])
def test_tpr302_names_the_kind_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, assignment: str,
                                           opening: str, advice: str) -> None:
    text = message(tmp_path, monkeypatch, CONNECT + assignment + "\n", "TPR302")
    assert text.startswith(opening)
    assert advice in text


@pytest.mark.parametrize(("client", "temporal"), [
    ('client = await Client.connect("ns.acct.tmprl.cloud:7233", api_key=config.API_KEY, tls=True)\n', True),
    ('client = await Client.connect("ns.acct.tmprl.cloud:7233", api_key=API_KEY, tls=True)\n', True),
    ('client = await Client.connect("ns.acct.tmprl.cloud:7233", api_key=os.environ["K"], tls=True)\n', False),
])
def test_tpr302_gives_temporals_advice_for_a_key_another_module_passes_to_connect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: str, temporal: bool) -> None:
    # The key is named for nothing in particular and defined away from the Client.connect that uses it.
    files = {"app/config.py": 'API_KEY = "tcld_4f7Hq9ZkP2mX8vR1sT6wY3bN5cJ0dL"\n',
             "app/client.py": "import os\nfrom temporalio.client import Client\n\nfrom app import config\n"
                              "from app.config import API_KEY\n\n" + client}
    (found,) = project_findings(tmp_path, monkeypatch, files, "TPR302")
    assert found.message.startswith("An API key is written into the source (`API_KEY`).")
    assert ("Revoke and rotate the key, then read it at run time: api_key=os.environ[\"TEMPORAL_API_KEY\"]"
            in found.message) is temporal
    assert ("Rotate it, then read it at run time from the environment" in found.message) is not temporal


def test_tpr302_without_a_name_and_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = """\
        def connect_db(engine):
            url = "postgresql://app:Zq8kV2pL9xR4wT7m@db.example.com/app"
            if os.environ.get("REPLICA"):
                url = "postgresql://app:Zq8kV2pL9xR4wT7m@replica.example.com/app"
            engine.connect("postgresql://app:Zq8kV2pL9xR4wT7m@db.example.com/app")
        """
    found = findings(tmp_path, monkeypatch, CONNECT + textwrap.dedent(source), "TPR302")
    assert [f.message.split(". Everyone")[0] for f in found] == [
        "A password inside a connection URL is written into the source (`url`)",
        "A password inside a connection URL is written into the source (`url`)",
        "A password inside a connection URL is written into the source",
    ]
    # The same binding twice in one function: two findings, two fingerprints.
    assert found[1].anchor == found[0].anchor + "#2"


def converter(depth: int) -> str:
    """A data converter wrapped in ``dataclasses.replace`` ``depth`` times, none adding a codec."""
    value = "DataConverter.default"
    for _ in range(depth):
        value = f"dataclasses.replace({value})"
    return value


# How many `dataclasses.replace(...)` are looked through to find the converter they copy.
REPLACES = 5


@pytest.mark.parametrize(("depth", "flagged"), [(1, True), (REPLACES, True), (REPLACES + 1, False)])
def test_tpr305_looks_through_copies_of_a_converter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int,
                                                    flagged: bool) -> None:
    source = ("import dataclasses\nimport os\nfrom temporalio.client import Client\n"
              "from temporalio.converter import DataConverter\n\n"
              f'client = await Client.connect("temporal.example.com:7233", tls=True,'
              f' data_converter={converter(depth)})\n')
    found = findings(tmp_path, monkeypatch, source, "TPR305")
    assert bool(found) is flagged
    if found:
        assert "uses a data converter without a payload_codec" in found[0].message


@pytest.mark.parametrize(("runtime", "flagged"), [
    ("Runtime(telemetry=TelemetryConfig(metrics=None))", True),  # telemetry, but no metrics
    ("Runtime(telemetry=TelemetryConfig())", True),
    ("None", True),
    ("RUNTIME", False),  # the project's own runtime, built where tprlint cannot see: maybe with metrics
    ("make_runtime()", False),
    ("Runtime(telemetry=make_telemetry())", False),  # telemetry built where tprlint cannot see
    ("observability_lib.RUNTIME", False),  # a library's runtime: maybe with metrics
])
def test_tpr306_trusts_only_runtimes_it_can_see(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime: str,
                                                flagged: bool) -> None:
    source = f"""\
        import os
        from temporalio.client import Client
        from temporalio.runtime import Runtime, TelemetryConfig
        from temporalio.worker import Worker
        import observability_lib
        from app.observability import RUNTIME, make_runtime, make_telemetry

        async def main():
            client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], runtime={runtime})
            await Worker(client, task_queue="q", workflows=[]).run()
        """
    assert bool(findings(tmp_path, monkeypatch, source, "TPR306")) is flagged


def test_a_connection_that_is_fine_does_not_end_the_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = """\
        import os
        from temporalio.client import Client

        async def starter():
            local = await Client.connect("localhost:7233")
            configured = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "temporal.example.com:7233"))
            remote = await Client.connect("temporal.example.com:7233")
        """
    # TPR301 skips the loopback one, TPR303 the loopback one (a starter script) and the configured one.
    assert [f.location.line for f in findings(tmp_path, monkeypatch, source, "TPR301")] == [6, 7]
    assert [f.location.line for f in findings(tmp_path, monkeypatch, source, "TPR303")] == [7]
    # TPR304 and TPR305 skip the loopback one too.
    assert [f.location.line for f in findings(tmp_path, monkeypatch, source, "TPR304")] == [6, 7]
    assert [f.location.line for f in findings(tmp_path, monkeypatch, source, "TPR305")] == [6, 7]


def test_tpr301_tls_from_the_environment_may_be_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + ('client = await Client.connect("temporal.example.com:7233",'
                        ' tls=os.environ.get("TEMPORAL_TLS"))\n')
    assert findings(tmp_path, monkeypatch, source, "TPR301") == []


def test_tpr302_a_test_module_first_does_not_end_the_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = CONNECT + 'DB_PASSWORD = "Zq8#kV2!pL9@xR4w"\n'
    # The test module sorts first.
    found = project_findings(tmp_path, monkeypatch, {"tests/test_settings.py": secret, "zz/settings.py": secret},
                             "TPR302")
    assert [f.location.path for f in found] == ["zz/settings.py"]


def test_tpr305_without_any_converter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + 'client = await Client.connect("temporal.example.com:7233", tls=True)\n'
    assert "Client.connect to `temporal.example.com:7233` sets no data_converter, so workflow" in message(
        tmp_path, monkeypatch, source, "TPR305")


def test_a_path_after_the_host_is_not_part_of_it() -> None:
    assert split_target("https://temporal.example.com/api") == ("https", "temporal.example.com")


def test_tpr306_is_placed_at_the_first_connect_a_worker_process_runs(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = """\
        import os
        from temporalio.client import Client
        from temporalio.worker import Worker

        async def main():
            client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
            other = await Client.connect(os.environ["OTHER_ADDRESS"])
            first = Worker(client, task_queue="a", workflows=[])
            second = Worker(other, task_queue="b", workflows=[])
        """
    (found,) = findings(tmp_path, monkeypatch, source, "TPR306")
    assert found.location.line == 6
    assert [(r.location.line, r.message) for r in found.related] == [(8, "a Worker this project runs")]


def test_tpr306_without_a_connect_sits_at_the_first_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = """\
        from temporalio.worker import Worker

        async def main(client):
            first = Worker(client, task_queue="a", workflows=[])
            second = Worker(client, task_queue="b", workflows=[])
        """
    (found,) = findings(tmp_path, monkeypatch, source, "TPR306")
    assert (found.location.line, found.related, found.redact_source) == (4, (), False)


def test_tpr304_a_call_with_unseen_keywords_does_not_end_the_search(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + ('async def connect(extra):\n'
                        '    first = await Client.connect("temporal.example.com:7233", tls=True, **extra)\n'
                        '    second = await Client.connect("temporal.example.com:7233", tls=True)\n')
    assert [f.location.line for f in findings(tmp_path, monkeypatch, source, "TPR304")] == [6]


WORKER_FACTORY = """\
from temporalio.worker import Worker

TASK_QUEUE = "orders"


def build_worker(client):
    return Worker(client, task_queue=TASK_QUEUE, workflows=[])
"""


def test_tpr303_loopback_only_in_processes_that_run_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/factory.py": WORKER_FACTORY,
        # An entrypoint that builds the worker through the factory (and runs it out of sight, in a
        # library): its connect is the worker's.
        "app/run_worker.py": CONNECT + (
            "from app.factory import build_worker\n"
            "from lifecycle import serve_until_sigterm\n\n"
            "async def main():\n"
            '    client = await Client.connect("localhost:7233")\n'
            "    await serve_until_sigterm(build_worker(client))\n\n"
            'if __name__ == "__main__":\n'
            "    import asyncio\n    asyncio.run(main())\n"),
        # A library module that reads the factory's task queue: nothing says a worker process loads it.
        "app/api.py": CONNECT + (
            "from app.factory import TASK_QUEUE\n\n"
            "async def start(order):\n"
            '    client = await Client.connect("localhost:7233")\n'
            '    await client.start_workflow("Order", order, id="o", task_queue=TASK_QUEUE)\n'),
    }
    found = project_findings(tmp_path, monkeypatch, files, "TPR303")
    assert [(f.location.path, f.location.line) for f in found] == [("app/run_worker.py", 8)]


def test_tpr301_the_http_scheme_with_a_tls_config_is_left_alone(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = CONNECT + ("from temporalio.service import TLSConfig\n"
                        'client = await Client.connect("http://temporal.example.com:7233", tls=TLSConfig())\n')
    assert findings(tmp_path, monkeypatch, source, "TPR301") == []


@pytest.mark.parametrize(("host", "kind"), [
    ("example.com", "network"), ("temporal.de", "network"), ("temporal.internal", "network"),
    ("frontend.t1", "cluster"), ("frontend.x", "cluster"), ("frontend.temporal", "cluster"),
])
def test_two_label_hosts(host: str, kind: str) -> None:
    # A public top-level domain (listed, or any two letters) makes a host; else it is service.namespace.
    assert classify_host(host) == kind
