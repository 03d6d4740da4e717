"""Which workload runs which Python entrypoint, and which workloads are Temporal workers."""

from __future__ import annotations

from collections.abc import Iterable

from tprlint.config import Link
from tprlint.facts.dockerfile import DockerfileFacts
from tprlint.facts.kubernetes import Container, Workload
from tprlint.link.commands import PythonLaunch, parse_launch
from tprlint.link.python_project import PythonProject, resolve_launch_target
from tprlint.model import Location
from tprlint.records import frozen


@frozen
class WorkloadLink:
    workload: Workload
    container: Container
    module: str  # module key of the entrypoint it runs
    launch: PythonLaunch | None  # None for links declared in configuration
    evidence: Location  # where the command was found
    evidence_text: str  # e.g. "container command `python -m orders.worker`"


def effective_argv(container: Container, dockerfile: DockerfileFacts | None) -> tuple[tuple[str, ...], str, Location]:
    """The process Kubernetes starts: command/args override the image's ENTRYPOINT/CMD."""
    image_entry = dockerfile.entrypoint if dockerfile else None
    image_cmd = dockerfile.cmd if dockerfile else None
    if container.command is not None:
        argv = container.command + (container.args or ())
        return argv, "container command", container.location
    if container.args is not None:
        return (image_entry or ()) + container.args, "container args", container.location
    argv = (image_entry or ()) + (image_cmd or ())
    if dockerfile is None or not argv:
        return (), "", container.location
    where = dockerfile.cmd_location or dockerfile.entrypoint_location or Location(dockerfile.path)
    return argv, f"Dockerfile {'CMD' if image_cmd else 'ENTRYPOINT'} ({dockerfile.path})", where


def dockerfile_names(dockerfiles: list[DockerfileFacts]) -> list[tuple[DockerfileFacts, str, str]]:
    """Each Dockerfile with its lower-cased folder and file names: what ``dockerfile_for_image`` matches
    image names against (worked out once for every image of a scan, not once per image)."""
    return [(d, *_folder_and_name(d.path)) for d in dockerfiles]


def dockerfile_for_image(image: str, dockerfiles: list[DockerfileFacts],
                         deployed: Iterable[str] = (),
                         names: list[tuple[DockerfileFacts, str, str]] | None = None) -> DockerfileFacts | None:
    """The repository's Dockerfile for an image, when the names say so: ``orders-worker/Dockerfile``
    or ``Dockerfile.orders-worker`` for ``…/orders-worker:1.2``, else a Dockerfile whose folder is
    one of the image's path parts (``demo-shop/Dockerfile`` for ``ghcr.io/demo-shop/api``).
    Being the only Dockerfile is not enough: third-party images are often deployed beside it. And the
    folder says nothing when ``deployed`` (every image of the scan) has another image name that would
    fall back to the same Dockerfile (``ghcr.io/demo-shop/api`` and ``ghcr.io/demo-shop/reports``):
    then neither is linked."""
    parts = _image_path(image)
    if not parts:
        return None
    repo = parts[-1]
    names = dockerfile_names(dockerfiles) if names is None else names
    named = _named(repo, names)
    if named:
        return named[0] if len(named) == 1 else None
    fallback = [(d, folder) for d, folder, _ in names if folder in parts[1:]]
    if len(fallback) != 1:
        return None
    dockerfile, folder = fallback[0]
    for other in deployed:
        other_parts = _image_path(other)
        if other_parts and other_parts[-1] != repo and folder in other_parts[1:] \
                and not _named(other_parts[-1], names):
            return None  # two image names, one Dockerfile by folder: no evidence which it builds
    return dockerfile


def _image_path(image: str) -> list[str]:
    """``ghcr.io/demo-shop/api:1.2@sha256:…`` -> ["ghcr.io", "demo-shop", "api"] (lower case)."""
    return [p.lower() for p in image.split("@")[0].split(":")[0].split("/") if p]


def _named(repo: str, names: list[tuple[DockerfileFacts, str, str]]) -> list[DockerfileFacts]:
    return [d for d, folder, name in names if folder == repo or name in (f"dockerfile.{repo}", f"{repo}.dockerfile")]


def _folder_and_name(path: str) -> tuple[str, str]:
    """Lower-cased parent folder name and file name."""
    pieces = path.lower().rsplit("/", 2)
    return (pieces[-2] if len(pieces) > 1 else ""), pieces[-1]


def link_workloads(workloads: list[Workload], dockerfiles: list[DockerfileFacts], project: PythonProject,
                   config_links: tuple[Link, ...] = ()) -> list[WorkloadLink]:
    links: list[WorkloadLink] = []
    deployed = deployed_images(workloads)
    names = dockerfile_names(dockerfiles)
    for workload in workloads:
        declared = _declared_link(workload, project, config_links)
        for container in workload.containers:
            if declared is not None:
                links.append(WorkloadLink(workload, container, declared, None, workload.location,
                                          "a link declared in the tprlint configuration"))
                break
            dockerfile = dockerfile_for_image(container.image, dockerfiles, deployed, names)
            argv, source, where = effective_argv(container, dockerfile)
            launch = parse_launch(argv) if argv else None
            if launch is None or launch.target_kind not in ("module", "script"):
                continue
            module = resolve_launch_target(project, launch.target_kind, launch.target)
            if module is not None:
                links.append(WorkloadLink(workload, container, module, launch, where,
                                          f"{source} `{launch.description}`"))
    return links


def deployed_images(workloads: Iterable[Workload]) -> set[str]:
    return {c.image for w in workloads for c in (*w.containers, *w.init_containers)}


def _declared_link(workload: Workload, project: PythonProject, config_links: tuple[Link, ...]) -> str | None:
    for link in config_links:
        if link.workload not in (workload.name, f"{workload.kind}/{workload.name}"):
            continue
        if link.module:
            return resolve_launch_target(project, "module", link.module)
        if link.script:
            return resolve_launch_target(project, "script", link.script)
    return None


SERVER_IMAGES = ("temporalio/server", "temporalio/auto-setup", "temporalio/admin-tools", "temporalio/ui")


def worker_reason(workload: Workload, linked: bool) -> str | None:
    """Why this workload counts as a Temporal worker (stated in findings), or None."""
    if linked:
        return "it runs Temporal worker code"
    if any(image in c.image for c in workload.containers for image in SERVER_IMAGES):
        return None  # the server, its UI and admin tools read TEMPORAL_* too: a server component
    words = " ".join([workload.name, *workload.labels.values(), *workload.pod_labels.values(),
                      *(c.image for c in workload.containers), *(c.name for c in workload.containers)]).lower()
    # A worker polls a task queue; TEMPORAL_ADDRESS alone is what any client (an API server, a UI)
    # has, so it counts only beside a worker's name.
    for container in workload.containers:
        names = [env.name for env in container.env]
        if any(name.endswith("TASK_QUEUE") for name in names):
            return "its containers set a task queue (TASK_QUEUE environment variable)"
        if any(name.startswith("TEMPORAL_") for name in names) and "worker" in words:
            return "its containers have TEMPORAL_* environment variables and a worker's name"
        # Settings from a ConfigMap or Secret (`envFrom`), as Go and Java worker charts often take them.
        if any("temporal" in source.lower() for source in container.env_from) and "worker" in words:
            return "its containers take Temporal settings from envFrom and it has a worker's name"
    # By the words alone, not a Kubernetes controller or operator that manages workers
    # (temporalio/temporal-worker-controller): it polls no task queue itself.
    if "temporal" in words and "worker" in words and not any(image in words for image in SERVER_IMAGES) \
            and not any(word in words for word in ("controller", "operator")):
        return "its name, labels or image say it is a Temporal worker"
    return None
