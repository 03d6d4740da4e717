"""docker-compose rules: TPR602 (stop_grace_period against the worker's drain), and the compose
parts of the Temporal server rules TPR503, TPR509 and TPR510 and of TPR412 (``compose_*`` functions, not
registered here: each id maps to one function, which the server rule module wires them into).

A folder's compose files can run in several configurations (base + override, base + a variant
such as `docker-compose.prod.yml`). A finding is reported only when every production
configuration that has the service shows the problem: a variant that fixes it (a production
overlay setting `stop_grace_period`) means it is not a problem of the deployment. Configurations
of files named or placed as dev/test/CI tooling are not production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from tprlint.facts.compose import COMPOSE_DEFAULT_GRACE, ComposeConfig, ComposeEnv, ComposeService, is_dev_service
from tprlint.facts.python.values import describe_seconds
from tprlint.link.compose_links import compose_env, in_config, links_by_service, per_service, production_configs
from tprlint.model import Location, RelatedLocation
from tprlint.rules.context import Hit, Project
from tprlint.rules.drain import drain_text, longest_drain, undecided_drain

# -- TPR602 -------------------------------------------------------------------------------------


def compose_stop_grace_shorter_than_drain(project: Project) -> Iterator[Hit]:
    """TPR602: `docker compose stop` SIGKILLs the worker before it has finished draining."""
    links = links_by_service(project.compose_links)
    margin = project.config.thresholds.grace_margin_seconds

    def check(config: ComposeConfig, service: ComposeService) -> Hit | None:
        link = links.get((id(config), service.name))
        if link is None:
            return None
        workers = project.workers_run_by(link.module)
        env = compose_env(link)
        what = f"compose service {service.name}"
        if not workers:
            return None
        consulted = _Consulted(env.known)
        resolved = [replace(w, graceful=project.python.graceful_with(w, consulted)) for w in workers]
        # A settings field is read case-insensitively (pydantic's default): `WORKER_DRAIN_SECONDS` in
        # `environment` sets `drain_seconds` of `env_prefix="WORKER_"`.
        given = {name.lower() for name in env.known}
        unknown = sorted(name for name in consulted.asked if env.is_unknown(name) and name.lower() not in given)
        if unknown:  # a timeout read from a variable whose value is not in the file
            project.undecided("TPR602", what, f"the drain comes from ${unknown[0]}, whose value is not in the file",
                              service.location)
            return None
        drain = longest_drain(resolved)
        if drain is None:  # some worker's timeout is unknown: never guess, but say so
            project.undecided("TPR602", what, undecided_drain(resolved), service.location)
            return None
        if service.stop_grace_period is None and service.unresolved:
            project.undecided("TPR602", what, f"its stop_grace_period may come from {service.unresolved}",
                              service.location)
            return None
        if service.stop_grace_period is not None and service.stop_grace_seconds is None:
            project.undecided("TPR602", what, f"stop_grace_period {service.stop_grace_period!r} could not be read",
                              service.stop_grace_location or service.location)
            return None
        seconds, worker = drain
        needed = seconds + margin
        grace = COMPOSE_DEFAULT_GRACE if service.stop_grace_seconds is None else service.stop_grace_seconds
        if grace > needed:
            return None
        if service.stop_grace_period is None:
            grace_text = f"{describe_seconds(grace)} (the compose default; not set)"
        else:
            note = f" ({service.stop_grace_note})" if service.stop_grace_note else ""
            grace_text = f"`{service.stop_grace_period}` = {describe_seconds(grace)}{note}"
        module_path = project.python.modules[link.module].path
        related = (
            RelatedLocation(worker.location, f"Worker with graceful_shutdown_timeout {drain_text(worker)}"),
            RelatedLocation(link.evidence, f"links compose service {service.name} to {module_path} via "
                            f"{link.evidence_text}"),
        )
        return Hit(
            service.where(service.stop_grace_location),
            f"Compose service `{service.name}`{in_config(config)} gives its container stop_grace_period "
            f"{grace_text}, but the worker it runs ({worker.location.path}:{worker.location.line}) drains for up "
            f"to {drain_text(worker)} + {describe_seconds(margin)} margin = {describe_seconds(needed)}: "
            f"`docker compose stop`/`down` and every `up` that recreates the container SIGKILL it mid-drain, "
            f"and running activities are lost until their timeouts expire. Set `stop_grace_period: "
            f"{int(needed) + 1}s` on the service.",
            related=related,
            anchor=f"{service.ref}/stop_grace_period",
        )

    yield from per_service(project.compose_configs, check)


class _Consulted(dict[str, str]):
    """The service's known environment, noting every variable the folding of a drain asks for: an
    `os.environ` read, a settings field read from `env_prefix` + its name, a constant imported from
    another module that reads one. Asked means the drain depends on it."""

    def __init__(self, known: dict[str, str]) -> None:
        super().__init__(known)
        self.asked: set[str] = set()

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked.add(name)
        return super().__contains__(name)


# -- compose parts of the server rules (TPR503, TPR509, TPR510), wired by the server module ------

_SERVER_REPOS = ("temporalio/server", "temporalio/auto-setup", "temporalio/admin-tools", "temporalio/ui")
_DB_PASSWORD = re.compile(r"PASSWORD|PASSWD|(^|_)PWD$", re.IGNORECASE)


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """(repository without registry, tag or None, digest or None) of an image reference."""
    reference, _, digest = image.strip().partition("@")
    parts = reference.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    last = parts[-1] if parts else ""
    name, colon, tag = last.partition(":")
    repository = "/".join([*parts[:-1], name]).lower()
    repository = repository.removeprefix("library/")
    return repository, (tag if colon else None), (digest or None)


def _is_repo(repository: str, wanted: str) -> bool:
    """``temporalio/auto-setup``, also behind a mirror path (``mirror/temporalio/auto-setup``)."""
    return repository == wanted or repository.endswith("/" + wanted)


def server_repo(service: ComposeService) -> str | None:
    """The Temporal server, UI or admin-tools repository a service's image is of, or None."""
    if service.image is None:
        return None
    repository = image_parts(service.image)[0]
    return next((r for r in _SERVER_REPOS if _is_repo(repository, r)), None)


def compose_dev_server(project: Project) -> Iterator[Hit]:
    """TPR503 (compose part): a dev-only Temporal server in a compose file."""

    def check(config: ComposeConfig, service: ComposeService) -> Hit | None:
        words = [w.lower() for w in (*(service.entrypoint or ()), *(service.command or ()))]
        text = " ".join(words)
        repository = image_parts(service.image)[0] if service.image else ""
        if _is_repo(repository, "temporalio/auto-setup"):
            what, where = "the `temporalio/auto-setup` image", service.image_location
            why = ("it is deprecated, receives no updates, and sets the schema and namespaces up on every start - "
                   "it was never meant for production")
        elif re.search(r"(^|\s)server\s+start-dev(\s|$)", text) or re.search(r"(^|/)temporal\s+server\s+start-dev",
                                                                              text):
            what = "`temporal server start-dev`"
            where = service.command_location or service.entrypoint_location
            why = "the development server keeps its state in SQLite (in memory by default) on one node"
        elif "temporalite" in repository or any("temporalite" in w for w in words):
            what, where = "temporalite", service.image_location or service.command_location
            why = "temporalite is a retired single-process development server"
        else:
            return None
        return Hit(
            service.where(where),
            f"Compose service `{service.name}`{in_config(config)} runs a development Temporal server ({what}): "
            f"{why}. Nothing survives a lost volume or node, and it cannot be scaled or upgraded safely. Run "
            "`temporalio/server` (frontend, history, matching, worker) against a replicated PostgreSQL, MySQL or "
            "Cassandra, with schemas managed by `temporalio/admin-tools`, or use Temporal Cloud. If this file "
            "is only your local setup, say so: name it `compose.dev.yaml` (or `docker-compose.dev.yml`), or give "
            "the service `profiles: [dev]`, and tprlint will not judge it as production.",
            anchor=f"{service.ref}/dev-server",
        )

    yield from per_service(project.compose_configs, check)


def compose_plaintext_db_password(project: Project) -> Iterator[Hit]:
    """TPR509 (compose part): a database password written into a Temporal server service's environment."""
    for config in production_configs(project.compose_configs):
        for service in config.services:
            if server_repo(service) is None or is_dev_service(service):
                continue
            for env in service.environment:
                if not (env.secret_literal and _DB_PASSWORD.search(env.name)):
                    continue
                if not _literal_in_every_config(project, config, service.name, env.name):
                    continue
                yield Hit(
                    env.location,
                    f"Compose service `{service.name}` ({service.image}) sets `{env.name}` to a literal value in "
                    f"{env.location.path}: everyone who can read the repository, its history or CI logs has the "
                    f"database password of the Temporal cluster. Read it from outside the file: `{env.name}: "
                    f"${{{env.name}:?}}` with the value in the deploy environment or an untracked `.env` file, or "
                    "mount a compose `secrets:` file - then rotate the password. The value is not shown in this "
                    "report.",
                    anchor=f"{service.ref}/env/{env.name}",
                    redact_source=True,
                )


def with_compose_part(manifests: Callable[[Project], Iterable[Hit]],
                      compose_part: Callable[[Project], Iterable[Hit]]) -> Callable[[Project], Iterator[Hit]]:
    """One rule id, two inputs: Kubernetes manifests and docker-compose files."""

    def rule(project: Project) -> Iterator[Hit]:
        yield from manifests(project)
        yield from compose_part(project)

    rule.__doc__ = manifests.__doc__
    return rule


def compose_secret_in_plain_env(project: Project) -> Iterator[Hit]:
    """TPR412 (compose part): a credential written into any compose service's environment, judged as
    Kubernetes env is. A Temporal server's database password is TPR509's (compose part). A variable
    that several services share through a YAML anchor (``<<: *common-env``) is one line: one finding,
    naming each service."""
    found: dict[tuple[Location, str], list[tuple[ComposeService, ComposeEnv]]] = {}
    for config in production_configs(project.compose_configs):
        for service in config.services:
            if is_dev_service(service):
                continue
            for env in service.environment:
                if not env.literal_secret or (server_repo(service) is not None and env.secret_literal
                                              and _DB_PASSWORD.search(env.name)):
                    continue
                if _literal_in_every_config(project, config, service.name, env.name, judged=True):
                    found.setdefault((env.location, env.name), []).append((service, env))
    for (location, name), uses in found.items():
        service, env = uses[0]
        services = " and ".join(f"`{s.name}`{f' ({s.image})' if s.image else ''}" for s, _ in uses)
        what = {"private-key": "holds a private key in a literal value",
                "url-password": "holds a URL with a password in a literal value"}.get(
                    env.literal_secret, "has a literal value")
        yield Hit(
            location,
            f"Environment variable {name} of compose service{'s' if len(uses) > 1 else ''} {services} {what}: "
            "anyone who can read the repository, its history or CI logs has the credential. Read it from "
            f"outside the file - `{name}: ${{{name}:?}}` with the value in the deploy environment or an "
            "untracked `.env` file, or a compose `secrets:` file (many images read `<NAME>_FILE`) - then "
            "rotate it. The value is not shown in this report.",
            anchor=f"{service.ref}/env/{name}",
            redact_source=True,
        )


def _literal_in_every_config(project: Project, first: ComposeConfig, service: str, name: str,
                             judged: bool = False) -> bool:
    """Report a password once per (folder, service), and only when no configuration replaces it
    (``judged``: by the Kubernetes judgement, ``ComposeEnv.literal_secret``)."""
    configs = [c for c in production_configs(project.compose_configs) if c.folder == first.folder
               and any(s.name == service for s in c.services)]
    if configs[0] is not first:
        return False
    for config in configs:
        found = next(s for s in config.services if s.name == service).env(name)
        if found is None or not (found.literal_secret if judged else found.secret_literal):
            return False
    return True


def compose_server_image_unpinned(project: Project) -> Iterator[Hit]:
    """TPR510 (compose part): a Temporal server/ui/admin-tools image with `latest` or no tag."""

    def check(config: ComposeConfig, service: ComposeService) -> Hit | None:
        wanted = server_repo(service)
        if wanted is None or service.image is None:
            return None  # not a Temporal image
        _, tag, digest = image_parts(service.image)
        # A tag or digest from a variable tprlint cannot know is one, whatever its value (`:${TAG}`).
        if digest or (tag is not None and tag.lower() != "latest"):
            return None
        problem = "no tag (so `latest`)" if tag is None else "the tag `latest`"
        return Hit(
            service.where(service.image_location),
            f"Compose service `{service.name}`{in_config(config)} runs `{service.image}` with {problem}: every "
            f"pull may bring another Temporal version - an unplanned server upgrade (schema upgrades must run "
            f"first, and minor versions must not be skipped) or server, admin-tools and UI versions that do not "
            f"match. Pin a version tag, e.g. `{wanted}:<version>`, or a digest (`@sha256:…`).",
            anchor=f"{service.ref}/image",
        )

    yield from per_service(project.compose_configs, check)


RULES = {"TPR602": compose_stop_grace_shorter_than_drain}
