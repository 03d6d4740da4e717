"""The exact text of TPR501-TPR512 findings on Temporal server deployments: which keys a message names,
whether they are set or left to a default, singular and plural, the fix for Helm values and for operator
clusters; and the fingerprint of an all-in-one server Deployment."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.project_helpers import run_rules as lint
from tprlint.catalog import load_catalog
from tprlint.model import Finding
from tprlint.report import ReportContext
from tprlint.report.fingerprint import fingerprints


def by_rule(found: list[Finding]) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}
    for finding in found:
        messages.setdefault(finding.rule_id, []).append(finding.message)
    return messages


# -- TPR501 -----------------------------------------------------------------------------------

ALL_IN_ONE = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: temporal
      namespace: platform{labels}
    spec:
      replicas: {replicas}
      template:
        spec:
          containers:
            - name: temporal
              image: temporalio/server:1.24.2
"""

ALL_IN_ONE_FIX = (
    "One pod restart stops the API, workflow progress and task dispatch at once. Run each service as its own "
    "Deployment (env SERVICES=frontend, history, matching, worker - as the temporal Helm chart does) with at "
    "least those replicas."
)


def test_tpr501_all_in_one_message_names_the_deployment_its_one_replica_and_every_minimum(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"k8s/temporal.yaml": ALL_IN_ONE.format(labels="", replicas=1)}, "TPR501")
    assert [(f.location.path, f.location.line) for f in found] == [("k8s/temporal.yaml", 7)]
    assert found[0].message == (
        "Deployment temporal runs every Temporal service (frontend, history, matching, worker) in the same pods, "
        "1 replica (spec.replicas: 1): below the minimums (frontend 3, history 5, matching 3, worker 2). "
        + ALL_IN_ONE_FIX
    )


def test_tpr501_all_in_one_at_a_services_minimum_lists_only_the_minimums_above_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"k8s/temporal.yaml": ALL_IN_ONE.format(labels="", replicas=3)}, "TPR501")
    assert [f.message for f in found] == [
        "Deployment temporal runs every Temporal service (frontend, history, matching, worker) in the same pods, "
        "3 replicas (spec.replicas: 3): below the minimums (history 5). " + ALL_IN_ONE_FIX
    ]


def test_tpr501_all_in_one_fingerprint_follows_the_deployment_not_its_grouping_labels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ReportContext(rules=load_catalog(), version="0", files_scanned=1, color=False, base_dir=tmp_path)
    before = lint(tmp_path, monkeypatch, {"k8s/temporal.yaml": ALL_IN_ONE.format(labels="", replicas=1)}, "TPR501")
    labels = "\n      labels: {app.kubernetes.io/part-of: temporal-stack, app.kubernetes.io/instance: temporal-prod}"
    after = lint(tmp_path, monkeypatch, {"k8s/temporal.yaml": ALL_IN_ONE.format(labels=labels, replicas=1)},
                 "TPR501")
    assert [f.location.line for f in before] == [7] and [f.location.line for f in after] == [8]
    # Adding labels that regroup the server is no new finding: a baseline keeps matching it.
    assert fingerprints(after, ctx) == fingerprints(before, ctx)


def test_tpr501_service_message_shows_the_replica_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"k8s/temporal-worker.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: temporal-worker
          namespace: temporal
          labels: {app.kubernetes.io/instance: temporal, app.kubernetes.io/component: worker}
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: worker
                  image: temporalio/server:1.24.2
    """}, "TPR501")
    assert [f.message for f in found] == [
        "The Temporal worker service (Deployment temporal-worker) runs 1 replica (spec.replicas: 1), below the "
        "minimum of 2: it runs Temporal's own system workflows (schedules, batch operations, namespace deletion "
        "and replication, archival); with a single pod they stop whenever it restarts. Set spec.replicas (and any "
        "autoscaler's minimum) to 2 or more."
    ]


# -- TPR506 / TPR507 / TPR508 / TPR511: Helm values -------------------------------------------

HELM_VALUES = """
    server:
      replicaCount: 5
      config:
        persistence:
          numHistoryShards: 2048
        metrics:
          prometheus: null
      tls:
        frontend:
          enabled: false
      frontend:
        resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}
        podDisruptionBudget: {maxUnavailable: 1}
      history:
        resources: {requests: {cpu: "2", memory: 4Gi}, limits: {memory: 4Gi}}
        podDisruptionBudget: {maxUnavailable: 1}
      matching:
        resources: {requests: {cpu: "1", memory: 1Gi}, limits: {memory: 1Gi}}
      worker:
        podDisruptionBudget: {maxUnavailable: 1}
"""

NAME = "Helm values deploy/temporal/values.yaml"


def test_helm_values_messages_name_the_keys_their_state_and_the_values_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": HELM_VALUES},
                 "TPR506", "TPR507", "TPR508", "TPR511")
    messages = by_rule(found)
    assert messages["TPR506"] == [
        f"{NAME} runs the Temporal server without TLS for frontend and internode traffic "
        "(server.tls.frontend.enabled, server.tls.internode.enabled (unset)): workflow payloads, signals and "
        "credentials cross the network in clear text, and anyone who can reach the ports can join or impersonate "
        "cluster members. Enable server.tls.frontend and server.tls.internode (with certificates from a Secret), "
        "or configure server.config.tls frontend/internode certFile, keyFile and clientCaFiles. If a service mesh "
        "encrypts pod traffic, say so with the sidecar injection label in server.podLabels or suppress this "
        "finding."
    ]
    assert messages["TPR507"] == [
        f"{NAME} configures no authorizer (server.config.authorization.authorizer unset), so the server uses its "
        "no-op authorizer and allows every API call: anyone who can reach the frontend can start, terminate, read "
        "or reset any workflow and register or delete namespaces. To fix, set "
        "server.config.authorization.authorizer: default and claimMapper: default with "
        "jwtKeyProvider.keySourceURIs (your identity provider's JWKS), or plug in a custom Authorizer and "
        "ClaimMapper in your own server build."
    ]
    assert messages["TPR508"] == [
        f"{NAME} exposes no server metrics (server.config.metrics.prometheus off): without service_requests/"
        "errors/latency, persistence latency and shard lock contention (semaphore_latency) an overloaded or "
        "failing cluster goes unnoticed. To fix, restore server.config.metrics.prometheus (listenAddress "
        "\"0.0.0.0:9090\")."
    ]
    assert sorted(messages["TPR511"]) == [
        f"No PodDisruptionBudget protects the Temporal matching service of {NAME}: a node drain or cluster "
        "upgrade may evict every pod of a service at once. To fix, set server.<service>.podDisruptionBudget "
        "(e.g. {maxUnavailable: 1}).",
        f"The Temporal worker service of {NAME} requests no CPU or memory and has no memory limit: the scheduler "
        "packs them blindly, history and matching (large shard and task-queue caches) are the first pods evicted "
        "under node pressure, and a leak can take the node down. Set server.resources (or "
        "server.<service>.resources) with cpu/memory requests and a memory limit.",
    ]


def test_tpr507_names_an_empty_authorizer_as_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          config:
            persistence:
              numHistoryShards: 2048
            authorization:
              authorizer: ""
              claimMapper: ""
    """}, "TPR507")
    assert [(f.location.line, f.message.split(", so ")[0]) for f in found] == [
        (6, f"{NAME} configures no authorizer (server.config.authorization.authorizer empty)")]


def test_tpr508_names_the_one_service_nothing_scrapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          replicaCount: 5
          config:
            persistence:
              numHistoryShards: 2048
          metrics:
            annotations:
              enabled: true
          history:
            metrics:
              annotations:
                enabled: false
    """}, "TPR508")
    assert [f.message for f in found] == [
        f"Nothing scrapes the metrics of the Temporal history service of {NAME}: the Prometheus pod annotations "
        "are disabled (server.metrics.annotations.enabled: false) and no ServiceMonitor is enabled "
        "(server.metrics.serviceMonitor.enabled) or present in the scanned manifests. Enable one of them so the "
        "server's metrics reach your monitoring."
    ]


# -- the same rules on an operator cluster ----------------------------------------------------

CLUSTER = """
    apiVersion: temporal.io/v1beta1
    kind: TemporalCluster
    metadata:
      name: prod
      namespace: temporal
    spec:
      version: 1.24.3
      numHistoryShards: 2048
      image: temporalio/server:1.24.3
      services:
        frontend: {replicas: 3, resources: {requests: {cpu: "1", memory: 1Gi}, limits: {memory: 1Gi}}}
        history: {replicas: 5, resources: {requests: {cpu: "2", memory: 4Gi}, limits: {memory: 4Gi}}}
        matching: {replicas: 3, resources: {requests: {cpu: "1", memory: 1Gi}, limits: {memory: 1Gi}}}
        worker: {replicas: 2}
      persistence:
        defaultStore:
          sql: {pluginName: postgres12, connectAddr: "pg:5432", databaseName: temporal}
          passwordSecretRef: {name: pg, key: password}
        visibilityStore:
          sql: {pluginName: postgres12, connectAddr: "pg:5432", databaseName: temporal_visibility}
          passwordSecretRef: {name: pg, key: password}
      mTLS:
        provider: cert-manager
        internode: {enabled: true}
"""

BUDGET = """
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {{name: prod-{service}, namespace: temporal}}
    spec:
      maxUnavailable: 1
      selector:
        matchLabels: {{app.kubernetes.io/name: prod, app.kubernetes.io/component: {service}}}
"""


def test_operator_cluster_messages_name_the_spec_fields_and_the_operator_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    budgets = "---\n".join(textwrap.dedent(BUDGET.format(service=s)) for s in ("frontend", "history", "matching"))
    found = lint(tmp_path, monkeypatch, {"temporal/cluster.yaml": CLUSTER, "temporal/pdb.yaml": budgets},
                 "TPR506", "TPR507", "TPR508", "TPR511")
    messages = by_rule(found)
    assert messages["TPR506"] == [
        "TemporalCluster prod runs the Temporal server without TLS for frontend traffic (spec.mTLS.frontend.enabled "
        "(unset)): workflow payloads, signals and credentials cross the network in clear text, and anyone who can "
        "reach the ports can join or impersonate cluster members. Enable spec.mTLS (provider cert-manager with "
        "frontend.enabled and internode.enabled, or provider istio/linkerd when a mesh encrypts pod traffic)."
    ]
    assert messages["TPR507"] == [
        "TemporalCluster prod configures no authorizer (spec.authorization.authorizer unset), so the server uses "
        "its no-op authorizer and allows every API call: anyone who can reach the frontend can start, terminate, "
        "read or reset any workflow and register or delete namespaces. To fix, set spec.authorization.authorizer: "
        "default and claimMapper: default with jwtKeyProvider.keySourceURIs, or plug in a custom Authorizer and "
        "ClaimMapper in your own server build."
    ]
    assert messages["TPR508"] == [
        "TemporalCluster prod exposes no server metrics (spec.metrics.enabled unset: the operator's default is off): "
        "without service_requests/errors/latency, persistence latency and shard lock contention (semaphore_latency) "
        "an overloaded or failing cluster goes unnoticed. To fix, set spec.metrics.enabled: true with "
        "spec.metrics.prometheus (and a scrapeConfig)."
    ]
    assert sorted(messages["TPR511"]) == [
        "No PodDisruptionBudget protects the Temporal worker service of TemporalCluster prod: a node drain or "
        "cluster upgrade may evict every pod of a service at once. To fix, add PodDisruptionBudgets selecting "
        "app.kubernetes.io/name: <cluster> and app.kubernetes.io/component: <service>.",
        "The Temporal worker service of TemporalCluster prod requests no CPU or memory and has no memory limit: the "
        "scheduler packs them blindly, history and matching (large shard and task-queue caches) are the first pods "
        "evicted under node pressure, and a leak can take the node down. Set spec.services.<service>.resources "
        "with cpu/memory requests and a memory limit.",
    ]


def test_tpr508_on_an_operator_cluster_that_turns_metrics_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = CLUSTER.replace("      mTLS:", "      metrics:\n        enabled: false\n      mTLS:")
    found = lint(tmp_path, monkeypatch, {"temporal/cluster.yaml": cluster}, "TPR508")
    assert [(f.location.line, f.message.split(": without")[0]) for f in found] == [
        (23, "TemporalCluster prod exposes no server metrics (spec.metrics.enabled off)")]


# -- TPR504 / TPR509 / TPR512 -----------------------------------------------------------------


def test_tpr509_fix_depends_on_where_the_password_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        server:
          replicaCount: 5
          additionalEnv:
            - name: SQL_PASSWORD
              value: s3cr3t-from-the-wiki
          config:
            persistence:
              numHistoryShards: 2048
              default:
                driver: cassandra
                cassandra:
                  hosts: [cassandra-0.cassandra, cassandra-1.cassandra, cassandra-2.cassandra]
                  keyspace: temporal
                  password: s3cr3t-from-the-wiki
                  replicationFactor: 3
    """}, "TPR509")
    literal = (f"A database password is written in {NAME} as a literal ({{key}}; value not shown): everyone who can "
               "read the repository, the CI logs or the rendered release can read it, and rotating it means a commit. "
               "To fix, {fix}, and rotate the exposed password.")
    assert [(f.location.line, f.message) for f in found] == [
        (5, literal.format(key="server.additionalEnv.0.value",
                           fix="take the variable from a Secret (valueFrom.secretKeyRef, or additionalEnvSecretName)")),
        (14, literal.format(key="server.config.persistence.default.cassandra.password",
                            fix="reference a Kubernetes Secret instead (existingSecret and secretKey on the store), "
                                "or use passwordCommand (server 1.31+)")),
    ]


def test_tpr504_names_the_bundled_sub_chart_of_an_umbrella_chart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"platform/values-prod.yaml": """
        temporal:
          server:
            replicaCount: 5
            config:
              persistence:
                default:
                  driver: sql
                  sql: {driver: postgres12, host: postgresql, port: 5432, database: temporal, existingSecret: pg}
          postgresql:
            enabled: true
    """}, "TPR504")
    assert [(f.location.line, f.message) for f in found] == [(10, (
        "Helm values platform/values-prod.yaml deploys the bundled `postgresql` sub-chart of the legacy temporal "
        "chart (temporal.postgresql.enabled: true), without persistent volumes (persistence.enabled is not true: "
        "data is lost when its pods restart). These sub-charts are demo-grade: no backups, no tuning, removed from "
        "chart 1.0. Run the database outside the chart (a managed service or an operator with replication and "
        "persistent volumes) and point server.config.persistence at it."
    ))]


def test_tpr512_explains_a_map_of_pull_secrets_apart_from_a_removed_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/temporal/values.yaml": """
        imagePullSecrets: {}
        server:
          config:
            persistence:
              numHistoryShards: 2048
              datastores:
                default:
                  sql: {pluginName: postgres12, connectAddr: "pg:5432", existingSecret: pg}
        elasticsearch:
          enabled: false
    """}, "TPR512")
    assert [(f.location.line, f.message) for f in found] == [
        (1, "`imagePullSecrets` is a map (the legacy 0.x default `{}`); the current temporal chart (1.x) fails to "
            "render unless it is a list. Use `imagePullSecrets: []` or a list of `{name: ...}`."),
        (9, "`elasticsearch` is a legacy (0.x) key of the temporal chart: the current chart (1.x) removed it and "
            "fails to render while it is set (even `enabled: false` inside it counts). Remove the block and "
            "configure Elasticsearch under server.config.persistence.datastores.<name>.elasticsearch and run it "
            "outside the chart."),
    ]
