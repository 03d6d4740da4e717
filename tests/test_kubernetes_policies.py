"""Kubernetes workload policies (TPR407-TPR415) on manifests shaped like real deployments: several
workers per file, kustomize bases and overlays, Helm-rendered labels, autoscalers, Argo Rollouts,
CNI policy kinds - and the guarantee that a secret literal never reaches the cache or any output."""

from __future__ import annotations

import json
import os
import pickle
import re
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.kubernetes import KubeFacts, LabelSelector, extract_kubernetes, literal_secret
from tprlint.facts.python.clients import REDACTED
from tprlint.facts.yaml_docs import YamlDoc, load_yaml_documents
from tprlint.link.python_project import PythonProject
from tprlint.model import Finding
from tprlint.rules.context import Project
from tprlint.rules.kubernetes_policies import RULES, image_problem, split_image

POLICY_RULES = tuple(f"TPR4{n:02d}" for n in range(7, 16))


def extract(text: str, path: str = "deploy/app.yaml") -> KubeFacts:
    return extract_kubernetes(load_yaml_documents(textwrap.dedent(text), path), path)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], rule: str,
         scope: str = "workers") -> list[Finding]:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    config = Config(root=tmp_path).with_overrides(select=(rule,), scope=scope)
    return [f for f in run([tmp_path], config, use_cache=False, jobs=1).findings if f.rule_id == rule]


def lines(findings: list[Finding]) -> list[tuple[str, int]]:
    return sorted((Path(f.location.path).name, f.location.line) for f in findings)


def worker(name: str = "orders-worker", *, namespace: str | None = None, replicas: int | None = 3,
           labels: str = "", spec: str = "", container: str = "", kind: str = "Deployment") -> str:
    """A worker Deployment (TEMPORAL_* env makes it a Temporal worker) with optional extra pod spec lines."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    count = f"\n  replicas: {replicas}" if replicas is not None else ""
    pod_labels = labels or f"{{app: {name}}}"
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}{ns}\nspec:{count}\n"
        f"  template:\n    metadata:\n      labels: {pod_labels}\n    spec:\n"
        + textwrap.indent(textwrap.dedent(spec), "      ")
        + "      containers:\n        - name: worker\n          image: ghcr.io/acme/orders:1.4.2\n"
        + "          env: [{name: TEMPORAL_ADDRESS, value: 'temporal-frontend:7233'}]\n"
        + textwrap.indent(textwrap.dedent(container), "          ")
    )


def pdb(name: str, selector: str, budget: str = "maxUnavailable: 1", namespace: str | None = None,
        api: str = "policy/v1") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api}\nkind: PodDisruptionBudget\nmetadata: {{name: {name}{ns}}}\nspec:\n  {budget}\n" + (
        f"  selector: {selector}\n" if selector else "")


# -- facts -----------------------------------------------------------------------------------------


SECRET_VALUES = ("hunter2-prod-Xk9", "sk_live_51HqLmN2eZvKYlo2C8xT4wM7cH3jYb", "Zr8vQ2nK5pL9xT4w")


def test_secret_literals_are_classified_and_never_kept() -> None:
    facts = extract(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: orders-worker}}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: ghcr.io/acme/orders:1.4.2
                  env:
                    - {{name: DB_PASSWORD, value: {SECRET_VALUES[0]}}}
                    - {{name: STRIPE_KEY, value: {SECRET_VALUES[1]}}}
                    - {{name: DATABASE_URL, value: "postgres://orders:{SECRET_VALUES[2]}@db.prod:5432/orders"}}
                    - {{name: SIGNING_CERT, value: "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow..."}}
                    - {{name: TEMPORAL_ADDRESS, value: "temporal-frontend:7233"}}
                    - {{name: AUTH_TOKEN_URL, value: "https://auth.acme.io/token"}}
                    - {{name: DB_PASSWORD_REF, value: "$(DB_PASSWORD)"}}
                    - {{name: CACHE_KEY, value: orders-v2}}
                    - {{name: API_TOKEN, valueFrom: {{secretKeyRef: {{name: api, key: token}}}}}}
    """)
    (workload,) = facts.workloads
    env = {e.name: e for e in workload.containers[0].env}
    assert {name: e.literal_secret for name, e in env.items() if e.literal_secret} == {
        "DB_PASSWORD": "credential",
        "STRIPE_KEY": "credential",  # a generic *_KEY with a machine-generated value
        "DATABASE_URL": "url-password",
        "SIGNING_CERT": "private-key",
    }
    for name in ("DB_PASSWORD", "STRIPE_KEY", "DATABASE_URL", "SIGNING_CERT", "AUTH_TOKEN_URL", "CACHE_KEY"):
        assert env[name].value == REDACTED, name  # secret-ish names are never cached, judged or not
    # Values that can't be a secret stay usable for linking and other rules.
    assert env["TEMPORAL_ADDRESS"].value == "temporal-frontend:7233"
    assert env["DB_PASSWORD_REF"].value == "$(DB_PASSWORD)"
    assert (env["API_TOKEN"].value, env["API_TOKEN"].from_ref) == (None, True)
    cached = pickle.dumps(facts)
    for value in (*SECRET_VALUES, "MIIEow"):
        assert value.encode() not in cached


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("DB_PASSWORD", "abc123", "credential"),  # short, but a password in a manifest all the same
    ("PGPASSWORD", "s3cr3t-pg", "credential"),
    ("MYSQL_ROOT_PASSWORD", "root", "credential"),
    ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "credential"),
    ("TEMPORAL_API_KEY", "eyJhbGciOiJIUzI1NiJ9.abc", "credential"),
    ("client_secret", "9f8e7d6c", "credential"),
    ("the_good_stuff", "---BEGIN OPENSSH PRIVATE KEY---\nxxxx", "private-key"),
    ("BROKER_URL", "amqp://orders:Rk93xqL2wPz@rabbitmq:5672/", "url-password"),
    ("DB_PASSWORD", "", ""),
    ("DB_PASSWORD", "$(VAULT_DB_PASSWORD)", ""),
    ("DB_PASSWORD", "${DB_PASSWORD}", ""),
    ("DB_PASSWORD", "{{ .Values.password }}", ""),
    ("DB_PASSWORD", "<set-me>", ""),
    ("REQUIRE_PASSWORD", "true", ""),
    ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json", ""),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", ""),
    ("PUBLIC_KEY", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4f2hKq9", ""),
    ("KMS_KEY", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", ""),
    ("AZURE_BATCH_KEY", "xxx", ""),  # a generic key name with a placeholder value
    ("TOKEN_URL", "https://auth.acme.io/oauth/token", ""),
    ("SECRET_NAME", "orders-db", ""),
    ("PASSWORD_FILE", "/run/secrets/db", ""),
    ("DATABASE_URL", "postgres://orders:orders@localhost:5432/orders", ""),  # loopback, dev
])
def test_literal_secret(name: str, value: str, kind: str) -> None:
    assert literal_secret(name, value) == kind


def test_pod_level_container_only_security_fields_are_ignored() -> None:
    (workload,) = extract(worker(spec="""\
        securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
    """)).workloads
    assert workload.containers[0].security_context == {"runAsNonRoot": True}


def test_strategy_spread_and_rollout_facts() -> None:
    facts = extract(worker(spec="""\
        topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname}]
    """).replace("spec:\n  replicas: 3\n",
                 "spec:\n  replicas: 3\n  strategy:\n    rollingUpdate: {maxUnavailable: 50%}\n")
        + """---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary}
spec:
  strategy:
    canary:
      maxUnavailable: 1
      steps:
        - setWeight: 20
        - experiment:
            analyses: [{name: errors, templateName: worker-errors}]
  template:
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname}]
      containers: [{name: w, image: a:1}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: referenced}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: orders-worker}
  strategy:
    blueGreen: {activeService: x}
""")
    deployment, canary, referenced = facts.workloads
    assert (deployment.strategy_type, deployment.max_unavailable, deployment.spread) == (None, "50%", True)
    assert deployment.max_unavailable_location is not None and deployment.max_unavailable_location.line == 8
    assert (canary.strategy_type, canary.max_unavailable, canary.rollout_analysis, canary.spread) == (
        "canary", "1", True, True)
    assert (referenced.strategy_type, referenced.rollout_analysis, referenced.template_ref) == (
        "blueGreen", False, True)


def test_autoscaler_behavior_policies_and_image_rewrites() -> None:
    facts = extract("""\
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: a}
        spec:
          scaleTargetRef: {kind: Deployment, name: a}
          behavior:
            scaleDown: {stabilizationWindowSeconds: 0, selectPolicy: Disabled}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: b}
        spec:
          scaleTargetRef: {name: b}
          advanced:
            horizontalPodAutoscalerConfig:
              behavior:
                scaleDown: {stabilizationWindowSeconds: 30}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: orders}
        spec: {podSelector: {}}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: calico, namespace: orders}
        spec: {selector: "app == 'x'"}
        ---
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: everything}
        ---
        apiVersion: skaffold/v4beta6
        kind: Config
        build:
          artifacts: [{image: ghcr.io/acme/orders}]
    """)
    hpa, keda = facts.scale_targets
    assert (hpa.scale_down_window, hpa.scale_down_disabled) == (0, True)
    assert (keda.scale_down_window, keda.scale_down_disabled) == (30, False)
    assert keda.scale_down_window_location is not None and keda.scale_down_window_location.line == 17
    core, calico, cilium = facts.network_policies
    assert core.selector is not None and core.selector.matches({"any": "pod"}) is True
    assert (calico.selector, calico.cluster_wide, cilium.cluster_wide) == (None, False, True)
    (skaffold,) = facts.image_overrides
    assert (skaffold.name, skaffold.built) == ("ghcr.io/acme/orders", True)


def test_kustomization_without_kind_is_read_by_file_name() -> None:
    text = ("resources: [../base]\nimages:\n  - {name: ghcr.io/acme/orders, newTag: 2.0.1}\n"
            "  - {name: x, digest: 'sha256:ab'}\n")
    (tagged, digested) = extract(text, "deploy/prod/kustomization.yaml").image_overrides
    assert (tagged.name, tagged.tag, tagged.digest) == ("ghcr.io/acme/orders", "2.0.1", False)
    assert (digested.name, digested.digest) == ("x", True)


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    (LabelSelector({"app": "a"}), {"app": "a", "tier": "w"}, True),
    (LabelSelector({"app": "a"}), {"app": "b"}, False),
    (LabelSelector({}, (("tier", "In", ("w", "x")),)), {"tier": "w"}, True),
    (LabelSelector({}, (("tier", "NotIn", ("w",)),)), {"tier": "w"}, False),
    (LabelSelector({}, (("tier", "NotIn", ("w",)),)), {}, True),
    (LabelSelector({}, (("tier", "Exists", ()),)), {}, False),
    (LabelSelector({}, (("tier", "DoesNotExist", ()),)), {}, True),
    (LabelSelector({}, (("tier", "Matches", ("w.*",)),)), {"tier": "w"}, None),
    (LabelSelector({}), {"app": "a"}, True),
    (LabelSelector({}, (), matches_all_when_empty=False), {"app": "a"}, False),
])
def test_label_selector(selector: LabelSelector, labels: dict[str, str], expected: bool | None) -> None:
    assert selector.matches(labels) is expected


# -- TPR407 -----------------------------------------------------------------------------------------


def test_pdb_in_another_namespace_or_selecting_deployment_labels_does_not_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/workers.yaml": worker("orders-worker", namespace="orders") + "---\n"
        + pdb("orders-worker", "{matchLabels: {app: orders-worker}}", namespace="payments") + "---\n"
        + worker("billing-worker", namespace="orders", labels="{app.kubernetes.io/name: billing-worker}")
        + "---\n" + pdb("billing", "{matchLabels: {app.kubernetes.io/name: billing-worker}}", namespace="orders"),
    }, "TPR407")
    assert [f.anchor for f in found] == ["Deployment/orders/orders-worker/pdb"]
    assert "No PodDisruptionBudget selects the pods of Deployment orders-worker" in found[0].message


def test_namespace_left_to_kubectl_matches_a_namespaced_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "base/worker.yaml": worker(),
        "base/pdb.yaml": pdb("orders-worker", "{matchLabels: {app: orders-worker}}", namespace="orders"),
    }, "TPR407")
    assert found == []
    # ...but whether that budget blocks is not judged on a guessed namespace.
    found = lint(tmp_path, monkeypatch, {
        "base/pdb.yaml": pdb("orders-worker", "{matchLabels: {app: orders-worker}}", "maxUnavailable: 0", "orders"),
    }, "TPR407")
    assert found == []


@pytest.mark.parametrize(("budget", "blocking"), [
    ("maxUnavailable: 0", True),
    ("maxUnavailable: 0%", True),
    ("maxUnavailable: 10%", False),  # rounds up to one pod
    ("minAvailable: 3", True),  # equals the floor of 3
    ("minAvailable: 2", False),
    ("minAvailable: 100%", True),
    ("minAvailable: 67%", True),  # ceil(3 * 0.67) = 3
    ("minAvailable: 66%", False),  # ceil(1.98) = 2
    ("minAvailable: '{{ .Values.min }}'", False),  # unreadable: silent
])
def test_blocking_budgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: str, blocking: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/worker.yaml": worker() + "---\n" + pdb("orders-worker", "{matchLabels: {app: orders-worker}}", budget),
    }, "TPR407")
    assert bool(found) is blocking
    if blocking:
        assert "allows no voluntary disruption" in found[0].message
        assert found[0].location.line == 20  # the budget's minAvailable / maxUnavailable line
        assert found[0].related[0].location.line == 2


def test_floor_comes_from_the_autoscaler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keda = ("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: orders-worker}\n"
            "spec:\n  scaleTargetRef: {name: orders-worker}\n")
    # KEDA may scale to zero: nothing to protect, and minAvailable 1 can't block at zero pods.
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": worker(replicas=5) + "---\n" + keda}, "TPR407")
    assert found == []
    hpa = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: orders-worker}\n"
           "spec:\n  scaleTargetRef: {kind: Deployment, name: orders-worker}\n  minReplicas: 2\n")
    found = lint(tmp_path, monkeypatch, {
        "deploy/worker.yaml": worker(replicas=6) + "---\n" + hpa + "---\n"
        + pdb("orders-worker", "{matchLabels: {app: orders-worker}}", "minAvailable: 2"),
    }, "TPR407")
    assert len(found) == 1 and "floor of 2 pods (HorizontalPodAutoscaler orders-worker minReplicas: 2)" in (
        found[0].message)


@pytest.mark.parametrize(("selector", "api", "missing"), [
    ("{}", "policy/v1", False),  # selects every pod of the namespace
    ("{}", "policy/v1beta1", True),  # selects none
    ("", "policy/v1", True),  # no selector at all: selects none
    ("{matchExpressions: [{key: app, operator: In, values: [orders-worker, billing-worker]}]}", "policy/v1", False),
    ("{matchExpressions: [{key: app, operator: Regex, values: ['orders-.*']}]}", "policy/v1", False),  # unknown
])
def test_budget_selectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, selector: str, api: str,
                          missing: bool) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/worker.yaml": worker() + "---\n" + pdb("all", selector, api=api),
    }, "TPR407")
    assert bool(found) is missing


def test_budgets_outside_the_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "deploy/web.yaml": worker("storefront").replace("TEMPORAL_ADDRESS", "API_URL"),
        "deploy/pdb.yaml": pdb("legacy", "{matchLabels: {app: legacy}}", "maxUnavailable: 0"),
    }
    assert lint(tmp_path, monkeypatch, files, "TPR407") == []
    # With scope = all, the web app needs a budget and the orphan zero budget is reported on its own.
    found = lint(tmp_path, monkeypatch, files, "TPR407", scope="all")
    assert sorted(f.anchor for f in found) == ["Deployment/default/storefront/pdb",
                                               "PodDisruptionBudget/default/legacy"]


def test_rollout_with_workload_ref_and_daemonsets_are_not_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rollout = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: orders-worker}\nspec:\n"
               "  replicas: 4\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: orders-worker}\n")
    found = lint(tmp_path, monkeypatch, {
        "deploy/rollout.yaml": rollout,
        "deploy/agent.yaml": worker("temporal-worker-agent", kind="DaemonSet", replicas=None),
    }, "TPR407")
    assert found == []


# -- TPR408 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("replicas", "strategy", "fires"), [
    (3, "type: Recreate", True),
    (1, "rollingUpdate: {maxUnavailable: 1}", True),  # the only pod goes first
    (None, "rollingUpdate: {maxUnavailable: 1}", True),  # replicas default to 1
    (1, "rollingUpdate: {maxUnavailable: 25%}", False),  # rounds down to 0: surge first
    (4, "rollingUpdate: {maxUnavailable: 100%}", True),
    (4, "rollingUpdate: {maxUnavailable: 99%}", False),  # floor(3.96) = 3
    (3, "rollingUpdate: {maxUnavailable: 2}", False),
    (3, "type: RollingUpdate", False),
])
def test_rollout_strategies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replicas: int | None, strategy: str,
                            fires: bool) -> None:
    text = worker(replicas=replicas).replace("spec:\n", f"spec:\n  strategy:\n    {strategy}\n", 1)
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": text}, "TPR408")
    assert bool(found) is fires
    if fires:
        assert found[0].location.line == 7  # strategy.type or rollingUpdate (flow) line


def test_argo_canary_max_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = worker(kind="Rollout", replicas=2).replace(
        "apiVersion: apps/v1", "apiVersion: argoproj.io/v1alpha1").replace(
        "spec:\n", "spec:\n  strategy:\n    canary:\n      maxUnavailable: 100%\n      analysis: {templates: []}\n", 1)
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": text}, "TPR408")
    assert lines(found) == [("worker.yaml", 8)]
    assert "canary.maxUnavailable: 100%" in found[0].message


# -- TPR409 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "problem"), [
    ("nginx", "no tag"),
    ("registry:5000/app", "no tag"),  # a registry port is not a tag
    ("registry:5000/app:latest", "latest"),
    ("ghcr.io/acme/orders:main", "main"),
    ("nginx:stable-alpine", "stable-alpine"),
    ("node:lts", "lts"),
    ("ghcr.io/acme/orders:Latest", "Latest"),
    ("ghcr.io/acme/orders:main-4f2a9c1", ""),
    ("python:3.12-slim", ""),
    ("ghcr.io/acme/orders:1.4.2", ""),
    ("nginx:latest@sha256:0123456789abcdef", ""),
    ("ghcr.io/acme/orders@sha256:0123456789abcdef", ""),
    ("$(IMAGE)", ""),
    ("${REGISTRY}/orders:${TAG}", ""),
    ("ko://github.com/acme/orders/cmd/worker", ""),
    ("", ""),
])
def test_image_problem(image: str, problem: str) -> None:
    found = image_problem(image)
    assert (problem in found and bool(found)) if problem else found == ""


def test_split_image() -> None:
    assert split_image("registry:5000/acme/app:1.2") == ("registry:5000/acme/app", "1.2")
    assert split_image("registry:5000/acme/app") == ("registry:5000/acme/app", None)


def test_kustomize_overlay_and_skaffold_rewrite_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = worker().replace("ghcr.io/acme/orders:1.4.2", "ghcr.io/acme/orders")
    second = worker("billing-worker").replace("ghcr.io/acme/orders:1.4.2", "ghcr.io/acme/billing")
    third = worker("ledger-worker").replace("ghcr.io/acme/orders:1.4.2", "ghcr.io/acme/ledger:dev")
    found = lint(tmp_path, monkeypatch, {
        "k8s/base/workers.yaml": base + "---\n" + second + "---\n" + third,
        "k8s/overlays/prod/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources: [../../base]
            images:
              - {name: ghcr.io/acme/orders, newTag: "2.0.1"}
              - {name: ghcr.io/acme/ledger, newTag: latest}
        """,
        "skaffold.yaml": ("apiVersion: skaffold/v4beta6\nkind: Config\n"
                          "build:\n  artifacts: [{image: ghcr.io/acme/billing}]\n"),
    }, "TPR409")
    assert [f.anchor for f in found] == ["Deployment/default/ledger-worker/worker/image"]
    assert "mutable tag :latest" in found[0].message  # the overlay's tag is what runs


def test_init_containers_are_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = worker(spec="initContainers: [{name: migrate, image: 'ghcr.io/acme/migrate'}]\n")
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": text}, "TPR409")
    assert [f.anchor for f in found] == ["Deployment/default/orders-worker/migrate/image"]


# -- TPR410 -----------------------------------------------------------------------------------------


def hpa(target: str, body: str) -> str:
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {target}}}\nspec:\n"
            f"  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n  maxReplicas: 10\n"
            + textwrap.indent(textwrap.dedent(body), "  "))


def test_scale_down_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/a.yaml": worker("a-worker") + "---\n" + hpa("a-worker", """\
            minReplicas: 2
            behavior:
              scaleDown:
                stabilizationWindowSeconds: 0
        """),
        "deploy/b.yaml": worker("b-worker") + "---\n" + hpa("b-worker", """\
            minReplicas: 2
            behavior:
              scaleDown: {stabilizationWindowSeconds: 0, selectPolicy: Disabled}
        """),
        "deploy/c.yaml": worker("c-worker") + "---\n" + hpa("c-worker", """\
            minReplicas: 2
            behavior:
              scaleUp: {stabilizationWindowSeconds: 0}
        """),
    }, "TPR410")
    assert lines(found) == [("a.yaml", 25)]
    assert "stabilizationWindowSeconds: 0" in found[0].message
    assert found[0].anchor == "Deployment/default/a-worker/hpa/a-worker/scale-down"


def test_min_replicas_is_said_once_with_tpr406(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/w.yaml": worker() + "---\n" + hpa("orders-worker", "minReplicas: 1\n")}
    assert lint(tmp_path, monkeypatch, files, "TPR410") == []
    assert len(lint(tmp_path, monkeypatch, files, "TPR406")) == 1


def test_autoscalers_of_other_workloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/hpa.yaml": hpa("storefront", "behavior: {scaleDown: {stabilizationWindowSeconds: 0}}\n")}
    assert lint(tmp_path, monkeypatch, files, "TPR410") == []
    found = lint(tmp_path, monkeypatch, files, "TPR410", scope="all")
    assert [f.message.split(" has ")[0].split(" sets ")[0] for f in found] == [
        "HorizontalPodAutoscaler storefront (scaling Deployment storefront)"] * 2


# -- TPR411 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("replicas", "spec", "fires"), [
    (3, "", True),
    (3, "topologySpreadConstraints: []\n", True),
    (3, "affinity: {podAntiAffinity: {}}\n", True),
    (3, "affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: x}]}}\n", True),
    (1, "", False),
    (3, "topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone}]\n", False),
])
def test_spread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replicas: int, spec: str, fires: bool) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": worker(replicas=replicas, spec=spec)}, "TPR411")
    assert bool(found) is fires


# -- TPR412 -----------------------------------------------------------------------------------------

SECRET_MANIFEST = worker(container="""\
    envFrom: [{secretRef: {name: orders}}]
""").replace(
    "          env: [{name: TEMPORAL_ADDRESS, value: 'temporal-frontend:7233'}]\n",
    f"""          env:
            - name: TEMPORAL_ADDRESS
              value: temporal-frontend:7233
            - name: DB_PASSWORD
              value: {SECRET_VALUES[0]}
            - name: TEMPORAL_TLS_KEY
              value: /etc/temporal/tls.key
""") + f"""---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: temporal-archiver}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - name: fetch
              image: ghcr.io/acme/fetch:1.0
              env: [{{name: TEMPORAL_API_KEY, value: {SECRET_VALUES[1]}}}]
          containers:
            - name: archive
              image: ghcr.io/acme/archive:1.0
              env: [{{name: TEMPORAL_ADDRESS, value: "temporal-frontend:7233"}}]
"""


def test_secret_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": SECRET_MANIFEST}, "TPR412")
    assert lines(found) == [("worker.yaml", 17), ("worker.yaml", 35)]
    assert all(f.redact_source for f in found)
    assert "Environment variable DB_PASSWORD of container worker" in found[0].message
    assert "TEMPORAL_API_KEY of container fetch in CronJob temporal-archiver" in found[1].message
    for finding in found:
        assert not any(value[:6] in finding.message for value in SECRET_VALUES)


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "github", "concise"])
def test_no_output_or_cache_ever_shows_a_manifest_secret(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, {"deploy/worker.yaml": SECRET_MANIFEST})
    result = run_cli(str(tmp_path), "-f", fmt, "--select", "TPR4", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert "TPR412" in output
    for value in SECRET_VALUES[:2]:
        for fragment in (value[:8], value[-8:]):
            assert fragment not in output, f"{fmt} output shows {value}"
    if fmt == "sarif":
        results = json.loads(result.stdout)["runs"][0]["results"]
        assert all("snippet" not in r["locations"][0]["physicalLocation"]["region"]
                   for r in results if r["ruleId"] == "TPR412")
    cache_dir = Path(os.environ["TPRLINT_CACHE_DIR"])  # this test's own (tests/conftest.py)
    cache = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    assert cache, "the run should have written its cache"
    for value in SECRET_VALUES[:2]:
        assert value[:8].encode() not in cache


# -- TPR413 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "container", "missing"), [
    ("", "", ["runAsNonRoot", "allowPrivilegeEscalation", "readOnlyRootFilesystem"]),
    ("securityContext: {runAsUser: 10001}\n",
     "securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n", []),
    ("securityContext: {runAsNonRoot: true}\n",
     "securityContext: {runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n",
     ["runAsNonRoot"]),
    ("securityContext: {runAsUser: 0}\n",
     "securityContext: {privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n",
     ["runAsUser: 0", "privileged: true"]),
])
def test_pod_security(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, container: str,
                      missing: list[str]) -> None:
    text = worker(spec=spec + "initContainers: [{name: chown, image: 'busybox:1.36'}]\n", container=container)
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": text}, "TPR413")
    assert len(found) == (1 if missing else 0)  # never the init container
    named = ("runAsNonRoot", "runAsUser: 0", "privileged: true", "allowPrivilegeEscalation", "readOnlyRootFilesystem")
    said = [name for name in named if found and name in found[0].message.split(" in its securityContext")[0]]
    assert said == missing


# -- TPR414 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("strategy", "fires"), [
    ("canary: {steps: [{setWeight: 50}, {pause: {}}]}", True),
    ("canary: {}", True),
    ("blueGreen: {activeService: orders, autoPromotionEnabled: false}", True),
    ("canary: {analysis: {templates: [{templateName: errors}]}, steps: [{setWeight: 50}]}", False),
    ("canary: {steps: [{experiment: {analyses: [{name: e, templateName: errors}]}}]}", False),
    ("blueGreen: {activeService: orders, postPromotionAnalysis: {templates: [{templateName: errors}]}}", False),
])
def test_canary_analysis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str, fires: bool) -> None:
    text = worker(kind="Rollout").replace("apiVersion: apps/v1", "apiVersion: argoproj.io/v1alpha1").replace(
        "spec:\n", f"spec:\n  strategy:\n    {strategy}\n", 1)
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": text}, "TPR414")
    assert bool(found) is fires
    if fires:
        assert found[0].location.line == 7  # the canary / blueGreen key


def test_deployments_are_not_rollouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(tmp_path, monkeypatch, {"deploy/worker.yaml": worker()}, "TPR414") == []


# -- TPR415 -----------------------------------------------------------------------------------------


def netpol(namespace: str | None, selector: str = "{}", api: str = "networking.k8s.io/v1",
           kind: str = "NetworkPolicy") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: p{ns}}}\nspec:\n  podSelector: {selector}\n"


def test_one_finding_per_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "deploy/orders.yaml": worker("orders-worker", namespace="orders") + "---\n"
        + worker("refunds-worker", namespace="orders"),
        "deploy/billing.yaml": worker("billing-worker", namespace="billing") + "---\n"
        + netpol("billing", "{matchLabels: {app: invoices}}"),
        "deploy/ledger.yaml": worker("ledger-worker", namespace="ledger") + "---\n" + netpol("ledger"),
        "deploy/web.yaml": worker("storefront", namespace="web").replace("TEMPORAL_ADDRESS", "API_URL"),
    }, "TPR415")
    assert lines(found) == [("billing.yaml", 2), ("orders.yaml", 2)]
    billing, orders = sorted(found, key=lambda f: f.location.path)
    assert "Namespace orders (orders-worker, refunds-worker;" in orders.message
    assert "has no NetworkPolicy" in orders.message
    assert "none selects these pods" in billing.message


def test_beside_policies_each_unselected_workload_is_its_own_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A policy for the API's pods and one for the orders worker: the refunds worker is still open, and its
    # finding names the policies it has beside it and its own labels.
    api_policy = netpol("orders", "{matchLabels: {app: orders-api}}").replace("name: p,", "name: api,")
    worker_policy = netpol("orders", "{matchExpressions: [{key: app, operator: In, values: [orders-worker]}]}")
    found = lint(tmp_path, monkeypatch, {
        "deploy/workers.yaml": worker("orders-worker", namespace="orders") + "---\n"
        + worker("refunds-worker", namespace="orders") + "---\n" + worker("payouts-worker", namespace="orders"),
        "deploy/policies.yaml": api_policy + "---\n" + worker_policy,
    }, "TPR415")
    assert lines(found) == [("workers.yaml", 18), ("workers.yaml", 34)]
    refunds = next(f for f in found if "refunds-worker" in f.message)
    assert refunds.message.startswith("Deployment refunds-worker (")
    assert "api (podSelector app=orders-api), p (podSelector app In (orders-worker))" in refunds.message
    assert "none selects these pods (pod labels: app=refunds-worker)" in refunds.message
    assert [r.message for r in refunds.related] == ["NetworkPolicy api", "NetworkPolicy p"]
    assert len({f.anchor for f in found}) == 2


def test_policy_kinds_tprlint_cannot_evaluate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calico = netpol("orders", api="projectcalico.org/v3").replace("podSelector: {}", "selector: app == 'x'")
    assert lint(tmp_path, monkeypatch, {
        "deploy/w.yaml": worker(namespace="orders") + "---\n" + calico}, "TPR415") == []
    global_policy = "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: deny}\n"
    assert lint(tmp_path, monkeypatch, {
        "deploy/w.yaml": worker(namespace="payments"), "deploy/global.yaml": global_policy}, "TPR415") == []


def test_namespace_less_policy_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(tmp_path, monkeypatch, {
        "base/w.yaml": worker(namespace="orders"), "base/np.yaml": netpol(None)}, "TPR415") == []


# -- robustness --------------------------------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["0", "100%", "Recreate", ""]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["type", "matchLabels", "steps", "analysis",
                                                                  "value", "name", "scaleDown"]), inner, max_size=3)),
    max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(strategy=_VALUES, selector=_VALUES, env=_VALUES, behavior=_VALUES, spread=_VALUES)
def test_hostile_shapes_never_crash(strategy: object, selector: object, env: object, behavior: object,
                                    spread: object) -> None:
    docs = [
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "w"},
         "spec": {"strategy": strategy, "template": {"spec": {"topologySpreadConstraints": spread, "containers": [
             {"name": "c", "image": "a", "env": env, "securityContext": selector}]}}}},
        {"kind": "PodDisruptionBudget", "metadata": {"name": "p"}, "spec": {"selector": selector,
                                                                             "minAvailable": strategy}},
        {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
         "spec": {"scaleTargetRef": {"kind": "Rollout", "name": "w"}, "behavior": behavior}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
         "spec": {"podSelector": selector}},
        {"kind": "Kustomization", "images": env},
    ]
    facts = extract_kubernetes([YamlDoc(doc) for doc in docs], "deploy/x.yaml")
    project = Project(python=PythonProject([], []), workloads=facts.workloads, scale_targets=facts.scale_targets,
                      budgets=facts.budgets, network_policies=facts.network_policies,
                      image_overrides=facts.image_overrides, config=Config(scope="all"))
    hits = [hit for rule in RULES.values() for hit in rule(project)]
    # Every hit points into the one file, and the Rollout is the one workload, whatever its fields hold.
    assert all(hit.location.path == "deploy/x.yaml" for hit in hits)
    assert [w.name for w in facts.workloads] == ["w"]
    pickle.dumps(facts)


# -- TPR404 fix found by the Polaris fixtures ----------------------------------------------------------


@pytest.mark.parametrize(("resources", "missing"), [
    ("resources: {limits: {cpu: 500m, memory: 512Mi}}\n", None),  # requests default to the limits
    ("resources: {limits: {memory: 512Mi}}\n", "cpu"),
    ("resources: {requests: {cpu: 100m}}\n", "memory"),
])
def test_a_limit_is_also_the_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resources: str,
                                     missing: str | None) -> None:
    found = lint(tmp_path, monkeypatch, {"deploy/worker.yaml": worker(container=resources)}, "TPR404")
    said = [match.group(1) for f in found if (match := re.search(r"requests no (\w+(?: or \w+)?):", f.message))]
    assert said == ([missing] if missing else [])
