"""The database behind the Temporal server (TPR520-TPR524): which database serves Temporal, read from the
operators' and charts' own fields, and what stays unknown (a managed service, a host that cannot be
resolved, settings that live in an operator's configuration)."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest
from conftest import run_cli, write_tree

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.database import extract_database_manifests, extract_database_values
from tprlint.facts.yaml_docs import load_yaml_documents
from tprlint.result_cache import RunResult
from tprlint.rules.database import parse_host

RULES = ("TPR520", "TPR521", "TPR522", "TPR523", "TPR524")

VALUES = """\
server:
  config:
    persistence:
      numHistoryShards: 1024
      datastores:
        default:
          sql: {{pluginName: postgres12, databaseName: temporal, connectAddr: "{host}"}}
        visibility:
          sql: {{pluginName: postgres12, databaseName: temporal_visibility, connectAddr: "{host}"}}
"""

CNPG = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: temporal-db, namespace: databases}
spec:
  instances: 3
  storage: {size: 100Gi}
  walStorage: {size: 20Gi}
  backup:
    barmanObjectStore: {destinationPath: "s3://backups/temporal-db"}
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: temporal-db-daily, namespace: databases}
spec:
  schedule: "0 0 2 * * *"
  cluster: {name: temporal-db}
"""

POOLER = """\
apiVersion: postgresql.cnpg.io/v1
kind: Pooler
metadata: {name: temporal-db-pooler, namespace: databases}
spec:
  cluster: {name: temporal-db}
  instances: 2
  type: rw
  pgbouncer: {poolMode: transaction}
"""


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str],
         config: Config | None = None) -> RunResult:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {name: textwrap.dedent(text).encode() for name, text in files.items()})
    base = config or Config(root=tmp_path)
    return run([tmp_path], base.with_overrides(select=RULES, root=tmp_path), use_cache=False, jobs=1)


def fired(result: RunResult) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, Path(f.location.path).name, f.location.line) for f in result.findings)


def undecided(result: RunResult) -> list[str]:
    return sorted({entry.rule_id for entry in result.not_checked})


@pytest.mark.parametrize(("raw", "name", "namespace", "external", "unresolved"), [
    ("temporal-db-rw:5432", "temporal-db-rw", None, False, False),
    ("temporal-db-rw.databases.svc.cluster.local:5432", "temporal-db-rw", "databases", False, False),
    ("temporal-db-rw.databases", "temporal-db-rw", "databases", False, False),
    ("postgres://temporal@pg.databases.svc:5432/temporal?sslmode=require", "pg", "databases", False, False),
    ("temporal.abc123.eu-west-1.rds.amazonaws.com:5432", "temporal", None, True, False),
    ("10.0.3.7:5432", "10.0.3.7", None, True, False),
    ("{{ .Values.db.host }}:5432", "", None, False, True),
    ("${POSTGRES_HOST}", "", None, False, True),
])
def test_persistence_hosts_are_read_as_the_cluster_resolves_them(raw: str, name: str, namespace: str | None,
                                                                 external: bool, unresolved: bool) -> None:
    host = parse_host(raw)
    assert (host.name, host.namespace, host.external, host.unresolved) == (name, namespace, external, unresolved)


def test_a_complete_cluster_behind_its_pooler_passes_everything(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-db-pooler.databases.svc:5432"),
        "deploy/db/cluster.yaml": CNPG, "deploy/db/pooler.yaml": POOLER})
    assert fired(result) == []
    assert undecided(result) == []
    assert result.applied["TPR520"] and result.applied["TPR524"]


def test_a_pooler_the_server_connects_past_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-db-rw.databases.svc:5432"),
        "deploy/db/cluster.yaml": CNPG, "deploy/db/pooler.yaml": POOLER})
    assert fired(result) == [("TPR523", "cluster.yaml", 2)]
    assert "connects to `temporal-db-rw.databases.svc:5432` directly" in result.findings[0].message


def test_a_managed_database_is_unknown_never_passed_nor_failed(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal.abc123.eu-west-1.rds.amazonaws.com:5432")})
    assert fired(result) == []
    # Backups of a managed database are TPR901's (it knows the providers that take them).
    assert undecided(result) == ["TPR520", "TPR521", "TPR522", "TPR523"]
    assert all("provider's settings" in entry.why for entry in result.not_checked)


def test_nothing_to_judge_without_a_temporal_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {"deploy/db/cluster.yaml": CNPG.replace("instances: 3", "instances: 1")})
    assert fired(result) == []
    assert undecided(result) == []
    assert not result.applied["TPR520"]


def test_a_database_named_for_temporal_is_judged_when_the_host_is_not_known(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="{{ .Values.dbHost }}"),
        "deploy/db/cluster.yaml": CNPG.replace("instances: 3", "instances: 1")})
    assert ("TPR520", "cluster.yaml", 5) in fired(result)
    assert undecided(result) == ["TPR520", "TPR521", "TPR522", "TPR523"]  # the templated host itself


def test_another_application_database_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    orders = CNPG.replace("temporal-db", "orders-db").replace("instances: 3", "instances: 1")
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-db-pooler.databases.svc:5432"),
        "deploy/db/cluster.yaml": CNPG, "deploy/db/pooler.yaml": POOLER, "deploy/orders/db.yaml": orders})
    assert fired(result) == []


def test_a_database_an_overlay_patches_is_not_judged_as_written(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    single = CNPG.replace("instances: 3", "instances: 1")
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-db-pooler.databases.svc:5432"),
        "deploy/db/pooler.yaml": POOLER,
        "deploy/db/base/cluster.yaml": single,
        "deploy/db/base/kustomization.yaml": "resources: [cluster.yaml]\n",
        "deploy/db/overlays/prod/kustomization.yaml": "resources: [../../base]\npatches:\n  - path: instances.yaml\n",
        "deploy/db/overlays/prod/instances.yaml": "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\n"
                                                   "metadata: {name: temporal-db, namespace: databases}\n"
                                                   "spec: {instances: 3}\n"})
    assert fired(result) == []  # neither the base's one instance nor the patch as a cluster without backup
    assert undecided(result) == list(RULES)


def test_development_databases_are_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(tmp_path, monkeypatch, {
        "dev/temporal/values.yaml": VALUES.format(host="temporal-db-rw:5432"),
        "dev/db/cluster.yaml": CNPG.replace("instances: 3", "instances: 1")})
    assert fired(result) == []


def test_zalando_archiving_is_decided_by_the_operator_configuration(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = """\
        apiVersion: acid.zalan.do/v1
        kind: postgresql
        metadata: {name: acid-temporal, namespace: databases}
        spec:
          teamId: acid
          numberOfInstances: 2
          volume: {size: 100Gi}
          enableConnectionPooler: true
          postgresql: {version: "16"}
        """
    files = {"deploy/temporal/values.yaml": VALUES.format(host="acid-temporal-pooler.databases:5432"),
             "deploy/db/cluster.yaml": cluster}
    result = lint(tmp_path, monkeypatch, files)
    assert fired(result) == [("TPR522", "cluster.yaml", 7)]  # Zalando keeps pg_wal on its one volume
    assert undecided(result) == ["TPR521"]
    operator = """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: postgres-operator, namespace: postgres-operator}
        data:
          wal_s3_bucket: acme-wal-archive
        """
    result = lint(tmp_path, monkeypatch, {**files, "deploy/operator/config.yaml": operator})
    assert undecided(result) == []
    assert [r for r, _, _ in fired(result)] == ["TPR522"]


def test_crunchy_cluster_through_its_pgbouncer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = """\
        apiVersion: postgres-operator.crunchydata.com/v1beta1
        kind: PostgresCluster
        metadata: {name: hippo, namespace: databases}
        spec:
          postgresVersion: 16
          instances:
            - name: a
              replicas: 2
              dataVolumeClaimSpec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 50Gi}}}
              walVolumeClaimSpec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
          backups:
            pgbackrest:
              repos:
                - name: repo1
                  volume: {volumeClaimSpec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 100Gi}}}}
          proxy:
            pgBouncer: {replicas: 2}
        """
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="hippo-pgbouncer.databases.svc:5432"),
        "deploy/db/hippo.yaml": cluster})
    assert fired(result) == [("TPR524", "hippo.yaml", 2)]  # a repo, but no schedules on it


def test_umbrella_values_with_the_postgresql_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    umbrella = """\
        temporal:
          server:
            config:
              persistence:
                numHistoryShards: 512
                datastores:
                  default:
                    sql: {pluginName: postgres12, connectAddr: "prod-postgresql-primary:5432"}
                  visibility:
                    sql: {pluginName: postgres12, connectAddr: "prod-postgresql-primary:5432"}
        postgresql:
          architecture: replication
          readReplicas: {replicaCount: 2}
          primary:
            extendedConfiguration: |
              archive_mode = on
              archive_command = 'wal-g wal-push %p'
        """
    result = lint(tmp_path, monkeypatch, {"deploy/platform/values.yaml": umbrella})
    assert [r for r, _, _ in fired(result)] == ["TPR522", "TPR523"]
    standalone = umbrella.replace("architecture: replication", "architecture: standalone")
    result = lint(tmp_path, monkeypatch, {"deploy/platform/values.yaml": standalone})
    assert ("TPR520", "values.yaml", 12) in fired(result)


def test_a_flux_release_of_the_postgresql_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: temporal-db, namespace: temporal}
        spec:
          chart:
            spec: {chart: postgresql, version: "15.5.0", sourceRef: {kind: HelmRepository, name: bitnami}}
          values:
            auth: {existingSecret: temporal-db}
        """
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-db-postgresql.temporal.svc:5432"),
        "deploy/db/release.yaml": release})
    assert [r for r, _, _ in fired(result)] == ["TPR520", "TPR521", "TPR522", "TPR523"]


def test_statefulset_behind_a_pgbouncer_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    statefulset = """\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: pg, namespace: temporal}
        spec:
          serviceName: pg
          replicas: 3
          selector: {matchLabels: {app: pg}}
          template:
            metadata: {labels: {app: pg}}
            spec:
              containers:
                - name: postgres
                  image: postgres:16
                  args: ["-c", "archive_mode=on", "-c", "archive_command=/scripts/archive %p"]
                  env:
                    - {name: POSTGRES_INITDB_WALDIR, value: /var/lib/postgresql/wal/pg_wal}
                  volumeMounts:
                    - {name: data, mountPath: /var/lib/postgresql/data}
                    - {name: wal, mountPath: /var/lib/postgresql/wal}
        """
    bouncer = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: pgbouncer, namespace: temporal}
        spec:
          replicas: 2
          selector: {matchLabels: {app: pgbouncer}}
          template:
            metadata: {labels: {app: pgbouncer}}
            spec:
              containers:
                - name: pgbouncer
                  image: bitnami/pgbouncer:1.23.1
                  env:
                    - {name: POSTGRESQL_HOST, value: pg.temporal.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: temporal-pool, namespace: temporal}
        spec:
          selector: {app: pgbouncer}
          ports: [{port: 5432, targetPort: 6432}]
        """
    result = lint(tmp_path, monkeypatch, {
        "deploy/temporal/values.yaml": VALUES.format(host="temporal-pool:5432"),
        "deploy/db/pg.yaml": statefulset, "deploy/db/pgbouncer.yaml": bouncer})
    assert fired(result) == []
    # Three pods of the plain postgres image stream to each other only if configured so.
    assert undecided(result) == ["TPR520"]


def test_compose_server_and_its_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = """\
        services:
          postgresql:
            image: postgres:16
            environment:
              POSTGRES_USER: temporal
            volumes: ["pgdata:/var/lib/postgresql/data"]
          temporal:
            image: temporalio/server:1.26.2
            environment:
              DB: postgres12
              POSTGRES_SEEDS: postgresql
            depends_on: [postgresql]
        volumes:
          pgdata: {}
        """
    result = lint(tmp_path, monkeypatch, {"compose.yaml": compose})
    # The image says what runs (one container, no archive_mode in its command), the service has no pooler.
    assert fired(result) == [("TPR520", "compose.yaml", 3), ("TPR521", "compose.yaml", 3),
                             ("TPR522", "compose.yaml", 3), ("TPR523", "compose.yaml", 2)]
    (tmp_path / "dev").mkdir()
    dev = lint(tmp_path / "dev", monkeypatch, {"docker-compose.dev.yml": compose})
    assert fired(dev) == []


def test_files_without_database_objects_cost_nothing() -> None:
    text = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{a: b}}\n"
                   for i in range(2000))
    docs = load_yaml_documents(text, "big.yaml")
    start = time.perf_counter()
    facts = extract_database_manifests(docs, "big.yaml")
    assert not facts
    assert time.perf_counter() - start < 0.5
    assert not extract_database_values(load_yaml_documents("server: {replicaCount: 3}\n", "v.yaml"), "v.yaml")


def test_hostile_shapes_do_not_break_extraction() -> None:
    text = textwrap.dedent("""\
        apiVersion: postgres-operator.crunchydata.com/v1beta1
        kind: PostgresCluster
        metadata: [not, a, map]
        spec:
          instances: "three"
          backups: {pgbackrest: {repos: 7}}
        ---
        apiVersion: postgresql.cnpg.io/v1
        kind: Cluster
        metadata: {name: c}
        spec: {instances: "{{ .Values.n }}", plugins: [1, null, {name: 5}]}
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: s}
        spec: {replicas: x, template: {spec: {containers: [{image: 5}, {image: postgres}, null]}}}
        """) + "---\napiVersion: postgres-operator.crunchydata.com/v1beta1\nkind: PostgresCluster\n" \
        "metadata: {name: many}\nspec:\n  instances:\n" + "    - {replicas: 1}\n" * 5000
    facts = extract_database_manifests(load_yaml_documents(text, "x.yaml"), "x.yaml")
    copies = {d.name: d.copies for d in facts.databases}
    assert copies == {"": 0, "c": None, "s": None, "many": 200}  # bounded at MAX_ITEMS instance sets


def _databases(text: str) -> list[tuple[object, ...]]:
    facts = extract_database_manifests(load_yaml_documents(textwrap.dedent(text), "db.yaml"), "db.yaml")
    return [(d.name, d.copies, d.archiving, d.wal_volume, d.hosts) for d in facts.databases]


def test_the_barman_cloud_plugin_archives_wal() -> None:
    assert _databases("""\
        apiVersion: postgresql.cnpg.io/v1
        kind: Cluster
        metadata: {name: pg}
        spec:
          instances: 2
          plugins:
            - name: barman-cloud.cloudnative-pg.io
              isWALArchiver: true
              parameters: {barmanObjectName: s3-store}
        """) == [("pg", 2, True, False, ("pg-rw", "pg-ro", "pg-r"))]


def test_volume_snapshots_alone_keep_no_wal_archive() -> None:
    assert _databases("""\
        apiVersion: postgresql.cnpg.io/v1
        kind: Cluster
        metadata: {name: pg}
        spec:
          backup:
            volumeSnapshot: {className: csi-snapclass}
        """) == [("pg", 1, False, False, ("pg-rw", "pg-ro", "pg-r"))]


def test_the_chart_release_names_its_services_as_the_chart_does() -> None:
    release = """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: temporal-postgresql, namespace: argocd}
        spec:
          destination: {namespace: temporal}
          source:
            repoURL: registry-1.docker.io/bitnamicharts
            chart: postgresql
            targetRevision: 16.2.1
            helm:
              valuesObject:
                architecture: replication
                readReplicas: {replicaCount: 1}
        """
    # The release name holds the chart's name: the fullname is the release name alone.
    assert _databases(release) == [("temporal-postgresql", 2, False, False, (
        "temporal-postgresql", "temporal-postgresql-primary", "temporal-postgresql-read", "temporal-postgresql-hl"))]


def test_zalando_wal_settings_in_the_cluster_environment() -> None:
    assert _databases("""\
        apiVersion: acid.zalan.do/v1
        kind: postgresql
        metadata: {name: acid-temporal}
        spec:
          numberOfInstances: 3
          env:
            - {name: WAL_S3_BUCKET, value: acme-wal}
            - {name: USE_WALG_BACKUP, value: "true"}
        """) == [("acid-temporal", 3, True, False, ("acid-temporal", "acid-temporal-repl"))]


def _items(output: str) -> dict[str, dict[str, object]]:
    checklists = json.loads(output)["checklist"]["checklists"]
    return {item["id"]: item for checklist in checklists for item in checklist["items"]}


def test_a_person_settles_what_a_managed_database_leaves_unknown(tmp_path: Path) -> None:
    """The database outside the scan: unknown, with where to point the evidence; attested once it is."""
    write_tree(tmp_path, {
        "pyproject.toml": b"[project]\nname = 'ops'\n",
        "deploy/temporal/values.yaml": VALUES.format(host="temporal.abc123.eu-west-1.rds.amazonaws.com:5432").encode()})
    before = _items(run_cli(str(tmp_path), "-f", "json", "--exit-zero").stdout)
    assert before["db.pitr"]["status"] == "unknown"
    assert 'point [tool.tprlint.attest] "db.pitr" at evidence of' in str(before["db.pitr"]["reason"])

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rds-pitr.md").write_text("RDS automated backups: 14 days, PITR on (console screenshot).\n")
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'ops'\n[tool.tprlint.attest]\n\"db.pitr\" = \"docs/rds-pitr.md\"\n")
    after = _items(run_cli(str(tmp_path), "-f", "json", "--exit-zero").stdout)
    assert after["db.pitr"]["status"] == "attested"
    assert after["db.replication"]["status"] == "unknown"  # attested item by item


def test_an_item_the_scan_can_always_see_cannot_be_attested(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": b"[project]\nname = 'ops'\n[tool.tprlint.attest]\n"
                                            b"\"shutdown.timeout\" = \"README.md\"\n", "README.md": b"x\n"})
    result = run_cli(str(tmp_path))
    assert result.returncode == 2
    assert "shutdown.timeout cannot be attested" in result.stderr
