"""The production chapter's own examples (fixtures/chapter): every weakness its text slips through is
reported, at the line that holds it, and the parts it gets right are not."""

from __future__ import annotations

import json

from conftest import run_cli

# (rule, path under fixtures/chapter, line), reviewed by reading each one.
CHAPTER_FINDINGS = [
    # compose/: one PostgreSQL container with a literal password behind the auto-setup dev image, and a
    # worker stopped after compose's default 10 s while it drains for five minutes.
    ("TPR523", "compose/docker-compose.yml", 4),  # no pooler in front of the database (note)
    ("TPR520", "compose/docker-compose.yml", 5),  # one copy of the data
    ("TPR521", "compose/docker-compose.yml", 5),  # no WAL archiving: no point-in-time recovery
    ("TPR522", "compose/docker-compose.yml", 5),  # WAL on the data volume (note)
    ("TPR412", "compose/docker-compose.yml", 8),  # POSTGRES_PASSWORD written literally (never printed)
    ("TPR503", "compose/docker-compose.yml", 13),  # temporalio/auto-setup: a development server
    ("TPR509", "compose/docker-compose.yml", 20),  # the server's database password, literally
    ("TPR602", "compose/docker-compose.yml", 25),  # stop_grace_period 10 s < 300 s drain
    # helm/: the server's values.
    ("TPR910", "helm/temporal-alerts.yaml", 3),  # alerts miss backlog and worker slots (note)
    ("TPR507", "helm/values.yaml", 6),  # no authorizer on a frontend exposed by a load balancer
    ("TPR911", "helm/values.yaml", 6),  # no Grafana dashboards (note)
    ("TPR501", "helm/values.yaml", 7),  # history at 3 replicas, below the chapter's own 5
    ("TPR512", "helm/values.yaml", 13),  # 0.x keys in values for the 1.x chart...
    ("TPR512", "helm/values.yaml", 15),
    ("TPR512", "helm/values.yaml", 26),
    ("TPR514", "helm/values.yaml", 37),  # frontend TLS without client certificates, exposed
    ("TPR516", "helm/values.yaml", 47),  # per-service resources with requests only: no memory limit
    ("TPR516", "helm/values.yaml", 54),
    ("TPR516", "helm/values.yaml", 61),
    ("TPR516", "helm/values.yaml", 68),
    ("TPR512", "helm/values.yaml", 76),  # legacy top-level postgresql / elasticsearch / prometheus / grafana
    ("TPR512", "helm/values.yaml", 78),
    ("TPR512", "helm/values.yaml", 82),
    ("TPR512", "helm/values.yaml", 84),
    # k8s/: the canary and blue-green recipes run two builds on one task queue without versioning, and
    # every worker pod is too small for 100 slots of the chapter's profile (256Mi, 0.1 CPU each).
    ("TPR951", "k8s/blue-green/blue.yaml", 46),
    ("TPR952", "k8s/blue-green/blue.yaml", 46),
    ("TPR419", "k8s/blue-green/green.yaml", 3),
    ("TPR951", "k8s/blue-green/green.yaml", 46),
    ("TPR952", "k8s/blue-green/green.yaml", 46),
    ("TPR419", "k8s/canary/canary.yaml", 4),
    ("TPR406", "k8s/canary/canary.yaml", 10),  # the canary runs one pod
    ("TPR951", "k8s/canary/canary.yaml", 47),
    ("TPR952", "k8s/canary/canary.yaml", 47),
    ("TPR951", "k8s/canary/stable.yaml", 46),
    ("TPR952", "k8s/canary/stable.yaml", 46),
    ("TPR951", "k8s/deployment.yaml", 47),
    ("TPR952", "k8s/deployment.yaml", 47),
    ("TPR416", "k8s/hpa.yaml", 3),  # the HPA scales on CPU only (note)
    # ops/: the deploy applies and watches nothing; the backup echoes success after a failed dump and
    # keeps its dumps on the same host.
    ("TPR908", "ops/.github/workflows/deploy.yml", 18),
    ("TPR904", "ops/backup.sh", 6),
    ("TPR906", "ops/backup.sh", 6),
    ("TPR904", "ops/backup.sh", 7),
    # orders/: the code.
    ("TPR305", "orders/worker.py", 18),  # no payload codec (note)
    ("TPR306", "orders/worker.py", 18),  # no SDK metrics (note)
    ("TPR230", "orders/workflows.py", 16),  # no versioning strategy (note)
    ("TPR250", "orders/workflows.py", 16),  # no replay test
    # postgres/: one instance, WAL on its data volume, no archiving, no pooler, 100Gi for 1.7Ti of history.
    ("TPR523", "postgres/statefulset.yaml", 16),
    ("TPR520", "postgres/statefulset.yaml", 23),
    ("TPR521", "postgres/statefulset.yaml", 32),
    ("TPR522", "postgres/statefulset.yaml", 46),
    ("TPR953", "postgres/statefulset.yaml", 52),
]

# What the chapter gets right, and the rules that would say otherwise.
RIGHT = {
    "TPR101": "the worker sets graceful_shutdown_timeout",
    "TPR103": "it handles SIGTERM",
    "TPR601": "its pods' grace period (330 s) covers the 300 s drain",
    "TPR201": "every activity has a timeout",
    "TPR402": "the rolling Deployment has probes",
    "TPR407": "and a PodDisruptionBudget",
    "TPR415": "and a NetworkPolicy",
    "TPR506": "the server runs TLS",
    "TPR515": "internode TLS requires client certificates",
    "TPR901": "the database is backed up",
    "TPR902": "alerts exist",
    "TPR905": "nightly, by cron",
    "TPR907": "keeping seven days",
    "TPR950": "100 slots x 10 replicas carry the 500 concurrent activities",
}


def _findings() -> list[dict[str, object]]:
    result = run_cli("fixtures/chapter", "-f", "json", "--no-cache", "--exit-zero")
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_every_weakness_of_the_chapter_is_reported_where_it_is() -> None:
    got = [(f["rule"], str(f["path"]).split("chapter/", 1)[1], f["line"]) for f in _findings()]
    assert got == CHAPTER_FINDINGS


def test_what_the_chapter_gets_right_is_not_reported() -> None:
    fired = {f["rule"] for f in _findings()}
    assert sorted(set(RIGHT) & fired) == []


def test_the_literal_passwords_are_never_printed() -> None:
    result = run_cli("fixtures/chapter", "--no-cache")
    assert "POSTGRES_PASSWORD: temporal" not in result.stdout and "POSTGRES_PWD=temporal" not in result.stdout


def test_capacity_prints_the_chapters_plan_and_where_it_differs() -> None:
    result = run_cli("capacity", "fixtures/chapter")
    assert result.returncode == 1, result.stderr  # its pods and its database are too small for the profile
    out = result.stdout
    for line in ("concurrent workflows      3,000             10/s \u00d7 5m",
                 "concurrent activities     500               Little's law: 50/s \u00d7 10s",
                 "storage needed            1.7Ti             history per day \u00d7 retention \u00d7 overhead",
                 "Where this differs from the chapter's calculator"):
        assert line in out, line
    assert ("3,000 \u00d7 5 =\n    15,000 concurrent activities (150 workers of 100 slots, where Little's law "
            "needs 5)") in out


def test_the_right_parts_are_checked_and_pass() -> None:
    """Not silent by accident: the items behind the right parts met what they judge and passed."""
    result = run_cli("fixtures/chapter", "-f", "json", "--no-cache", "--exit-zero")
    items = {item["id"]: item for checklist in json.loads(result.stdout)["checklist"]["checklists"]
             for item in checklist["items"]}
    for item_id in ("shutdown.timeout", "shutdown.signals", "code.retries", "infra.network", "capacity.workers"):
        assert items[item_id]["status"] == "pass", item_id
    for item_id in ("db.replication", "db.pitr", "db.pooling", "db.backups", "deploy.strategy", "deploy.monitor",
                    "sec.mtls", "mon.alerts", "mon.dashboards", "capacity.resources", "capacity.storage"):
        assert items[item_id]["status"] == "fail", item_id
