"""Which compose service runs which Python entrypoint, and whether Python is its PID 1.

The process a compose service starts is its own `entrypoint`/`command` over the image's
ENTRYPOINT/CMD. The image is only known exactly when the service builds it here (`build:`):
then the Dockerfile of that build context is the one read - never a Dockerfile guessed from
the image name, which may well be a third-party image.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import TypeVar

from tprlint.facts.compose import ComposeConfig, ComposeService, is_dev_compose, is_dev_service
from tprlint.facts.dockerfile import DockerfileFacts
from tprlint.link.commands import PythonLaunch, parse_launch
from tprlint.link.python_project import PythonProject, resolve_launch_target
from tprlint.model import Location
from tprlint.records import frozen

T = TypeVar("T")

# Base images known to set no ENTRYPOINT: a Dockerfile FROM one of them that sets none itself
# runs its CMD (or the compose command) directly as PID 1.
_NO_ENTRYPOINT_BASES = frozenset({
    "python", "pypy", "debian", "ubuntu", "alpine", "busybox", "fedora", "centos", "rockylinux", "almalinux",
    "amazonlinux", "archlinux", "oraclelinux", "scratch",
})
_OFFICIAL_PREFIXES = ("", "docker.io/", "docker.io/library/", "library/", "index.docker.io/library/")


@frozen
class ComposeLink:
    config: ComposeConfig
    service: ComposeService
    module: str  # module key of the entrypoint it runs
    launch: PythonLaunch
    evidence: Location  # where the command was found
    evidence_text: str  # e.g. "compose `command` `python -m shipping.main`"
    dockerfile: DockerfileFacts | None  # the Dockerfile of the service's build context, when found
    pid1_known: bool  # every layer in front of the program is known (no unknown image ENTRYPOINT)

    @property
    def python_is_pid1(self) -> bool:
        """Python receives the stop signal as PID 1: no init (`init: true`, tini, dumb-init) and no
        shell in front of it, and the image adds no ENTRYPOINT tprlint cannot see."""
        return self.pid1_known and self.launch.python_is_pid1 and self.service.init is not True


def build_dockerfile(service: ComposeService, dockerfiles: list[DockerfileFacts]) -> DockerfileFacts | None:
    """The Dockerfile of the service's `build:` context, exactly; None without a build, for a remote
    context or a `target:` stage (the facts describe the final stage only)."""
    build = service.build
    if build is None or build.context is None or build.dockerfile is None or build.target:
        return None
    folder = posixpath.dirname(service.file)
    wanted = posixpath.normpath(posixpath.join(folder, build.context, build.dockerfile))
    return next((d for d in dockerfiles if posixpath.normpath(d.path) == wanted), None)


def image_entrypoint_known(dockerfile: DockerfileFacts) -> bool:
    """Whether the image's ENTRYPOINT is known: set in the Dockerfile, or absent from a base image
    that has none (the official `python`, `debian`, `alpine`… images)."""
    if dockerfile.entrypoint is not None:
        return True
    if not dockerfile.stages:
        return False
    image = dockerfile.stages[-1].lower().split("@", 1)[0]
    repository = re.sub(r":[^/:]*$", "", image)
    return any(repository == f"{prefix}{base}" for prefix in _OFFICIAL_PREFIXES for base in _NO_ENTRYPOINT_BASES)


def service_argv(service: ComposeService, dockerfile: DockerfileFacts | None
                 ) -> tuple[tuple[str, ...], str, Location, bool]:
    """(argv, source, where, every layer known) of the process the service starts."""
    if service.entrypoint is not None:
        # An `entrypoint` also clears the image's CMD: the compose `command` are its only arguments.
        argv = service.entrypoint + (service.command or ())
        return argv, "compose `entrypoint`", service.where(service.entrypoint_location), True
    known = dockerfile is not None and image_entrypoint_known(dockerfile)
    image_entry = dockerfile.entrypoint if dockerfile is not None else None
    if service.command is not None:
        return (image_entry or ()) + service.command, "compose `command`", service.where(service.command_location), \
            known
    if dockerfile is None:
        return (), "", service.location, False
    argv = (image_entry or ()) + (dockerfile.cmd or ())
    where = dockerfile.cmd_location or dockerfile.entrypoint_location or Location(dockerfile.path)
    return argv, f"Dockerfile {'CMD' if dockerfile.cmd else 'ENTRYPOINT'} ({dockerfile.path})", where, known


def link_compose(configs: list[ComposeConfig], dockerfiles: list[DockerfileFacts],
                 project: PythonProject) -> list[ComposeLink]:
    links: list[ComposeLink] = []
    for config in configs:
        for service in config.services:
            dockerfile = build_dockerfile(service, dockerfiles)
            argv, source, where, known = service_argv(service, dockerfile)
            launch = parse_launch(argv) if argv else None
            if launch is None or launch.target_kind not in ("module", "script"):
                continue
            module = resolve_launch_target(project, launch.target_kind, launch.target)
            if module is None and dockerfile is not None:
                module = _resolve_in_context(project, launch, posixpath.dirname(dockerfile.path))
            if module is not None:
                links.append(ComposeLink(config, service, module, launch, where,
                                         f"{source} `{launch.description}`", dockerfile, known))
    return links


def _resolve_in_context(project: PythonProject, launch: PythonLaunch, context: str) -> str | None:
    """A launch target the whole tree finds ambiguously (each service of a monorepo has its own
    `app/worker.py`), looked for in the build context the image is built from: the module at the
    context's root first, else the only one inside it."""
    if launch.target_kind == "module":
        dotted = launch.target.replace(".", "/")
        keys: tuple[str, ...] = (f"{dotted}/__main__", dotted)
    else:
        keys = (launch.target.strip("/").removesuffix(".py"),)
    prefix = f"{context}/" if context not in ("", ".") else ""
    for key in keys:
        candidates = project.resolve_module("mod:" + key.replace("/", "."))
        exact = [c for c in candidates if c == f"path:{prefix}{key}"]
        if len(exact) == 1:
            return exact[0]
        inside = [c for c in candidates if c.startswith(f"path:{prefix}")]
        if len(inside) == 1:
            return inside[0]
    return None


@frozen
class ServiceEnv:
    """The environment a service gives its process, as far as tprlint can know it."""

    known: dict[str, str]
    unknown: frozenset[str]  # set, but to a value tprlint cannot know (the host's, `${VAR}`)
    env_files: tuple[str, ...]  # their content is not read: any name not in `environment` may be set there
    declared: frozenset[str]  # names the compose `environment` sets

    def is_unknown(self, name: str) -> bool:
        return name in self.unknown or (bool(self.env_files) and name not in self.declared)


def compose_env(link: ComposeLink) -> ServiceEnv:
    """Compose `environment` beats `env_file`, which beats the image's ENV."""
    known: dict[str, str] = {}
    unknown: set[str] = set()
    if link.dockerfile is not None:
        for name, value in link.dockerfile.env.items():
            if "$" in value:
                unknown.add(name)  # `ENV X=$Y` expands at build time
            else:
                known[name] = value
    for env in link.service.environment:
        if env.value is None:
            unknown.add(env.name)
            known.pop(env.name, None)
        else:
            known[env.name] = env.value
            unknown.discard(env.name)
    declared = frozenset(e.name for e in link.service.environment)
    return ServiceEnv(known, frozenset(unknown), link.service.env_files, declared)


def links_by_service(links: list[ComposeLink]) -> dict[tuple[int, str], ComposeLink]:
    """Links keyed by (configuration identity, service name)."""
    return {(id(link.config), link.service.name): link for link in links}


def production_configs(configs: list[ComposeConfig]) -> list[ComposeConfig]:
    """Configurations none of whose files is named or placed as dev/test/CI/example tooling."""
    return [c for c in configs if not any(_is_test_file(f) or is_dev_compose(f) for f in c.files)]


def _is_test_file(path: str) -> bool:
    return bool(re.search(r"(^|/)(tests?|testing)/", path))


def per_service(configs: list[ComposeConfig], check: Callable[[ComposeConfig, ComposeService], T | None]
                ) -> Iterator[T]:
    """``check`` on every service of every production configuration. A folder's files can run in several
    configurations (base + override, base + a variant); a result is yielded once, and only when the
    check holds in every configuration that runs the service - a production overlay that fixes the
    problem means the deployment does not have it."""
    groups: dict[tuple[str, str], list[tuple[ComposeConfig, ComposeService]]] = {}
    for config in production_configs(configs):
        for service in config.services:
            if not is_dev_service(service):
                groups.setdefault((config.folder, service.name), []).append((config, service))
    for _, members in sorted(groups.items()):
        # A chain the repository writes down (COMPOSE_FILE, `-f a -f b` in a Makefile) is run that way:
        # a problem there is one, whatever the other configurations do.
        written = [check(config, service) for config, service in members if config.written_in]
        if any(result is not None for result in written):
            yield next(result for result in written if result is not None)
            continue
        results = [check(config, service) for config, service in members]
        first = results[0]
        if first is not None and all(result is not None for result in results):
            yield first


def in_config(config: ComposeConfig) -> str:
    """For messages: which files a merged configuration combines (`" (in compose.yaml + compose.prod.yaml)"`)."""
    return f" (in {config.label})" if len(config.files) > 1 else ""
