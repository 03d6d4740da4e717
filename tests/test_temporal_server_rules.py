"""TPR501-TPR513 and TPR901 on projects with more than one thing to judge: several releases, services,
stores or images, where each must be judged on its own; and the hand-off between the server rules and the
generic workload rules (TPR404, TPR405, TPR406, TPR407), which must not report a server problem twice nor
stay silent on a workload the server rules do not judge."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import run_rules as lint
from tprlint.model import Finding


def where(found: list[Finding], rule: str) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.line) for f in found if f.rule_id == rule)


# -- the server rules and the generic workload rules ------------------------------------------

SERVER_HISTORY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: temporal-history
      namespace: temporal
      labels: {app.kubernetes.io/instance: temporal, app.kubernetes.io/component: history}
    spec:
      replicas: 1
      template:
        spec:
          containers:
            - name: history
              image: temporalio/server:1.24.2
"""

ORDERS_WORKER = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders-worker
      namespace: orders
    spec:
      replicas: {replicas}
      template:
        spec:
          containers:
            - name: worker
              image: ghcr.io/acme/orders-worker:1.4.0
              env:
                - {{name: TEMPORAL_ADDRESS, value: "temporal-frontend.temporal:7233"}}
                - {{name: TEMPORAL_TASK_QUEUE, value: orders}}{resources}
"""

WORKER_RESOURCES = """
              resources:
                requests: {cpu: 500m, memory: 512Mi}
                limits: {memory: 1Gi}"""

RENDERED_HISTORY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: temporal-history
      namespace: temporal
      labels:
        helm.sh/chart: temporal-1.6.0
        app.kubernetes.io/instance: temporal
        app.kubernetes.io/component: history
    spec:
      replicas: 5
      template:
        spec:
          containers:
            - name: temporal-history
              image: temporalio/server:1.24.2
"""

VALUES_WITH_BUDGETS = """
    server:
      replicaCount: 3
      config:
        persistence:
          numHistoryShards: 1024
      frontend:
        podDisruptionBudget: {maxUnavailable: 1}
      history:
        replicaCount: 5
        podDisruptionBudget: {maxUnavailable: 1}
      matching:
        podDisruptionBudget: {maxUnavailable: 1}
      worker:
        podDisruptionBudget: {maxUnavailable: 1}
    web:
      enabled: false
"""

VALUES_WITH_RESOURCES = """
    server:
      replicaCount: 3
      resources:
        requests: {cpu: "1", memory: 2Gi}
        limits: {memory: 2Gi}
      config:
        persistence:
          numHistoryShards: 1024
      history:
        replicaCount: 5
    web:
      enabled: false
"""


def test_a_server_deployment_is_judged_by_tpr501_and_an_application_worker_by_tpr406(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = ORDERS_WORKER.format(replicas=1, resources=WORKER_RESOURCES)
    found = lint(tmp_path, monkeypatch, {"k8s/temporal-history.yaml": SERVER_HISTORY, "k8s/orders-worker.yaml": worker},
                 "TPR404", "TPR406", "TPR501")
    assert where(found, "TPR501") == [("k8s/temporal-history.yaml", 8)]
    assert where(found, "TPR406") == [("k8s/orders-worker.yaml", 7)]
    # Resources of hand-written server Deployments are TPR404's (TPR511 reads values and operator clusters).
    assert where(found, "TPR404") == [("k8s/temporal-history.yaml", 12)]


def test_missing_resources_in_the_values_silence_tpr404_on_manifests_rendered_from_them_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES_WITH_BUDGETS,
        "deploy/temporal/rendered/history.yaml": RENDERED_HISTORY,
        "k8s/orders-worker.yaml": ORDERS_WORKER.format(replicas=2, resources=""),
    }, "TPR404", "TPR405", "TPR407", "TPR511")
    assert [f.location.path for f in found if f.rule_id == "TPR511"] == ["deploy/temporal/values.yaml"]
    # TPR511 reports the missing resources in the values; the manifests rendered from them are not reported
    # again, an application worker elsewhere is.
    assert where(found, "TPR404") == [("k8s/orders-worker.yaml", 11)]
    assert where(found, "TPR405") == [("k8s/orders-worker.yaml", 11)]
    # The values configure every budget: nothing silences TPR407 (no budget is among the rendered manifests).
    assert where(found, "TPR407") == [("deploy/temporal/rendered/history.yaml", 2), ("k8s/orders-worker.yaml", 2)]


def test_missing_budgets_in_the_values_silence_tpr407_on_rendered_manifests_but_not_tpr404(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES_WITH_RESOURCES,
        "deploy/temporal/rendered/history.yaml": RENDERED_HISTORY,
        "k8s/orders-worker.yaml": ORDERS_WORKER.format(replicas=2, resources=""),
    }, "TPR404", "TPR407", "TPR511")
    assert [f.location.path for f in found if f.rule_id == "TPR511"] == ["deploy/temporal/values.yaml"]
    # The values set resources: rendered manifests without them are stale, and TPR404 says so.
    assert where(found, "TPR404") == [("deploy/temporal/rendered/history.yaml", 15), ("k8s/orders-worker.yaml", 11)]
    assert where(found, "TPR407") == [("k8s/orders-worker.yaml", 2)]


# -- every release, service, store and image is judged ----------------------------------------


def test_a_templated_service_does_not_hide_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          replicaCount: 3
          config:
            persistence:
              numHistoryShards: 2048
          frontend:
            replicaCount: "{{ .Values.global.frontendReplicas }}"
          history:
            replicaCount: 5
          worker:
            replicaCount: 1
    """}, "TPR501")
    assert where(found, "TPR501") == [("deploy/temporal/values.yaml", 11)]
    assert "The Temporal worker service runs 1 replica (server.worker.replicaCount: 1)" in found[0].message


def test_each_all_in_one_deployment_of_a_server_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: platform
          labels: {{app.kubernetes.io/instance: temporal}}
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: temporal
                  image: temporalio/server:1.24.2
        """
    text = textwrap.dedent(deployment.format(name="temporal")) + "---\n" + \
        textwrap.dedent(deployment.format(name="temporal-canary"))
    found = lint(tmp_path, monkeypatch, {"k8s/temporal.yaml": text}, "TPR501")
    assert where(found, "TPR501") == [("k8s/temporal.yaml", 8), ("k8s/temporal.yaml", 23)]
    assert [f.message.split(" runs ")[0] for f in found] == ["Deployment temporal", "Deployment temporal-canary"]


def test_each_release_is_judged_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sorted by path, the well-configured release comes first: it must not end the judging.
    found = lint(tmp_path, monkeypatch, {
        "deploy/orders-temporal/values.yaml": """
            server:
              config:
                logLevel: info
                persistence:
                  numHistoryShards: 2048
              tls:
                frontend: {enabled: true}
                internode: {enabled: true}
        """,
        "deploy/temporal/values.yaml": """
            server:
              config:
                logLevel: debug
                persistence:
                  numHistoryShards: 64
        """,
    }, "TPR502", "TPR506", "TPR513", "TPR901")
    values = "deploy/temporal/values.yaml"
    assert where(found, "TPR502") == [(values, 5)]
    assert where(found, "TPR506") == [(values, 1)]
    assert where(found, "TPR513") == [(values, 3)]
    # The project-level note points at the first server found.
    assert where(found, "TPR901") == [("deploy/orders-temporal/values.yaml", 1)]
    assert "(Helm values deploy/orders-temporal/values.yaml)" in next(f for f in found if f.rule_id == "TPR901").message


def test_dev_server_in_a_local_overlay_does_not_hide_the_staging_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: temporal
          namespace: temporal
        spec:
          template:
            spec:
              containers:
                - name: temporal
                  image: temporalio/admin-tools:1.24.2
                  command: ["temporal", "server", "start-dev", "--ip", "0.0.0.0", "--db-filename", "/data/t.db"]
        """
    found = lint(tmp_path, monkeypatch, {"deploy/local/temporal.yaml": deployment,
                                         "deploy/staging/temporal.yaml": deployment}, "TPR503")
    assert where(found, "TPR503") == [("deploy/staging/temporal.yaml", 10)]


LEGACY_CASSANDRA = """
    server:
      replicaCount: 3
      config:
        persistence:
          default:
            driver: cassandra
            cassandra: {{hosts: [cassandra.{team}], keyspace: temporal, existingSecret: cassandra}}
          visibility:
            driver: cassandra
            cassandra: {{hosts: [cassandra.{team}], keyspace: temporal_visibility, existingSecret: cassandra}}
"""


def test_visibility_is_judged_per_release_and_per_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        # An external Elasticsearch serves advanced visibility.
        "deploy/billing/values.yaml": textwrap.dedent(LEGACY_CASSANDRA.format(team="billing"))
        + "elasticsearch:\n  enabled: false\n  external: true\n  host: es.billing.svc\n",
        # Legacy values without an elasticsearch block: the 0.x chart's bundled one may serve it.
        "deploy/orders/values.yaml": textwrap.dedent(LEGACY_CASSANDRA.format(team="orders"))
        + "cassandra:\n  enabled: false\n",
        # Advanced visibility on Elasticsearch, and a standard-visibility MySQL store beside it.
        "deploy/temporal/values.yaml": """
            server:
              config:
                persistence:
                  defaultStore: default
                  visibilityStore: es-visibility
                  secondaryVisibilityStore: mysql-visibility
                  datastores:
                    default:
                      sql: {pluginName: mysql8, connectAddr: "mysql:3306", databaseName: temporal, existingSecret: db}
                    es-visibility:
                      elasticsearch:
                        version: v7
                        url: {scheme: https, host: "es.internal:9200"}
                        indices: {visibility: temporal_visibility_v1}
                    mysql-visibility:
                      sql: {pluginName: mysql, connectAddr: "mysql:3306", databaseName: visibility, existingSecret: db}
        """,
    }, "TPR505")
    assert where(found, "TPR505") == [("deploy/temporal/values.yaml", 16)]
    assert "(server.config.persistence.datastores.mysql-visibility)" in found[0].message


def test_a_password_in_a_local_helmfile_is_skipped_and_the_shared_values_one_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/local/helmfile.yaml": """
            releases:
              - name: temporal
                namespace: temporal
                chart: temporal/temporal
                version: 1.6.0
                values:
                  - server:
                      config:
                        persistence:
                          datastores:
                            default:
                              sql: {password: temporal}
                  - ../temporal/values.yaml
        """,
        "deploy/temporal/values.yaml": """
            server:
              config:
                persistence:
                  numHistoryShards: 2048
                  datastores:
                    default:
                      sql: {pluginName: postgres12, connectAddr: "pg.prod.internal:5432", password: "Tmp-Prod-24!"}
        """,
    }, "TPR509")
    assert where(found, "TPR509") == [("deploy/temporal/values.yaml", 7)]


def test_image_and_resource_rules_skip_plain_manifests_and_judge_the_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/edge/temporal.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: temporal, namespace: edge}
            spec:
              replicas: 1
              template:
                spec:
                  containers:
                    - name: temporal
                      image: temporalio/server:latest
        """,
        "deploy/temporal/values.yaml": """
            server:
              image: {repository: temporalio/server, tag: latest}
              config:
                persistence:
                  numHistoryShards: 2048
        """,
    }, "TPR510", "TPR511")
    values = "deploy/temporal/values.yaml"
    assert where(found, "TPR510") == [(values, 2)]
    assert where(found, "TPR511") == [(values, 1), (values, 1)]


def test_a_pinned_server_image_does_not_hide_the_ui_on_latest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          image: {repository: temporalio/server, tag: 1.24.2}
          config:
            persistence:
              numHistoryShards: 2048
        web:
          image: {repository: temporalio/ui, tag: latest}
    """}, "TPR510")
    assert where(found, "TPR510") == [("deploy/temporal/values.yaml", 7)]
    assert found[0].message.startswith("The Temporal ui image of Helm values deploy/temporal/values.yaml is "
                                       "`temporalio/ui:latest` (web.image.tag): ")
    # The UI has no database schema to outrun: its risk is a release made for another server version.
    assert "a pod restart can bring a UI release made for another server version" in found[0].message
    assert "schema" not in found[0].message


def test_latest_written_into_the_repository_is_reported_and_a_bare_repository_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path / "latest", monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          image:
            repository: temporalio/server:latest
          config:
            persistence:
              numHistoryShards: 2048
    """}, "TPR510")
    assert [(f.rule_id, f.location.path, f.location.line) for f in found] == [
        ("TPR510", "deploy/temporal/values.yaml", 3)]
    assert "is `temporalio/server:latest` (server.image.repository)" in found[0].message
    found = lint(tmp_path / "mirror", monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          image:
            repository: registry.acme.internal/mirror/temporalio/server
          config:
            persistence:
              numHistoryShards: 2048
    """}, "TPR510")
    assert found == []


def test_legacy_only_values_do_not_hide_the_current_charts_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/legacy/values.yaml": """
            server:
              replicaCount: 3
              config:
                numHistoryShards: 2048
            cassandra:
              enabled: true
        """,
        "deploy/temporal/values.yaml": """
            server:
              config:
                persistence:
                  numHistoryShards: 2048
                  datastores:
                    default:
                      sql: {pluginName: postgres12, connectAddr: "pg:5432", existingSecret: pg}
            elasticsearch:
              enabled: false
        """,
    }, "TPR512")
    assert where(found, "TPR512") == [("deploy/temporal/values.yaml", 8)]


# -- thresholds -------------------------------------------------------------------------------


def test_cassandra_replication_factor_two_keeps_a_second_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = """
        server:
          config:
            persistence:
              numHistoryShards: 2048
              default:
                driver: cassandra
                cassandra:
                  hosts: [cassandra-0.cassandra, cassandra-1.cassandra, cassandra-2.cassandra]
                  keyspace: temporal
                  existingSecret: cassandra
                  replicationFactor: {rf}
        """
    assert lint(tmp_path / "two", monkeypatch, {"deploy/temporal/values.yaml": values.format(rf=2)}, "TPR504") == []
    found = lint(tmp_path / "one", monkeypatch, {"deploy/temporal/values.yaml": values.format(rf=1)}, "TPR504")
    assert where(found, "TPR504") == [("deploy/temporal/values.yaml", 11)]
    assert "keeps one copy of its data (server.config.persistence.default.cassandra.replicationFactor: 1)" in \
        found[0].message
