"""Kustomize overlays: patches are merged into the objects they patch, each overlay is judged on its
own, and a patch is never an object of its own (see tprlint.link.kustomize)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tprlint.link.strategic_merge import json_patch, strategic_merge
from tprlint.model import Location

FIXTURE = Path(__file__).parent / "data" / "kustomize_overlays"


def _findings(root: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli(".", "-f", "json", "--no-cache", *args, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


def _where(finding: dict[str, object]) -> tuple[str, int]:
    return str(finding["path"]), int(str(finding["line"]))


@pytest.fixture(scope="module")
def overlay_findings() -> list[dict[str, object]]:
    return _findings(FIXTURE)


def test_each_overlay_is_judged_with_its_patches(overlay_findings: list[dict[str, object]]) -> None:
    # Production raises the grace period to 660 s in its patch: only staging's 300 s is too short, and
    # the finding points at the line of staging's patch that sets it - not at the base's default.
    grace = [_where(f) for f in overlay_findings if f["rule"] == "TPR601"]
    assert grace == [("deploy/overlays/staging/worker-shutdown.yaml", 10)]
    # The base has `replicas: 1`, but production (JSON 6902 patch) runs 3 and staging 2.
    assert [f for f in overlay_findings if f["rule"] == "TPR406"] == []


def test_a_budget_belongs_to_its_own_overlay(overlay_findings: list[dict[str, object]]) -> None:
    # Production's budget (minAvailable 2 of 3 pods) is right for production; staging has none. Paired
    # across overlays, it would be "minAvailable 2 of staging's 2 pods blocks every drain".
    budgets = [f for f in overlay_findings if f["rule"] == "TPR407"]
    assert len(budgets) == 1
    assert "No PodDisruptionBudget" in str(budgets[0]["message"])
    assert str(budgets[0]["message"]).endswith("(kustomize overlay deploy/overlays/staging)")


def test_a_finding_every_overlay_shares_is_reported_once_without_a_name(
        overlay_findings: list[dict[str, object]]) -> None:
    probes = [f for f in overlay_findings if f["rule"] == "TPR402"]
    assert [_where(f) for f in probes] == [("deploy/base/deployment.yaml", 17)]
    assert "kustomize overlay" not in str(probes[0]["message"])


def test_patch_files_are_never_objects(overlay_findings: list[dict[str, object]]) -> None:
    in_patches = [(f["rule"], _where(f)) for f in overlay_findings
                  if "/overlays/" in _where(f)[0] and f["rule"] not in ("TPR601", "TPR420")]
    assert in_patches == []


def test_a_patch_whose_base_is_not_in_the_scan_is_skipped(tmp_path: Path) -> None:
    overlay = tmp_path / "deploy" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(textwrap.dedent("""\
        resources:
          - https://github.com/example/platform//workers/base?ref=v1.2.0
        patches:
          - path: shutdown.yaml
        """), encoding="utf-8")
    (overlay / "shutdown.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: orders-worker}
        spec:
          template:
            spec:
              terminationGracePeriodSeconds: 660
              containers:
                - name: worker
                  env: [{name: TEMPORAL_TASK_QUEUE, value: orders}]
        """), encoding="utf-8")
    assert [f["rule"] for f in _findings(tmp_path, "--scope", "all")] == []


def test_kustomizations_that_include_each_other_end(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    base = tmp_path / "deploy" / "base" / "kustomization.yaml"
    base.write_text(base.read_text(encoding="utf-8") + "  - ../overlays/staging\n", encoding="utf-8")
    rules = [f["rule"] for f in _findings(tmp_path)]
    assert "TPR000" not in rules
    assert "TPR406" not in rules  # production, outside the cycle, is still built with its patches


def _at(path: str, *entries: tuple[tuple[str | int, ...], int]) -> dict[tuple[str | int, ...], Location]:
    return {keys: Location(path, line) for keys, line in entries}


def test_strategic_merge_merges_named_lists_and_keeps_each_keys_line() -> None:
    base = {"spec": {"replicas": 1, "containers": [
        {"name": "worker", "image": "w:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "sidecar", "image": "s:1"}]}}
    base_at = _at("base.yaml", (("spec",), 1), (("spec", "replicas"), 2), (("spec", "containers"), 3),
                  (("spec", "containers", 0), 4), (("spec", "containers", 0, "image"), 5),
                  (("spec", "containers", 0, "env", 1, "value"), 7), (("spec", "containers", 1), 8))
    patch = {"spec": {"replicas": None, "containers": [
        {"name": "worker", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]},
        {"name": "sidecar", "$patch": "delete"}]}}
    patch_at = _at("patch.yaml", (("spec",), 1), (("spec", "containers", 0, "env", 0, "value"), 5),
                   (("spec", "containers", 0, "env", 1), 6))
    merged, at = strategic_merge(base, base_at, patch, patch_at)
    assert merged == {"spec": {"containers": [
        {"name": "worker", "image": "w:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                                   {"name": "C", "value": "4"}]}]}}
    assert at[("spec",)] == Location("base.yaml", 1)  # walked through, not replaced
    assert at[("spec", "containers", 0, "image")] == Location("base.yaml", 5)
    assert at[("spec", "containers", 0, "env", 1, "value")] == Location("patch.yaml", 5)
    assert at[("spec", "containers", 0, "env", 2)] == Location("patch.yaml", 6)
    assert ("spec", "replicas") not in at and ("spec", "containers", 1) not in at


def test_strategic_merge_replace_directive_and_plain_lists() -> None:
    base = {"a": {"x": 1, "y": 2}, "args": ["--one", "--two"]}
    patch = {"a": {"$patch": "replace", "z": 3}, "args": ["--three"]}
    merged, _ = strategic_merge(base, {}, patch, {})
    assert merged == {"a": {"z": 3}, "args": ["--three"]}


def test_json_patch_add_replace_remove() -> None:
    obj = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "w"}]}}}}
    obj_at = _at("base.yaml", (("spec", "replicas"), 3), (("spec", "template", "spec", "containers", 0), 9))
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/spec/template/spec/terminationGracePeriodSeconds", "value": 660},
        {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "proxy"}},
        {"op": "remove", "path": "/spec/template/spec/containers/0"},
        {"op": "replace", "path": "/spec/missing/key", "value": 1},  # no such parent: skipped
        {"op": "move", "from": "/a", "path": "/b"},  # not supported: skipped
    ]
    ops_at = _at("ops.yaml", ((0, "value"), 3), ((1, "value"), 6), ((2, "value"), 9))
    merged, at = json_patch(obj, obj_at, ops, ops_at)
    assert merged == {"spec": {"replicas": 3, "template": {"spec": {
        "containers": [{"name": "proxy"}], "terminationGracePeriodSeconds": 660}}}}
    assert at[("spec", "replicas")] == Location("ops.yaml", 3)
    assert at[("spec", "template", "spec", "terminationGracePeriodSeconds")] == Location("ops.yaml", 6)
    assert obj["spec"]["replicas"] == 1  # the base is not changed: other overlays build from it too


def test_merging_costs_the_size_of_the_object_not_its_square(monkeypatch: pytest.MonkeyPatch) -> None:
    # A huge env list and a patch that touches it: each copied subtree is walked once, so the keys
    # visited stay a small multiple of the object's keys (a quadratic merge would visit ~10^9).
    from tprlint.link import strategic_merge as merge

    visited = 0
    original = merge._Source.subtree

    def counting(self: merge._Source, prefix: tuple[str | int, ...]):  # type: ignore[no-untyped-def]
        nonlocal visited
        for entry in original(self, prefix):
            visited += 1
            yield entry

    monkeypatch.setattr(merge._Source, "subtree", counting)
    env = [{"name": f"V{i}", "value": str(i)} for i in range(20_000)]
    base = {"spec": {"containers": [{"name": "w", "env": env}]}}
    base_at = {("spec",): Location("b", 1), ("spec", "containers"): Location("b", 2),
               ("spec", "containers", 0): Location("b", 3), ("spec", "containers", 0, "env"): Location("b", 4)}
    for i in range(len(env)):
        for key in ((), ("name",), ("value",)):
            base_at[("spec", "containers", 0, "env", i, *key)] = Location("b", 5 + i)
    patch = {"spec": {"containers": [{"name": "w", "env": [{"name": "V7", "value": "x"}]}]}}
    merged, at = strategic_merge(base, base_at, patch, {})
    assert isinstance(merged, dict) and len(at) == len(base_at) - 1  # the patched value: no position given
    assert visited <= 2 * len(base_at)


def test_a_json_patch_too_large_for_its_object_is_not_applied() -> None:
    from tprlint.link.strategic_merge import MAX_JSON_PATCH_WORK

    obj = {"spec": {"replicas": 1}}
    obj_at = {("spec", "replicas"): Location("b", 2)}
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 2}] * (MAX_JSON_PATCH_WORK // 2 + 1)
    assert json_patch(obj, obj_at, list(ops), {}) == (obj, obj_at)
    assert json_patch(obj, obj_at, ops[:3], {})[0] == {"spec": {"replicas": 2}}


@pytest.mark.parametrize(("target", "patched"), [
    ("{kind: Deployment}", True),  # every Deployment, whatever name the patch carries
    ("{kind: Deployment, name: orders-worker}", True),
    ("{kind: StatefulSet}", False),
    ("{labelSelector: app=orders-worker}", False),  # selectors are not followed: the base stays as written
])
def test_a_target_picks_the_objects_a_patch_applies_to(tmp_path: Path, target: str, patched: bool) -> None:
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    staging = tmp_path / "deploy" / "overlays" / "staging"
    shutil.rmtree(tmp_path / "deploy" / "overlays" / "production")
    (staging / "kustomization.yaml").write_text(
        f"resources: [../../base]\npatches:\n  - path: worker-shutdown.yaml\n    target: {target}\n", encoding="utf-8")
    (staging / "worker-shutdown.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: not-important}
        spec:
          template:
            spec:
              terminationGracePeriodSeconds: 700
        """), encoding="utf-8")
    grace = [_where(f) for f in _findings(tmp_path) if f["rule"] == "TPR601"]
    assert grace == ([] if patched else [("deploy/base/deployment.yaml", 14)])


def test_an_overlay_for_local_development_is_a_development_set_up(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    dev = tmp_path / "deploy" / "overlays" / "dev"
    dev.mkdir()
    (dev / "kustomization.yaml").write_text(
        "resources: [../../base]\npatches:\n  - path: one-replica.yaml\n    target: {kind: Deployment}\n",
        encoding="utf-8")
    (dev / "one-replica.yaml").write_text("- {op: replace, path: /spec/replicas, value: 1}\n", encoding="utf-8")
    assert [_where(f) for f in _findings(tmp_path) if f["rule"] == "TPR406"] == []
    judged = _findings(tmp_path, "--scope", "all")
    assert [_where(f) for f in judged if f["rule"] == "TPR406"] == [("deploy/overlays/dev/one-replica.yaml", 1)]
