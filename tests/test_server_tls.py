"""Mutual TLS on the Temporal server (TPR514, TPR515): where TLS is on, whether the server checks the
certificate of whoever connects - read from the chart's TLS toggles, raw server.config.tls, merged
values layers and server config files - and when that matters for the frontend (exposed outside the
cluster, or clients presenting certificates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import run_rules as lint
from tprlint.model import Finding


def where(found: list[Finding], rule: str) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.line) for f in found if f.rule_id == rule)


VALUES = "deploy/temporal/values.yaml"

BASE = """
    server:
      replicaCount: 3
      config:
        persistence:
          numHistoryShards: 1024
      tls:
        frontend: {enabled: true, secretName: temporal-frontend-tls, serverName: temporal.example.com}
        internode: {enabled: true, secretName: temporal-internode-tls, serverName: temporal-internode}
"""

CERT_WORKER = """
    import asyncio
    from pathlib import Path

    from temporalio.client import Client
    from temporalio.service import TLSConfig
    from temporalio.worker import Worker


    async def main() -> None:
        tls = TLSConfig(client_cert=Path("/tls/tls.crt").read_bytes(),
                        client_private_key=Path("/tls/tls.key").read_bytes())
        client = await Client.connect("temporal.example.com:7233", namespace="orders", tls=tls)
        await Worker(client, task_queue="orders", workflows=[]).run()


    if __name__ == "__main__":
        asyncio.run(main())
"""


def test_an_internal_frontend_with_tls_only_is_not_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {VALUES: BASE}, "TPR514", "TPR515")
    assert found == []


def test_an_exposing_overlay_makes_the_frontend_need_client_certificates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        VALUES: BASE,
        "deploy/temporal/values-prod.yaml": """
            server:
              frontend:
                ingress:
                  enabled: true
                  hosts: [temporal.example.com]
        """,
    }, "TPR514")
    assert where(found, "TPR514") == [(VALUES, 7)]
    message = found[0].message
    assert "server.frontend.ingress.enabled" in message and "the chart's default" in message


def test_an_authorizer_makes_an_exposed_frontend_safe_without_client_certificates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = BASE + """
      frontend:
        service: {type: LoadBalancer}
    """
    authorized = values.replace("      config:\n", "      config:\n        authorization: {authorizer: default, "
                                                  "claimMapper: default}\n")
    assert where(lint(tmp_path / "open", monkeypatch, {VALUES: values}, "TPR514"), "TPR514") == [(VALUES, 7)]
    assert lint(tmp_path / "jwt", monkeypatch, {VALUES: authorized}, "TPR514") == []


def test_a_load_balancer_manifest_for_the_frontend_counts_as_exposure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        VALUES: BASE,
        "deploy/temporal/frontend-lb.yaml": """
            apiVersion: v1
            kind: Service
            metadata:
              name: temporal-frontend-external
              namespace: temporal
            spec:
              type: LoadBalancer
              selector: {app.kubernetes.io/name: temporal, app.kubernetes.io/component: frontend}
              ports: [{name: grpc-rpc, port: 7233, targetPort: 7233}]
        """,
    }, "TPR514")
    assert where(found, "TPR514") == [(VALUES, 7)]
    assert "Service temporal-frontend-external of type LoadBalancer" in found[0].message


def test_client_certificates_the_server_ignores_are_reported_and_required_ones_are_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path / "ignored", monkeypatch, {VALUES: BASE, "orders/worker.py": CERT_WORKER}, "TPR514")
    assert where(found, "TPR514") == [(VALUES, 7)]
    assert "orders/worker.py:12" in found[0].message
    required = BASE.replace("serverName: temporal.example.com}",
                            "serverName: temporal.example.com, requireClientAuth: true}")
    assert lint(tmp_path / "required", monkeypatch, {VALUES: required, "orders/worker.py": CERT_WORKER},
                "TPR514") == []


def test_raw_tls_config_requires_client_auth_only_when_it_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = """
        server:
          replicaCount: 3
          config:
            persistence:
              numHistoryShards: 1024
            tls:
              internode:
                server:
                  certData: ${INTERNODE_CERT}
                  keyData: ${INTERNODE_KEY}
              frontend:
                server:
                  certFile: /certs/frontend.pem
                  keyFile: /certs/frontend.key
                  requireClientAuth: true
                  clientCaFiles: [/certs/ca.pem]
          frontend:
            service: {type: NodePort}
    """
    found = lint(tmp_path, monkeypatch, {VALUES: values}, "TPR514", "TPR515")
    assert where(found, "TPR514") == []
    assert where(found, "TPR515") == [(VALUES, 8)]
    assert "server.config.tls.internode.server.requireClientAuth: false - the server's default" in found[0].message


def test_a_server_config_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = """
        log:
          level: info
        persistence:
          numHistoryShards: 2048
          defaultStore: default
          datastores:
            default:
              sql: {pluginName: postgres12, connectAddr: "db:5432", databaseName: temporal}
        global:
          tls:
            internode:
              server:
                certFile: /certs/internode.pem
                keyFile: /certs/internode.key
                requireClientAuth: false
              client:
                serverName: internode
                rootCaFiles: [/certs/ca.pem]
    """
    found = lint(tmp_path, monkeypatch, {"config/production.yaml": config}, "TPR515")
    assert where(found, "TPR515") == [("config/production.yaml", 15)]


def test_a_mesh_that_injects_mtls_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = BASE.replace("internode: {enabled: true,", "internode: {enabled: true, requireClientAuth: false,") + """
      podLabels:
        sidecar.istio.io/inject: "true"
      frontend:
        service: {type: LoadBalancer}
    """
    assert lint(tmp_path, monkeypatch, {VALUES: values}, "TPR514", "TPR515") == []


def test_a_templated_client_auth_is_unknown_not_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = BASE.replace("internode: {enabled: true,", "internode: {enabled: true, requireClientAuth: "
                                                        "\"{{ .Values.mtls }}\",")
    assert lint(tmp_path, monkeypatch, {VALUES: values}, "TPR515") == []


def test_client_certificates_for_temporal_cloud_say_nothing_of_this_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = CERT_WORKER.replace('"temporal.example.com:7233", namespace="orders"',
                                '"orders.a2b3c.tmprl.cloud:7233", namespace="orders.a2b3c"')
    assert "tmprl.cloud" in cloud
    assert lint(tmp_path, monkeypatch, {VALUES: BASE, "orders/worker.py": cloud}, "TPR514") == []
