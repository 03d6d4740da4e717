"""TPR418's reading of spreading (tprlint.facts.spread): does any constraint or anti-affinity term count the
workload's own replicas? Each case is a pod template a real manifest could hold."""

from __future__ import annotations

import pytest

from tprlint.discover import FileKind
from tprlint.facts.extract import extract_file

TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: orders-worker}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: orders-worker}}}}
  template:
    metadata: {{labels: {{app: orders-worker, tier: workers}}}}
    spec:
{spread}
      containers: [{{name: worker, image: "shop/orders:1.4.2"}}]
"""
GOOD_SELECTOR = "labelSelector: {matchLabels: {app: orders-worker}}"


def issue(spread: str) -> str:
    facts = extract_file("deploy/w.yaml", FileKind.KUBERNETES, TEMPLATE.format(spread=spread).encode())
    assert facts.kube is not None and facts.error is None
    [workload] = facts.kube.workloads
    return workload.spread_issue


@pytest.mark.parametrize(("spread", "expected"), [
    (f"      topologySpreadConstraints: [{{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     f"{GOOD_SELECTOR}}}]", ""),
    ("      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     "labelSelector: {matchLabels: {app: orders}}}]", "does not match the pod template's labels"),
    ("      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]",
     "has no labelSelector"),
    # A constraint the API server refuses is TPR423's finding (spread_invalid), not a spread that counts nobody.
    (f"      topologySpreadConstraints: [{{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     f"{GOOD_SELECTOR}}}]", ""),
    # One working constraint is enough, whatever the others do.
    (f"      topologySpreadConstraints:\n        - {{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway,"
     f" {GOOD_SELECTOR}}}\n        - {{maxSkew: 1, topologyKey: host, whenUnsatisfiable: DoNotSchedule, "
     f"{GOOD_SELECTOR}}}", ""),
    ("      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     "labelSelector: {matchExpressions: [{key: tier, operator: In, values: [workers]}]}}]", ""),
    ("      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n"
     "            - weight: 100\n              podAffinityTerm: {topologyKey: host, labelSelector: "
     "{matchLabels: {app: postgres}}}", "keeps these replicas away only from other pods"),
    ("      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
     "            - {topologyKey: host, labelSelector: {matchLabels: {app: orders-worker}}}", ""),
])
def test_spreading_that_counts_the_replicas(spread: str, expected: str) -> None:
    found = issue(spread)
    assert (expected in found) if expected else found == "", found


def invalid(spread: str) -> list[str]:
    facts = extract_file("deploy/w.yaml", FileKind.KUBERNETES, TEMPLATE.format(spread=spread).encode())
    assert facts.kube is not None and facts.error is None
    [workload] = facts.kube.workloads
    return [fault.text for fault in workload.spread_invalid]


@pytest.mark.parametrize(("spread", "expected"), [
    (f"      topologySpreadConstraints: [{{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     f"{GOOD_SELECTOR}}}]", ["maxSkew 0"]),
    (f"      topologySpreadConstraints: [{{maxSkew: '1', topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, "
     f"{GOOD_SELECTOR}}}]", ["maxSkew '1'"]),
    (f"      topologySpreadConstraints: [{{maxSkew: 1, whenUnsatisfiable: ScheduleAnyway, {GOOD_SELECTOR}}}]",
     ["has no topologyKey"]),
    (f"      topologySpreadConstraints: [{{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Sometimes, "
     f"{GOOD_SELECTOR}}}]", ["whenUnsatisfiable 'Sometimes'"]),
    # Each broken constraint is named, a working one beside them does not make the object valid.
    (f"      topologySpreadConstraints:\n        - {{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway,"
     f" {GOOD_SELECTOR}}}\n        - {{maxSkew: 1, topologyKey: host, whenUnsatisfiable: DoNotSchedule, "
     f"{GOOD_SELECTOR}}}\n        - {{maxSkew: 1, whenUnsatisfiable: DoNotSchedule}}",
     ["topologySpreadConstraints[0] has maxSkew 0", "topologySpreadConstraints[2] has no topologyKey"]),
    # A selector that counts no replica is valid for the API server.
    ("      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]", []),
])
def test_constraints_the_api_server_refuses(spread: str, expected: list[str]) -> None:
    found = invalid(spread)
    assert len(found) == len(expected), found
    assert all(part in text for part, text in zip(expected, found, strict=True)), found


def test_a_hostile_number_of_constraints_is_bounded() -> None:
    many = "      topologySpreadConstraints:\n" + "        - {maxSkew: 0}\n" * 500
    assert len(invalid(many)) == 32
