"""Rules on how Kubernetes workloads live through disruptions, rollouts and attacks (TPR407-TPR418, TPR423).

Like TPR401-TPR406 they judge ``project.in_scope()``: Temporal workers and server components by
default, every workload with ``scope = "all"``. Values tprlint cannot read (a templated replica count,
an unknown selector operator) make a rule stay silent rather than guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

from tprlint.facts.kubernetes import (
    Container,
    DisruptionBudget,
    ImageOverride,
    NetworkPolicy,
    ScaleTarget,
    Workload,
)
from tprlint.model import Location, RelatedLocation
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project
from tprlint.rules.kubernetes import REPLICATED_KINDS
from tprlint.rules.temporal_server import judged_by_server_rules

_INT = re.compile(r"^\s*\d+\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


# --------------------------------------------------------------------------------------------
# TPR407 pdb-missing-or-blocking


def pdb_missing_or_blocking(project: Project) -> Iterator[Hit]:
    """TPR407: a replicated workload no PodDisruptionBudget protects, or one whose budget blocks every eviction."""
    for workload, reason in project.in_scope():
        if workload.kind not in REPLICATED_KINDS or workload.template_ref:
            continue
        floor, source, _ = project.replica_floor(workload)
        verdicts = [(budget, _selects(budget, workload)) for budget in project.budgets]
        selecting = [budget for budget, selected in verdicts if selected]
        if not selecting and judged_by_server_rules(project, workload, "budget"):
            continue  # TPR511 says it once, in the values where it is fixed
        if not selecting:
            if floor >= 2 and not any(selected is None for _, selected in verdicts):
                yield _missing_budget(workload, reason, floor, source)
            continue
        for budget in selecting:
            blocked = _blocks(budget, floor)
            if blocked:
                yield Hit(
                    budget.budget_location or budget.location,
                    f"PodDisruptionBudget {budget.name} selects {workload.kind} {workload.name} ({reason}) and "
                    f"{blocked}, so at its floor of {floor} pod{_s(floor)} ({source}) it allows no voluntary "
                    "disruption: `kubectl drain`, node pool upgrades and the cluster autoscaler wait forever on "
                    "its pods. Allow at least one disruption: maxUnavailable: 1 (or a minAvailable below the "
                    "replica floor).",
                    related=(RelatedLocation(workload.location, f"{workload.kind} {workload.name}"),),
                    anchor=f"{workload.ref}/pdb/{budget.name}",
                )
    if project.config.scope == "all":
        yield from _orphan_blocking_budgets(project)


def _lost(reason: str | None, worker: str, other: str) -> str:
    """What an outage costs, in words that fit the workload: only a worker has task queues to leave unpolled
    (a Temporal server component or the UI, or any workload under scope = all, does not)."""
    return worker if reason is not None and reason.startswith("Temporal worker") else other


def _missing_budget(workload: Workload, reason: str, floor: int, source: str) -> Hit:
    return Hit(
        workload.location,
        f"No PodDisruptionBudget selects the pods of {workload.kind} {workload.name} ({reason}), which runs at "
        f"least {floor} pods ({source}): a node drain or cluster upgrade may evict all of them at once, leaving "
        f"{_lost(reason, 'its task queues without a poller', 'it with no running pod')}. Add a PodDisruptionBudget "
        "in the same namespace whose "
        "spec.selector.matchLabels match the pod template labels, with maxUnavailable: 1.",
        anchor=f"{workload.ref}/pdb",
    )


def _orphan_blocking_budgets(project: Project) -> Iterator[Hit]:
    """With ``scope = "all"``: budgets that block every eviction whatever they select."""
    for budget in project.budgets:
        if any(_selects(budget, workload) is not False for workload in project.workloads):
            continue  # judged above through the workloads it selects
        blocked = _blocks_always(budget)
        if blocked:
            yield Hit(
                budget.budget_location or budget.location,
                f"PodDisruptionBudget {budget.name} {blocked}: it allows no voluntary disruption of the pods it "
                "selects, so `kubectl drain`, node pool upgrades and the cluster autoscaler wait forever on "
                "them. Allow at least one disruption (maxUnavailable: 1).",
                anchor=f"PodDisruptionBudget/{budget.namespace or 'default'}/{budget.name}",
            )


def _selects(budget: DisruptionBudget, workload: Workload) -> bool | None:
    """Whether the budget covers the workload's pods; None when unknown (an operator tprlint can't
    evaluate, or only one of the two says its namespace): enough to stay quiet, not to judge the budget."""
    if not _same_namespace(budget.namespace, workload.namespace) or budget.selector is None:
        return False
    selected = budget.selector.matches(workload.pod_labels)
    if selected and budget.namespace != workload.namespace:
        return None
    return selected


def _same_namespace(a: str | None, b: str | None) -> bool:
    # A manifest without a namespace lands in whatever namespace it is applied to (`kubectl -n`,
    # kustomize, Helm), most likely together with its neighbours: only two different names differ.
    return a is None or b is None or a == b


def _blocks(budget: DisruptionBudget, floor: int) -> str:
    """Why the budget allows no disruption when ``floor`` pods run ("" when it allows some)."""
    # Percentages round up, so any non-zero maxUnavailable allows one eviction once a pod runs.
    if budget.max_unavailable is not None and _amount(budget.max_unavailable, max(floor, 1), round_up=True) == 0:
        return f"sets maxUnavailable: {budget.max_unavailable}"
    if budget.min_available is not None and floor >= 1:
        needed = _amount(budget.min_available, floor, round_up=True)
        if needed is not None and needed >= floor:
            shown = budget.min_available.strip()
            computed = f" ({needed} of {floor})" if shown.endswith("%") else ""
            return f"sets minAvailable: {shown}{computed}, not below the replica floor"
    return ""


def _blocks_always(budget: DisruptionBudget) -> str:
    if budget.max_unavailable is not None and _amount(budget.max_unavailable, 100, round_up=True) == 0:
        return f"sets maxUnavailable: {budget.max_unavailable}"
    percent = _PERCENT.match(budget.min_available or "")
    if percent and float(percent.group(1)) >= 100:
        return f"sets minAvailable: {budget.min_available}"
    return ""


def _amount(text: str, total: int, *, round_up: bool) -> int | None:
    """An int-or-percent field as Kubernetes scales it against ``total`` pods; None when unreadable."""
    if _INT.match(text):
        # An integer longer than any pod count (thousands of digits) would hit Python's digit limit.
        return int(text) if len(text) <= 18 else None
    percent = _PERCENT.match(text)
    if not percent or len(text) > 18:
        return None  # likewise: hundreds of digits overflow a float, and math.ceil(inf) raises
    exact = total * float(percent.group(1)) / 100
    return math.ceil(exact) if round_up else math.floor(exact)


# --------------------------------------------------------------------------------------------
# TPR408 unsafe-rollout-strategy


def unsafe_rollout_strategy(project: Project) -> Iterator[Hit]:
    """TPR408: a rollout that can stop every pod at once."""
    for workload, reason in project.in_scope():
        if workload.kind not in ("Deployment", "Rollout"):
            continue
        if workload.kind == "Deployment" and workload.strategy_type == "Recreate":
            yield Hit(
                workload.strategy_location or workload.location,
                f"{workload.kind} {workload.name} ({reason}) uses strategy Recreate: every rollout stops all "
                "its pods before starting new ones, so "
                f"{_lost(reason, 'its task queues have no poller', 'it is down')} until the new pods are ready"
                f"{_lost(reason, ' and every running activity is interrupted at once', '')}. Use type: "
                "RollingUpdate with maxUnavailable: 0 and maxSurge: 1 ("
                f"{_lost(reason, 'workers drain and are replaced', 'pods are replaced')} one at a time).",
                anchor=f"{workload.ref}/strategy",
            )
            continue
        if workload.max_unavailable is None:
            continue
        floor, source, _ = project.replica_floor(workload)
        # Deployments and Argo Rollouts round a percentage maxUnavailable down.
        down = _amount(workload.max_unavailable, floor, round_up=False)
        if floor >= 1 and down is not None and down >= floor:
            where = "canary.maxUnavailable" if workload.kind == "Rollout" else "rollingUpdate.maxUnavailable"
            yield Hit(
                workload.max_unavailable_location or workload.strategy_location or workload.location,
                f"{workload.kind} {workload.name} ({reason}) sets {where}: {workload.max_unavailable.strip()}, "
                f"which at its floor of {floor} pod{_s(floor)} ({source}) lets a rollout stop every pod before "
                f"a new one is ready: "
                f"{_lost(reason, 'its task queues go unpolled and running activities are interrupted', 'it is down')}"
                ". Set "
                "maxUnavailable: 0 with maxSurge: 1 (or at least below the replica count).",
                anchor=f"{workload.ref}/strategy",
            )


# --------------------------------------------------------------------------------------------
# TPR409 image-tag-unpinned

# Tags that name a moving target rather than a build. Numeric tags (`3.12-slim`) are pinned enough;
# `<word>-<variant>` forms of these (`stable-alpine`, `latest-slim`) move too, `main-4f2a9c1` does not.
MUTABLE_TAGS = frozenset({
    "latest", "main", "master", "stable", "edge", "nightly", "dev", "develop", "development", "head", "trunk",
    "snapshot", "canary", "current", "prod", "production", "staging", "rolling", "mainline", "unstable", "next",
    "lts",
})
_VARIANT = re.compile(r"^[a-z]+$")


def image_tag_unpinned(project: Project) -> Iterator[Hit]:
    """TPR409: an image reference that can change under the same manifest."""
    overrides = {override.name: override for override in project.image_overrides}
    for workload, reason in project.in_scope():
        for container in (*workload.containers, *workload.init_containers):
            problem = image_problem(container.image, overrides)
            if problem:
                yield Hit(
                    container.image_location,
                    f"Container {container.label} of {workload.kind} {workload.name} ({reason}) {problem}: each "
                    "pod restart or node move may pull a different build, so replicas run different code "
                    "(for workers: different workflow code, a non-determinism risk) and a rollback does not "
                    "roll back. Pin an immutable tag (a version or commit) or a digest (image@sha256:...).",
                    anchor=f"{workload.ref}/{container.label}/image",
                )


def image_problem(image: str, overrides: dict[str, ImageOverride] | None = None) -> str:
    """What is unpinned about an image reference ("" when pinned or unknowable)."""
    text = image.strip()
    if not text or any(mark in text for mark in ("$", "{{", "<", " ", "://")):
        return ""  # templated, substituted at deploy time, or a ko:// build reference
    if "@" in text:
        return ""  # a digest pins the content, whatever the tag says
    name, tag = split_image(text)
    override = (overrides or {}).get(name)
    if override is not None:
        if override.digest or override.built:
            return ""
        tag = override.tag or tag
    if tag is None:
        return f"uses image {text} with no tag, which means :latest"
    if _mutable(tag):
        return f"uses the mutable tag :{tag}"
    return ""


def split_image(reference: str) -> tuple[str, str | None]:
    """(name, tag) of ``registry[:port]/path:tag``: a colon before the last slash is a registry port."""
    colon = reference.rfind(":")
    if colon > reference.rfind("/"):
        return reference[:colon], reference[colon + 1:]
    return reference, None


def _mutable(tag: str) -> bool:
    lowered = tag.lower()
    if lowered in MUTABLE_TAGS:
        return True
    head, _, variant = lowered.partition("-")
    return head in MUTABLE_TAGS and bool(_VARIANT.match(variant))


# --------------------------------------------------------------------------------------------
# TPR410 hpa-unsafe


def hpa_unsafe(project: Project) -> Iterator[Hit]:
    """TPR410: an autoscaler that can go below the HA floor or scale down without stabilization."""
    minimum = project.config.thresholds.worker_min_replicas
    scope = {id(workload): reason for workload, reason in project.in_scope()}
    for target in project.scale_targets:
        workload = _scaled_workload(project, target)
        reason = scope.get(id(workload)) if workload is not None else None
        if reason is None and project.config.scope != "all":
            continue  # an autoscaler of a workload outside the scope, or of one not in the scan
        what = f"{target.kind} {target.name} (scaling {target.target_kind} {target.target_name}" + (
            f", {reason})" if reason else ")")
        own = f"{target.kind}/{target.namespace or 'default'}/{target.name}"
        anchor = workload.ref if workload is not None else own
        # TPR406 already reports the floor of replicated workloads it judges; say it once.
        covered = reason is not None and workload is not None and workload.kind in REPLICATED_KINDS
        if target.kind == "HorizontalPodAutoscaler" and target.min_replicas < minimum and not covered:
            given = "" if target.min_location else " (unset, default 1)"
            yield Hit(
                target.min_location or target.location,
                f"{what} has minReplicas: {target.min_replicas}{given}, below the minimum of {minimum}: at "
                "low load one pod carries everything, and its eviction or crash leaves "
                f"{_lost(reason, 'the task queues unpolled', 'nothing running')}. Set minReplicas: {minimum} or more.",
                anchor=f"{anchor}/hpa/{target.name}",
            )
        if target.scale_down_window == 0 and not target.scale_down_disabled:
            yield Hit(
                target.scale_down_window_location or target.location,
                f"{what} sets behavior.scaleDown.stabilizationWindowSeconds: 0, replacing the 300 s default: "
                "it removes pods the moment a metric dips, so a bursty task queue makes it stop workers in the "
                "middle of their activities and start them again a minute later. Remove the setting (300 s "
                "default) or set a window of a few minutes.",
                anchor=f"{anchor}/hpa/{target.name}/scale-down",
            )


def _scaled_workload(project: Project, target: ScaleTarget) -> Workload | None:
    return next((w for w in project.workloads
                 if w.name == target.target_name and w.kind == target.target_kind
                 and (w.namespace or "default") == (target.namespace or "default")), None)


# --------------------------------------------------------------------------------------------
# TPR411 no-spread


def no_spread(project: Project) -> Iterator[Hit]:
    """TPR411: replicas the scheduler may put on one node or zone."""
    for workload, reason in project.in_scope():
        if workload.kind not in REPLICATED_KINDS or workload.template_ref or workload.spread:
            continue
        floor, source, _ = project.replica_floor(workload)
        if floor >= 2:
            yield Hit(
                workload.pod_spec_location,
                f"{workload.kind} {workload.name} ({reason}) runs {floor}+ pods ({source}) but sets no "
                "topologySpreadConstraints or podAntiAffinity: the scheduler may place every replica on one "
                "node or zone, and losing it stops all of them together. Add topologySpreadConstraints over "
                "kubernetes.io/hostname (and topology.kubernetes.io/zone) with whenUnsatisfiable: "
                "ScheduleAnyway, selecting the pod labels.",
                anchor=f"{workload.ref}/spread",
            )


def spread_counts_no_replica(project: Project) -> Iterator[Hit]:
    """TPR418: topology spread or anti-affinity that counts none of the workload's own pods."""
    for workload, reason in project.in_scope():
        if workload.kind not in REPLICATED_KINDS or workload.template_ref or not workload.spread_issue:
            continue
        floor, source, _ = project.replica_floor(workload)
        if floor < 2:
            continue
        yield Hit(
            workload.spread_issue_location or workload.pod_spec_location,
            f"{workload.kind} {workload.name} ({reason}) runs {floor}+ pods ({source}) and sets spreading that "
            f"spreads none of them: {workload.spread_issue}. The scheduler may place every replica on one node "
            "or zone, and losing it stops all of them together. Make the labelSelector select the pod "
            "template's labels (the same labels as the workload's selector).",
            anchor=f"{workload.ref}/spread-selector",
        )


def spread_rejected(project: Project) -> Iterator[Hit]:
    """TPR423: topologySpreadConstraints the API server refuses, so the workload is never applied."""
    for workload, reason in project.in_scope():
        if not workload.spread_invalid:
            continue
        first = workload.spread_invalid[0]
        more = "; ".join(fault.text for fault in workload.spread_invalid[1:3])
        yield Hit(
            first.location or workload.pod_spec_location,
            f"{workload.kind} {workload.name} ({reason}): {first.text}{'; ' + more if more else ''}. The API server "
            "refuses the whole object (`kubectl apply` fails with \"Invalid value\" / \"Required value\"), so "
            "this version is never deployed, and a pipeline that does not check the apply leaves the old one "
            "running. Use maxSkew: 1 or more, a topologyKey such as topology.kubernetes.io/zone or "
            "kubernetes.io/hostname, and whenUnsatisfiable: ScheduleAnyway or DoNotSchedule.",
            anchor=f"{workload.ref}/spread-invalid",
        )


# --------------------------------------------------------------------------------------------
# TPR412 secret-in-plain-env

_SECRET_WHAT = {
    "credential": "has a literal value",
    "private-key": "holds a private key in a literal value",
    "url-password": "holds a URL with a password in a literal value",
}


def secret_in_plain_env(project: Project) -> Iterator[Hit]:
    """TPR412: a credential written into a manifest. The value is never shown (redacted source too).
    Temporal clients too: an API key in a client's manifest leaks the same namespace."""
    for workload, reason in [*project.in_scope(), *project.temporal_clients()]:
        for container in (*workload.containers, *workload.init_containers):
            for env in container.env:
                if not env.literal_secret or env.from_ref:
                    continue
                yield Hit(
                    env.location,
                    f"Environment variable {env.name} of container {container.label} in {workload.kind} "
                    f"{workload.name} ({reason}) {_SECRET_WHAT.get(env.literal_secret, 'has a literal value')}: "
                    "anyone who can read the repository, CI logs or `kubectl get -o yaml` has the credential. "
                    "Store it in a Secret and reference it with valueFrom.secretKeyRef (or envFrom.secretRef), "
                    "then rotate it: it is in version control.",
                    anchor=f"{workload.ref}/{container.label}/env/{env.name}",
                    redact_source=True,
                )


# --------------------------------------------------------------------------------------------
# TPR413 pod-security-weak


def pod_security_weak(project: Project) -> Iterator[Hit]:
    """TPR413: one finding per container listing the hardening settings it lacks."""
    for workload, reason in project.in_scope():
        for container in workload.containers:
            gaps = security_gaps(container)
            if gaps:
                # Only what is wrong, and its consequence: a pod with `runAsUser: 1000` does not run as root.
                wrong = [gap.setting for gap in gaps if gap.set_wrong]
                unset = [gap.setting for gap in gaps if not gap.set_wrong]
                problems = [f"sets {' and '.join(wrong)}"] if wrong else []
                problems += [f"does not set {', '.join(unset)}"] if unset else []
                # "sets A and B, and does not set C": a comma once "and" is taken.
                joined = (", and " if len(wrong) > 1 else " and ").join(problems)
                yield Hit(
                    container.security_location or container.location,
                    f"Container {container.label} of {workload.kind} {workload.name} ({reason}) {joined} in its "
                    f"securityContext: a compromised dependency or deserialisation bug then "
                    f"{_either([gap.risk for gap in gaps])}. {_security_fix(gaps)}",
                    anchor=f"{workload.ref}/{container.label}/security",
                )


@frozen
class SecurityGap:
    setting: str  # as the message names it: "runAsNonRoot: true", "privileged: true"
    set_wrong: bool  # set to a weak value (`privileged: true`, `runAsUser: 0`), not left unset
    risk: str


def security_gaps(container: Container) -> list[SecurityGap]:
    context = container.security_context
    gaps: list[SecurityGap] = []
    user = context.get("runAsUser")
    uid = user if isinstance(user, int) and not isinstance(user, bool) else None
    if uid == 0 and context.get("runAsNonRoot") is True:
        pass  # the kubelet refuses to start it (CreateContainerConfigError): no weakness, a broken pod
    elif uid == 0:
        gaps.append(SecurityGap("runAsUser: 0", True, "runs as root"))
    elif context.get("runAsNonRoot") is not True and not (uid is not None and uid > 0):
        gaps.append(SecurityGap("runAsNonRoot: true", False, "may run as root (the image's user decides)"))
    if context.get("privileged") is True:
        gaps.append(SecurityGap("privileged: true", True, "has every capability and device of the node"))
    if context.get("allowPrivilegeEscalation") is not False:
        gaps.append(SecurityGap("allowPrivilegeEscalation: false", False, "can gain privileges"))
    if context.get("readOnlyRootFilesystem") is not True:
        gaps.append(SecurityGap("readOnlyRootFilesystem: true", False, "can rewrite the image's code"))
    return gaps


def _either(risks: list[str]) -> str:
    return " or ".join(risks) if len(risks) < 3 else f"{', '.join(risks[:-1])}, or {risks[-1]}"


def _security_fix(gaps: list[SecurityGap]) -> str:
    settings = {gap.setting for gap in gaps}
    fixes = []
    if "runAsUser: 0" in settings:
        fixes.append("Use a non-zero runAsUser with runAsNonRoot: true (pod-level securityContext).")
    if "runAsNonRoot: true" in settings:
        fixes.append("Set runAsNonRoot: true in the pod-level securityContext (with a non-root user in the image "
                     "or a runAsUser).")
    container = [s for s in ("allowPrivilegeEscalation: false", "readOnlyRootFilesystem: true") if s in settings]
    if "privileged: true" in settings:
        fixes.append("Remove privileged: true.")
    if container:
        fixes.append(f"Set {' and '.join(container)} in the container's securityContext.")
    return " ".join(fixes)


# --------------------------------------------------------------------------------------------
# TPR414 canary-without-analysis


def canary_without_analysis(project: Project) -> Iterator[Hit]:
    """TPR414: a progressive rollout that nothing can abort automatically."""
    for workload, reason in project.in_scope():
        if workload.kind != "Rollout" or workload.strategy_type not in ("canary", "blueGreen"):
            continue
        if workload.rollout_analysis:
            continue
        keys = ("analysis or steps[].analysis" if workload.strategy_type == "canary"
                else "prePromotionAnalysis or postPromotionAnalysis")
        yield Hit(
            workload.strategy_location or workload.location,
            f"Argo Rollout {workload.name} ({reason}) uses a {workload.strategy_type} strategy with no analysis: "
            "a bad version (failing activities, non-deterministic workflow code) is promoted on schedule and "
            f"never rolled back automatically. Add {keys} with an AnalysisTemplate over the worker's error "
            "metrics (e.g. activity failures or workflow task failures from the SDK's Prometheus metrics).",
            anchor=f"{workload.ref}/strategy",
        )


# --------------------------------------------------------------------------------------------
# TPR415 no-network-policy


def no_network_policy(project: Project) -> Iterator[Hit]:
    """TPR415: pods no NetworkPolicy selects. A namespace without any policy is one finding (one fix: a
    default deny); where policies exist, each workload whose pods none of them selects is its own finding."""
    policies = project.network_policies
    if any(policy.cluster_wide for policy in policies):
        return  # a cluster-wide policy may cover them: tprlint can't tell which pods it selects
    namespaces: dict[str | None, list[tuple[Workload, str]]] = {}
    for workload, reason in project.in_scope():
        namespaces.setdefault(workload.namespace, []).append((workload, reason))
    for namespace, members in namespaces.items():
        nearby = [p for p in policies if _same_namespace(p.namespace, namespace)]
        bare = [(w, r) for w, r in members if not any(_covers(p, w) for p in nearby)]
        if not bare:
            continue
        if nearby:
            yield from (_unselected(workload, reason, nearby) for workload, reason in bare)
            continue
        workload, reason = min(bare, key=lambda item: _order(item[0].location))
        subject = f"Namespace {namespace}" if namespace else "The namespace these manifests are applied to"
        names = sorted({w.name for w, _ in bare})
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        yield Hit(
            workload.location,
            f"{subject} ({shown}; {workload.kind} {workload.name}: {reason}) has no NetworkPolicy in the scanned "
            "manifests: the pods accept "
            "connections from anywhere in the cluster and can reach anything, so one compromised pod can "
            "talk to the Temporal frontend, its database and these workers. Add a NetworkPolicy selecting "
            "them (a default deny, then allow egress to the Temporal frontend on 7233 and to DNS).",
            anchor=f"{workload.ref}/network-policy",
        )


def _unselected(workload: Workload, reason: str, nearby: list[NetworkPolicy]) -> Hit:
    """A workload beside NetworkPolicies, none of which selects its pods."""
    shown = ", ".join(f"{p.name} ({_selector_text(p)})" for p in nearby[:3]) + (", ..." if len(nearby) > 3 else "")
    labels = ", ".join(f"{k}={v}" for k, v in sorted(workload.pod_labels.items())[:6]) or "none"
    return Hit(
        workload.location,
        f"{workload.kind} {workload.name} ({reason}) has NetworkPolicies beside it ({shown}), but none selects "
        f"these pods (pod labels: {labels}): policies protect only the pods their podSelector matches, so these "
        "accept connections from anywhere in the cluster and can reach anything, and one compromised pod can talk "
        "to the Temporal frontend and its database. Make a policy's podSelector match the pod template's labels "
        "(or add one for this workload: a default deny, then egress to the Temporal frontend on 7233 and DNS).",
        related=tuple(RelatedLocation(p.location, f"{p.kind} {p.name}") for p in nearby[:3]),
        anchor=f"{workload.ref}/network-policy",
    )


def _selector_text(policy: NetworkPolicy) -> str:
    selector = policy.selector
    if selector is None:
        return "a selector tprlint does not read"
    words = [f"{k}={v}" for k, v in sorted(selector.match_labels.items())[:4]]
    words += [f"{key} {operator} ({', '.join(values[:3])})" for key, operator, values in selector.expressions[:2]]
    return "podSelector " + (", ".join(words) if words else "{}")


def _covers(policy: NetworkPolicy, workload: Workload) -> bool:
    if policy.selector is None:
        return True  # a CNI-specific selector tprlint does not evaluate: assume it covers the pods
    return policy.selector.matches(workload.pod_labels) is not False


def _order(location: Location) -> tuple[str, int, int]:
    return (location.path, location.line, location.column)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR407": pdb_missing_or_blocking,
    "TPR408": unsafe_rollout_strategy,
    "TPR409": image_tag_unpinned,
    "TPR410": hpa_unsafe,
    "TPR411": no_spread,
    "TPR418": spread_counts_no_replica,
    "TPR423": spread_rejected,
    "TPR412": secret_in_plain_env,
    "TPR413": pod_security_weak,
    "TPR414": canary_without_analysis,
    "TPR415": no_network_policy,
}
