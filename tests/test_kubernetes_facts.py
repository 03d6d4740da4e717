from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.facts.kubernetes import KubeFacts, extract_kubernetes, prestop_sleep_seconds
from tprlint.facts.yaml_docs import YamlDoc, load_yaml_documents
from tprlint.model import Location

PATH = "deploy/orders.yaml"

STACK = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-worker
  namespace: orders
  labels: {app: order-worker, tier: "1"}
  annotations: {team: payments}
spec:
  replicas: "3"
  selector:
    matchLabels: {app: order-worker}
  strategy: {type: RollingUpdate}
  template:
    metadata:
      labels: {app: order-worker}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      terminationGracePeriodSeconds: 120
      securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000}
      initContainers:
        - name: migrate
          image: registry/orders:1.4
          command: [python, -m, orders.migrate]
      containers:
        - name: worker
          image: registry/orders:1.4
          command: ["python", "-m", "orders.worker"]
          args: ["--queue", 7]
          env:
            - name: TEMPORAL_ADDRESS
              value: temporal:7233
            - name: API_KEY
              valueFrom: {secretKeyRef: {name: s, key: k}}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            tcpSocket: {port: health}
          resources:
            requests: {cpu: 250m, memory: 512Mi}
            limits: {memory: 1Gi}
          securityContext: {runAsUser: 3000, readOnlyRootFilesystem: true}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "sleep 15"]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: order-worker, namespace: orders}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: order-worker}
  minReplicas: 2
  maxReplicas: 10
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: order-worker-keda, namespace: orders}
spec:
  scaleTargetRef: {name: order-worker}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: order-worker, namespace: orders}
spec:
  minAvailable: 50%
  selector:
    matchLabels: {app: order-worker}
"""


def extract(text: str) -> KubeFacts:
    return extract_kubernetes(load_yaml_documents(text, PATH), PATH)


def at(line: int, column: int) -> Location:
    return Location(PATH, line, column)


def test_deployment_fields_and_locations() -> None:
    facts = extract(STACK)
    (workload,) = facts.workloads
    assert (workload.kind, workload.name, workload.namespace, workload.api_version) == (
        "Deployment",
        "order-worker",
        "orders",
        "apps/v1",
    )
    assert workload.ref == "Deployment/orders/order-worker"
    assert workload.location == at(2, 1)
    assert workload.labels == {"app": "order-worker", "tier": "1"}
    assert workload.annotations == {"team": "payments"}
    assert workload.pod_labels == {"app": "order-worker"}
    assert workload.pod_annotations == {"prometheus.io/scrape": "true"}
    assert workload.selector == {"app": "order-worker"}
    assert workload.replicas == 3  # given as a string
    assert workload.replicas_location == at(9, 3)
    assert workload.grace_period_seconds == 120
    assert workload.grace_period_location == at(18, 7)
    assert workload.pod_spec_location == at(17, 5)
    assert workload.strategy == {"type": "RollingUpdate"}
    assert [c.name for c in workload.init_containers] == ["migrate"]
    assert workload.init_containers[0].command == ("python", "-m", "orders.migrate")


def test_container_fields_and_locations() -> None:
    (workload,) = extract(STACK).workloads
    (worker,) = workload.containers
    assert worker.name == "worker"
    assert worker.image == "registry/orders:1.4"
    assert worker.location == at(25, 11)
    assert worker.image_location == at(26, 11)
    assert worker.command == ("python", "-m", "orders.worker")
    assert worker.args == ("--queue", "7")  # numbers in argv are text to the kubelet
    assert [(e.name, e.value, e.from_ref) for e in worker.env] == [
        ("TEMPORAL_ADDRESS", "temporal:7233", False),
        ("API_KEY", None, True),
    ]
    assert worker.env[1].location == at(32, 15)
    ready = worker.probe("readiness")
    assert ready is not None
    assert (ready.http_path, ready.port, ready.location) == ("/ready", "8080", at(34, 11))
    live = worker.probe("liveness")
    assert live is not None and (live.http_path, live.port) == (None, "health")
    assert worker.probe("startup") is None
    assert worker.requests == {"cpu": "250m", "memory": "512Mi"}
    assert worker.limits == {"memory": "1Gi"}
    assert worker.resources_location == at(38, 11)
    assert worker.prestop_sleep_seconds == 15.0
    assert worker.prestop_location == at(43, 13)
    # Pod-level settings apply unless the container overrides them.
    assert worker.security_context == {
        "runAsNonRoot": True,
        "runAsUser": 3000,
        "fsGroup": 2000,
        "readOnlyRootFilesystem": True,
    }


def test_autoscalers_and_budget() -> None:
    facts = extract(STACK)
    hpa, keda = facts.scale_targets
    assert (hpa.kind, hpa.name, hpa.namespace, hpa.target_kind, hpa.target_name) == (
        "HorizontalPodAutoscaler",
        "order-worker",
        "orders",
        "Deployment",
        "order-worker",
    )
    assert hpa.min_replicas == 2
    assert hpa.min_location == at(52, 3)
    assert hpa.location == at(48, 1)
    assert (keda.kind, keda.target_kind, keda.target_name, keda.min_replicas, keda.min_location) == (
        "ScaledObject",
        "Deployment",  # KEDA's default target kind
        "order-worker",
        0,  # KEDA scales to zero unless told otherwise
        None,
    )
    (pdb,) = facts.budgets
    assert (pdb.name, pdb.namespace, pdb.match_labels) == ("order-worker", "orders", {"app": "order-worker"})
    assert (pdb.min_available, pdb.max_unavailable) == ("50%", None)
    assert pdb.location == at(62, 1)


def test_hpa_defaults_and_unusable_targets() -> None:
    text = """\
kind: HorizontalPodAutoscaler
metadata: {name: a}
spec: {scaleTargetRef: {kind: StatefulSet, name: db}}
---
kind: HorizontalPodAutoscaler
metadata: {name: b}
spec: {scaleTargetRef: {kind: Deployment}}
---
kind: HorizontalPodAutoscaler
metadata: {name: c}
spec: {scaleTargetRef: {name: x}, minReplicas: lots}
---
kind: ScaledObject
metadata: {name: d}
spec: {scaleTargetRef: {kind: StatefulSet, name: db}, minReplicaCount: "1"}
"""
    facts = extract(text)
    assert [(s.name, s.target_kind, s.target_name, s.min_replicas) for s in facts.scale_targets] == [
        ("a", "StatefulSet", "db", 1),
        ("d", "StatefulSet", "db", 1),
    ]


def test_pdb_max_unavailable_as_text() -> None:
    facts = extract("kind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {maxUnavailable: 1}\n")
    (pdb,) = facts.budgets
    assert (pdb.min_available, pdb.max_unavailable, pdb.match_labels) == (None, "1", {})


def test_cronjob_pod_template_is_found() -> None:
    text = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          terminationGracePeriodSeconds: "45"
          containers:
            - name: job
              image: registry/jobs:2
"""
    (workload,) = extract(text).workloads
    assert workload.kind == "CronJob"
    assert workload.replicas is None
    assert workload.grace_period_seconds == 45
    assert workload.pod_spec_location == at(9, 9)
    assert [c.image for c in workload.containers] == ["registry/jobs:2"]
    assert workload.containers[0].location == at(12, 15)


@pytest.mark.parametrize(
    ("kind", "api_version", "pod_path_yaml"),
    [
        ("StatefulSet", "apps/v1", "spec:\n  template:\n    spec:\n"),
        ("DaemonSet", "apps/v1", "spec:\n  template:\n    spec:\n"),
        ("ReplicaSet", "apps/v1", "spec:\n  template:\n    spec:\n"),
        ("Rollout", "argoproj.io/v1alpha1", "spec:\n  template:\n    spec:\n"),
        ("Job", "batch/v1", "spec:\n  template:\n    spec:\n"),
        ("Pod", "v1", "spec:\n"),
    ],
)
def test_every_workload_kind_finds_its_pod_spec(kind: str, api_version: str, pod_path_yaml: str) -> None:
    indent = " " * (pod_path_yaml.count("\n") * 2)
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: w}}\n{pod_path_yaml}"
    text += f"{indent}containers:\n{indent}  - {{name: c, image: img}}\n"
    (workload,) = extract(text).workloads
    assert workload.kind == kind
    assert [c.name for c in workload.containers] == ["c"]


def test_statefulset_update_strategy_is_the_strategy() -> None:
    text = "kind: StatefulSet\nmetadata: {name: s}\nspec: {updateStrategy: {type: OnDelete}}\n"
    (workload,) = extract(text).workloads
    assert workload.strategy == {"type": "OnDelete"}


def test_list_items_are_extracted_with_their_own_locations() -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - kind: Deployment
    metadata: {name: a}
    spec: {replicas: 1}
  - not-an-object
  - kind: PodDisruptionBudget
    metadata: {name: b}
"""
    facts = extract(text)
    assert [w.name for w in facts.workloads] == ["a"]
    assert facts.workloads[0].location == at(4, 5)
    assert facts.workloads[0].replicas_location == at(6, 12)
    assert [b.name for b in facts.budgets] == ["b"]


def test_pod_labels_come_from_the_pod_itself() -> None:
    text = "kind: Pod\nmetadata: {name: p, labels: {app: x}}\nspec: {containers: [{name: c, image: i}]}\n"
    (workload,) = extract(text).workloads
    assert workload.pod_labels == {"app": "x"}
    assert workload.replicas is None


@pytest.mark.parametrize(
    ("prestop", "seconds"),
    [
        ({"sleep": {"seconds": 5}}, 5.0),
        ({"sleep": {"seconds": "7"}}, 7.0),
        ({"sleep": {"seconds": "soon"}}, None),
        ({"exec": {"command": ["sleep", "10"]}}, 10.0),
        ({"exec": {"command": ["/bin/sleep", "2.5"]}}, 2.5),
        ({"exec": {"command": ["sleep", "1m"]}}, 60.0),
        ({"exec": {"command": ["sleep", 20]}}, 20.0),
        ({"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}, 10.0),
        ({"exec": {"command": ["sh", "-c", "sleep 10 && nginx -s quit"]}}, 10.0),
        ({"exec": {"command": ["bash", "-ec", "sleep 5; kill -TERM 1; sleep 10"]}}, 15.0),
        ({"exec": {"command": ["sh", "-c", "sleep $DELAY"]}}, None),
        ({"exec": {"command": ["sh", "-c", "while pgrep python; do sleep 1; done"]}}, None),
        ({"exec": {"command": ["sh", "-c", "kill -TERM 1"]}}, None),
        ({"exec": {"command": ["python", "-m", "drain"]}}, None),
        ({"exec": {"command": ["sleep"]}}, None),
        ({"exec": {"command": "sleep 10"}}, None),
        ({"exec": {"command": []}}, None),
        ({"httpGet": {"path": "/drain", "port": 8080}}, None),
        ({"sleep": "5"}, None),
        ("sleep 5", None),
        (None, None),
    ],
)
def test_prestop_variants(prestop: object, seconds: float | None) -> None:
    assert prestop_sleep_seconds(prestop) == seconds


def test_prestop_sleep_seconds_in_a_manifest() -> None:
    text = """\
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: c
          lifecycle: {preStop: {sleep: {seconds: 12}}}
        - name: plain
"""
    first, second = extract(text).workloads[0].containers
    assert (first.prestop_sleep_seconds, first.prestop_location) == (12.0, at(8, 23))
    assert (second.prestop_sleep_seconds, second.prestop_location) == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("3", 3), (" 30 ", 30), (3.0, 3), ("3.5", None), ("three", None), (True, None), (None, None)],
)
def test_integers_given_as_strings_parse(value: object, expected: int | None) -> None:
    doc = YamlDoc({"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": value}})
    (workload,) = extract_kubernetes([doc], PATH).workloads
    assert workload.replicas == expected


def test_missing_optional_locations_are_none_and_required_ones_fall_back() -> None:
    text = "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c}]\n"
    (workload,) = extract(text).workloads
    (container,) = workload.containers
    assert (workload.replicas, workload.replicas_location, workload.grace_period_location) == (None, None, None)
    assert container.image == ""
    assert container.image_location == container.location == at(6, 20)
    assert container.command is None and container.args is None
    assert container.resources_location is None


WRONG_TYPES: list[Any] = [
    "just a string",
    ["a", "list"],
    {"kind": 7},
    {"kind": "Deployment"},  # no name: not a usable manifest
    {"kind": "Deployment", "metadata": "oops", "spec": []},
    {"kind": "Deployment", "metadata": {"name": ["x"]}},
    {"kind": "Deployment", "metadata": {"name": "d", "labels": ["a"]}, "spec": "none"},
    {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": "t"}},
    {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": "c"}}}},
    {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [1, None, "c"]}}}},
    {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "selector": "app=x",
            "template": {
                "metadata": [],
                "spec": {
                    "securityContext": "root",
                    "containers": [
                        {
                            "name": {"x": 1},
                            "image": None,
                            "command": "python -m w",
                            "args": [None, {"a": 1}],
                            "env": [{"value": "no name"}, "X=1", {"name": None}],
                            "readinessProbe": "yes",
                            "livenessProbe": {"httpGet": "x", "tcpSocket": ["p"]},
                            "resources": {"requests": "lots", "limits": {"cpu": None}},
                            "lifecycle": {"preStop": {"exec": {"command": [None]}}},
                            "securityContext": ["privileged"],
                        }
                    ],
                },
            },
        },
    },
    {"kind": "HorizontalPodAutoscaler", "spec": {"scaleTargetRef": "d"}},
    {"kind": "ScaledObject", "metadata": None, "spec": {"scaleTargetRef": {"name": ["d"]}}},
    {"kind": "PodDisruptionBudget", "spec": {"selector": {"matchLabels": "x"}, "minAvailable": {"a": 1}}},
    {"kind": "List", "items": "nope"},
    {"kind": "List", "items": [None, "x", {"kind": "List", "items": [{"kind": "Pod"}]}]},
]


@pytest.mark.parametrize("data", WRONG_TYPES)
def test_wrong_typed_fields_never_crash(data: object) -> None:
    facts = extract_kubernetes([YamlDoc(data)], PATH)
    for workload in facts.workloads:
        assert isinstance(workload.name, str) and workload.name
        for container in workload.containers:
            assert isinstance(container.image, str)


def test_wrong_typed_container_keeps_what_fits() -> None:
    (workload,) = extract_kubernetes([YamlDoc(WRONG_TYPES[10])], PATH).workloads
    (container,) = workload.containers
    assert (container.name, container.image, container.command, container.args) == ("", "", None, ("", ""))
    assert container.env == ()
    assert container.probes[0].kind == "liveness" and container.probes[0].port is None
    assert (container.requests, container.limits) == ({}, {})
    assert container.prestop_sleep_seconds is None
    assert container.security_context == {}


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["name", "image", "spec", "template", "containers", "env", "command", "x"]),
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["Deployment", "CronJob", "Pod", "HorizontalPodAutoscaler", "ScaledObject", "List"]),
    spec=_json,
    containers=_json,
)
def test_random_shapes_never_crash(kind: str, spec: object, containers: object) -> None:
    data = {
        "kind": kind,
        "metadata": {"name": "n"},
        "spec": {"template": {"spec": {"containers": containers}}, "jobTemplate": spec, "scaleTargetRef": spec},
        "items": [spec],
    }
    found = extract_kubernetes([YamlDoc(data), YamlDoc(spec)], PATH)
    # Whatever the shapes, only the object named `n` can become a workload, and only once.
    assert [w.name for w in found.workloads] in ([], ["n"])


@pytest.mark.parametrize(("path", "is_object"), [
    ("overlays/prod/deployment-patch.yaml", False), ("k8s/patches/resources.yaml", False),
    ("tilt/worker.yaml", False), ("k8s/worker.yaml", True), ("k8s/patch-with-image.yaml", True),
])
def test_strategic_merge_patches_are_not_workloads(path: str, is_object: bool) -> None:
    image = "          image: example/worker:1.0\n" if "with-image" in path else ""
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: worker\n" + image + "          resources: {limits: {memory: 1Gi}}\n")
    found = extract_kubernetes(load_yaml_documents(text, path), path)
    assert [w.name for w in found.workloads] == (["worker"] if is_object else [])
