"""What the report formats show a user, beyond their shape: SARIF rule help and regions, positions at the edges
of a file, paths outside the scan root, and the exact text of the line-oriented outputs."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tprlint.model import Finding, Location, RelatedLocation, RuleMeta, Severity
from tprlint.report import ReportContext, load_reporter
from tprlint.report.statistics import render_statistics

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "sarif" / "sarif-schema-2.1.0.json"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-worker
  namespace: payments
spec:
  replicas: 1
  template:
    spec:
      terminationGracePeriodSeconds: 10
      containers:
        - name: worker
          image: registry.example.com/payments-worker:1.4.2
"""

WORKER = """\
import asyncio

from temporalio.client import Client
from temporalio.worker import Worker


async def main() -> None:
    client = await Client.connect("temporal.payments.svc:7233", namespace="payments")
    worker = Worker(client, task_queue="payments", graceful_shutdown_timeout=timedelta(seconds=60))
    await worker.run()
"""

FILES = {"k8s/worker.yaml": DEPLOYMENT, "payments/worker.py": WORKER}

GRACE = RuleMeta(
    id="TPR101",
    name="grace-period-shorter-than-drain",
    severity=Severity.ERROR,
    checklist="shutdown.timeout",
    summary="The pod grace period must outlast the worker's graceful shutdown timeout.",
    rationale="Kubernetes sends SIGKILL when the grace period ends, cutting running activities off.",
    fix="Raise terminationGracePeriodSeconds above graceful_shutdown_timeout.",
    references=(
        "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/",
        "https://docs.temporal.io/develop/python/core-application#worker-shutdown",
    ),
)
REPLICAS = RuleMeta(
    id="TPR402",
    name="single-replica-worker",
    severity=Severity.WARNING,
    checklist="availability",
    summary="Run at least two worker replicas so a rollout never stops the task queue.",
)
RULES = {meta.id: meta for meta in (GRACE, REPLICAS)}


def write_project(root: Path) -> Path:
    for path, text in FILES.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "payments-service")


def make_ctx(root: Path, **kwargs: Any) -> ReportContext:
    return ReportContext(rules=RULES, version="0.3.1", files_scanned=2, color=False, base_dir=root, **kwargs)


def render(name: str, findings: list[Finding], ctx: ReportContext) -> str:
    return load_reporter(name)(findings, ctx)


def grace_finding(location: Location) -> Finding:
    return Finding("TPR101", Severity.ERROR, "terminationGracePeriodSeconds (10 s) is shorter than "
                   "graceful_shutdown_timeout (60 s)", location, anchor="Deployment/payments/payments-worker")


def replicas_finding(location: Location) -> Finding:
    return Finding("TPR402", Severity.WARNING, "Deployment payments-worker runs 1 replica", location)


# --- SARIF ------------------------------------------------------------------------------------


def sarif_run(root: Path, findings: list[Finding], **kwargs: Any) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render("sarif", findings, make_ctx(root, **kwargs)))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(log)] == []
    run: dict[str, Any] = log["runs"][0]
    return run


def region_of(result: dict[str, Any]) -> dict[str, Any]:
    region: dict[str, Any] = result["locations"][0]["physicalLocation"]["region"]
    return region


def test_sarif_log_is_written_with_sorted_keys_and_two_space_indent(project: Path) -> None:
    text = render("sarif", [grace_finding(Location("k8s/worker.yaml", 10, 7, 10, 40))], make_ctx(project))
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert text.startswith('{\n  "$schema": "https://docs.oasis-open.org/sarif/')
    assert '\n  "runs": [\n    {\n      "columnKind": "unicodeCodePoints",\n' in text


def test_sarif_rule_help_gives_rationale_fix_and_references_in_that_order(project: Path) -> None:
    run = sarif_run(project, [], rules_run=("TPR101",))
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["fullDescription"] == {"text": GRACE.rationale}
    assert rule["help"]["text"] == (
        "Kubernetes sends SIGKILL when the grace period ends, cutting running activities off.\n\n"
        "How to fix: Raise terminationGracePeriodSeconds above graceful_shutdown_timeout.\n\n"
        "References:\n"
        "- https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/\n"
        "- https://docs.temporal.io/develop/python/core-application#worker-shutdown"
    )
    assert rule["help"]["markdown"] == (
        "Kubernetes sends SIGKILL when the grace period ends, cutting running activities off.\n\n"
        "**How to fix:** Raise terminationGracePeriodSeconds above graceful_shutdown_timeout.\n\n"
        "**References:**\n\n"
        "- <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/>\n"
        "- <https://docs.temporal.io/develop/python/core-application#worker-shutdown>\n\n"
        "Checklist items: `shutdown.timeout`"
    )


def test_sarif_help_of_a_rule_with_only_a_summary_is_the_summary(project: Path) -> None:
    run = sarif_run(project, [], rules_run=("TPR402",))
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["fullDescription"] == {"text": REPLICAS.summary}
    assert rule["help"] == {
        "text": REPLICAS.summary,
        "markdown": REPLICAS.summary + "\n\nChecklist items: `ha.lb-health`",
    }


def test_sarif_rule_tags_name_the_checklist_area_and_items(project: Path) -> None:
    rules = sarif_run(project, [], rules_run=("TPR101", "TPR402"))["tool"]["driver"]["rules"]
    assert [(rule["id"], rule["properties"]) for rule in rules] == [
        ("TPR101", {"checklist": "shutdown.timeout", "tags": ["shutdown", "shutdown.timeout", "temporal"]}),
        ("TPR402", {"checklist": "availability", "tags": ["availability", "ha.lb-health", "temporal"]}),
    ]


def test_sarif_run_carries_the_checklist_summary(project: Path) -> None:
    run = sarif_run(project, [replicas_finding(Location("k8s/worker.yaml", 3, 3))], rules_run=("TPR402",))
    summary = run["properties"]["checklist"]
    assert summary["items"] == sum(c["items"] for c in summary["checklists"]) >= 60
    assert summary["by_status"]["fail"] == 1  # ha.lb-health, from the TPR402 finding
    availability = next(c for c in summary["checklists"] if c["id"] == "ha")
    assert availability["by_status"]["fail"] == 1 and availability["compliance"] == 0.0


def test_sarif_region_on_the_first_line_and_column_keeps_them(project: Path) -> None:
    whole_document = replicas_finding(Location("k8s/worker.yaml", 1, 1, 14, 1))
    (result,) = sarif_run(project, [whole_document])["results"]
    assert region_of(result) == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 14,
        "endColumn": 1,
        "snippet": {"text": "apiVersion: apps/v1"},
    }


def test_sarif_snippet_is_the_last_line_for_a_finding_there(project: Path) -> None:
    (result,) = sarif_run(project, [grace_finding(Location("payments/worker.py", 10, 5))])["results"]
    assert region_of(result)["snippet"] == {"text": "    await worker.run()"}


def test_sarif_region_of_a_finding_without_a_position_starts_at_one_with_no_snippet(project: Path) -> None:
    # Position 0 is what a rule would say for "the whole file"; SARIF positions start at 1.
    (result,) = sarif_run(project, [replicas_finding(Location("k8s/worker.yaml", 0, 0, end_column=0))])["results"]
    assert region_of(result) == {"startLine": 1, "startColumn": 1, "endColumn": 1}


@pytest.mark.parametrize("line", [1, 11])
def test_sarif_finding_on_a_line_the_file_no_longer_has_gets_no_snippet(project: Path, line: int) -> None:
    (project / "payments/worker.py").write_text("\n".join(WORKER.splitlines()[: line - 1]), encoding="utf-8")
    (result,) = sarif_run(project, [grace_finding(Location("payments/worker.py", line, 5))])["results"]
    assert region_of(result) == {"startLine": line, "startColumn": 5}


def test_sarif_finding_in_a_file_gone_since_the_scan_gets_no_snippet(project: Path) -> None:
    (project / "k8s/worker.yaml").unlink()
    (result,) = sarif_run(project, [replicas_finding(Location("k8s/worker.yaml", 1, 1))])["results"]
    assert region_of(result) == {"startLine": 1, "startColumn": 1}


def test_sarif_absolute_paths_are_relative_inside_the_root_and_file_uris_outside(tmp_path: Path) -> None:
    checkout = write_project(tmp_path / "checkout")
    shared = write_project(tmp_path / "shared-charts")
    inside = grace_finding(Location(str(checkout / "k8s/worker.yaml"), 10, 7))
    outside = replicas_finding(Location(str(shared / "k8s/worker.yaml"), 7, 3))
    results = sarif_run(checkout, [inside, outside])["results"]
    artifacts = [result["locations"][0]["physicalLocation"]["artifactLocation"] for result in results]
    assert artifacts == [
        {"uri": "k8s/worker.yaml", "uriBaseId": "%SRCROOT%"},
        {"uri": (shared / "k8s/worker.yaml").as_uri()},
    ]


# --- line formats: text from the scanned tree ---------------------------------------------------


def test_github_annotation_escapes_a_related_message_taken_from_the_scanned_tree(project: Path) -> None:
    finding = replace(
        grace_finding(Location("k8s/worker.yaml", 10, 7)),
        related=(RelatedLocation(Location("payments/worker.py", 9, 14), "task queue \x1b[2J\u202eseuqolp"),),
    )
    assert render("github", [finding], make_ctx(project)) == (
        "::error file=k8s/worker.yaml,line=10,col=7,title=TPR101 grace-period-shorter-than-drain::"
        "terminationGracePeriodSeconds (10 s) is shorter than graceful_shutdown_timeout (60 s)"
        "%0Arelated: payments/worker.py:9: task queue \\x1b[2J\\u202eseuqolp\n"
    )


def test_concise_line_escapes_a_file_name_that_would_drive_the_terminal(project: Path) -> None:
    findings = [replicas_finding(Location("deploy/e\x1b[2Jx.yaml", 7, 3)),
                replicas_finding(Location("::warning file=a::b.yaml", 7, 3))]
    assert render("concise", findings, make_ctx(project)).splitlines() == [
        "deploy/e\\x1b[2Jx.yaml:7:3: TPR402 [warning] Deployment payments-worker runs 1 replica",
        "./::warning file=a::b.yaml:7:3: TPR402 [warning] Deployment payments-worker runs 1 replica",
    ]


def test_concise_shows_undecodable_file_name_bytes_as_bytes_and_lone_surrogates_as_code_points(
    project: Path,
) -> None:
    names = [os.fsdecode(b"deploy/caf\x80.yaml"), os.fsdecode(b"deploy/caf\xff.yaml")]
    findings = [replicas_finding(Location(name, 7, 3)) for name in names]
    findings.append(Finding("TPR205", Severity.NOTE, "Client.connect target 'prod\udc7f\udd00.example:7233'",
                            Location("payments/worker.py", 8, 20)))
    assert render("concise", findings, make_ctx(project)).splitlines() == [
        "deploy/caf\\x80.yaml:7:3: TPR402 [warning] Deployment payments-worker runs 1 replica",
        "deploy/caf\\xff.yaml:7:3: TPR402 [warning] Deployment payments-worker runs 1 replica",
        "payments/worker.py:8:20: TPR205 [note] Client.connect target 'prod\\udc7f\\udd00.example:7233'",
    ]


# --- statistics -------------------------------------------------------------------------------


def test_statistics_list_rules_most_findings_first_and_ties_by_rule_id(project: Path) -> None:
    findings = [
        replicas_finding(Location("k8s/staging/worker.yaml", 7, 3)),
        replicas_finding(Location("k8s/worker.yaml", 7, 3)),
        grace_finding(Location("k8s/worker.yaml", 10, 7)),
        Finding("TPR777", Severity.NOTE, "unknown to this catalogue", Location("k8s/worker.yaml", 12, 9)),
        grace_finding(Location("payments/worker.py", 9, 14)),
        replace(replicas_finding(Location("payments/dev.yaml", 7, 3)), suppressed_by="comment at line 6"),
    ]
    assert render_statistics(findings, make_ctx(project)) == (
        "2\tTPR101\t[error] grace-period-shorter-than-drain\n"
        "2\tTPR402\t[warning] single-replica-worker\n"
        "1\tTPR777\n"
    )
