"""TPR301-TPR306 on the cases between the obvious ones: a connection that is fine (or test code) before one
that is not, Temporal Cloud endpoints that do not name a namespace, converters wrapped by a library, the
SDK's default runtime, and a module that runs a Worker it did not build."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import findings, write
from tprlint.config import Config
from tprlint.engine import run
from tprlint.model import Finding


def findings_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str],
                rules: tuple[str, ...]) -> list[Finding]:
    """The findings of several rules on ``files``, in one run."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=rules, root=tmp_path), use_cache=False,
                 jobs=1)
    return sorted(result.findings, key=lambda f: (f.rule_id, f.location.path, f.location.line))


def where(found: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.location.path, f.location.line) for f in found]


CONNECT = "import os\nfrom temporalio.client import Client\n\n"


# -- one connection that is fine (or in test code) does not hide the next ---------------------------


def test_tpr301_and_tpr304_look_past_test_code_and_connections_that_are_fine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        # Test code sorts first and is never judged.
        "tests/test_orders.py": CONNECT + (
            "async def test_start_order():\n"
            '    client = await Client.connect("temporal.staging.example.com:7233")\n'),
        "worker/clients.py": CONNECT + textwrap.dedent("""\
            async def orders_client():
                return await Client.connect("temporal.example.com:7233", tls=True, namespace="orders")

            async def billing_client():
                return await Client.connect("temporal.example.com:7233")
            """),
    }
    found = findings_of(tmp_path, monkeypatch, files, ("TPR301", "TPR304"))
    assert where(found) == [("TPR301", "worker/clients.py", 8), ("TPR304", "worker/clients.py", 8)]
    assert found[1].message.startswith(
        "Client.connect to `temporal.example.com:7233` sets no namespace, so it uses `default`.")


# -- TPR304 on Temporal Cloud ---------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "suggestion"), [
    ("payments.a1b2c.tmprl.cloud", 'namespace="payments.a1b2c"'),
    # The account endpoint without a namespace label, and a regional API endpoint: nothing to derive.
    ("a1b2c.tmprl.cloud", 'namespace="<namespace>.<account>"'),
    ("aws.api.temporal.io", 'namespace="<namespace>.<account>"'),
])
def test_tpr304_derives_the_cloud_namespace_only_from_a_namespace_endpoint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, suggestion: str) -> None:
    source = CONNECT + f'client = await Client.connect("{host}:7233", api_key=os.environ["TEMPORAL_API_KEY"])\n'
    (found,) = findings(tmp_path, monkeypatch, {"app/client.py": source}, "TPR304")
    assert (f"Temporal Cloud has no `default` namespace: every call fails until {suggestion} "
            "(<namespace>.<account-id>) is passed.") in found.message


# -- TPR305 and converters ------------------------------------------------------------------------------


CONVERTER = CONNECT + "import dataclasses\nfrom temporalio.converter import DataConverter\n"


@pytest.mark.parametrize(("converter", "flagged"), [
    ("dataclasses.replace(DataConverter.default)", True),
    # A library's function given the default converter may well add a codec to it.
    ("encrypted_converter(DataConverter.default)", False),
    ("encrypted_converter(DataConverter.default, key_id=os.environ['KMS_KEY_ID'])", False),
])
def test_tpr305_follows_only_dataclasses_replace_to_the_converter_it_copies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, converter: str, flagged: bool) -> None:
    source = CONVERTER + (
        "from crypto_lib.temporal import encrypted_converter\n\n"
        f'client = await Client.connect("temporal.example.com:7233", tls=True, data_converter={converter})\n')
    found = findings(tmp_path, monkeypatch, {"app/client.py": source}, "TPR305")
    assert [f.location.line for f in found] == ([8] if flagged else [])


# -- TPR306 and the SDK's own runtimes ------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["Runtime.default()", "Runtime.default"])
def test_tpr306_the_sdk_default_runtime_exports_no_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           runtime: str) -> None:
    source = textwrap.dedent(f"""\
        import os
        from temporalio.client import Client
        from temporalio.runtime import Runtime
        from temporalio.worker import Worker

        async def main():
            client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], runtime={runtime})
            await Worker(client, task_queue="orders", workflows=[]).run()
        """)
    (found,) = findings(tmp_path, monkeypatch, {"app/worker.py": source}, "TPR306")
    assert (found.location.path, found.location.line) == ("app/worker.py", 7)
    assert found.message.startswith("This project runs Temporal Workers but configures no SDK metrics")


# -- TPR303 and worker processes --------------------------------------------------------------------------


def test_tpr303_a_module_that_runs_a_worker_it_was_given_is_a_worker_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "app/factory.py": textwrap.dedent("""\
            from temporalio.worker import Worker

            def build_worker(client):
                return Worker(client, task_queue="orders", workflows=[])
            """),
        # The worker comes from a factory passed in (a plugin registry, a CLI framework): no import
        # leads to the construction, but this module runs it.
        "app/serve.py": CONNECT + textwrap.dedent("""\
            async def serve(worker):
                await worker.run()

            async def main(make_worker):
                client = await Client.connect("localhost:7233")
                await serve(make_worker(client))
            """),
    }
    found = findings(tmp_path, monkeypatch, files, "TPR303")
    assert [(f.location.path, f.location.line) for f in found] == [("app/serve.py", 8)]
    assert "In a container, localhost is the container itself" in found[0].message


def test_tpr306_without_a_connect_is_anchored_at_the_first_worker_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The anchor (the finding's fingerprint in SARIF and baselines) names the module of the first Worker.
    worker = textwrap.dedent("""\
        from temporalio.worker import Worker

        def build(client):
            return Worker(client, task_queue="{queue}", workflows=[])
        """)
    files = {"app/billing.py": worker.format(queue="billing"), "app/orders.py": worker.format(queue="orders")}
    (found,) = findings(tmp_path, monkeypatch, files, "TPR306")
    assert (found.location.path, found.location.line, found.related) == ("app/billing.py", 4, ())
    assert found.anchor == "path:app/billing:metrics"


@pytest.mark.parametrize("runtime", ["Runtime(**RUNTIME_OPTIONS)", "Runtime(telemetry=make_telemetry())"])
def test_tpr306_a_runtime_built_from_options_it_cannot_see_may_export_metrics(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime: str) -> None:
    # The worker takes its runtime from the project's testing package: the metrics set-ups found there do
    # not count for production, but this runtime is the worker's own, and its telemetry is out of sight.
    files = {
        "app/__init__.py": "",
        "app/testing/__init__.py": "",
        "app/testing/runtime.py": ("from temporalio.runtime import Runtime\n"
                                   "from app.telemetry import RUNTIME_OPTIONS, make_telemetry\n\n"
                                   f"RUNTIME = {runtime}\n"),
        "app/worker.py": textwrap.dedent("""\
            import os
            from temporalio.client import Client
            from temporalio.worker import Worker
            from app.testing.runtime import RUNTIME

            async def main():
                client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], runtime=RUNTIME)
                await Worker(client, task_queue="orders", workflows=[]).run()
            """),
    }
    assert findings(tmp_path, monkeypatch, files, "TPR306") == []
