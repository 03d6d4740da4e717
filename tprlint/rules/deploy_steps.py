"""TPR908: CI/CD steps that deploy Temporal workloads and never watch the rollout.

``kubectl apply`` and ``helm upgrade`` (without ``--wait``) return as soon as the API server accepts the
objects: the pipeline is green while the new pods crash-loop or never become ready. A deploy counts as
watched when the same file runs ``kubectl rollout status``, ``kubectl wait``, ``kubectl argo rollouts
status`` or ``argocd app wait`` after it (anywhere in a Makefile or justfile, whose targets run in any
order), when it calls a script or make target that does, when the file that calls it does after the
call, when ``helm`` is given ``--wait``/``--atomic``, or when every workload it deploys is an Argo
Rollout with analysis (the controller judges the rollout and aborts it). Only deploys of the scan's
Temporal workloads (workers and servers, by manifest path or name) or of something named Temporal or
worker are judged.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from tprlint.facts.kubernetes import Workload
from tprlint.facts.scripts import Command, DeployStep, ScriptFacts
from tprlint.facts.shell import scrub_words
from tprlint.rules.backups import judged
from tprlint.rules.context import Hit, Project

_WHOLE_FILE = ("makefile", "gnumakefile", "justfile")


def _normal(path: str) -> str:
    path = path.strip().rstrip("/")
    return posixpath.normpath(path) if path else "."


def _ancestors(path: str) -> list[str]:
    found, folder = [], posixpath.dirname(path)
    while True:
        found.append(folder)
        if not folder or folder == "/":
            return found
        folder = posixpath.dirname(folder)


def _under(workload_path: str, target: str, recursive: bool) -> bool:
    """Whether applying ``target`` applies the file: the file itself, a file of the folder, or of its
    subfolders with `-R` (or a kustomization, which names its own files)."""
    if workload_path == target:
        return True
    folder = posixpath.dirname(workload_path) or "."
    inside = target in ("", ".") or folder == target or folder.startswith(target + "/")
    return inside and (recursive or folder == target or (target in ("", ".") and folder == "."))


def touched(project: Project, script: ScriptFacts, deploy: DeployStep) -> tuple[list[Workload], str]:
    """The Temporal workloads a deploy applies, and a name for what it deploys ("" when none is Temporal's);
    "?" when a path it applies cannot be read (a variable, a glob) but may hold them."""
    workloads = [w for w, _ in project.in_scope()]
    found: list[Workload] = []
    unknown = False
    recursive = any(w in ("-R", "--recursive", "-k") or w.startswith(("--kustomize", "-k=")) for w in deploy.words) \
        or "-" in deploy.words or deploy.verb.startswith("helm")  # a pipe from kustomize build, a chart
    for raw in deploy.paths:
        if "://" in raw:
            continue
        cut = min((i for i in (raw.find("$"), raw.find("*"), raw.find("{")) if i >= 0), default=-1)
        target = _normal(raw if cut < 0 else raw[:cut].rsplit("/", 1)[0] if "/" in raw[:cut] else "")
        roots = [posixpath.dirname(script.path)] if target == "." else _ancestors(script.path)
        candidates = {_normal(posixpath.join(root, target)) if root else target for root in roots}
        hits = [w for w in workloads if any(_under(w.location.path, c, recursive or cut >= 0)
                                            or (w.overlay and _under(w.overlay, c, True)) for c in candidates)]
        if cut >= 0 and hits:
            unknown = True
        else:
            found += hits
    names = {name.rsplit("/", 1)[-1].lower() for name in deploy.names if name}
    found += [w for w in workloads if w.name.lower() in names]
    found = list({id(w): w for w in found}.values())
    if found:
        return found, ", ".join(sorted({f"{w.kind} {w.name}" for w in found})[:4])
    others = {w.name.lower() for w in project.workloads}  # a Celery "worker" of the scan is not Temporal's
    named = [n for n in names if ("temporal" in n or "worker" in n) and n not in others]
    if named:
        return [], " and ".join(sorted(named)[:2])
    return [], "?" if unknown else ""


def deploy_steps(project: Project) -> Iterator[tuple[ScriptFacts, DeployStep, list[Workload], str]]:
    """Deploys of Temporal workloads in production scripts, Makefiles and CI files."""
    for script in project.scripts:
        if not script.deploys or not judged(project, script.path):
            continue
        for deploy in script.deploys:
            workloads, what = touched(project, script, deploy)
            if what:
                yield script, deploy, workloads, what


def _whole_file(script: ScriptFacts) -> bool:
    name = posixpath.basename(script.path).lower()
    return name in _WHOLE_FILE or name.endswith(".mk")


def _watch_after(script: ScriptFacts, line: int) -> bool:
    return any(_whole_file(script) or w.location.line > line for w in script.watches)


def _calls(call: Command, script: ScriptFacts) -> bool:
    """Whether ``call`` runs ``script`` (or, for `make T`/`just T`, one of its targets: see _target)."""
    base = posixpath.basename(script.path)
    return any(posixpath.basename(word) == base for word in call.words[:3]) and base.endswith(".sh")


def _runs_target(call: Command, script: ScriptFacts, block: str) -> bool:
    program = call.words[0].rsplit("/", 1)[-1]
    return bool(block) and _whole_file(script) and program in ("make", "just") and block in call.words[1:]


def watched(project: Project, script: ScriptFacts, deploy: DeployStep) -> bool:
    if deploy.waits or _watch_after(script, deploy.location.line):
        return True
    others = [s for s in project.scripts if s is not script]
    for call in script.calls:  # a script or target run after the deploy that watches
        after = _whole_file(script) or call.location.line > deploy.location.line
        if after and any(callee.watches and (_calls(call, callee) or any(_runs_target(call, callee, w.block)
                                                                         for w in callee.watches))
                         for callee in [script, *others]):
            return True
    for caller in others:  # whoever runs this script or target, and watches after it
        for call in caller.calls:
            if (_calls(call, script) or _runs_target(call, script, deploy.block)) and \
                    _watch_after(caller, call.location.line):
                return True
    return False


def unwatched_deploy(project: Project) -> Iterator[Hit]:
    """One finding per file, at its first unwatched deploy: the fix (a watch after them) is one."""
    unwatched: dict[str, list[tuple[DeployStep, list[Workload], str]]] = {}
    for script, deploy, workloads, what in deploy_steps(project):
        if watched(project, script, deploy):
            continue
        if workloads and all(w.kind == "Rollout" and w.rollout_analysis for w in workloads):
            continue  # the Argo Rollouts controller runs the analysis and aborts a failing rollout
        if what == "?":
            project.undecided("TPR908", f"`{_shown(deploy)}`", "it applies a path tprlint cannot resolve (a "
                              "variable or a glob) under a folder that holds Temporal workloads, and nothing "
                              "watches the rollout", deploy.location)
            continue
        unwatched.setdefault(script.path, []).append((deploy, workloads, what))
    for path, found in unwatched.items():
        deploy, workloads, what = found[0]
        more = f" (and {len(found) - 1} more deploy command{'s' if len(found) > 2 else ''} below it)" \
            if len(found) > 1 else ""
        yield Hit(deploy.location, f"`{_shown(deploy)}` deploys {what}{more}, and nothing watches the rollout: no "
                  "`kubectl rollout status`, `kubectl wait` or `argo rollouts status` after it, no `helm --wait`/"
                  "`--atomic`, no Argo Rollouts analysis. The step succeeds as soon as the API server accepts the "
                  "objects, so pods that crash-loop, never become ready or cannot reach Temporal leave the pipeline "
                  f"green. Follow it with `{_watch_for(workloads)}` (it fails the job when the rollout does not "
                  "complete), or run `helm upgrade --wait --atomic` (which also rolls back).",
                  anchor=f"{path}/unwatched-deploy")


def _watch_for(workloads: list[Workload]) -> str:
    first = workloads[0] if workloads else None
    if first is not None and first.kind == "Rollout":
        return f"kubectl argo rollouts status {first.name} --timeout 15m"
    target = f"{first.kind.lower()}/{first.name}" if first is not None else "deployment/NAME"
    return f"kubectl rollout status {target} --timeout=15m"


def _shown(deploy: DeployStep) -> str:
    shown = " ".join(scrub_words(deploy.words[:40]))  # masked when stored; masked again in case of an older cache
    return shown if len(shown) <= 100 else shown[:97] + "..."


RULES = {"TPR908": unwatched_deploy}
