"""TPR501-TPR513, TPR901, TPR902 on Temporal server deployments written the way real projects write
them: values for the temporal chart (1.x and the legacy 0.x layout) kept without a chart folder,
overlays beside them, helmfiles with environments, Flux and Argo CD releases, umbrella charts,
operator clusters, rendered and hand-written server Deployments — and the values a rule must not
trust (templates, development overlays, unrelated `server:` blocks)."""

from __future__ import annotations

import pickle
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from tprlint.catalog import load_catalog
from tprlint.config import Config, parse_table
from tprlint.discover.classify import FileKind, classify
from tprlint.engine import run
from tprlint.facts.extract import extract_file
from tprlint.facts.temporal_server import Merged, Node, Setting, is_dev_path, values_shape
from tprlint.model import Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "server_values"
Found = tuple[str, str, int, str]  # rule, path, line, message


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str] | None = None,
         copy: dict[str, str] | None = None, select: str = "TPR5,TPR9", config: str = "") -> list[Found]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path)
    for target, source in (copy or {}).items():
        shutil.copytree(DATA / source, tmp_path / target)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    base = Config(root=tmp_path)
    if config:
        base = parse_table(tomllib.loads(config), set(load_catalog()), tmp_path / ".tprlint.toml")
    result = run([tmp_path], base.with_overrides(select=tuple(select.split(",")), root=tmp_path),
                 use_cache=False, jobs=1)
    return [(f.rule_id, f.location.path, f.location.line, f.message) for f in result.findings]


def rules_at(found: list[Found], rule: str) -> list[tuple[str, int]]:
    return [(path, line) for r, path, line, _ in found if r == rule]


def messages(found: list[Found], rule: str) -> list[str]:
    return [message for r, _, _, message in found if r == rule]


# -- the upstream 1.x layout ------------------------------------------------------------------


def test_upstream_layout_one_replica_and_four_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, copy={"deploy/temporal": "chart-1x"})
    values = "deploy/temporal/values.yaml"
    # Once per service, at the key that sets the number: the shared server.replicaCount.
    assert rules_at(found, "TPR501") == [(values, 12)] * 4
    assert sorted(m.split(" service")[0] for m in messages(found, "TPR501")) == [
        "The Temporal frontend", "The Temporal history", "The Temporal matching", "The Temporal worker"]
    assert all("server.replicaCount: 1" in m for m in messages(found, "TPR501"))
    # The shard count, at its key, saying it can never change.
    assert rules_at(found, "TPR502") == [(values, 32)]
    assert "can never be changed after the cluster is created" in messages(found, "TPR502")[0]
    assert rules_at(found, "TPR506") == [(values, 22)]  # server.tls, explicitly off
    assert rules_at(found, "TPR507") == [(values, 6)]  # no authorization block: at `server:`
    assert ("TPR511", values, 6) in [(r, p, line) for r, p, line, _ in found]
    # existingSecret everywhere, "debug,info" is info, pinned images, 1.x keys only: nothing else.
    for silent in ("TPR503", "TPR504", "TPR505", "TPR509", "TPR510", "TPR512", "TPR513"):
        assert rules_at(found, silent) == [], silent
    assert rules_at(found, "TPR901") == [(values, 6)]
    assert rules_at(found, "TPR902") == [(values, 6)]


def test_per_service_override_wins_and_zero_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501", files={"helm/temporal-values.yaml": """
        server:
          replicaCount: 3
          config:
            persistence:
              numHistoryShards: 1024
          history:
            replicaCount: 0    # Helm's `default` treats 0 as empty: the shared 3 applies
          matching:
            replicaCount: 5
          worker:
            replicaCount: 1
    """})
    assert rules_at(found, "TPR501") == [("helm/temporal-values.yaml", 2), ("helm/temporal-values.yaml", 11)]
    history, worker = messages(found, "TPR501")
    assert "history service runs 3 replicas" in history and "Set server.history.replicaCount to 5" in history
    assert "worker service runs 1 replica (server.worker.replicaCount: 1)" in worker


def test_chart_default_when_no_key_sets_replicas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501", files={"values.yaml": """
        server:
          config:
            persistence:
              numHistoryShards: 1024
          frontend:
            enabled: false      # e.g. a separate release runs the frontends
    """})
    assert rules_at(found, "TPR501") == [("values.yaml", 1)] * 3
    assert all("the chart default" in m and "default" in m for m in messages(found, "TPR501"))


def test_templated_replicas_are_not_guessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR502", files={"values.yaml": """
        server:
          replicaCount: "{{ .Values.global.replicas }}"
          config:
            persistence:
              numHistoryShards: "{{ .Values.global.shards }}"
    """})
    assert found == []


def test_thresholds_come_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = """
[thresholds]
history-min-replicas = 2
frontend-min-replicas = 1
matching-min-replicas = 1
worker-service-min-replicas = 1
min-history-shards = 2048
"""
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR502", config=config, files={"values.yaml": """
        server:
          replicaCount: 1
          config:
            persistence:
              numHistoryShards: 1024
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR501", 2), ("TPR502", 5)]
    assert "minimum of 2048" in found[1][3]


# -- the legacy 0.x layout --------------------------------------------------------------------


def test_legacy_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, copy={"helm/temporal": "chart-0x"})
    values = "helm/temporal/values.yaml"
    assert sorted(rules_at(found, "TPR501")) == [(values, 3)] * 3 + [(values, 40)]
    assert rules_at(found, "TPR502") == []  # 512 under server.config
    # Passwords of the store's driver (cassandra) only; the unused sql block's "temporal" is not reported.
    assert rules_at(found, "TPR509") == [(values, 19), (values, 36)]
    # RF 1 on both keyspaces, the bundled Elasticsearch and Cassandra without persistent volumes.
    assert sorted(rules_at(found, "TPR504")) == [(values, 21), (values, 38), (values, 51), (values, 68)]
    # Visibility on Cassandra, but the bundled Elasticsearch (enabled) serves advanced visibility.
    assert rules_at(found, "TPR505") == []
    # Pure legacy values with no version: they may be rendered by a 0.x chart.
    assert rules_at(found, "TPR512") == []


def test_legacy_keys_in_values_for_the_current_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR512", files={"deploy/temporal/values.yaml": """
        imagePullSecrets: {}
        server:
          config:
            numHistoryShards: 2048
            persistence:
              numHistoryShards: 2048
              datastores:
                default:
                  sql: {pluginName: mysql8, connectAddr: "mysql:3306"}
          internalFrontend:
            enabled: true
        cassandra:
          enabled: false
        elasticsearch:
          enabled: false
        prometheus:
          enabled: false
        grafana:
          enabled: false
        schema:
          setup: {enabled: false}
    """})
    lines = [line for _, _, line, _ in found]
    assert lines == [1, 4, 10, 12, 14, 16, 18, 21]
    by_line = {line: message for _, _, line, message in found}
    assert "ignores it" in by_line[4] and "server.internal-frontend" in by_line[10]
    assert "fails to render" in by_line[12] and "must be a list" not in by_line[12]


def test_chart_version_from_a_flux_helmrelease(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR512,TPR501", files={"clusters/prod/temporal.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: temporal
          namespace: temporal
        spec:
          interval: 10m
          chart:
            spec:
              chart: temporal
              version: "1.6.0"
              sourceRef: {kind: HelmRepository, name: temporal}
          values:
            server:
              replicaCount: 3
              history: {replicaCount: 5}
              worker: {replicaCount: 1}
            grafana:
              enabled: false
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR501", 17), ("TPR512", 18)]


def test_argo_application_values_string_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR502", files={"argocd/temporal.yaml": """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: temporal
        spec:
          source:
            repoURL: https://go.temporal.io/helm-charts
            chart: temporal
            targetRevision: 1.6.0
            helm:
              values: |
                server:
                  config:
                    persistence:
                      numHistoryShards: 8
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR502", 15)]


# -- overlays, helmfiles, umbrella charts -----------------------------------------------------


def test_overlays_merge_in_order_per_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # values.yaml + values-tls.yaml + values-prod.yaml: prod overrides every service and TLS applies to
    # every environment. Staging runs smaller on purpose and is not held to production minimums while a
    # production overlay exists; values-dev.yaml is not judged (its password and debug logging).
    found = lint(tmp_path, monkeypatch, copy={"deploy/temporal": "overlays"}, select="TPR501,TPR506,TPR509,TPR513")
    assert found == []
    (tmp_path / "deploy/temporal/values-prod.yaml").unlink()
    found = lint(tmp_path, monkeypatch, select="TPR501")
    # Without a production overlay, staging is the closest thing: base 1 for three services, its own history 2.
    assert sorted(set(rules_at(found, "TPR501"))) == [
        ("deploy/temporal/values-staging.yaml", 2), ("deploy/temporal/values.yaml", 2)]
    assert len(found) == 4


def test_tls_needs_the_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/temporal/values.yaml": "server:\n  config:\n    persistence:\n      numHistoryShards: 1024\n",
        "deploy/temporal/values-tls.yaml": "server:\n  tls:\n    frontend: {enabled: true}\n",
    }
    found = lint(tmp_path, monkeypatch, select="TPR506", files=files)
    assert len(found) == 1 and "without TLS for internode traffic" in found[0][3]


def test_helmfile_environments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, copy={"ops": "helmfile"}, select="TPR501,TPR502,TPR513")
    # production: common.yaml, then production.yaml (history 5), then the inline values (logLevel info);
    # staging (history 3) is not held to production minimums.
    assert found == []
    (tmp_path / "ops/values/production.yaml").write_text("server:\n  history:\n    replicaCount: 4\n")
    found = lint(tmp_path, monkeypatch, select="TPR501")
    assert rules_at(found, "TPR501") == [("ops/values/production.yaml", 3)]
    assert "history" in messages(found, "TPR501")[0]


def test_helmfile_inline_values_and_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR509", files={"helmfile.yaml": """
        releases:
          - name: temporal
            chart: oci://ghcr.io/acme/charts/temporal
            values:
              - server:
                  replicaCount: 3
                  config:
                    persistence:
                      numHistoryShards: 2048
            set:
              - name: server.history.replicaCount
                value: 2
              - name: server.config.persistence.datastores.default.sql.password
                value: hunter2
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR501", 12), ("TPR509", 14)]
    assert all("hunter2" not in message for *_, message in found)


def test_kustomize_helm_charts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR502", files={
        "overlays/prod/kustomization.yaml": """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            helmCharts:
              - name: temporal
                repo: https://go.temporal.io/helm-charts
                version: 1.6.0
                releaseName: temporal
                valuesFile: temporal.yaml
                valuesInline:
                  server:
                    history: {replicaCount: 2}
        """,
        "overlays/prod/temporal.yaml": """
            server:
              replicaCount: 3
              config:
                persistence:
                  numHistoryShards: 128
        """,
    })
    assert [(r, p, line) for r, p, line, _ in found] == [
        ("TPR501", "overlays/prod/kustomization.yaml", 11), ("TPR502", "overlays/prod/temporal.yaml", 5)]


def test_umbrella_chart_values_under_the_dependency_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR502", files={"platform/values-prod.yaml": """
        ingress-nginx:
          controller: {replicaCount: 2}
        temporal:
          server:
            replicaCount: 3
            config:
              persistence:
                numHistoryShards: 64
            history: {replicaCount: 5}
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR502", 8)]
    assert "temporal.server.config.persistence.numHistoryShards" in found[0][3]


def test_unrelated_server_blocks_are_not_temporal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, files={
        "src/main/resources/application.yml": "server:\n  port: 8080\n  servlet: {context-path: /api}\n",
        "monitoring/prometheus-values.yaml": "server:\n  replicaCount: 1\n  retention: 15d\n",
        "vault/values.yaml": "server:\n  ha: {enabled: false, replicas: 1}\n",
    })
    assert found == []


def test_values_merged_by_the_helm_stage_feed_the_same_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint.facts.temporal_server import TemporalFileFacts, build_server_project, layer_from_values
    from tprlint.helm.values import merged_values

    monkeypatch.chdir(tmp_path)
    chart = tmp_path / "charts" / "platform"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: platform\nversion: 1.0.0\n"
                                      "dependencies: [{name: temporal, version: 1.6.0}]\n")
    (chart / "values.yaml").write_text("temporal:\n  server:\n    replicaCount: 3\n    config:\n"
                                       "      persistence:\n        numHistoryShards: 1024\n")
    (tmp_path / "prod.yaml").write_text("temporal:\n  server:\n    history:\n      replicaCount: 2\n")
    data, positions = merged_values(chart, [tmp_path / "prod.yaml"])
    layer = layer_from_values(data, positions, "charts/platform/values.yaml", "1.6.0", prefix=("temporal",))
    assert layer is not None
    project = build_server_project([TemporalFileFacts(layers=[layer])], [], [], [], lambda w: (1, "", None))
    [config] = project.configs
    history = next(s for s in config.services if s.name == "history")
    assert history.replicas is not None and history.replicas.value == 2
    assert (history.replicas.location.path, history.replicas.location.line) == ("prod.yaml", 4)
    assert history.fix == "temporal.server.history.replicaCount"
    assert config.shards is not None and config.shards.value == 1024
    assert layer_from_values({"image": {"tag": "x"}}, {}, "charts/other/values.yaml") is None


# -- operator and manifests -------------------------------------------------------------------

CLUSTER = """
apiVersion: temporal.io/v1beta1
kind: TemporalCluster
metadata:
  name: prod
  namespace: temporal
spec:
  version: 1.24.3
  numHistoryShards: 2048
  image: temporalio/server:latest
  log: {level: debug}
  services:
    frontend: {replicas: 3, resources: {requests: {cpu: "1", memory: 1Gi}}}
    history: {replicas: 5}
  persistence:
    defaultStore:
      sql: {pluginName: postgres12, connectAddr: "pg:5432", databaseName: temporal}
      passwordSecretRef: {name: pg, key: password}
    visibilityStore:
      sql: {pluginName: mysql, connectAddr: "mysql:3306", databaseName: temporal_visibility}
  mTLS:
    provider: linkerd
  metrics:
    enabled: true
  authorization:
    authorizer: default
    claimMapper: default
"""


def test_temporal_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, files={"temporal/cluster.yaml": CLUSTER}, select="TPR5")
    got = sorted((r, line) for r, _, line, _ in found)
    # matching and worker default to one replica (pointed at spec.services); mysql visibility is standard
    # visibility; the latest tag; debug logging; resources missing on three services and no PDBs.
    assert got == [("TPR501", 11), ("TPR501", 11), ("TPR505", 19), ("TPR510", 9), ("TPR511", 11),
                   ("TPR511", 11), ("TPR513", 10)]
    assert any("operator's default" in m for m in messages(found, "TPR501"))


def test_all_in_one_deployment_and_env_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501,TPR502,TPR513", files={"k8s/temporal.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: temporal
          namespace: platform
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - name: temporal
                  image: temporalio/server:1.24.2
                  env:
                    - {name: NUM_HISTORY_SHARDS, value: "16"}
                    - {name: LOG_LEVEL, value: debug}
                    - name: POSTGRES_PWD
                      valueFrom: {secretKeyRef: {name: pg, key: password}}
    """})
    assert [(r, line) for r, _, line, _ in found] == [("TPR501", 7), ("TPR502", 14), ("TPR513", 15)]
    assert "every Temporal service" in found[0][3]


def test_server_config_in_a_configmap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configmap = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: temporal-config
          labels: {{app: temporal}}
        data:
          config_template.yaml: |
            log:
              stdout: true
              level: {level}
            persistence:
              defaultStore: default
              numHistoryShards: {{{{ default .Env.NUM_HISTORY_SHARDS "4" }}}}
        """
    found = lint(tmp_path / "a", monkeypatch, select="TPR502,TPR513",
                 files={"k8s/config.yaml": configmap.format(level='"debug,info"')})
    assert found == []  # the server reads "debug,info" as info; a templated shard count is unknown
    found = lint(tmp_path / "b", monkeypatch, select="TPR502,TPR513",
                 files={"k8s/config.yaml": configmap.format(level="debug")})
    assert [(r, line) for r, _, line, _ in found] == [("TPR513", 10)]


def test_split_deployments_and_keda_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: temporal-{svc}
          labels: {{app.kubernetes.io/instance: temporal, app.kubernetes.io/component: {svc}}}
        spec:
          replicas: {replicas}
          template:
            spec:
              containers:
                - name: server
                  image: temporalio/server:1.31.2
        """
    files = {f"k8s/{svc}.yaml": deployment.format(svc=svc, replicas=n)
             for svc, n in (("frontend", 3), ("history", 5), ("matching", 3), ("worker", 2))}
    files["k8s/keda.yaml"] = """
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: history}
        spec:
          scaleTargetRef: {name: temporal-history}
          minReplicaCount: 1
        """
    found = lint(tmp_path, monkeypatch, select="TPR501", files=files)
    assert [(p, line) for _, p, line, _ in found] == [("k8s/keda.yaml", 6)]
    assert "ScaledObject history minReplicaCount: 1" in found[0][3]


def test_rendered_chart_objects_are_not_judged_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR501", files={
        "deploy/temporal/values.yaml": "server:\n  replicaCount: 1\n  config:\n    persistence:\n"
                                       "      numHistoryShards: 1024\n",
        "deploy/rendered/history.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: temporal-history
              labels: {helm.sh/chart: temporal-1.6.0, app.kubernetes.io/component: history}
            spec:
              replicas: 1
              template:
                spec:
                  containers: [{name: history, image: "temporalio/server:1.31.2"}]
        """,
    })
    assert {p for _, p, _, _ in found} == {"deploy/temporal/values.yaml"}


def test_dev_server_images_and_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR503", files={
        "k8s/temporalite.yaml": """
            apiVersion: v1
            kind: Pod
            metadata: {name: temporalite}
            spec:
              containers:
                - name: t
                  image: ghcr.io/acme/temporalite:0.3.0
        """,
        "k8s/temporal-server.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: temporal}
            spec:
              template:
                spec:
                  containers:
                    - name: t
                      image: alpine:3.20
                      command: ["sh", "-c", "temporal server start-dev --ip 0.0.0.0"]
        """,
        "tests/e2e/temporal.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: temporal}
            spec:
              template:
                spec:
                  containers: [{name: t, image: "temporalio/auto-setup:1.22.0"}]
        """,
        "k8s/schema-job.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: schema}
            spec:
              template:
                spec:
                  containers: [{name: s, image: "temporalio/auto-setup:1.22.0", command: ["/etc/temporal/setup.sh"]}]
        """,
    })
    assert sorted((p, line) for _, p, line, _ in found) == [
        ("k8s/temporal-server.yaml", 8), ("k8s/temporalite.yaml", 7)]


# -- evidence ---------------------------------------------------------------------------------


def test_backup_and_alert_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {"deploy/temporal/values.yaml": "server:\n  config:\n    persistence:\n      numHistoryShards: 1024\n"}
    assert [r for r, *_ in lint(tmp_path / "a", monkeypatch, files=values, select="TPR901,TPR902")] == \
        ["TPR901", "TPR902"]
    with_evidence = {**values, "ops/backup.yaml": """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          schedule: "0 1 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: dump
                      image: "mysql:8"
                      command: [sh, -c, "mysqldump --single-transaction temporal | gzip > /b/t.gz"]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: prometheus-rules}
        data:
          temporal.rules: |
            groups:
              - name: temporal
                rules:
                  - alert: TemporalDown
                    expr: up{job="temporal"} == 0
        """}
    assert lint(tmp_path / "b", monkeypatch, files=with_evidence, select="TPR901,TPR902") == []


def test_no_server_no_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR9", files={
        "deploy/temporal/values-dev.yaml": "server:\n  config:\n    persistence:\n      numHistoryShards: 4\n",
        "k8s/worker.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: orders-worker}
            spec:
              template:
                spec:
                  containers:
                    - {name: w, image: "acme/orders-worker:1.0", env: [{name: TEMPORAL_ADDRESS, value: "t:7233"}]}
        """,
    })
    assert found == []


# -- secrets never leave the file -------------------------------------------------------------


def test_passwords_are_never_kept_or_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "Pr0d-Sup3r-S3cret"
    text = f"""server:
  additionalEnv:
    - name: SQL_PASSWORD
      value: {secret}
  config:
    persistence:
      datastores:
        default:
          sql: {{pluginName: postgres12, password: "{secret}"}}
"""
    facts = extract_file("deploy/temporal/values.yaml", FileKind.TEMPORAL_VALUES, text.encode())
    assert facts.temporal is not None
    assert secret.encode() not in pickle.dumps(facts)
    found = lint(tmp_path, monkeypatch, select="TPR509", files={"deploy/temporal/values.yaml": text})
    assert [line for _, _, line, _ in found] == [4, 9]
    assert all(secret not in message for *_, message in found)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR509",)), use_cache=False, jobs=1)
    assert all(f.redact_source for f in result.findings)


# -- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    b"server:\n\tconfig: {}\n# temporal\n",  # a tab
    b"server: {a: 1, a: 2}\ntemporal: x\n",  # duplicate keys
    b"a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    b"server: {replicaCount: 1}\ntemporal: {}\n",  # an alias bomb
    b"\x00\x01\x02server:\xff\xfe",  # binary named .yaml
    b"server: [1, 2]\ntemporal: [3]\n",  # wrong shapes
    b"server:\n  config:\n    persistence: {numHistoryShards: [1], datastores: {default: {sql: 3}}}\n"
    b"  replicaCount: {a: b}\n  history: 7\n  frontend: {replicaCount: [1]}\n  matching: {}\n",
    b"releases: 7\n",
    b"releases:\n  - {chart: temporal/temporal, values: [7, null, {server: 1}], set: [{name: 5}, 3]}\n",
])
def test_hostile_values_never_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    for name in ("deploy/temporal/values.yaml", "helmfile.yaml"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    monkeypatch.chdir(tmp_path)
    result = run([tmp_path], Config(root=tmp_path), use_cache=False, jobs=1)
    assert all(f.rule_id != "TPR001" or f.location.path == "deploy/temporal/values.yaml" for f in result.findings)


def test_broken_temporal_values_report_a_parse_error_but_unrelated_yaml_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, select="TPR001", files={
        "deploy/temporal/values.yaml": "server:\n  replicaCount: [1\n",
        "app/application.yml": "server:\n  port: [8080\n",
        "helmfile.yaml": "releases:\n{{ range .Values.x }}\n  - name: {{ . }}\n{{ end }}\n",
    })
    assert [p for _, p, _, _ in found] == ["deploy/temporal/values.yaml"]


# -- units ------------------------------------------------------------------------------------


def test_classification() -> None:
    assert classify("deploy/temporal/values.yaml", b"server:\n  replicaCount: 3\n") is FileKind.TEMPORAL_VALUES
    assert classify("platform/values.yaml", b"temporal:\n  server: {}\n") is FileKind.TEMPORAL_VALUES
    assert classify("helmfile.yaml", b"releases: []\n") is FileKind.TEMPORAL_VALUES
    assert classify("rules/alerts.yml", b"groups:\n- name: a\n  rules:\n  - alert: X\n") is FileKind.TEMPORAL_VALUES
    assert classify("k8s/values.yaml", b"replicaCount: 2\n") is FileKind.SKIP
    assert classify("k8s/app.yaml", b"apiVersion: v1\nkind: ConfigMap\n") is FileKind.KUBERNETES


def test_values_shape() -> None:
    assert values_shape({"server": {"config": {"persistence": {"datastores": {}}}}}, False) == "strong"
    assert values_shape({"server": {"history": {}, "matching": {}}}, False) == "strong"
    assert values_shape({"server": {"replicaCount": 1}, "cassandra": {}}, True) == "strong"
    assert values_shape({"server": {"replicaCount": 1}, "cassandra": {}}, False) == "weak"
    assert values_shape({"server": {"port": 8080}}, False) == "weak"
    assert values_shape({"server": 1}, True) is None


def test_merge_follows_helm() -> None:
    here = Location("v.yaml")

    def layer(**items: object) -> dict[tuple[str | int, ...], Setting]:
        return {tuple(k.split("__")): Setting(v, here) for k, v in items.items()}  # type: ignore[arg-type]

    base = layer(server=Node("map", 2), server__replicaCount=1, server__hosts=Node("list", 2), server__hosts__0="a")
    base[("server", "hosts", 1)] = Setting("b", here)
    over = layer(server=Node("map", 2), server__replicaCount=None, server__hosts=Node("list", 1))
    over[("server", "hosts", 0)] = Setting("c", here)
    merged = Merged.of([base, over])
    assert merged.get("server", "replicaCount") is None  # null deletes
    assert merged.strings("server", "hosts") == ("c",)  # lists replace


def test_dev_paths() -> None:
    assert is_dev_path("deploy/temporal/values-dev.yaml")
    assert is_dev_path("k8s/local/temporal.yaml")
    assert is_dev_path("charts/temporal/values.ci.yaml")
    assert not is_dev_path("deploy/temporal/values-prod.yaml")
    assert not is_dev_path("fixtures/demo-shop/values.yaml")
    assert not is_dev_path("devops/temporal/values.yaml")


def test_the_temporal_charts_own_values_are_judged_at_their_keys(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A vendored `temporal` chart: its values.yaml belongs to the chart (the Helm stage reads it), and
    the server rules still judge the merged values, pointing at the keys."""
    chart = tmp_path / "deploy" / "temporal"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: temporal\nversion: 1.6.0\n")
    (chart / "values.yaml").write_text(
        "server:\n  replicaCount: 1\n  history:\n    replicaCount: 5\n  config:\n    numHistoryShards: 4\n")
    (chart / "templates" / "config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n"
        "data:\n  shards: {{ .Values.server.config.numHistoryShards | quote }}\n")
    monkeypatch.chdir(tmp_path)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR501", "TPR502")),
                 use_cache=False, jobs=1)
    found = sorted((f.rule_id, f.location.path, f.location.line) for f in result.findings)
    values = "deploy/temporal/values.yaml"
    assert found == [("TPR501", values, 2)] * 3 + [("TPR502", values, 6)]  # history has its 5 replicas


def test_services_rendered_from_helm_values_in_an_overlay_folder_are_the_server_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The official chart renders `temporal-frontend` from `templates/server-deployment.yaml`; values
    given as `values/values.postgresql.yaml` put the release's location in `values/`. Its server
    services are TPR501's and TPR511's (not TPR406's or TPR404's); its web UI and admin tools are not."""
    from tprlint.facts.kubernetes import extract_kubernetes
    from tprlint.facts.temporal_server import ServerConfig, ServiceSpec, Value
    from tprlint.facts.yaml_docs import load_yaml_documents
    from tprlint.model import Location
    from tprlint.rules import temporal_server as rules

    path = "charts/temporal/templates/server-deployment.yaml"
    manifests = "".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: temporal-{name}\nspec:\n  replicas: 1\n"
        f"  template:\n    metadata:\n      labels:\n        app.kubernetes.io/component: {name}\n"
        f"    spec:\n      containers:\n        - name: {name}\n          image: temporalio/server:1.28.1\n"
        for name in ("frontend", "web"))
    frontend, web = extract_kubernetes(load_yaml_documents(manifests, path), path).workloads
    where = Location("charts/temporal/values/values.postgresql.yaml", 3)
    config = ServerConfig("helm-values", "Helm values", where, "temporal-values:x",
                          services=[ServiceSpec("frontend", Value(1, where, "server.replicaCount"), resources=False)])
    monkeypatch.setattr(rules, "_judged", lambda project: [config])
    assert rules.judged_by_server_rules(None, frontend, "replicas")  # type: ignore[arg-type]
    assert rules.judged_by_server_rules(None, frontend, "resources")  # type: ignore[arg-type]
    assert not rules.judged_by_server_rules(None, web, "replicas")  # type: ignore[arg-type]
    assert not rules.judged_by_server_rules(None, web, "resources")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "literal"), [
    ("temporal", True), ("p4ss-Rk93xqL2", True), ("_s3cr3t_", True),
    # What the chart's own values.postgresql.yaml asks the reader to replace, and its kin: no password.
    ("_PASSWORD_", False), ("[PASSWORD]", False), ("changeme", False), ("ChangeThis", False),
])
def test_a_placeholder_left_to_fill_in_is_no_literal_password(value: str, literal: bool) -> None:
    from tprlint.facts.temporal_server.settings import is_literal_secret

    assert is_literal_secret(value) is literal


@pytest.mark.parametrize(("name", "image", "worker"), [
    ("temporal-orders-worker", "ghcr.io/acme/orders:1.0", True),
    # temporalio/temporal-worker-controller's manager: it manages worker Deployments, polls nothing.
    ("temporal-worker-controller-manager", "temporalio/temporal-worker-controller:1.0", False),
    ("temporal-worker-operator", "ghcr.io/acme/temporal-worker-operator:0.3", False),
])
def test_a_controller_of_workers_is_no_worker_by_its_name(name: str, image: str, worker: bool) -> None:
    from tprlint.facts.kubernetes import extract_kubernetes
    from tprlint.facts.yaml_docs import load_yaml_documents
    from tprlint.link.workloads import worker_reason

    text = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n"
            f"      containers:\n        - name: manager\n          image: {image}\n")
    (workload,) = extract_kubernetes(load_yaml_documents(text, "deploy.yaml"), "deploy.yaml").workloads
    assert (worker_reason(workload, linked=False) is not None) is worker
