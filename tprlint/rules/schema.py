"""TPR430: Kubernetes objects the API server would reject, by its own OpenAPI schema.

A Deployment without `spec.selector`, `replicas: "3"`, a misspelt `terminationGracePeriod`: `kubectl
apply` and `helm install` refuse the object (kubectl and Helm check fields strictly), and a Helm release
or a kustomization fails as a whole, so the workers it carries are never updated. The verdicts were
made at extraction (``tprlint.facts.schema``); this rule only reports them, and decides the one thing
that depends on the cluster: whether the object's API version is still served by the configured
``kubernetes-version``.
"""

from __future__ import annotations

from collections.abc import Iterator

from tprlint.devsetup import is_dev_path, says_production
from tprlint.facts.schema import NO_SCHEMAS, ObjectSchema
from tprlint.rules.context import Hit, Project, is_test_path

RULE_ID = "TPR430"


def judged_objects(project: Project, only_findings: bool = False) -> Iterator[ObjectSchema]:
    """The objects TPR430 judges: not in tests, nor in development set-ups (unless scope = all); with
    ``only_findings``, those with something to report. Paths are judged once per file, not per object."""
    excluded: dict[str, tuple[bool, bool]] = {}  # path -> (a test, a development set-up)
    for obj in project.schema:
        if only_findings and not (obj.problems or obj.more or obj.unserved or obj.unchecked):
            continue
        path = obj.location.path
        where = excluded.get(path)
        if where is None:
            where = excluded[path] = (is_test_path(path), project.config.scope != "all" and is_dev_path(path))
        if where[0] or (where[1] and not says_production(obj.name, obj.namespace)):
            continue
        yield obj


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def rejected_objects(project: Project) -> Iterator[Hit]:
    """TPR430: one finding per object that fails its schema or whose API version is no longer served."""
    target = project.config.kubernetes_version
    missing = False
    for obj in judged_objects(project, only_findings=True):
        label = f"{obj.kind} {obj.name or '(unnamed)'} ({obj.api_version})"
        anchor = f"schema:{obj.kind}/{obj.namespace or 'default'}/{obj.name}"
        if obj.unchecked:
            if obj.unchecked == NO_SCHEMAS:
                missing = True
            else:
                project.undecided(RULE_ID, label, f"not checked against its schema: {obj.unchecked}", obj.location)
            continue
        if obj.unserved:
            if obj.last_served and _version(obj.last_served) >= _version(target):
                continue  # still served by the oldest version the manifests must apply to
            removed = (f"served up to Kubernetes {obj.last_served}" if obj.last_served
                       else "not served by any Kubernetes version tprlint knows (1.25 on)")
            yield Hit(obj.location, f"{label}: `apiVersion: {obj.api_version}` is {removed}, and this project "
                      f"targets Kubernetes {target} (`kubernetes-version`): the API server answers `no matches for "
                      f"kind \"{obj.kind}\" in version \"{obj.api_version}\"` and the apply fails. Use "
                      f"{' or '.join(f'`{v}`' for v in obj.replacements)} (the fields may differ: "
                      f"`kubectl explain {obj.kind.lower()} --api-version={obj.replacements[-1]}`).",
                      anchor=anchor)
            continue
        if not obj.problems and not obj.more:
            continue
        listed = "; ".join(f"`{p.path}`: {p.message}" for p in obj.problems)
        more = f" (and {obj.more} more)" if obj.more else ""
        where = obj.problems[0].location if obj.problems else obj.location
        yield Hit(where, f"{label} does not match the Kubernetes {obj.schema_version} schema of its kind: {listed}"
                  f"{more}. The API server (and `kubectl apply`, `helm install`, which check fields strictly) "
                  "rejects the whole object, so a release or kustomization that carries it fails and nothing "
                  "in it is updated. Fix the fields named (`kubectl explain` shows each one's type; an unknown "
                  "field is often a misspelt or misplaced one).", anchor=anchor)
    if missing:
        project.undecided(RULE_ID, "Kubernetes objects", "the kubernetes-validate package, which holds the Kubernetes "
                          "schemas, is not installed: reinstall tprlint with its dependencies")


RULES = {RULE_ID: rejected_objects}
