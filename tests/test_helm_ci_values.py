"""Charts that need values to render: rendered with real Helm once per chart-testing values file
(``ci/*-values.yaml``, ``ci/values/**``) when their defaults fail, each variant judged on its own."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run
from tprlint.helm.variants import ci_values_files
from tprlint.model import Finding

CHART = Path(__file__).parent / "data" / "charts" / "needs-values"
SHOWN = "deploy/payments"
DEFAULT_CI = f"(rendered with {SHOWN}/ci/default-values.yaml)"
PROD_CI = f"(rendered with {SHOWN}/ci/prod-values.yaml)"
REQUIRED = "image.repository is required"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the needs-values chart under deploy/payments; the working directory."""
    shutil.copytree(CHART, tmp_path / SHOWN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(root: Path, *, use_cache: bool = False) -> list[Finding]:
    result = run([root], Config(root=root), use_cache=use_cache, jobs=1)
    return [f for f in result.findings if not f.is_suppressed]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def only(findings: list[Finding], rule: str) -> Finding:
    found = [f for f in findings if f.rule_id == rule]
    assert len(found) == 1, [f.message for f in found]
    return found[0]


def test_a_chart_whose_defaults_fail_is_judged_with_each_ci_values_file(repo: Path) -> None:
    findings = lint(repo)
    assert not [f for f in findings if f.rule_id == "TPR002"], [f.message for f in findings]
    chart = [f for f in findings if f.location.path.startswith(f"{SHOWN}/")]
    assert {"TPR401", "TPR402", "TPR404", "TPR406", "TPR407"} <= {f.rule_id for f in chart}
    # Every finding on the chart's objects says which values file rendered them.
    assert all(f.message.endswith((DEFAULT_CI, PROD_CI)) for f in chart), [f.message for f in chart]
    # ci/default-values.yaml keeps values.yaml's single replica and empty resources...
    assert only(chart, "TPR406").message.endswith(DEFAULT_CI)
    assert only(chart, "TPR404").message.endswith(DEFAULT_CI)
    # ...ci/prod-values.yaml runs 3 replicas and sets requests, but has no PodDisruptionBudget.
    assert only(chart, "TPR407").message.endswith(PROD_CI)
    # The same container, rendered the same by both files, is reported once: under the first file.
    readiness = only(chart, "TPR402")
    assert readiness.message.endswith(DEFAULT_CI)
    assert readiness.location.path == f"{SHOWN}/templates/deployment.yaml"


def test_each_variant_is_judged_apart_from_the_others(repo: Path) -> None:
    # Only the prod values turn the autoscaler on; its minimum must not lift the default variant's
    # single replica (nor should a budget of one variant cover another's pods).
    write(repo, {
        f"{SHOWN}/templates/hpa.yaml": """
            {{- if .Values.autoscaling.enabled }}
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata:
              name: {{ include "payments-worker.fullname" . }}
            spec:
              scaleTargetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: {{ include "payments-worker.fullname" . }}
              minReplicas: {{ .Values.autoscaling.minReplicas }}
              maxReplicas: 10
            {{- end }}
            """,
    })
    values = repo / SHOWN / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8") + "\nautoscaling:\n  enabled: false\n  minReplicas: 2\n",
                      encoding="utf-8")
    prod = repo / SHOWN / "ci" / "prod-values.yaml"
    prod.write_text(prod.read_text(encoding="utf-8") + "\nautoscaling:\n  enabled: true\n  minReplicas: 4\n",
                    encoding="utf-8")
    findings = lint(repo)
    assert only(findings, "TPR406").message.endswith(DEFAULT_CI)  # 1 replica, no autoscaler of its own


def test_a_failing_chart_without_ci_values_is_still_tpr002(repo: Path) -> None:
    shutil.rmtree(repo / SHOWN / "ci")
    findings = lint(repo)
    error = only(findings, "TPR002")
    assert error.location.path == f"{SHOWN}/templates/deployment.yaml" and error.location.line == 19
    assert REQUIRED in error.message and "ci values" not in error.message
    assert [f.rule_id for f in findings] == ["TPR002"]  # no object was judged


def test_a_chart_that_renders_with_no_ci_values_file_is_one_tpr002_naming_the_attempts(repo: Path) -> None:
    write(repo, {
        f"{SHOWN}/ci/default-values.yaml": "replicaCount: 2\n",  # never names the repository
        f"{SHOWN}/ci/prod-values.yaml": "image:\n  tag: '2.4.1'\n",
        f"{SHOWN}/ci/values/eu/west.yaml": "temporal:\n  namespace: payments-eu\n",
        f"{SHOWN}/ci/values/eu/broken.yaml": "image:\n\trepository: x\n",  # a tab: not YAML
        f"{SHOWN}/ci/README.md": "not a values file\n",
    })
    findings = lint(repo)
    error = only(findings, "TPR002")
    assert error.location.path == f"{SHOWN}/templates/deployment.yaml" and error.location.line == 19
    assert "with its defaults (deploy/payments/values.yaml)" in error.message
    assert (f"any of its 4 ci values files ({SHOWN}/ci/default-values.yaml, {SHOWN}/ci/prod-values.yaml, "
            f"{SHOWN}/ci/values/eu/broken.yaml, {SHOWN}/ci/values/eu/west.yaml)") in error.message
    assert f"Not read: {SHOWN}/ci/values/eu/broken.yaml: values file is not valid YAML" in error.message
    first = f"execution error at (payments-worker/templates/deployment.yaml:19:21): {REQUIRED}."
    assert f"The first error, with the defaults: {first}" in error.message
    assert [f.rule_id for f in findings] == ["TPR002"]


def test_a_chart_whose_defaults_render_is_not_rendered_with_its_ci_values(repo: Path) -> None:
    values = repo / SHOWN / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8").replace('repository: ""', "repository: ghcr.io/acme/pay"),
                      encoding="utf-8")
    findings = lint(repo)
    assert findings and not [f for f in findings if "(rendered with" in f.message]
    # What the defaults say: one replica (ci/prod-values.yaml's 3 would need a budget instead).
    assert only(findings, "TPR406").location.path == f"{SHOWN}/values.yaml"
    assert not [f for f in findings if f.rule_id in ("TPR002", "TPR407")]


def test_ci_values_renders_are_cached_by_the_ci_files_content(repo: Path) -> None:
    first = lint(repo, use_cache=True)
    prod = repo / SHOWN / "ci" / "prod-values.yaml"
    prod.write_text(prod.read_text(encoding="utf-8").replace("replicaCount: 3", "replicaCount: 1"), encoding="utf-8")
    second = lint(repo, use_cache=True)
    assert any(f.rule_id == "TPR407" for f in first)
    assert not any(f.rule_id == "TPR407" for f in second)  # not the first run's render, from the cache
    prod.write_text(prod.read_text(encoding="utf-8").replace("replicaCount: 1", "replicaCount: 3"), encoding="utf-8")
    third = lint(repo, use_cache=True)
    assert [(f.rule_id, f.location, f.message) for f in third] == [(f.rule_id, f.location, f.message) for f in first]


def test_ci_values_files_are_found_like_chart_testing_finds_them(tmp_path: Path) -> None:
    outside = tmp_path / "outside-values.yaml"
    outside.write_text("image: {repository: x}\n", encoding="utf-8")
    chart = tmp_path / "tree" / "chart"
    write(tmp_path / "tree", {
        "chart/ci/b-values.yaml": "{}\n",
        "chart/ci/a-values.yml": "{}\n",
        "chart/ci/lint.yaml": "{}\n",  # not a *-values file
        "chart/ci/values/z.yaml": "{}\n",
        "chart/ci/values/nested/c.yaml": "{}\n",
        "chart/ci/values/notes.txt": "\n",
    })
    (chart / "ci" / "leak-values.yaml").symlink_to(outside)  # leads out of the scanned tree
    found = [p.relative_to(chart).as_posix() for p in ci_values_files(chart, str((tmp_path / "tree").resolve()))]
    assert found == ["ci/a-values.yml", "ci/b-values.yaml", "ci/values/nested/c.yaml", "ci/values/z.yaml"]
    assert ci_values_files(tmp_path / "tree" / "no-chart", str(tmp_path)) == []


def test_findings_placed_in_a_ci_values_file_point_there_and_its_comments_suppress_them(repo: Path) -> None:
    prod = repo / SHOWN / "ci" / "prod-values.yaml"
    prod.write_text(prod.read_text(encoding="utf-8").replace("replicaCount: 3", "replicaCount: 1"), encoding="utf-8")
    (single,) = [f for f in lint(repo) if f.rule_id == "TPR406" and f.message.endswith(PROD_CI)]
    assert single.location.path == f"{SHOWN}/ci/prod-values.yaml"
    lines = prod.read_text(encoding="utf-8").splitlines()
    assert lines[single.location.line - 1] == "replicaCount: 1"
    lines.insert(single.location.line - 1, "# tprlint: ignore[TPR406] one replica is enough for chart-testing")
    prod.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not [f for f in lint(repo) if f.rule_id == "TPR406" and f.message.endswith(PROD_CI)]
