"""TPR903: routine commands that kill workers without letting them drain.

A worker drains on SIGTERM (it stops polling and lets running activities finish); SIGKILL, a pod deleted
with ``--grace-period=0 --force``, ``docker kill`` or a compose ``stop_signal: SIGKILL`` skip all of it, and
every activity running then is lost until its timeout. ``kubectl rollout restart`` and ``docker compose
stop`` are the ways that drain. Commands are judged when they name what they kill as a worker (a worker
workload or compose service of the scan, or a name with ``worker`` or ``temporal`` in it): ``kill -9 $PID``
in a script that says nothing more is not known to hit a worker, and is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from tprlint.devsetup import is_dev_path
from tprlint.facts.scripts import Command
from tprlint.rules.context import Hit, Project, is_test_path

_KILL_SIGNALS = frozenset({"-9", "-kill", "-sigkill", "--signal=kill", "--signal=sigkill", "--signal=9"})
_SIGNAL_OPTIONS = frozenset({"-s", "--signal", "-n"})
_POD_KINDS = frozenset({"pod", "pods", "po", "deployment", "deployments", "deploy", "statefulset", "statefulsets",
                        "sts", "replicaset", "replicasets", "rs", "all"})
_DRAIN = ("Kubernetes: `kubectl rollout restart deployment/NAME` (or delete the pod without --force, which "
          "sends SIGTERM and waits for the grace period); compose: `docker compose stop` or `restart`, which "
          "send SIGTERM and wait for stop_grace_period")


def worker_names(project: Project) -> set[str]:
    """Names a command can use for a worker: worker workloads, their labels, compose worker services."""
    names = {w.name.lower() for w, reason in project.in_scope() if reason.startswith("Temporal worker")}
    names |= {link.service.name.lower() for link in project.compose_links if project.workers_run_by(link.module)}
    return {n for n in names if len(n) >= 3}


def _targets_worker(words: tuple[str, ...], names: set[str]) -> bool:
    text = " ".join(words[1:]).lower()
    return "worker" in text or "temporal" in text or any(name in text for name in names)


def _every_compose_service(words: tuple[str, ...]) -> bool:
    """`docker compose kill` / `docker-compose stop -t 0` with no service named: it stops them all."""
    lowered = [w.lower() for w in words]
    rest = lowered[2:] if lowered[:2] == ["docker", "compose"] else lowered[1:] if lowered[:1] == ["docker-compose"] \
        else None
    if not rest:
        return False
    verb_at = next((i for i, w in enumerate(rest) if w in ("kill", "stop", "restart", "down")), None)
    if verb_at is None:
        return False
    after = rest[verb_at + 1:]
    positional = [w for i, w in enumerate(after) if not w.startswith("-") and not (i > 0 and after[i - 1] in (
        "-t", "--time", "--timeout", "-s", "--signal"))]
    return not positional


def forced(command: Command, project: Project) -> str:
    """Why the command kills without a drain ("" when it does not)."""
    words = tuple(w for w in command.words if w)
    program = words[0].rsplit("/", 1)[-1]
    lowered = [w.lower() for w in words]
    if program in ("kubectl", "oc") and "delete" in lowered[1:3]:
        if not any(kind.split("/", 1)[0] in _POD_KINDS for kind in lowered[2:]):
            return ""
        force = "--force" in lowered
        zero = any(w in ("--grace-period=0", "--grace-period=1") for w in lowered) or any(
            w == "--grace-period" and i + 1 < len(lowered) and lowered[i + 1] in ("0", "1")
            for i, w in enumerate(lowered))
        if force or zero or "--now" in lowered:
            flags = " ".join(w for w in words if w.startswith(("--force", "--grace-period", "--now")))
            return f"`{program} delete ... {flags}` removes the pod without waiting for its grace period"
        return ""
    if program in ("kill", "pkill", "killall"):
        if any(w in _KILL_SIGNALS for w in lowered) or any(
                w in _SIGNAL_OPTIONS and i + 1 < len(lowered) and lowered[i + 1] in ("kill", "sigkill", "9")
                for i, w in enumerate(lowered)):
            return f"`{program}` with SIGKILL ends the process at once: no handler runs, nothing drains"
        return ""
    if program in ("docker", "podman", "docker-compose"):
        rest = lowered[1:]
        if rest[:1] == ["compose"]:
            rest = rest[1:]
        elif program != "docker-compose" and rest[:1] == ["rm"] and any(w in ("-f", "--force") for w in rest):
            return f"`{program} rm -f` SIGKILLs a running container"
        if rest[:1] == ["kill"]:
            return f"`{' '.join(words[: len(words) - len(rest) + 1])}` sends SIGKILL by default"
        if rest[:1] in (["stop"], ["restart"], ["down"]) and any(
                w in ("-t0", "--time=0", "--timeout=0") or (w in ("-t", "--time", "--timeout") and i + 1 < len(rest)
                                                         and rest[i + 1] == "0") for i, w in enumerate(rest)):
            return f"`{' '.join(words[:3])} ... 0` gives the container no time before SIGKILL"
    return ""


def forced_worker_kill(project: Project) -> Iterator[Hit]:
    names = worker_names(project)
    compose_workers = any(project.workers_run_by(link.module) for link in project.compose_links)
    for script in project.scripts:
        if is_test_path(script.path) or (project.config.scope != "all" and is_dev_path(script.path)):
            continue
        for command in script.commands:
            why = forced(command, project)
            if not why or not (_targets_worker(command.words, names)
                               or (compose_workers and _every_compose_service(command.words))):
                continue
            shown = " ".join(command.words)
            shown = shown if len(shown) <= 100 else shown[:97] + "..."
            yield Hit(command.location, f"`{shown}` kills a Temporal worker without letting it drain: {why}. "
                      "The activities it is running are lost until their timeouts expire, and workflow tasks it "
                      f"holds wait for their timeout. Stop workers so that they drain: {_DRAIN}.",
                      anchor=f"{script.path}:{' '.join(command.words[:3])}")
    said: set[object] = set()
    for link in project.compose_links:
        service = link.service
        signal = (service.stop_signal or "").upper().removeprefix("SIG")
        if signal not in ("KILL", "9") or not project.workers_run_by(link.module) or service.location in said:
            continue
        said.add(service.location)
        yield Hit(service.location, f"Compose service `{service.name}` runs a Temporal worker and sets "
                  f"`stop_signal: {service.stop_signal}`: `docker compose stop`, `down` and every redeploy kill it "
                  "at once, so nothing drains and its running activities are lost until their timeouts expire. "
                  "Remove stop_signal (SIGTERM is the default, and the worker drains on it), and give the drain "
                  "time with stop_grace_period.", anchor=f"{service.ref}/stop-signal")


RULES = {"TPR903": forced_worker_kill}
