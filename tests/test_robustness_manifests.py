"""No manifest input crashes a run or slows it unboundedly: mutated Kubernetes, compose and Helm values
files (hypothesis), tabs, duplicate keys, alias bombs, a 50 MB file and binary files named .yaml. Each
bad file is a TPR001 at most, and the findings of the other files survive."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tprlint.config import Config
from tprlint.engine import run

REPO = Path(__file__).resolve().parent.parent
CORPUS = [
    REPO / "fixtures/demo-shop/deploy/workers.yaml",
    REPO / "fixtures/demo-shop/docker-compose.yml",
    REPO / "fixtures/prod-ready/deploy/worker.yaml",
    *sorted((REPO / "tests/data/server_values").rglob("*.yaml")),
]
# A manifest with one known finding (TPR409, image tag latest): it must be reported whatever happens
# to the mutated file beside it.
SENTINEL = textwrap.dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: sentinel-worker}
    spec:
      template:
        spec:
          containers:
            - name: worker
              image: registry.example.com/sentinel:latest
              env: [{name: TEMPORAL_ADDRESS, value: temporal:7233}]
""")
NOISE = [":", "- ", "\t", "  ", "\n", "&a ", "*a", "<<: *a", "{", "}", "[", "]", "'", '"', "|", ">", "#", "---\n",
         "!!python/object:os.system ", "%YAML 1.1\n", "\x00", "\ufeff", "? ", "{{ .Values.x }}", "~", "null"]


@st.composite
def mutated_manifest(draw: st.DrawFn) -> tuple[str, bytes]:
    source = draw(st.sampled_from(CORPUS))
    text = source.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, max(len(text) - 1, 0)))
        end = draw(st.integers(start, min(len(text), start + 60)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "insert":
            text = text[:start] + draw(st.sampled_from(NOISE)) + text[start:]
        elif action == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:start]
    name = "docker-compose.yml" if source.name.startswith("docker-compose") else f"deploy/{source.name}"
    return name, text.encode("utf-8", errors="replace")


def _lint(root: Path) -> list[tuple[str, str]]:
    result = run([root], Config(root=root), use_cache=False, jobs=1)
    return [(f.rule_id, Path(f.location.path).name) for f in result.findings]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(mutated_manifest())
def test_mutated_manifests_never_crash_and_keep_other_findings(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(data)
    (root / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    assert ("TPR409", "sentinel.yaml") in _lint(root)


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
) + "apiVersion: v1\nkind: ConfigMap\n"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tabs.yaml", b"apiVersion: apps/v1\nkind: Deployment\nspec:\n\treplicas: 2\n"),
        ("duplicate-keys.yaml", b"apiVersion: apps/v1\nkind: Deployment\nkind: Deployment\nspec: {replicas: 1}\n"),
        ("alias-bomb.yaml", ALIAS_BOMB.encode()),
        ("binary.yaml", b"apiVersion: v1\nkind: x\n" + bytes(range(256)) * 64),
        ("docker-compose.yml", b"services:\n  web:\n    image: [unclosed\n"),
        ("values.yaml", b"server:\n  replicaCount: &r 1\n  config: *nope\n"),
    ],
)
def test_hostile_manifests_are_reported_not_fatal(tmp_path: Path, name: str, data: bytes) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / name).write_bytes(data)
    (root / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    started = time.perf_counter()
    found = _lint(root)
    assert time.perf_counter() - started < 30  # bounded: guards stop alias expansion and deep nesting
    assert ("TPR409", "sentinel.yaml") in found


def test_a_50_mb_manifest_is_skipped_with_a_finding(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    with (root / "huge.yaml").open("wb") as handle:
        handle.write(b"apiVersion: v1\nkind: ConfigMap\ndata:\n")
        handle.write(b"  k: " + b"x" * (50 * 1024 * 1024) + b"\n")
    (root / "sentinel.yaml").write_text(SENTINEL, encoding="utf-8")
    found = _lint(root)
    assert ("TPR001", "huge.yaml") in found and ("TPR409", "sentinel.yaml") in found
