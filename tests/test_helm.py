"""Helm charts rendered with real Helm (helm-python-sdk, or the `helm` binary when on PATH): objects
per service, locations in templates and values files, TPR002, values overlays, caching."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.config import Config, ConfigError, HelmConfig, add_helm_values, parse_table
from tprlint.engine import run
from tprlint.facts.kubernetes import Workload
from tprlint.helm import render as render_module
from tprlint.helm import stage as stage_module
from tprlint.helm.discover import find_charts, values_files_for
from tprlint.helm.render import split_sources
from tprlint.helm.renderer import find_renderer
from tprlint.helm.sources import index_template, values_origin
from tprlint.helm.values import merged_values
from tprlint.model import Finding

CHART = Path(__file__).parent / "data" / "charts" / "temporal-like"
SERVICES = ("frontend", "history", "matching", "worker")
CATALOG_IDS = {"TPR001", "TPR002", "TPR003", "TPR401", "TPR402", "TPR403", "TPR404", "TPR405", "TPR406"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the temporal-like chart under deploy/temporal; the working directory."""
    shutil.copytree(CHART, tmp_path / "deploy" / "temporal")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(root: Path, *, select: tuple[str, ...] = (), helm: HelmConfig | None = None) -> list[Finding]:
    config = Config(root=root, select=select, helm=helm or HelmConfig())
    return [f for f in run([root], config, use_cache=False, jobs=1).findings if not f.is_suppressed]


def workloads(root: Path, helm: HelmConfig | None = None) -> dict[str, Workload]:
    from tprlint.discover import discover
    from tprlint.helm.stage import HelmStage

    stage = HelmStage(discover([root]), Config(root=root, helm=helm or HelmConfig()), None)
    result = stage.finish(set())
    assert not result.hits, [h.message for h in result.hits]
    return {w.name: w for f in result.facts if f.kube for w in f.kube.workloads}


def line_of(path: str | Path, number: int) -> str:
    return Path(path).read_text(encoding="utf-8").splitlines()[number - 1]


def prod(root: Path) -> HelmConfig:
    chart = root / "deploy" / "temporal"
    return HelmConfig(((str(chart.resolve()), (str((chart / "values" / "values.prod.yaml").resolve()),)),))


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Real Helm is there: CI installs helm-python-sdk with the test extra.


def test_a_real_helm_renderer_is_available() -> None:
    renderer, why = find_renderer()
    assert renderer is not None, why


def test_the_chart_renders_one_deployment_per_service(repo: Path) -> None:
    found = workloads(repo)
    assert sorted(found) == sorted([f"temporal-like-{s}" for s in SERVICES] + ["temporal-like-web"])
    for service in SERVICES:
        workload = found[f"temporal-like-{service}"]
        assert workload.kind == "Deployment"
        assert workload.replicas == 1  # server.replicaCount of values.yaml
        assert [c.name for c in workload.containers] == [f"temporal-{service}"]
        assert workload.containers[0].image == "temporalio/server:1.31.2"
        assert workload.labels["app.kubernetes.io/component"] == service
    # The chart's conditionals are Helm's: the worker has no liveness probe, the others do.
    assert found["temporal-like-worker"].containers[0].probe("liveness") is None
    assert found["temporal-like-history"].containers[0].probe("liveness") is not None


def test_rendered_objects_point_into_the_templates(repo: Path) -> None:
    template = "deploy/temporal/templates/server-deployment.yaml"
    found = workloads(repo)
    history = found["temporal-like-history"]
    assert history.location.path == template
    assert line_of(template, history.location.line).strip() == "kind: Deployment"
    container = history.containers[0]
    assert container.location.path == template
    assert line_of(template, container.location.line).strip() == "- name: temporal-{{ $service }}"
    readiness = container.probe("readiness")
    assert readiness is not None
    assert line_of(template, readiness.location.line).strip() == "readinessProbe:"
    assert [line_of(template, e.location.line).strip() for e in container.env] == [
        "- name: SERVICES", "- name: POD_IP"]
    web = found["temporal-like-web"]
    assert web.location.path == "deploy/temporal/templates/web-deployment.yaml"


def test_fields_taken_from_values_point_at_the_key_that_set_them(repo: Path) -> None:
    values = "deploy/temporal/values.yaml"
    overlay = "deploy/temporal/values/values.prod.yaml"
    found = workloads(repo, prod(repo))
    # Per-service overrides win; the worker falls back to the global replicaCount of the overlay.
    expected = {"frontend": (3, "replicaCount: 3"), "history": (5, "replicaCount: 5"),
                "matching": (3, "replicaCount: 3"), "worker": (2, "replicaCount: 2")}
    for service, (replicas, text) in expected.items():
        workload = found[f"temporal-like-{service}"]
        assert workload.replicas == replicas
        assert workload.replicas_location is not None
        assert workload.replicas_location.path == overlay
        assert line_of(overlay, workload.replicas_location.line).strip() == text
    # frontend and matching both have 3: each points at its own key, not the other's.
    assert found["temporal-like-frontend"].replicas_location != found["temporal-like-matching"].replicas_location
    # `with (default ...)`: the grace period comes from the overlay's global key.
    grace = found["temporal-like-history"].grace_period_location
    assert grace is not None and grace.path == overlay
    assert line_of(overlay, grace.line).strip() == "terminationGracePeriodSeconds: 60"
    # Resources: history's own block; the others use the global one.
    history_resources = found["temporal-like-history"].containers[0].resources_location
    frontend_resources = found["temporal-like-frontend"].containers[0].resources_location
    assert history_resources is not None and frontend_resources is not None
    assert (history_resources.path, frontend_resources.path) == (overlay, overlay)
    assert history_resources.line > frontend_resources.line  # server.history.resources vs server.resources
    # An image composed of repository and tag points at the tag.
    image = found["temporal-like-history"].containers[0].image_location
    assert image.path == values and line_of(values, image.line).strip() == "tag: 1.31.2"


def test_findings_on_rendered_objects_carry_values_and_template_locations(repo: Path) -> None:
    findings = [f for f in lint(repo, select=("TPR501",)) if "temporal-like-history" in f.message]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.location.path == "deploy/temporal/values.yaml"
    assert line_of(finding.location.path, finding.location.line).strip() == "replicaCount: 1"
    related = [r.location for r in finding.related if r.location.path.endswith("server-deployment.yaml")]
    assert related, finding.related
    assert "replicas:" in line_of(related[0].path, related[0].line)


def test_values_overlays_from_the_command_line_change_the_rendered_replicas(repo: Path) -> None:
    chart = "deploy/temporal"
    before = run_cli(chart, "--select", "TPR501", "--no-cache", "-f", "json", cwd=repo)
    after = run_cli(chart, "--select", "TPR501", "--no-cache", "-f", "json",
                    "--values", f"{chart}={chart}/values/values.prod.yaml", cwd=repo)
    assert before.returncode in (0, 1) and after.returncode in (0, 1), before.stderr + after.stderr
    def flagged(output: str) -> set[str]:
        messages = [f["message"] for f in json.loads(output)["findings"]]
        return {s for s in SERVICES if any(f"Deployment temporal-like-{s})" in m for m in messages)}

    assert flagged(before.stdout) == set(SERVICES)
    assert flagged(after.stdout) == set()


def test_a_later_values_file_wins_over_an_earlier_one(repo: Path) -> None:
    chart = repo / "deploy" / "temporal"
    write(repo, {"deploy/history-one.yaml": "server:\n  history:\n    replicaCount: 1\n"})
    helm = add_helm_values(prod(repo), ["deploy/temporal=deploy/history-one.yaml"], repo)
    found = workloads(repo, helm)
    history = found["temporal-like-history"]
    assert history.replicas == 1
    assert history.replicas_location is not None and history.replicas_location.path == "deploy/history-one.yaml"
    assert found["temporal-like-frontend"].replicas == 3  # the prod overlay still applies
    assert str(chart.resolve()) in dict(helm.values)


def test_configured_overlays_apply_values_files_beside_the_chart(repo: Path) -> None:
    config = parse_table({"helm": {"overlays": True}}, CATALOG_IDS, repo / ".tprlint.toml")
    from tprlint.discover import discover

    chart = find_charts(s for s in discover([repo]) if s.display.endswith("Chart.yaml"))[0]
    assert [p.name for p in values_files_for(chart, config.helm)] == ["values.prod.yaml", "values.tls.yaml"]
    assert values_files_for(chart, HelmConfig()) == []  # overlays are opt-in
    found = workloads(repo, config.helm)
    assert found["temporal-like-history"].replicas == 5
    rendered = run([repo], Config(root=repo, helm=config.helm, select=("TPR501",)), use_cache=False, jobs=1)
    assert not [f for f in rendered.findings if "temporal-like-history" in f.message]


@pytest.mark.parametrize(("table", "error"), [
    ({"helm": {"overlay": True}}, "unknown key helm.overlay"),
    ({"helm": {"overlays": "yes"}}, "helm.overlays must be true or false"),
    ({"helm": {"values": {"deploy/nowhere": ["a.yaml"]}}}, "is not a Helm chart folder"),
    ({"helm": {"values": {"deploy/temporal": ["deploy/missing.yaml"]}}}, "values file not found"),
    ({"helm": {"values": {"deploy/temporal": "values.yaml"}}}, "must be a list of strings"),
])
def test_helm_configuration_errors_are_reported(repo: Path, table: dict[str, object], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        parse_table(table, CATALOG_IDS, repo / ".tprlint.toml")


def test_a_configuration_names_no_file_outside_its_folder(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The configuration is the pull request's own: values it names outside the project (a secret of
    the CI machine, another checkout) are refused before anything reads them, links resolved."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(CHART / "values" / "values.prod.yaml", elsewhere / "values.yaml")  # history at 5 replicas
    shutil.copytree(CHART, elsewhere / "chart")
    (repo / "deploy" / "linked.yaml").symlink_to(elsewhere / "values.yaml")
    for table in ({"deploy/temporal": [str(elsewhere / "values.yaml")]},
                  {"deploy/temporal": ["../" * 12 + "proc/self/environ"]},
                  {"deploy/temporal": ["deploy/linked.yaml"]},
                  {str(elsewhere / "chart"): ["deploy/temporal/values.yaml"]}):
        with pytest.raises(ConfigError, match="leads out of the project folder"):
            parse_table({"helm": {"values": table}}, CATALOG_IDS, repo / ".tprlint.toml")
    (repo / "deploy" / "loop1").symlink_to(repo / "deploy" / "loop2")
    (repo / "deploy" / "loop2").symlink_to(repo / "deploy" / "loop1")
    for table in ({"deploy/temporal": ["deploy/temporal/values.yaml\0"]}, {"deploy/temporal": ["deploy/loop1"]}):
        with pytest.raises(ConfigError, match=r"cannot be resolved|leads out of the project folder"):
            parse_table({"helm": {"values": table}}, CATALOG_IDS, repo / ".tprlint.toml")
    (repo / ".tprlint.toml").write_text(f'[helm]\nvalues = {{ "deploy/temporal" = ["{elsewhere}/values.yaml"] }}\n',
                                        encoding="utf-8")
    done = run_cli("deploy", cwd=repo)
    assert done.returncode == 2 and "leads out of the project folder" in done.stderr and "--values" in done.stderr
    # The user's own command line may name it: that file is theirs.
    (repo / ".tprlint.toml").unlink()
    without = run_cli("deploy", "--select", "TPR501", "--no-cache", cwd=repo)
    given = run_cli("deploy", "--select", "TPR501", "--no-cache",
                    "--values", f"deploy/temporal={elsewhere / 'values.yaml'}", cwd=repo)
    assert without.returncode == 0 and "temporal-like-history" in without.stdout, without.stderr
    assert given.returncode == 0 and "temporal-like-history" not in given.stdout, given.stderr


def test_values_flag_errors_exit_2(repo: Path) -> None:
    done = run_cli("deploy", "--values", "deploy/temporal", cwd=repo)
    assert done.returncode == 2 and "CHART=FILE" in done.stderr
    done = run_cli("deploy", "--values", "deploy=deploy/temporal/values.yaml", cwd=repo)
    assert done.returncode == 2 and "not a Helm chart folder" in done.stderr


# --------------------------------------------------------------------------------------------
# TPR002


BROKEN_TEMPLATE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-worker
spec:
  replicas: {{ .Values.replicas | defualt 2 }}
"""

WORKER_MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/billing-worker:1.4.2
          env:
            - name: TEMPORAL_ADDRESS
              value: temporal-frontend:7233
"""


def test_a_broken_template_yields_tpr002_with_helms_message_and_the_rest_survives(repo: Path) -> None:
    write(repo, {
        "deploy/broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
        "deploy/broken/values.yaml": "replicas: 3\n",
        "deploy/broken/templates/worker.yaml": BROKEN_TEMPLATE,
        "deploy/billing/worker.yaml": WORKER_MANIFEST,
    })
    findings = lint(repo)
    errors = [f for f in findings if f.rule_id == "TPR002"]
    assert len(errors) == 1
    error = errors[0]
    assert error.location.path == "deploy/broken/templates/worker.yaml"
    assert error.location.line == 6
    assert 'function "defualt" not defined' in error.message
    assert "`broken`" in error.message
    # The plain manifest and the other chart were still checked.
    assert any(f.rule_id == "TPR401" and f.location.path == "deploy/billing/worker.yaml" for f in findings)
    assert any(f.rule_id == "TPR501" and "temporal-like-history" in f.message for f in findings)


def test_an_execution_error_points_at_the_innermost_template(repo: Path) -> None:
    write(repo, {
        "deploy/failing/Chart.yaml": "apiVersion: v2\nname: failing\nversion: 0.1.0\n",
        "deploy/failing/templates/_helpers.tpl": '{{- define "failing.image" -}}\n'
                                                 "{{- .Values.image.registry.host -}}\n"
                                                 "{{- end -}}\n",
        "deploy/failing/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
                                            '  image: {{ include "failing.image" . }}\n',
        "deploy/failing/values.yaml": "image:\n  tag: null\n",
    })
    errors = [f for f in lint(repo, select=("TPR002",))]
    assert len(errors) == 1
    assert errors[0].location.path == "deploy/failing/templates/_helpers.tpl"
    assert (errors[0].location.line, errors[0].location.column) == (2, 11)
    assert "nil pointer evaluating" in errors[0].message and "error calling include" in errors[0].message


def test_a_missing_dependency_is_reported_and_the_chart_still_renders(repo: Path) -> None:
    chart = repo / "deploy" / "temporal" / "Chart.yaml"
    chart.write_text(chart.read_text(encoding="utf-8") + textwrap.dedent("""
        dependencies:
          - name: elasticsearch
            version: 7.17.3
            repository: https://helm.elastic.co
          - name: postgresql
            version: 15.5.0
            repository: oci://registry-1.docker.io/bitnamicharts
            condition: postgresql.enabled
          - name: metrics
            version: 0.1.0
            repository: file://../metrics
    """), encoding="utf-8")
    values = repo / "deploy" / "temporal" / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8") + "postgresql:\n  enabled: false\n", encoding="utf-8")
    write(repo, {
        "deploy/temporal/charts/metrics/Chart.yaml": "apiVersion: v2\nname: metrics\nversion: 0.1.0\n",
        "deploy/temporal/charts/metrics/templates/exporter.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-exporter
            spec:
              replicas: 1
              template:
                spec:
                  containers:
                    - name: exporter
                      image: temporalio/server:1.31.2
            """,
    })
    findings = lint(repo, select=("TPR002", "TPR501"))
    missing = [f for f in findings if f.rule_id == "TPR002"]
    assert len(missing) == 1, [f.message for f in missing]  # postgresql is disabled: not reported
    assert "`elasticsearch`" in missing[0].message and "helm dependency build" in missing[0].message
    assert line_of(missing[0].location.path, missing[0].location.line).strip() == "- name: elasticsearch"
    replicas = [f for f in findings if f.rule_id == "TPR501"]
    assert any("temporal-like-history" in f.message for f in replicas)
    # The vendored sub-chart is rendered by its parent, located in its own template.
    exporter = [f for f in replicas if "temporal-like-exporter" in f.message]
    assert len(exporter) == 1
    assert exporter[0].location.path == "deploy/temporal/charts/metrics/templates/exporter.yaml"


def test_without_any_renderer_the_chart_is_reported_with_the_values_still_read(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage_module, "find_renderer", lambda: (None, "neither the `helm` binary nor it"))
    helm = HelmConfig(((str((repo / "deploy/temporal").resolve()),
                        (str((repo / "deploy/temporal/values/values.prod.yaml").resolve()),)),))
    findings = lint(repo, helm=helm)
    errors = [f for f in findings if f.rule_id == "TPR002"]
    assert len(errors) == 1
    assert errors[0].location.path == "deploy/temporal/Chart.yaml"
    assert "was not rendered" in errors[0].message
    assert "deploy/temporal/values.yaml, deploy/temporal/values/values.prod.yaml" in errors[0].message
    assert not [f for f in findings if "temporal-like-history" in f.message]


def test_invalid_values_yaml_is_reported_without_rendering(repo: Path) -> None:
    write(repo, {"deploy/bad-values.yaml": "server:\n\treplicaCount: 3\n"})
    helm = add_helm_values(HelmConfig(), ["deploy/temporal=deploy/bad-values.yaml"], repo)
    errors = [f for f in lint(repo, helm=helm) if f.rule_id == "TPR002"]
    assert len(errors) == 1
    assert errors[0].location.path == "deploy/bad-values.yaml" and errors[0].location.line == 2
    assert "not valid YAML" in errors[0].message


def test_a_chart_yaml_that_is_not_yaml_is_reported(repo: Path) -> None:
    write(repo, {"deploy/odd/Chart.yaml": "name: [odd\n", "deploy/odd/templates/cm.yaml": "kind: {{ x }}\n"})
    errors = [f for f in lint(repo, select=("TPR002",)) if f.location.path == "deploy/odd/Chart.yaml"]
    assert len(errors) == 1 and "not valid YAML" in errors[0].message


# --------------------------------------------------------------------------------------------
# Discovery, suppression, cache, the `helm` binary


def test_chart_templates_are_never_read_as_plain_manifests(repo: Path) -> None:
    # A template without any `{{` looks like a manifest; it must only be seen once, rendered.
    write(repo, {"deploy/temporal/templates/static-worker.yaml": WORKER_MANIFEST})
    findings = [f for f in lint(repo, select=("TPR401",)) if "billing-worker" in f.message]
    assert len(findings) == 1
    assert findings[0].location.path == "deploy/temporal/templates/static-worker.yaml"


def test_vendored_subcharts_are_not_rendered_on_their_own(repo: Path) -> None:
    write(repo, {
        "deploy/temporal/charts/extra/Chart.yaml": "apiVersion: v2\nname: extra\nversion: 0.1.0\n",
        "deploy/temporal/charts/extra/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                         "  name: {{ .Release.Name }}-extra\n",
    })
    from tprlint.discover import discover

    charts = find_charts(s for s in discover([repo]) if s.display.endswith("Chart.yaml"))
    assert [c.display for c in charts] == ["deploy/temporal"]


def test_helm_test_hooks_are_not_workloads(repo: Path) -> None:
    write(repo, {"deploy/temporal/templates/tests/connection.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{ .Release.Name }}-test-connection
          annotations:
            "helm.sh/hook": test
        spec:
          containers:
            - name: check
              image: temporalio/admin-tools:1.31.2
        """})
    assert "temporal-like-test-connection" not in workloads(repo)


def test_suppression_comments_in_values_files_apply(repo: Path) -> None:
    values = repo / "deploy" / "temporal" / "values.yaml"
    text = values.read_text(encoding="utf-8").replace(
        "  replicaCount: 1\n", "  # tprlint: ignore[TPR501] scaled by the platform team\n  replicaCount: 1\n", 1)
    values.write_text(text, encoding="utf-8")
    result = run([repo], Config(root=repo, select=("TPR406", "TPR501")), use_cache=False, jobs=1)
    server = [f for f in result.findings if any(f"temporal-like-{s}" in f.message for s in SERVICES)]
    assert server and all(f.is_suppressed for f in server)
    web = [f for f in result.findings if "temporal-like-web" in f.message]
    assert web and not any(f.is_suppressed for f in web)


def test_rendering_is_cached_by_the_content_of_chart_and_values(repo: Path) -> None:
    config = Config(root=repo, select=("TPR501",))
    first = run([repo], config, use_cache=True, jobs=1)
    from tprlint.cache_store import base_dir, project_folder_name

    (base_dir(None) / project_folder_name(repo) / "last-run.json").unlink()  # not a replay: the pipeline runs again
    second = run([repo], config, use_cache=True, jobs=1)
    key = "helm render deploy/temporal"
    assert first.timings[key] > 0 and second.timings[key] == 0.0
    assert [f.message for f in first.findings] == [f.message for f in second.findings]
    values = repo / "deploy" / "temporal" / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8").replace("replicaCount: 1", "replicaCount: 5", 1),
                      encoding="utf-8")
    third = run([repo], config, use_cache=True, jobs=1)
    assert third.timings[key] > 0
    assert not [f for f in third.findings if "temporal-like-history" in f.message]


FAKE_HELM = '''\
#!{python}
"""A stand-in for the `helm` CLI: real Helm (the library) behind `helm template`'s output format."""
import sys
import helm_python as helm
args = sys.argv[1:]
assert args[0] == "template", args
release, chart = args[1], args[2]
files = [args[i + 1] for i, a in enumerate(args) if a == "--values"]
values = {{}}
def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
for name in files:
    values = merge(values, helm.values_from_yaml(open(name).read()))
try:
    with helm.Chart.load(chart) as loaded:
        out = loaded.render(values=values or None, name=release, namespace="default", is_install=True)
except helm.HelmError as exc:
    print("walk.go:75: found symbolic link in path", file=sys.stderr)
    print("Error: " + str(exc), file=sys.stderr)
    sys.exit(1)
for source, text in sorted(out.items()):
    if source.endswith("NOTES.txt"):
        continue
    for doc in text.split("\\n---"):
        if doc.strip():
            print("---\\n# Source: " + source + "\\n" + doc.strip("\\n"))
'''


@pytest.fixture
def fake_helm(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("bin")
    helm = folder / "helm"
    helm.write_text(FAKE_HELM.format(python=sys.executable), encoding="utf-8")
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{__import__('os').environ.get('PATH', '')}")
    return helm


def test_the_helm_binary_is_used_when_on_path(repo: Path, fake_helm: Path) -> None:
    renderer, _ = find_renderer()
    assert renderer is not None and renderer.kind == "binary" and renderer.executable == str(fake_helm)
    found = workloads(repo, prod(repo))
    assert sorted(found) == sorted([f"temporal-like-{s}" for s in SERVICES] + ["temporal-like-web"])
    history = found["temporal-like-history"]
    assert history.replicas == 5
    assert history.replicas_location is not None
    assert history.replicas_location.path == "deploy/temporal/values/values.prod.yaml"


def test_helm_binary_errors_are_reported_without_its_log_lines(repo: Path, fake_helm: Path) -> None:
    write(repo, {
        "deploy/broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
        "deploy/broken/templates/worker.yaml": BROKEN_TEMPLATE,
    })
    errors = [f for f in lint(repo, select=("TPR002",))]
    assert len(errors) == 1
    assert errors[0].location.path == "deploy/broken/templates/worker.yaml" and errors[0].location.line == 6
    assert "symbolic link" not in errors[0].message


def test_the_helm_binary_renders_charts_with_missing_dependencies(repo: Path, fake_helm: Path) -> None:
    chart = repo / "deploy" / "temporal" / "Chart.yaml"
    chart.write_text(chart.read_text(encoding="utf-8")
                     + "dependencies:\n  - name: cassandra\n    version: 0.1.0\n    repository: https://x\n",
                     encoding="utf-8")
    seen: list[list[str]] = []
    real = render_module.subprocess.run

    def spy(command: list[str], **kwargs: object) -> object:
        seen.append(command)
        return real(command, **kwargs)  # type: ignore[call-overload]

    # The child process renders; run its code in-process here to look at the command it builds.
    jobs = [render_module.RenderJob("k", str(chart.parent), "temporal", (), ("cassandra",))]
    render_module.subprocess.run = spy  # type: ignore[assignment]
    try:
        results = render_module.render_jobs(render_module.Renderer("binary", str(fake_helm)), jobs)
    finally:
        render_module.subprocess.run = real
    assert not results["k"].error
    assert seen and seen[0][3] != str(chart.parent)  # a copy without the missing dependency
    assert any(source.endswith("server-deployment.yaml") for source, _ in results["k"].manifests)


def test_split_sources_groups_documents_by_template() -> None:
    stream = ("---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n"
              "---\n# Source: c/templates/a.yaml\nkind: A2\n")
    assert split_sources(stream) == (("c/templates/a.yaml", "---\nkind: A\n---\nkind: A2\n"),
                                     ("c/templates/b.yaml", "---\nkind: B\n"))


# --------------------------------------------------------------------------------------------
# Values and template indexing


def test_merged_values_follow_helms_merge_and_keep_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CHART, tmp_path / "chart")
    write(tmp_path, {"over.yaml": """
        server:
          replicaCount: 4
          image: {repository: temporalio/server}
          config:
            persistence: null
        web:
          enabled: false
        """})
    data, positions = merged_values(tmp_path / "chart", [tmp_path / "over.yaml"])
    server = data["server"]
    assert isinstance(server, dict)
    assert server["replicaCount"] == 4
    assert positions[("server", "replicaCount")].path == "over.yaml"
    # Maps merge key by key: the tag of values.yaml survives the overlay's image map.
    assert server["image"] == {"repository": "temporalio/server", "tag": "1.31.2", "pullPolicy": "IfNotPresent"}
    assert positions[("server", "image", "tag")].path == "chart/values.yaml"
    # null removes a key (and its positions), as Helm's coalescing does.
    assert "persistence" not in server["config"]  # type: ignore[operator]
    assert not [p for p in positions if p[:3] == ("server", "config", "persistence")]
    assert positions[("server", "config", "numHistoryShards")].path == "chart/values.yaml"
    assert data["web"] == {"enabled": False, "replicaCount": 1,
                           "image": {"repository": "temporalio/ui", "tag": "2.52.0"}, "resources": {}}


def test_template_index_reads_literal_keys_and_skips_block_scalars() -> None:
    index = index_template(textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        data:
          config.yaml: |-
            persistence:
              numHistoryShards: {{ .Values.shards }}
        spec:
          containers:
          - name: a
            image: {{ .Values.image }}
          - name: b
        """))
    assert index.exact[("kind",)] == 2
    assert ("data", "config.yaml", "persistence") not in index.normal  # inside a block scalar
    assert index.exact[("spec", "containers", 0)] == 9
    assert index.exact[("spec", "containers", 0, "image")] == 10
    assert index.exact[("spec", "containers", 1)] == 11
    assert index.refs[10] == [("image",)]


TEMPLATE_WORDS = ["key:", "- ", "  ", "{{", "}}", "{{- range $k, $v := .Values.a }}", "{{ end }}", "|", ">-",
                  "{{ with .Values.b }}", ".", "$x := index $.Values.c $k", "\n", "---", "#", "'", '"', ":",
                  "{{ . }}", "{{ $v.d }}", "{{ include \"x\" (list $ \"y\") | nindent 4 }}", "- name: a"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TEMPLATE_WORDS) | st.text(max_size=5), max_size=60))
def test_template_indexing_never_fails(parts: list[str]) -> None:
    index = index_template("".join(parts))
    assert index.line_for(("a", 0, "b"), "b: 1") >= 1
    for refs in index.refs.values():
        values_origin(refs, 1, "x", {"a": {"k": {"d": 1}}, "b": 1}, {}, {})


def test_a_chart_whose_templates_folder_is_a_symlink_is_rendered_and_its_edits_are_seen(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "templates"
    shared.mkdir(parents=True)
    (shared / "_rep.tpl").write_text('{{- define "rep" -}}1{{- end -}}\n')
    (shared / "deployment.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: billing-worker
        spec:
          replicas: {{ include "rep" . }}
          selector: {matchLabels: {app: billing-worker}}
          template:
            metadata: {labels: {app: billing-worker}}
            spec:
              containers:
                - name: worker
                  image: registry.example.com/billing-worker:1.0.0
                  env: [{name: TEMPORAL_ADDRESS, value: "temporal:7233"}]
        """))
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: billing\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("{}\n")
    (chart / "templates").symlink_to(shared)
    config = Config(root=tmp_path, select=("TPR406",))
    first = run([tmp_path], config, use_cache=True, jobs=1)
    assert [f.rule_id for f in first.findings if not f.is_suppressed] == ["TPR406"]
    (shared / "_rep.tpl").write_text('{{- define "rep" -}}3{{- end -}}\n')  # only the linked folder changes
    second = run([tmp_path], config, use_cache=True, jobs=1)
    assert not second.replayed
    assert [f.rule_id for f in second.findings if not f.is_suppressed] == []


# --------------------------------------------------------------------------------------------
# A cold run starts Helm right after the walk (tprlint.helm.early); the stage takes that render.


def _renders_started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The render keys handed to Helm child processes during a run (the renders themselves are real)."""
    started: list[str] = []
    real = render_module._send

    def counted(child: object, renderer: render_module.Renderer, jobs: list[render_module.RenderJob]) -> object:
        started.extend(job.key for job in jobs)
        return real(child, renderer, jobs)  # type: ignore[arg-type]

    monkeypatch.setattr(render_module, "_send", counted)
    return started


def test_a_cold_run_renders_each_chart_once_and_finds_the_same(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _renders_started(monkeypatch)
    early = lint(repo, helm=prod(repo))
    assert len(started) == 1  # started after the walk, taken by the Helm stage: not rendered again
    from tprlint.helm import early as early_module

    monkeypatch.setattr(early_module, "start_early", lambda candidates, config, deadline=None: None)
    started.clear()
    late = lint(repo, helm=prod(repo))
    assert len(started) == 1
    assert [(f.rule_id, f.location, f.message) for f in early] == [(f.rule_id, f.location, f.message) for f in late]
    assert early


def test_a_chart_with_a_dependency_left_out_is_rendered_by_the_stage(repo: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    chart = repo / "deploy" / "temporal" / "Chart.yaml"
    chart.write_text(chart.read_text(encoding="utf-8") + textwrap.dedent("""
        dependencies:
          - name: cassandra
            version: 0.14.3
            repository: https://charts.helm.sh/incubator
            condition: cassandra.enabled
        """), encoding="utf-8")
    started = _renders_started(monkeypatch)
    findings = lint(repo, helm=prod(repo))
    # Whether Helm must leave `cassandra` out depends on the values, read after the walk: no early start.
    assert len(started) == 1
    assert any(f.rule_id == "TPR002" and "cassandra" in f.message for f in findings)
    assert any(f.rule_id != "TPR002" and f.location.path.startswith("deploy/temporal/") for f in findings)


def test_a_warm_run_reads_no_values_of_a_cached_render_yet_reports_values_broken_since(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = repo / "deploy" / "temporal"
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text(encoding="utf-8").replace(
        "name: temporal-like", "name: orders-web"), encoding="utf-8")  # not the server's chart: no values rules
    config = Config(root=repo, helm=HelmConfig())
    cache = tmp_path / "cache"
    cold = run([repo], config, cache_dir=cache, jobs=1).findings
    (repo / "notes.py").write_text("VERSION = 2\n")  # a miss of the last result: the pipeline runs again
    read: list[Path] = []
    real = stage_module.load_values

    def spy(chart_dir: Path, extra: object = (), base: Path | None = None, **limits: str) -> object:
        read.append(chart_dir)
        return real(chart_dir, extra, base, **limits)  # type: ignore[arg-type]

    monkeypatch.setattr(stage_module, "load_values", spy)
    warm = run([repo], config, cache_dir=cache, jobs=1).findings
    assert read == []
    assert [(f.rule_id, f.location, f.message) for f in warm] == [(f.rule_id, f.location, f.message) for f in cold]
    (chart / "values.yaml").write_text("replicaCount: [unclosed\n", encoding="utf-8")
    broken = run([repo], config, cache_dir=cache, jobs=1).findings
    assert read == [chart]
    assert any(f.rule_id == "TPR002" and f.location.path == "deploy/temporal/values.yaml" for f in broken)


def _chart(root: Path, template: str, values: str) -> None:
    write(root, {"chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
                 "chart/templates/cm.yaml": template, "chart/values.yaml": values})


def test_a_chart_file_name_that_is_not_utf8_is_no_crash(tmp_path: Path) -> None:
    _chart(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "a: 1\n")
    (tmp_path / "chart" / "templates" / os.fsdecode(b"\xff.txt")).write_text("")
    report = tmp_path / "report.json"
    result = run_cli(".", "--no-cache", "--exit-zero", "-f", f"json:{report}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not [f for f in json.loads(report.read_text())["findings"] if f["rule"] == "TPR000"]


def test_helm_is_not_handed_values_tprlint_refuses(tmp_path: Path) -> None:
    """Values nested past tprlint's limit, and a template that loops 100 million times: the chart is
    reported (TPR002) and never rendered, so the run is done well within its time."""
    loops = "{{- range until 1000 }}{{ range until 1000 }}{{ range until 100 }}{{ end }}{{ end }}{{ end }}\n"
    _chart(tmp_path, loops + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
           "a: " + "[" * 250 + "]" * 250 + "\n")
    report = tmp_path / "report.json"
    result = run_cli(".", "--no-cache", "--timeout", "4", "-f", f"json:{report}", cwd=tmp_path)
    rules = [f["rule"] for f in json.loads(report.read_text())["findings"]]
    assert rules == ["TPR002"], result.stderr  # no TPR001: nothing was left unfinished


def test_values_files_of_a_chart_that_lead_out_of_the_tree_are_never_read(tmp_path: Path) -> None:
    """A chart's `values.yaml` and `values-prod.yaml` are links to files outside the scanned tree: their
    content reaches no rule (no TPR501 from the outside file's replica count), and TPR002 names them."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "values.yaml").write_text("server:\n  replicaCount: 1\n")
    repo = tmp_path / "repo"
    write(repo, {"chart/Chart.yaml": "apiVersion: v2\nname: temporal\nversion: 0.1.0\n",
                 "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                 "pyproject.toml": "[tool.tprlint.helm]\noverlays = true\n"})
    (repo / "chart" / "values.yaml").symlink_to(outside / "values.yaml")
    (repo / "chart" / "values-prod.yaml").symlink_to(outside / "values.yaml")
    report = repo / "report.json"
    result = run_cli(".", "--no-cache", "--exit-zero", "-f", f"json:{report}", cwd=repo)
    assert result.returncode == 0, result.stderr
    found = {(f["rule"], f["path"]) for f in json.loads(report.read_text())["findings"]}
    assert found == {("TPR002", "chart/values.yaml"), ("TPR002", "chart/values-prod.yaml")}, found


def test_the_stage_takes_the_values_the_early_start_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint.helm import early as early_module

    reads: list[str] = []
    for module in (early_module, stage_module):
        real = module.load_values

        def spy(chart_dir: Path, extra: object = (), base: Path | None = None, *, _real: object = real,
                _where: str = module.__name__, **limits: str) -> object:
            reads.append(_where)
            return _real(chart_dir, extra, base, **limits)  # type: ignore[operator]

        monkeypatch.setattr(module, "load_values", spy)
    assert lint(repo, helm=prod(repo))
    assert reads == ["tprlint.helm.early"]


def test_the_early_start_reads_no_values_past_its_budget(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint.helm import early as early_module

    monkeypatch.setattr(early_module, "EARLY_VALUES_BYTES", 10)
    started = _renders_started(monkeypatch)
    findings = lint(repo, helm=prod(repo))
    assert len(started) == 1  # rendered once, by the stage
    assert [(f.rule_id, f.location) for f in findings] == [(f.rule_id, f.location) for f in lint_without_early(
        repo, monkeypatch)]


def lint_without_early(repo: Path, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    from tprlint.helm import early as early_module

    monkeypatch.setattr(early_module, "start_early", lambda candidates, config, deadline=None: None)
    return lint(repo, helm=prod(repo))


def test_server_services_rendered_with_an_overlay_are_judged_once_by_the_server_rules(repo: Path) -> None:
    """One problem, one finding: a server service's replicas are TPR501's, its resources TPR511's,
    also when the values come from an overlay in the chart's `values/` folder."""
    overlay = repo / "deploy" / "temporal" / "values" / "values.small.yaml"
    overlay.write_text("server:\n  replicaCount: 1\n", encoding="utf-8")
    helm = HelmConfig(((str((repo / "deploy" / "temporal").resolve()), (str(overlay.resolve()),)),))
    found = lint(repo, select=("TPR406", "TPR501"), helm=helm)
    services = ("frontend", "history", "matching", "worker")
    assert not [f for f in found if f.rule_id == "TPR406" and any(f"temporal-like-{s} " in f.message for s in services)]
    assert {s for s in services if any(f.rule_id == "TPR501" and f"The Temporal {s} service" in f.message
                                       for f in found)} == set(services)


def test_a_renderer_started_before_its_charts_are_known_is_stopped_when_given_none(tmp_path: Path) -> None:
    renderer, _ = find_renderer()
    assert renderer is not None
    child = render_module.spawn_child(renderer, render_module.RenderLimits())
    assert child.process is not None and child.process.poll() is None  # loading Helm, waiting for charts
    render_module.discard(child)
    assert child.process.returncode is not None
    assert not Path(child.scratch).exists()


def test_a_renderer_started_early_renders_what_it_is_given_later(repo: Path) -> None:
    renderer, _ = find_renderer()
    assert renderer is not None
    chart = repo / "deploy" / "temporal"
    job = render_module.RenderJob("k", str(chart), "rel", (), (), str(repo))
    child = render_module.spawn_child(renderer, render_module.RenderLimits())
    pending = render_module.start_render(renderer, [job], child=child)
    rendered = pending.results()["k"]
    assert rendered.error == "" and rendered.manifests
    assert pending.settled()
