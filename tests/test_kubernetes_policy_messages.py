"""The workload policies TPR407-TPR415 on small, realistic manifests: exact messages and places, boundary
values of replica floors and budgets, and that a workload, budget or autoscaler a rule passes over never
hides the ones after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_helpers import write
from tests.test_one_problem_one_finding import CHART
from tprlint.config import Config
from tprlint.engine import run
from tprlint.model import Finding

TASK_QUEUE = "Temporal worker: its containers set a task queue (TASK_QUEUE environment variable)"


def worker(name: str, *, replicas: int | None = 3, kind: str = "Deployment", spec: str = "", pod: str = "",
           namespace: str | None = None, api: str = "apps/v1") -> str:
    """A worker (it sets a task queue); ``spec`` and ``pod`` are extra lines of its spec and pod spec."""
    ns = f", namespace: {namespace}" if namespace else ""
    count = f"  replicas: {replicas}\n" if replicas is not None else ""
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\nspec:\n{count}{spec}"
            f"  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n{pod}"
            "      containers:\n        - name: worker\n"
            f"          image: ghcr.io/acme/{name}:1.4.2\n"
            f"          env: [{{name: TEMPORAL_TASK_QUEUE, value: {name}}}]\n")


def rollout(name: str, strategy: str, *, replicas: int = 3) -> str:
    return worker(name, replicas=replicas, kind="Rollout", api="argoproj.io/v1alpha1", spec=strategy)


def pdb(name: str, budget: str, app: str | None = None) -> str:
    return (f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}}}\nspec:\n  {budget}\n"
            f"  selector:\n    matchLabels: {{app: {app or name}}}\n")


def keda(target: str) -> str:
    return (f"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: {target}}}\nspec:\n"
            f"  scaleTargetRef: {{name: {target}}}\n  maxReplicaCount: 20\n")


def hpa(name: str, body: str = "", *, kind: str = "Deployment", target: str | None = None) -> str:
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}}}\nspec:\n"
            f"  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {target or name}}}\n"
            f"  maxReplicas: 10\n{body}")


def docs(*parts: str) -> str:
    return "---\n".join(parts)


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str,
         scope: str = "workers") -> list[Finding]:
    """Every finding of a run with only ``rule`` selected, internal errors (TPR000) included."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    config = Config(root=tmp_path).with_overrides(select=(rule,), scope=scope)
    return run([tmp_path], config, use_cache=False, jobs=1).findings


def said(found: list[Finding]) -> list[tuple[str, str, int, str]]:
    return sorted((f.rule_id, f.location.path, f.location.line, f.message) for f in found)


def places(found: list[Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.rule_id, f.location.path, f.location.line) for f in found)


def missing_budget(name: str, floor: int) -> str:
    return (f"No PodDisruptionBudget selects the pods of Deployment {name} ({TASK_QUEUE}), which runs at least "
            f"{floor} pods (spec.replicas: {floor}): a node drain or cluster upgrade may evict all of them at once, "
            "leaving its task queues without a poller. Add a PodDisruptionBudget in the same namespace whose "
            "spec.selector.matchLabels match the pod template labels, with maxUnavailable: 1.")


# -- TPR407 ------------------------------------------------------------------------------------------


def test_tpr407_wants_a_budget_from_two_pods_and_judges_every_worker_after_a_daemonset(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/workers.yaml": docs(
        worker("node-cache-worker", kind="DaemonSet", replicas=None),
        pdb("node-cache-worker", "maxUnavailable: 0"),
        worker("orders-worker", replicas=2),
        worker("billing-worker", replicas=3),
        worker("reports-worker", replicas=1),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR407")
    assert said(found) == [
        ("TPR407", "deploy/workers.yaml", 23, missing_budget("orders-worker", 2)),
        ("TPR407", "deploy/workers.yaml", 37, missing_budget("billing-worker", 3)),
    ]


def test_tpr407_leaves_a_rollout_with_a_workload_ref_to_the_deployment_it_points_at(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    referencing = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
                   "metadata: {name: orders-worker-rollout, labels: {app.kubernetes.io/part-of: temporal}}\n"
                   "spec:\n  replicas: 4\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: orders-worker}\n"
                   "  strategy:\n    canary: {steps: [{setWeight: 25}]}\n")
    files = {"deploy/orders.yaml": docs(worker("orders-worker", replicas=0), referencing)}
    assert lint(tmp_path, monkeypatch, files, "TPR407") == []


def test_tpr407_a_minimum_equal_to_a_single_replica_blocks_every_eviction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/reports.yaml": docs(worker("reports-worker", replicas=1),
                                         pdb("reports-worker", "minAvailable: 1"))}
    found = lint(tmp_path, monkeypatch, files, "TPR407")
    assert said(found) == [(
        "TPR407", "deploy/reports.yaml", 19,
        f"PodDisruptionBudget reports-worker selects Deployment reports-worker ({TASK_QUEUE}) and sets "
        "minAvailable: 1, not below the replica floor, so at its floor of 1 pod (spec.replicas: 1) it allows no "
        "voluntary disruption: `kubectl drain`, node pool upgrades and the cluster autoscaler wait forever on its "
        "pods. Allow at least one disruption: maxUnavailable: 1 (or a minAvailable below the replica floor).",
    )]
    assert [(r.location.line, r.message) for r in found[0].related] == [(2, "Deployment reports-worker")]


def test_tpr407_shows_how_a_percentage_minimum_counts_at_the_floor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/orders.yaml": docs(worker("orders-worker", replicas=3), pdb("orders-worker", "minAvailable: 67%"))}
    (finding,) = lint(tmp_path, monkeypatch, files, "TPR407")
    assert ("sets minAvailable: 67% (3 of 3), not below the replica floor, so at its floor of 3 pods (spec.replicas: "
            "3) it allows no voluntary disruption") in finding.message


def test_tpr407_no_budget_blocks_a_worker_keda_may_scale_to_zero(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/workers.yaml": docs(
        worker("orders-worker", replicas=2), keda("orders-worker"), pdb("orders-worker", "minAvailable: 1"),
        worker("billing-worker", replicas=2), keda("billing-worker"), pdb("billing-worker", "maxUnavailable: 10%"),
    )}
    assert lint(tmp_path, monkeypatch, files, "TPR407") == []


def test_tpr407_reads_a_minimum_of_18_digits_but_not_of_19(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/workers.yaml": docs(
        worker("orders-worker"), pdb("orders-worker", "minAvailable: 999999999999999999"),
        worker("billing-worker"), pdb("billing-worker", "minAvailable: 1000000000000000000"),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR407")
    assert [(f.rule_id, f.location.line) for f in found] == [("TPR407", 19)]
    assert "sets minAvailable: 999999999999999999, not below the replica floor" in found[0].message


def test_tpr407_budgets_of_a_server_chart_are_said_by_tpr511_and_hide_no_worker_chart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        **CHART,
        "deploy/workers/Chart.yaml": "apiVersion: v2\nname: billing-worker\nversion: 0.3.0\n",
        "deploy/workers/values.yaml": "replicaCount: 2\n",
        "deploy/workers/templates/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
            "  replicas: {{ .Values.replicaCount }}\n  template:\n    metadata:\n      labels: {app: billing}\n"
            "    spec:\n      containers:\n        - name: worker\n          image: ghcr.io/acme/billing:2.0.1\n"
            "          env: [{name: TEMPORAL_TASK_QUEUE, value: billing}]\n"),
    }
    found = lint(tmp_path, monkeypatch, files, "TPR407")
    assert [(f.location.path, f.location.line, f.anchor) for f in found] == [
        ("deploy/workers/templates/deployment.yaml", 2, "Deployment/default/billing-worker/pdb")]


def test_tpr407_with_scope_all_reports_each_budget_that_blocks_whatever_it_selects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storefront = worker("storefront", replicas=2).replace("TEMPORAL_TASK_QUEUE", "API_URL")
    files = {
        "deploy/storefront.yaml": storefront,
        "deploy/budgets.yaml": docs(
            pdb("storefront", "maxUnavailable: 1"),
            pdb("legacy-frozen", "maxUnavailable: 0"),
            pdb("legacy-sliver", "maxUnavailable: 0.5%"),
            pdb("legacy-all", "minAvailable: 100%"),
            pdb("legacy-most", "minAvailable: 99%"),
        ),
    }
    found = lint(tmp_path, monkeypatch, files, "TPR407", scope="all")
    assert said(found) == [
        ("TPR407", "deploy/budgets.yaml", 13,
         "PodDisruptionBudget legacy-frozen sets maxUnavailable: 0: it allows no voluntary disruption of the pods it "
         "selects, so `kubectl drain`, node pool upgrades and the cluster autoscaler wait forever on them. Allow at "
         "least one disruption (maxUnavailable: 1)."),
        ("TPR407", "deploy/budgets.yaml", 29,
         "PodDisruptionBudget legacy-all sets minAvailable: 100%: it allows no voluntary disruption of the pods it "
         "selects, so `kubectl drain`, node pool upgrades and the cluster autoscaler wait forever on them. Allow at "
         "least one disruption (maxUnavailable: 1)."),
    ]
    assert [f.anchor for f in found] == ["PodDisruptionBudget/default/legacy-frozen",
                                         "PodDisruptionBudget/default/legacy-all"]


def test_percentages_of_hundreds_of_digits_are_unreadable_not_an_internal_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = "9" * 400 + "%"
    orders = worker("orders-worker", spec=f"  strategy:\n    rollingUpdate: {{maxUnavailable: '{huge}'}}\n")
    files = {"deploy/workers.yaml": docs(orders, pdb("orders-worker", f"maxUnavailable: '{huge}'"),
                                        worker("billing-worker", replicas=1,
                                               spec="  strategy: {type: Recreate}\n"))}
    for rule in ("TPR407", "TPR408"):
        found = lint(tmp_path, monkeypatch, files, rule)
        assert [f.rule_id for f in found if f.rule_id == "TPR000"] == []
    assert [f.anchor for f in lint(tmp_path, monkeypatch, files, "TPR408")] == [
        "Deployment/default/billing-worker/strategy"]


def test_a_budget_percentage_whose_share_of_100_pods_overflows_is_unreadable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/legacy.yaml": pdb("legacy", f"maxUnavailable: '{'2' + '0' * 306}%'")}
    assert lint(tmp_path, monkeypatch, files, "TPR407", scope="all") == []


# -- TPR408 ------------------------------------------------------------------------------------------


def test_tpr408_messages_and_every_deployment_after_one_it_passes_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/workers.yaml": docs(
        worker("ledger-worker", kind="StatefulSet"),
        worker("orders-worker", spec="  strategy:\n    type: Recreate\n"),
        worker("billing-worker", spec="  strategy:\n    type: RollingUpdate\n"),
        worker("reports-worker", replicas=1, spec="  strategy:\n    rollingUpdate:\n      maxUnavailable: 1\n"),
        worker("exports-worker", spec="  strategy:\n    rollingUpdate:\n      maxUnavailable: 1\n"),
        keda("exports-worker"),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR408")
    assert said(found) == [
        ("TPR408", "deploy/workers.yaml", 21,
         f"Deployment orders-worker ({TASK_QUEUE}) uses strategy Recreate: every rollout stops all its pods before "
         "starting new ones, so its task queues have no poller until the new pods are ready and every running "
         "activity is interrupted at once. Use type: RollingUpdate with maxUnavailable: 0 and maxSurge: 1 (workers "
         "drain and are replaced one at a time)."),
        ("TPR408", "deploy/workers.yaml", 54,
         f"Deployment reports-worker ({TASK_QUEUE}) sets rollingUpdate.maxUnavailable: 1, which at its floor of 1 "
         "pod (spec.replicas: 1) lets a rollout stop every pod before a new one is ready: its task queues go "
         "unpolled and running activities are interrupted. Set maxUnavailable: 0 with maxSurge: 1 (or at least "
         "below the replica count)."),
    ]


# -- TPR410 ------------------------------------------------------------------------------------------


def test_tpr410_judges_autoscalers_of_workers_only_and_each_after_one_it_passes_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = "  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 0\n"
    files = {"deploy/autoscaling.yaml": docs(
        worker("orders-worker"),
        hpa("storefront", "  minReplicas: 1\n" + window),
        hpa("orders-worker", "  minReplicas: 2\n" + window),
        worker("node-cache-worker", kind="DaemonSet", replicas=None),
        hpa("node-cache-worker", "  minReplicas: 1\n", kind="DaemonSet"),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR410")
    assert said(found) == [
        ("TPR410", "deploy/autoscaling.yaml", 35,
         f"HorizontalPodAutoscaler orders-worker (scaling Deployment orders-worker, {TASK_QUEUE}) sets "
         "behavior.scaleDown.stabilizationWindowSeconds: 0, replacing the 300 s default: it removes pods the moment "
         "a metric dips, so a bursty task queue makes it stop workers in the middle of their activities and start "
         "them again a minute later. Remove the setting (300 s default) or set a window of a few minutes."),
        ("TPR410", "deploy/autoscaling.yaml", 56,
         f"HorizontalPodAutoscaler node-cache-worker (scaling DaemonSet node-cache-worker, {TASK_QUEUE}) has "
         "minReplicas: 1, below the minimum of 2: at low load one pod carries everything, and its eviction or crash "
         "leaves the task queues unpolled. Set minReplicas: 2 or more."),
    ]
    assert sorted(f.anchor for f in found) == ["DaemonSet/default/node-cache-worker/hpa/node-cache-worker",
                                               "Deployment/default/orders-worker/hpa/orders-worker/scale-down"]


def test_tpr410_with_scope_all_judges_the_floor_of_autoscalers_whose_target_is_not_in_the_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/hpa.yaml": docs(
        hpa("reports-api"),
        hpa("search-api", "  minReplicas: 1\n"),
        hpa("catalog-api", "  minReplicas: 2\n"),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR410", scope="all")
    assert [(f.location.line, f.anchor, f.message) for f in found] == [
        (2, "HorizontalPodAutoscaler/default/reports-api/hpa/reports-api",
         "HorizontalPodAutoscaler reports-api (scaling Deployment reports-api) has minReplicas: 1 (unset, default "
         "1), below the minimum of 2: at low load one pod carries everything, and its eviction or crash leaves "
         "nothing running. Set minReplicas: 2 or more."),
        (14, "HorizontalPodAutoscaler/default/search-api/hpa/search-api",
         "HorizontalPodAutoscaler search-api (scaling Deployment search-api) has minReplicas: 1, below the minimum "
         "of 2: at low load one pod carries everything, and its eviction or crash leaves nothing running. "
         "Set minReplicas: 2 or more."),
    ]


# -- TPR411 ------------------------------------------------------------------------------------------


def test_tpr411_wants_spread_from_two_pods_after_a_spread_worker_and_a_referencing_rollout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spread = ("      topologySpreadConstraints:\n"
              "        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}\n")
    referencing = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
                   "metadata: {name: ledger-worker, labels: {app.kubernetes.io/part-of: temporal}}\nspec:\n"
                   "  replicas: 4\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: ledger-worker}\n"
                   "  strategy:\n    canary: {steps: [{setWeight: 25}]}\n")
    files = {"deploy/workers.yaml": docs(
        worker("orders-worker", pod=spread),
        worker("ledger-worker", replicas=0),
        referencing,
        worker("billing-worker", replicas=2),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR411")
    assert said(found) == [(
        "TPR411", "deploy/workers.yaml", 48,
        f"Deployment billing-worker ({TASK_QUEUE}) runs 2+ pods (spec.replicas: 2) but sets no "
        "topologySpreadConstraints or podAntiAffinity: the scheduler may place every replica on one node or zone, "
        "and losing it stops all of them together. Add topologySpreadConstraints over kubernetes.io/hostname (and "
        "topology.kubernetes.io/zone) with whenUnsatisfiable: ScheduleAnyway, selecting the pod labels.",
    )]


# -- TPR413 ------------------------------------------------------------------------------------------


def test_tpr413_any_uid_above_zero_is_not_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hardened = worker("orders-worker", pod="      securityContext: {runAsUser: 1}\n") + (
        "          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n")
    root = hardened.replace("orders-worker", "billing-worker").replace("runAsUser: 1", "runAsUser: 0")
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": docs(hardened, root)}, "TPR413")
    assert [f.anchor for f in found] == ["Deployment/default/billing-worker/worker/security"]
    assert f"of Deployment billing-worker ({TASK_QUEUE}) sets runAsUser: 0 in its securityContext: a compromised " \
           "dependency or deserialisation bug then runs as root. Use a non-zero runAsUser with runAsNonRoot: true " \
           "(pod-level securityContext)." in found[0].message


def test_tpr413_names_only_the_consequences_of_what_is_missing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    non_root = worker("orders-worker", pod="      securityContext: {runAsUser: 1000}\n") + (
        "          securityContext: {allowPrivilegeEscalation: false}\n")
    bare = worker("billing-worker")
    found = lint(tmp_path, monkeypatch, {"deploy/workers.yaml": docs(non_root, bare)}, "TPR413")
    by_name = {f.anchor.split("/")[2]: f.message for f in found}
    # runAsUser 1000: nothing about root, and only the container's setting to add.
    assert "root" not in by_name["orders-worker"]
    assert ("does not set readOnlyRootFilesystem: true in its securityContext: a compromised dependency or "
            "deserialisation bug then can rewrite the image's code. Set readOnlyRootFilesystem: true in the "
            "container's securityContext.") in by_name["orders-worker"]
    assert ("then may run as root (the image's user decides), can gain privileges, or can rewrite the image's "
            "code. Set runAsNonRoot: true in the pod-level securityContext (with a non-root user in the image or a "
            "runAsUser). Set allowPrivilegeEscalation: false and readOnlyRootFilesystem: true in the container's "
            "securityContext.") in by_name["billing-worker"]
    # Two consequences: no comma before "or"; a privileged container is said to be, not "not set".
    privileged = worker("ledger-worker", pod="      securityContext: {runAsUser: 1000}\n") + (
        "          securityContext: {privileged: true, allowPrivilegeEscalation: false}\n")
    (tmp_path / "privileged").mkdir()
    (found,) = lint(tmp_path / "privileged", monkeypatch, {"deploy/workers.yaml": docs(privileged)}, "TPR413")
    assert ("sets privileged: true and does not set readOnlyRootFilesystem: true in its securityContext: a "
            "compromised dependency or deserialisation bug then has every capability and device of the node or can "
            "rewrite the image's code. Remove privileged: true. Set readOnlyRootFilesystem: true in the container's "
            "securityContext.") in found.message
    # Two settings set wrong: "and" between them, a comma before the rest. And uid 0 with runAsNonRoot:
    # true is a pod that does not start, not one that runs as root.
    both = worker("audit-worker", pod="      securityContext: {runAsUser: 0}\n") + (
        "          securityContext: {privileged: true}\n")
    broken = worker("broken-worker", pod="      securityContext: {runAsUser: 0, runAsNonRoot: true}\n") + (
        "          securityContext: {allowPrivilegeEscalation: false}\n")
    (tmp_path / "both").mkdir()
    found_both = {f.anchor.split("/")[2]: f.message for f in
                  lint(tmp_path / "both", monkeypatch, {"deploy/workers.yaml": docs(both, broken)}, "TPR413")}
    assert (f"({TASK_QUEUE}) sets runAsUser: 0 and privileged: true, and does not set "
            "allowPrivilegeEscalation: false, readOnlyRootFilesystem: true in its securityContext") \
        in found_both["audit-worker"]
    assert "root" not in found_both["broken-worker"]
    assert "does not set readOnlyRootFilesystem: true in its" in found_both["broken-worker"]


# -- TPR414 ------------------------------------------------------------------------------------------


def test_tpr414_names_the_analysis_keys_of_each_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/rollouts.yaml": docs(
        worker("orders-worker"),
        rollout("billing-worker", "  strategy:\n    canary:\n      analysis: {templates: [{templateName: errors}]}\n"),
        rollout("ledger-worker", ""),
        rollout("payments-worker", "  strategy:\n    canary:\n      steps: [{setWeight: 20}, {pause: {}}]\n"),
        rollout("refunds-worker", "  strategy:\n    blueGreen:\n      activeService: refunds-worker\n"),
    )}
    found = lint(tmp_path, monkeypatch, files, "TPR414")
    tail = ("with an AnalysisTemplate over the worker's error metrics (e.g. activity failures or workflow task "
            "failures from the SDK's Prometheus metrics).")
    assert said(found) == [
        ("TPR414", "deploy/rollouts.yaml", 52,
         f"Argo Rollout payments-worker ({TASK_QUEUE}) uses a canary strategy with no analysis: a bad version "
         "(failing activities, non-deterministic workflow code) is promoted on schedule and never rolled back "
         f"automatically. Add analysis or steps[].analysis {tail}"),
        ("TPR414", "deploy/rollouts.yaml", 69,
         f"Argo Rollout refunds-worker ({TASK_QUEUE}) uses a blueGreen strategy with no analysis: a bad version "
         "(failing activities, non-deterministic workflow code) is promoted on schedule and never rolled back "
         f"automatically. Add prePromotionAnalysis or postPromotionAnalysis {tail}"),
    ]


# -- TPR415 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [
    (5, "a-worker, b-worker, c-worker, d-worker, e-worker;"),
    (6, "a-worker, b-worker, c-worker, d-worker, e-worker, ...;"),
])
def test_tpr415_lists_five_workers_of_a_namespace_then_an_ellipsis(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, shown: str) -> None:
    names = [f"{letter}-worker" for letter in "fedcba"[-count:]]
    files = {"deploy/workers.yaml": docs(*(worker(name, namespace="orders") for name in names))}
    (finding,) = lint(tmp_path, monkeypatch, files, "TPR415")
    first = names[0]
    assert finding.message.startswith(f"Namespace orders ({shown} Deployment {first}: {TASK_QUEUE}) has no "
                                      "NetworkPolicy in the scanned manifests: the pods accept connections")


def test_the_temporal_ui_gets_no_worker_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The UI is a Temporal server component, judged by the workload rules, but it polls no task queue.
    ui = (worker("temporal-web", spec="  strategy: {type: Recreate}\n")
          .replace("ghcr.io/acme/temporal-web:1.4.2", "temporalio/ui:2.31.2")
          .replace("[{name: TEMPORAL_TASK_QUEUE, value: temporal-web}]", "[{name: TEMPORAL_ADDRESS, value: x:7233}]"))
    files = {"deploy/ui.yaml": ui}
    (missing,) = lint(tmp_path, monkeypatch, files, "TPR407")
    assert "(Temporal server component)" in missing.message
    assert "leaving it with no running pod. Add a PodDisruptionBudget" in missing.message
    (recreate,) = lint(tmp_path, monkeypatch, files, "TPR408")
    assert ("so it is down until the new pods are ready. Use type: RollingUpdate with maxUnavailable: 0 and "
            "maxSurge: 1 (pods are replaced one at a time).") in recreate.message
    assert "task queue" not in missing.message + recreate.message
