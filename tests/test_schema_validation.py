"""TPR430: Kubernetes objects checked against the API server's OpenAPI schema (tprlint.facts.schema)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli, write_tree

from tprlint.config import ConfigError, parse_table
from tprlint.facts import schema_engine
from tprlint.facts.schema import NO_SCHEMAS, TOO_LARGE, ObjectSchema, validate_documents
from tprlint.facts.yaml_docs import load_yaml_documents

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-worker
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: orders-worker}}
  template:
    metadata:
      labels: {{app: orders-worker}}
    spec:
      terminationGracePeriodSeconds: 180
      containers:
        - name: worker
          image: registry.example.com/shop/orders:1.4.2
          env:
            - {{name: PORT, value: "8080"}}
          ports:
            - {{containerPort: 8080}}
"""


def checked(text: str, path: str = "deploy/app.yaml") -> list[ObjectSchema]:
    return validate_documents(load_yaml_documents(textwrap.dedent(text), path), path)


def problems(text: str, path: str = "deploy/app.yaml") -> list[tuple[str, str, int]]:
    return [(p.path, p.message, p.location.line) for obj in checked(text, path) for p in obj.problems]


def findings(root: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli(".", "--select", "TPR430", "-f", "json", *args, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return found


def test_a_valid_deployment_has_no_problem() -> None:
    [obj] = checked(DEPLOYMENT.format(replicas=3))
    assert (obj.kind, obj.name, obj.schema_version, obj.problems, obj.unchecked) == (
        "Deployment", "orders-worker", "1.37", (), "")


def test_required_fields_wrong_types_and_unknown_fields_are_named_by_their_schema_path() -> None:
    text = DEPLOYMENT.format(replicas='"3"').replace("  selector:\n    matchLabels: {app: orders-worker}\n", "")
    text = text.replace("terminationGracePeriodSeconds", "terminationGracePeriod")
    text = text.replace("{containerPort: 8080}", '{containerPort: "8080"}')
    assert problems(text) == [
        ("spec.replicas", '"3" is not of type integer', 7),
        ("spec.template.spec.terminationGracePeriod", "unknown field", 12),
        ("spec.template.spec.containers[0].ports[0].containerPort", '"8080" is not of type integer', 19),
        ("spec.selector", "required", 6),  # at its parent, `spec:`
    ]


def test_values_that_may_be_credentials_are_never_shown() -> None:
    text = DEPLOYMENT.format(replicas=3).replace('value: "8080"', "value: 84513377")
    assert problems(text) == [("spec.template.spec.containers[0].env[0].value", "a number is not of type string", 19)]


def test_null_is_an_omitted_field_and_int_or_string_takes_either() -> None:
    text = DEPLOYMENT.format(replicas="null") + textwrap.indent(textwrap.dedent("""\
        strategy:
          rollingUpdate: {maxUnavailable: 1, maxSurge: 25%}
        """), "  ")
    assert problems(text) == []
    assert problems(text.replace("maxSurge: 25%", "maxSurge: [1]")) == [
        ("spec.strategy.rollingUpdate.maxSurge", "a list is not of type string or integer", 23)]


def test_template_placeholders_and_patches_are_not_judged_as_objects() -> None:
    assert problems(DEPLOYMENT.format(replicas="${REPLICAS}")) == []
    patch = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: orders-worker}
        spec:
          replicas: 5
          template:
            spec:
              containers: [{name: worker, resources: {limits: {memory: 1Gi}}}]
        """
    assert problems(patch, "deploy/overlays/prod/replicas.yaml") == []  # no selector, no image: a patch
    assert problems(patch.replace("replicas: 5", "replicas: five"), "deploy/overlays/prod/replicas.yaml") == [
        ("spec.replicas", '"five" is not of type integer', 5)]


def test_custom_resources_and_lists() -> None:
    text = """\
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: orders}
        spec: {anything: goes}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: orders}
        spec: {parentRefs: [{name: gw}]}
        ---
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Service
            metadata: {name: orders}
            spec: {ports: [{port: "80"}]}
        """
    [service] = checked(text)
    assert service.kind == "Service"
    assert [(p.path, p.location.line) for p in service.problems] == [("spec.ports[0].port", 17)]


def test_an_api_version_no_longer_served_names_its_last_version_and_replacement() -> None:
    [hpa] = checked("""\
        apiVersion: autoscaling/v2beta2
        kind: HorizontalPodAutoscaler
        metadata: {name: orders}
        spec: {scaleTargetRef: {kind: Deployment, name: orders}, maxReplicas: 3}
        """)
    assert (hpa.unserved, hpa.last_served, hpa.replacements) == (True, "1.25", ("autoscaling/v1", "autoscaling/v2"))


def test_the_cli_reports_one_finding_per_object_and_honours_kubernetes_version(tmp_path: Path) -> None:
    bad = DEPLOYMENT.format(replicas='"3"').replace("terminationGracePeriodSeconds", "terminationGracePeriod")
    hpa = """\
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: orders-worker, namespace: shop}
spec: {scaleTargetRef: {kind: Deployment, name: orders-worker}, maxReplicas: 3}
"""
    write_tree(tmp_path, {"deploy/worker.yaml": bad.encode(), "deploy/hpa.yaml": hpa.encode(),
                          "tests/fixtures/broken.yaml": bad.encode()})
    found = findings(tmp_path)
    assert [(f["path"], f["line"]) for f in found] == [("deploy/hpa.yaml", 2), ("deploy/worker.yaml", 7)]
    message = str(found[1]["message"])
    assert "`spec.replicas`: \"3\" is not of type integer" in message
    assert "`spec.template.spec.terminationGracePeriod`: unknown field" in message
    assert "served up to Kubernetes 1.25" in str(found[0]["message"])
    (tmp_path / ".tprlint.toml").write_text('kubernetes-version = "1.25"\n')
    assert [f["path"] for f in findings(tmp_path)] == ["deploy/worker.yaml"]
    # The verdicts are facts: a warm run reads them from the cache and gives the same findings.
    assert [f["path"] for f in findings(tmp_path)] == ["deploy/worker.yaml"]


def test_kubernetes_version_is_checked() -> None:
    config = parse_table({"kubernetes-version": "v1.30.2"}, set(), Path("/x/.tprlint.toml"))
    assert config.kubernetes_version == "1.30"
    with pytest.raises(ConfigError, match="kubernetes-version"):
        parse_table({"kubernetes-version": 1.3}, set(), Path("/x/.tprlint.toml"))


def test_hostile_objects_are_bounded_and_left_unchecked() -> None:
    nested = "{properties: {a: " * 60 + "{type: string}" + "}}" * 60
    deep = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: deep}\nspec:\n"
            "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: " + nested + "}}]\n")
    [obj] = checked(deep)
    assert obj.unchecked == TOO_LARGE and not obj.problems
    wide = "apiVersion: v1\nkind: Service\nmetadata: {name: wide}\nspec:\n  ports:\n" + "    - {port: 80}\n" * 60_000
    [obj] = checked(wide)
    assert obj.unchecked == TOO_LARGE


def test_without_the_schemas_the_objects_are_unknown_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_engine, "_folders", lambda: ())
    schema_engine.schemas.cache_clear()
    try:
        [obj] = checked(DEPLOYMENT.format(replicas='"3"'))
    finally:
        schema_engine.schemas.cache_clear()
    assert (obj.unchecked, obj.problems) == (NO_SCHEMAS, ())


def test_the_verdicts_are_those_of_jsonschema_on_the_same_schema() -> None:
    """The small interpreter against jsonschema (Draft 2020-12, the schemas' own dialect), on objects
    with every kind of problem. Cases where they differ on purpose (null, oneOf) are not among them."""
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    schemas = schema_engine.schemas()
    assert schemas is not None
    with open(f"{schemas.folder}/_definitions.json", encoding="utf-8") as handle:
        definitions = json.load(handle)
    registry = referencing.Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json",
        referencing.Resource.from_contents(definitions, default_specification=referencing.jsonschema.DRAFT202012),
    ).crawl()
    cases = [
        DEPLOYMENT.format(replicas=3),
        DEPLOYMENT.format(replicas='"3"').replace("selector:", "selectr:").replace("- name: worker", "- nme: worker"),
        DEPLOYMENT.format(replicas=2.5).replace("containers:", "containers: {}\n      initContainers:"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {a: 1}}\nspec: {type: Cluster, ports: [{}]}\n",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: 5, jobTemplate: {spec: "
        "{template: {spec: {restartPolicy: Sometimes, containers: [{name: c, image: i, args: [1, true]}]}}}}}\n",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {selector: {matchLabels: "
        "{app: x}}, maxUnavailable: 1, minAvailble: 2}\n",
    ]
    for text in cases:
        [doc] = load_yaml_documents(text, "x.yaml")
        data = doc.data
        assert isinstance(data, dict)
        schema = schemas.kind_schema(str(data["kind"]), str(data["apiVersion"]))
        assert schema is not None
        ours = {(path, code) for path, code, _ in schemas.validate(schema, data, 100_000, 64, 1000)[0]}
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        theirs = set()
        for error in validator.iter_errors(data):
            path = tuple(error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1]
                theirs.add(((*path, missing), "required"))
            elif error.validator == "additionalProperties":
                for name in error.message.split("(")[1].split(" was")[0].replace(" were", "").split(", "):
                    theirs.add(((*path, name.strip("'")), "unknown"))
            else:
                theirs.add((path, str(error.validator)))
        assert ours == theirs, text


def test_objects_a_chart_renders_are_checked_and_reported_at_the_values_key(tmp_path: Path) -> None:
    template = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-worker
spec:
  replicas: {{ .Values.replicas | quote }}
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
        - name: worker
          image: "registry.example.com/orders:1.0"
"""
    write_tree(tmp_path, {"chart/Chart.yaml": b"apiVersion: v2\nname: orders\nversion: 0.1.0\n",
                          "chart/values.yaml": b"replicas: 2\n", "chart/templates/deployment.yaml": template.encode()})
    [found] = findings(tmp_path)
    assert (found["path"], found["line"]) == ("chart/values.yaml", 1)
    assert '`spec.replicas`: "2" is not of type integer' in str(found["message"])


def test_the_valid_objects_of_a_file_share_one_entry() -> None:
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\nspec: {ports: [{port: %s}]}\n"
    found = checked("---\n".join(service % (i, port) for i, port in enumerate(["80", "81", '"web"', "82"])))
    assert [(o.name, o.objects, [p.path for p in o.problems]) for o in found] == [
        ("s0", 3, []), ("s2", 1, ["spec.ports[0].port"])]


def test_numbers_given_as_secret_arguments_are_never_shown() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-worker}
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:
      containers:
        - name: worker
          image: example/worker:1
          args: ["--db-password", 884213377190, "--api-token", 0x5EC12E7]
          livenessProbe:
            exec: {command: ["check", 731942]}
"""
    shown = " ".join(message for _, message, _ in problems(text))
    assert "a number is not of type string" in shown
    for secret in ("884213377190", "99357415", "0x5EC12E7", "731942"):
        assert secret not in shown
