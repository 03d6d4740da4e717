"""Monitoring that watches Temporal (TPR910, TPR911), and the chapter's other slips in Helm values and
compose files: what alert expressions watch (recording rules, prefixes, rule files in ConfigMaps,
hostile input), which signals are required for what the scan deploys, where dashboards are found;
which chart the values target (TPR512), per-service resources blocks without a memory limit (TPR516),
and credentials in any compose service's environment (TPR412)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import run_rules as lint
from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.temporal_server.alerts import rule_signals, signals_of
from tprlint.model import Finding


def where(found: list[Finding], rule: str) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.line) for f in found if f.rule_id == rule)


VALUES = "deploy/temporal/values.yaml"
SERVER = """
    server:
      replicaCount: 3
      config:
        persistence:
          numHistoryShards: 1024
"""


def prometheus_rule(*exprs: str) -> str:
    rules = "".join(f"            - alert: A{i}\n              expr: {expr}\n" for i, expr in enumerate(exprs))
    return ("    apiVersion: monitoring.coreos.com/v1\n    kind: PrometheusRule\n    metadata: {name: temporal}\n"
            "    spec:\n      groups:\n        - name: temporal\n          rules:\n" + rules)


# -- what alert expressions watch ---------------------------------------------------------------


def test_signals_are_found_by_part_of_the_series_name() -> None:
    assert signals_of(["sum(rate(temporal_service_error_with_type[5m])) > 1"]) == ("service-errors",)
    assert signals_of(["histogram_quantile(0.99, rate(persistence_latency_bucket[5m])) > 1",
                       "rate(persistence_error_with_type[5m]) > 0"]) == ("persistence-latency", "persistence-errors")
    assert signals_of(["temporal_worker_task_slots_available{worker_type=\"ActivityWorker\"} == 0",
                       "histogram_quantile(0.95, rate(temporal_activity_schedule_to_start_latency_bucket[5m])) > 5"]) \
        == ("task-queue", "worker-slots")
    # `up` counts as availability only for the Temporal services.
    assert signals_of(['up{job="temporal-frontend"} == 0']) == ("service-errors",)
    assert signals_of(['up{job="node-exporter"} == 0']) == ()


def test_recording_rules_are_followed_but_unused_ones_do_not_count() -> None:
    data = {"groups": [{"rules": [
        {"record": "tq:backlog", "expr": "max by (taskqueue) (approximate_backlog_count)"},
        {"record": "db:errors", "expr": "sum(rate(persistence_errors[5m]))"},
        {"alert": "Backlog", "expr": "tq:backlog > 1000"},
    ]}]}
    assert rule_signals(data) == ("task-queue",)


def test_a_hostile_rule_file_is_bounded() -> None:
    deep: object = {"expr": "persistence_latency > 1"}
    for _ in range(50_000):
        deep = [deep]
    assert rule_signals(deep) == ()  # beyond the walk's budget: nothing, and no recursion error
    assert rule_signals({"groups": [{"rules": [{"alert": "X", "expr": "a" * 1_000_000 + " service_errors"}]}]}) == ()


# -- TPR910 ---------------------------------------------------------------------------------------


def test_missing_signals_are_named_and_workers_add_theirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/monitoring/alerts.yaml": prometheus_rule(
            "sum(rate(service_errors[5m])) > 1", "histogram_quantile(0.99, rate(persistence_latency_bucket[5m])) > 1",
            "rate(persistence_errors[5m]) > 0", "max(approximate_backlog_count) > 100"),
        VALUES: SERVER,
    }
    assert lint(tmp_path / "server", monkeypatch, files, "TPR910") == []
    files["orders/worker.py"] = """
        import asyncio
        from temporalio.client import Client
        from temporalio.worker import Worker

        async def main():
            client = await Client.connect("temporal:7233")
            await Worker(client, task_queue="orders", workflows=[]).run()
    """
    found = lint(tmp_path / "workers", monkeypatch, files, "TPR910")
    assert where(found, "TPR910") == [("deploy/monitoring/alerts.yaml", 2)]
    assert "1 of the signals" in found[0].message and "worker slot exhaustion" in found[0].message


def test_rules_in_a_configmap_and_in_a_rule_file_count_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        VALUES: SERVER,
        "monitoring/prometheus-rules.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: prometheus-rules}
            data:
              temporal.rules.yml: |
                groups:
                  - name: temporal
                    rules:
                      - alert: TemporalErrors
                        expr: sum(rate(service_error_with_type[5m])) > 1
                      - alert: TemporalDbErrors
                        expr: sum(rate(persistence_errors[5m])) > 1
        """,
        "monitoring/rules/latency.rules.yml": """
            groups:
              - name: temporal-latency
                rules:
                  - alert: TemporalDbLatency
                    expr: histogram_quantile(0.99, sum(rate(persistence_latency_bucket[5m])) by (le)) > 1
        """,
    }, "TPR910")
    assert len(found) == 1
    assert "task queue schedule-to-start latency or backlog" in found[0].message
    assert "persistence errors (" not in found[0].message


def test_no_alerts_is_tpr902s_and_alerts_without_temporal_are_not_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path / "none", monkeypatch, {VALUES: SERVER}, "TPR902", "TPR910")
    assert [f.rule_id for f in found] == ["TPR902"]
    rules_only = {"monitoring/alerts.yaml": prometheus_rule('up{job="node"} == 0')}
    assert lint(tmp_path / "unrelated", monkeypatch, rules_only, "TPR910") == []


# -- TPR911 ---------------------------------------------------------------------------------------


def test_dashboards_are_found_in_labelled_configmaps_and_grafana_resources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert where(lint(tmp_path / "none", monkeypatch, {VALUES: SERVER}, "TPR911"), "TPR911") == [(VALUES, 1)]
    operator = """
        apiVersion: grafana.integreatly.org/v1beta1
        kind: GrafanaDashboard
        metadata: {name: temporal-server}
        spec:
          instanceSelector: {matchLabels: {dashboards: grafana}}
          url: https://raw.githubusercontent.com/temporalio/dashboards/master/server/server-general.json
    """
    assert lint(tmp_path / "operator", monkeypatch, {VALUES: SERVER, "monitoring/dash.yaml": operator},
                "TPR911") == []


def test_the_legacy_charts_bundled_grafana_counts_only_where_the_legacy_chart_renders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = """
        server:
          replicaCount: 3
          config:
            numHistoryShards: 1024
            persistence:
              default: {driver: sql, sql: {driver: postgres12, host: db}}
        grafana:
          enabled: true
    """
    assert lint(tmp_path / "legacy", monkeypatch, {VALUES: legacy}, "TPR911") == []
    current = legacy + """
        shims: {}
    """
    assert where(lint(tmp_path / "current", monkeypatch, {VALUES: current}, "TPR911"), "TPR911") == [(VALUES, 1)]


# -- TPR512: which chart the values are for --------------------------------------------------------


LEGACY_VALUES = """
    server:
      replicaCount: 3
      config:
        persistence:
          numHistoryShards: 1024
    prometheus:
      enabled: true
"""


def test_legacy_keys_without_any_version_information_leave_the_check_unknown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = LEGACY_VALUES.replace("persistence:\n          numHistoryShards", "numHistoryShards")
    legacy = legacy.replace("numHistoryShards: 1024", "numHistoryShards: 1024\n        persistence:\n"
                                                      "          default: {driver: sql}")
    found = lint(tmp_path, monkeypatch, {VALUES: legacy}, "TPR512")
    assert found == []
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR512",), root=tmp_path), use_cache=False,
                 jobs=1)
    assert [u.rule_id for u in result.not_checked] == ["TPR512"]
    assert "pins the temporal chart version" in result.not_checked[0].why


def test_the_tls_toggles_say_the_values_are_for_chart_1x(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = """
        server:
          replicaCount: 3
          config:
            numHistoryShards: 1024
          tls:
            internode: {enabled: true, secretName: temporal-internode-tls, serverName: temporal-internode}
        grafana:
          enabled: true
    """
    found = lint(tmp_path, monkeypatch, {VALUES: values}, "TPR512")
    assert where(found, "TPR512") == [(VALUES, 4), (VALUES, 7)]
    assert all("server.tls.internode.enabled exists only there" in f.message for f in found)


PURE_LEGACY = """
    server:
      replicaCount: 3
      config:
        numHistoryShards: 1024
        persistence:
          default: {driver: sql, sql: {driver: postgres12, host: db, existingSecret: temporal-db}}
    prometheus:
      enabled: true
"""


@pytest.mark.parametrize(("flags", "reported"), [("", True), ("--version 1.2.0", True), ("--version=0.45.1", False)])
def test_a_helm_command_says_which_chart_renders_legacy_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: str, reported: bool) -> None:
    script = f"""
        #!/usr/bin/env bash
        set -euo pipefail
        helm repo add temporalio https://go.temporal.io/helm-charts
        helm upgrade --install temporal temporalio/temporal -n temporal {flags} -f ./deploy/temporal/values.yaml --wait
    """
    found = lint(tmp_path, monkeypatch, {VALUES: PURE_LEGACY, "scripts/deploy-temporal.sh": script}, "TPR512")
    assert bool(found) is reported
    if reported:
        assert where(found, "TPR512") == [(VALUES, 4), (VALUES, 6), (VALUES, 7)]
        assert "scripts/deploy-temporal.sh:4" in found[0].message
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR512",), root=tmp_path), use_cache=False,
                 jobs=1)
    assert result.not_checked == ()


# -- TPR516 ---------------------------------------------------------------------------------------


def test_a_service_block_that_replaces_the_shared_limits_is_reported_once_per_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = """
        server:
          replicaCount: 3
          resources:
            requests: {cpu: "1", memory: 2Gi}
            limits: {memory: 4Gi}
          config:
            persistence:
              numHistoryShards: 1024
          history:
            resources:
              requests: {cpu: "2", memory: 6Gi}
          matching:
            resources: {}
    """
    found = lint(tmp_path, monkeypatch, {VALUES: values}, "TPR516")
    assert where(found, "TPR516") == [(VALUES, 10)]
    assert "instead of* server.resources (line 5)" in found[0].message


def test_a_shared_block_without_a_memory_limit_names_every_service_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = """
        server:
          replicaCount: 3
          resources:
            requests: {cpu: "1", memory: 2Gi}
            limits: {cpu: "2"}
          config:
            persistence:
              numHistoryShards: 1024
    """
    found = lint(tmp_path, monkeypatch, {VALUES: values}, "TPR516", "TPR511")
    assert where(found, "TPR516") == [(VALUES, 3)]
    assert "frontend, history, matching, worker services" in found[0].message


# -- TPR412 in compose files -------------------------------------------------------------------------


def test_compose_credentials_are_judged_as_kubernetes_env_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = """
        services:
          db:
            image: postgres:16.4
            environment:
              POSTGRES_PASSWORD: s3cr3t-Pa55
              POSTGRES_HOST_AUTH_METHOD: scram-sha-256
              PGDATA_PASSWORD_FILE: /run/secrets/db
          api:
            image: ghcr.io/acme/api:1.0.0
            environment:
              - DATABASE_URL=postgres://api:hunter22@db:5432/api
              - API_TOKEN=${API_TOKEN:?}
              - SENDGRID_KEY=not-a-token
              - ENABLE_PASSWORD_LOGIN=true
          temporal:
            image: temporalio/auto-setup:1.29.1
            environment:
              - POSTGRES_PWD=temporal
              - TEMPORAL_API_KEY=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU
    """
    found = lint(tmp_path, monkeypatch, {"docker-compose.yml": compose}, "TPR412", "TPR509")
    assert where(found, "TPR412") == [("docker-compose.yml", 5), ("docker-compose.yml", 11),
                                      ("docker-compose.yml", 19)]
    assert where(found, "TPR509") == [("docker-compose.yml", 18)]  # the server's database password, once
    assert all(f.redact_source and "s3cr3t" not in f.message and "hunter22" not in f.message for f in found)


def test_an_override_that_reads_the_password_from_the_environment_clears_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_PASSWORD: local-only
        """,
        "docker-compose.override.yml": """
            services:
              db:
                environment:
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}
        """,
    }, "TPR412")
    assert found == []
