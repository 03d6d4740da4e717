"""Cross-artifact rules (TPR6xx): the worker code against the workload that runs it."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from dataclasses import replace

from tprlint.facts.compose import COMPOSE_DEFAULT_GRACE, ComposeConfig, ComposeService
from tprlint.facts.python.values import describe_seconds
from tprlint.link.commands import PythonLaunch
from tprlint.link.compose_links import image_entrypoint_known, in_config, links_by_service, per_service
from tprlint.link.python_project import PythonProject, ResolvedWorker
from tprlint.link.workloads import WorkloadLink, deployed_images, dockerfile_for_image, dockerfile_names
from tprlint.model import Location, RelatedLocation
from tprlint.rules.context import Hit, Project, is_test_path
from tprlint.rules.drain import drain_text, longest_drain, undecided_drain
from tprlint.rules.kubernetes import POD_DEFAULT_GRACE


def grace_period_shorter_than_drain(project: Project) -> Iterator[Hit]:
    """TPR601: the pod is SIGKILLed before the worker has finished draining."""
    margin = project.config.thresholds.grace_margin_seconds
    for workload in project.workloads:
        if project.development(workload):
            continue
        links = project.worker_links(workload)
        reason = project.classification(workload) or ""
        if not links and reason.startswith("Temporal worker"):
            # A worker tprlint cannot tie to its code: its grace period is not known to cover the drain.
            project.undecided("TPR601", f"{workload.kind} {workload.name}", "it runs a Temporal worker, but "
                              "tprlint cannot tell which code (name the module in [[tool.tprlint.links]]), so "
                              "its grace period cannot be compared with the drain",
                              workload.grace_period_location or workload.pod_spec_location)
        for link, workers in links:
            env = {e.name: e.value for e in link.container.env if e.value is not None and not e.from_ref}
            drain = longest_drain([replace(w, graceful=project.python.graceful_with(w, env)) for w in workers])
            if drain is None:  # some worker's timeout is unknown: never guess, but say so
                project.undecided("TPR601", f"{workload.kind} {workload.name}", undecided_drain(
                    [replace(w, graceful=project.python.graceful_with(w, env)) for w in workers]),
                    workload.grace_period_location or workload.pod_spec_location)
                continue
            seconds, worker = drain
            prestop = link.container.prestop_sleep_seconds or 0.0
            needed = seconds + prestop + margin
            grace = workload.grace_period_seconds
            effective = POD_DEFAULT_GRACE if grace is None else grace
            if effective > needed:
                continue
            grace_text = f"{effective} s" + (" (the Kubernetes default; not set)" if grace is None else "")
            prestop_text = f" + preStop sleep {describe_seconds(prestop)}" if prestop else ""
            related = [
                RelatedLocation(worker.location, f"Worker with graceful_shutdown_timeout {drain_text(worker)}"),
                RelatedLocation(link.evidence, f"links {workload.kind} {workload.name} to "
                                f"{project.python.modules[link.module].path} via {link.evidence_text}"),
            ]
            yield Hit(
                workload.grace_period_location or workload.pod_spec_location,
                f"{workload.kind} {workload.name} gives its pods terminationGracePeriodSeconds {grace_text}, "
                f"but the worker it runs ({worker.location.path}:{worker.location.line}) drains for up to "
                f"{drain_text(worker)}{prestop_text} + {describe_seconds(margin)} margin = "
                f"{describe_seconds(needed)}: Kubernetes SIGKILLs the pod mid-drain and running activities "
                f"are lost until their timeouts expire. {_grace_advice(needed)}",
                related=tuple(related),
                anchor=f"{workload.ref}/{link.container.name}",
            )


def _grace_advice(needed: float) -> str:
    if math.isfinite(needed) and needed < 1e12:
        return f"Set terminationGracePeriodSeconds to at least {int(needed) + 1}."
    # `sleep infinity` (or a sleep of thousands of digits) in preStop: no grace period is long enough.
    return "No grace period covers an unbounded wait: bound the preStop sleep, then set " \
           "terminationGracePeriodSeconds above the total."


# -- TPR603 ------------------------------------------------------------------------------------

# Standard-library modules that serve HTTP (or load code by name, which may).
_HTTP_STDLIB = ("http.server", "wsgiref", "socketserver", "xmlrpc")
_DYNAMIC_LOADERS = frozenset({"importlib", "pkgutil", "runpy", "imp", "zipimport"})
_SAFE_IMPORTLIB = frozenset({"importlib.metadata", "importlib.resources", "importlib.abc"})
# Third-party packages that never start an HTTP server themselves (clients, drivers, data, logging,
# telemetry exporters that push). Any package not listed may, so the process is not judged.
_INERT_PACKAGES = frozenset({
    "pydantic", "pydantic_settings", "pydantic_core", "attr", "attrs", "cattrs", "msgspec", "marshmallow", "dacite",
    "dataclasses_json", "typing_extensions", "annotated_types", "structlog", "loguru", "sentry_sdk", "logfire",
    "opentelemetry", "ddtrace", "datadog", "newrelic", "httpx", "requests", "urllib3", "certifi", "idna",
    "charset_normalizer", "boto3", "botocore", "aioboto3", "aiobotocore", "s3fs", "fsspec", "smart_open", "google",
    "azure", "sqlalchemy", "alembic", "asyncpg", "psycopg", "psycopg2", "pymysql", "aiomysql", "aiosqlite", "redis",
    "motor", "pymongo", "orjson", "ujson", "yaml", "ruamel", "toml", "tomli", "tomli_w", "dotenv", "environs",
    "decouple", "dynaconf", "tenacity", "backoff", "stripe", "openai", "anthropic", "jinja2", "click", "typer",
    "rich", "dateutil", "pytz", "tzdata", "jwt", "cryptography", "nacl", "numpy", "pandas", "polars", "pyarrow",
    "kafka", "aiokafka", "confluent_kafka", "pika", "aio_pika", "slack_sdk", "twilio", "sendgrid", "jsonschema",
    "msgpack", "six", "packaging", "humanize", "tabulate", "tqdm", "more_itertools", "toolz", "cachetools",
    "anyio", "sniffio", "uvloop", "aiofiles", "paramiko", "asyncssh", "lxml", "bs4", "PIL", "nanoid", "ulid",
    "shortuuid", "slugify",
})
_AIOHTTP_CLIENT = frozenset({
    "ClientSession", "ClientTimeout", "ClientError", "ClientResponseError", "ClientResponse", "TCPConnector",
    "BasicAuth", "FormData", "ClientConnectorError", "ServerDisconnectedError", "ContentTypeError", "hdrs",
})
_LOCAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'\"]*)?")
_PROBE_EFFECT = {
    "readiness": "the pod never becomes Ready, so it gets no traffic and a rollout never completes",
    "liveness": "the kubelet kills and restarts the worker every few periods, in the middle of its activities",
    "startup": "the container never finishes starting and is restarted in a loop",
}
_NO_HTTP_FIX = (
    "Use an exec probe instead (a file the worker touches while it polls, e.g. `exec: {command: [\"test\", "
    "\"-f\", \"/tmp/worker-ready\"]}`), or serve the path from the worker process (a small aiohttp or "
    "`http.server` endpoint on a background task)."
)


def probe_path_not_served(project: Project) -> Iterator[Hit]:
    """TPR603: an HTTP probe or healthcheck against a worker process that serves no HTTP at all."""
    for workload in project.workloads:
        if len(workload.containers) != 1 or project.development(workload):
            continue  # another container of the pod may serve the probed port
        for link, _workers in project.worker_links(workload):
            probes = [p for p in link.container.probes if p.http_path is not None]
            if not probes or link.launch is None or _through_shell(link.launch):
                continue
            checked = serves_no_http(project, link.module)
            if checked is None:
                continue
            module_path = project.python.modules[link.module].path
            for probe in probes:
                port = f" on port {probe.port}" if probe.port else ""
                yield Hit(
                    probe.location,
                    f"The {probe.kind}Probe of container {link.container.name} in {workload.kind} {workload.name} "
                    f"requests HTTP GET {probe.http_path}{port}, but the process it runs ({link.evidence_text}, "
                    f"{module_path}) starts no HTTP server: {checked}. The probe can never succeed - "
                    f"{_PROBE_EFFECT.get(probe.kind, 'the probe fails forever')}. {_NO_HTTP_FIX}",
                    related=(RelatedLocation(link.evidence, f"links {workload.kind} {workload.name} to {module_path} "
                                             f"via {link.evidence_text}"),),
                    anchor=f"{workload.ref}/{link.container.name}/{probe.kind}Probe",
                )
    links = links_by_service(project.compose_links)

    def check(config: ComposeConfig, service: ComposeService) -> Hit | None:
        link = links.get((id(config), service.name))
        check_ = service.healthcheck
        if link is None or check_ is None or check_.disabled or check_.test is None or _through_shell(link.launch):
            return None
        url = next((m for m in (_LOCAL_URL.search(word) for word in check_.test) if m), None)
        if url is None or not project.workers_run_by(link.module):
            return None
        checked = serves_no_http(project, link.module)
        if checked is None:
            return None
        module_path = project.python.modules[link.module].path
        return Hit(
            check_.location,
            f"The healthcheck of compose service `{service.name}`{in_config(config)} requests {url.group(0)}, but "
            f"the process it runs ({link.evidence_text}, {module_path}) starts no HTTP server: {checked}. The "
            f"container is reported `unhealthy` forever, services that `depends_on` it with `condition: "
            f"service_healthy` never start, and orchestrators that act on health restart it. Use a healthcheck "
            f"that needs no HTTP (`test: [\"CMD\", \"test\", \"-f\", \"/tmp/worker-ready\"]`, a file the worker "
            f"touches while it polls), or serve the path from the worker process.",
            related=(RelatedLocation(link.evidence, f"links compose service {service.name} to {module_path} via "
                                     f"{link.evidence_text}"),),
            anchor=f"{service.ref}/healthcheck",
        )

    yield from per_service(project.compose_configs, check)


def _through_shell(launch: PythonLaunch) -> bool:
    """`sh -c "… & exec python -m worker"`: other commands of the script may serve the port."""
    return " -c" in launch.description


def serves_no_http(project: Project, module_key: str) -> str | None:
    """Why the process running ``module_key`` certainly starts no HTTP server, or None when it may.

    Known only when every module of the process can be read, none registers a route or opens a server, and every
    package they import is on a short list of packages that never serve HTTP (the standard library
    without `http.server` & co, Temporal without its Prometheus endpoint, clients and drivers)."""
    python = project.python
    closure = python.closure(module_key)
    # Per module, once for every process that imports it: workloads share most of their modules.
    inert: dict[str, bool] = project.derived("modules that import only inert packages", lambda _: {})
    for key in closure:  # the imports first: they settle most processes without parsing a module
        if key not in inert:
            inert[key] = _imports_only_inert(python, key)
        if not inert[key]:
            return None
    for key in closure:  # then every module that may register a route or open a server
        module = python.modules.get(key)
        # Not parsed: none of the words a route or a server takes is in it (discover.imports).
        if module is not None and (module.process.health_routes or module.process.opens_server):
            return None
    what = "a web framework, `http.server`, a Prometheus endpoint or another package that could serve one"
    others = len(closure) - 1
    if others == 0:
        return f"it imports no {what.removeprefix('a ')}"
    modules = "the project module" if others == 1 else f"any of the {others} project modules"
    return f"neither it nor {modules} it imports uses {what}"


def _imports_only_inert(python: PythonProject, key: str) -> bool:
    """Whether the module can be read and imports nothing but project modules and inert packages."""
    known = python.imports_of(key)
    if known is None:
        return False  # a module tprlint cannot read
    path, imports = known
    # A project module is part of the closure, checked in turn.
    return all(python.importable(path, imported.key) or _inert_import(imported.key, imported.names)
               for imported in imports)


def _inert_import(key: str, names: tuple[str, ...]) -> bool:
    if not key.startswith("mod:"):
        return False  # a relative import tprlint could not place
    dotted = key[len("mod:"):]
    root = dotted.split(".")[0]
    full = {dotted, *(f"{dotted}.{name}" for name in names)}
    if any(f == served or f.startswith(served + ".") for f in full for served in _HTTP_STDLIB):
        return False
    if root in _DYNAMIC_LOADERS:
        return dotted in _SAFE_IMPORTLIB or (dotted == "importlib" and bool(names)
                                            and all(f"importlib.{n}" in _SAFE_IMPORTLIB for n in names))
    if root in sys.stdlib_module_names:
        return True
    if root == "temporalio":
        # The SDK's Prometheus endpoint (`PrometheusConfig(bind_address=...)`) answers every path.
        if "PrometheusConfig" in names or (dotted == "temporalio" and "runtime" in names):
            return False
        return dotted != "temporalio.runtime" or bool(names)  # `import temporalio.runtime`: any use
    if root == "aiohttp":
        return dotted == "aiohttp" and bool(names) and set(names) <= _AIOHTTP_CLIENT
    return root in _INERT_PACKAGES


# -- TPR604 ------------------------------------------------------------------------------------

_TERM_SIGNALS = frozenset({"SIGTERM", "TERM", "15"})


def pid1_without_signal_handling(project: Project) -> Iterator[Hit]:
    """TPR604: a command that makes Python PID 1 in front of code that never handles SIGTERM."""
    seen: set[Location] = set()
    for link in project.links:
        launch = link.launch
        workload = link.workload
        if (launch is None or not launch.python_is_pid1 or not _k8s_argv_known(project, link)
                or project.development(workload)):
            continue
        if workload.share_process_namespace:
            continue  # the pause container is PID 1: an unhandled SIGTERM kills Python at once
        workers = ignores_sigterm(project, link.module)
        if workers is None or link.evidence in seen:
            continue
        seen.add(link.evidence)
        grace = (f"{workload.grace_period_seconds} s later (terminationGracePeriodSeconds)"
                 if workload.grace_period_seconds is not None
                 else f"{POD_DEFAULT_GRACE} s later (the default terminationGracePeriodSeconds)")
        module_path = project.python.modules[link.module].path
        yield Hit(
            link.evidence,
            f"{workload.kind} {workload.name} starts Python as PID 1 ({link.evidence_text}) and the code it runs "
            f"({module_path}) installs no SIGTERM handler. The kernel never applies SIGTERM's default action to "
            f"PID 1, so the stop signal is ignored: on every rollout, scale-in or node drain the worker keeps "
            f"polling and starting tasks until Kubernetes SIGKILLs it {grace}, and the activities it is running "
            f"are lost. {_PID1_FIX_CODE} Also run "
            f"Python behind an init that forwards signals (`command: [\"tini\", \"--\", \"python\", ...]` with "
            f"tini in the image, or `shareProcessNamespace: true` on the pod).",
            related=(RelatedLocation(workers[0].location, "the Worker this process runs"),),
            anchor=f"{workload.ref}/{link.container.name}/pid1",
        )
    links = links_by_service(project.compose_links)

    def check(config: ComposeConfig, service: ComposeService) -> Hit | None:
        link = links.get((id(config), service.name))
        if link is None or not link.python_is_pid1:
            return None
        if service.stop_signal is not None and service.stop_signal.upper() not in _TERM_SIGNALS:
            return None  # e.g. SIGINT, which Python handles by default (KeyboardInterrupt)
        workers = ignores_sigterm(project, link.module)
        if workers is None:
            return None
        grace = COMPOSE_DEFAULT_GRACE if service.stop_grace_seconds is None else service.stop_grace_seconds
        module_path = project.python.modules[link.module].path
        return Hit(
            link.evidence,
            f"Compose service `{service.name}`{in_config(config)} starts Python as PID 1 ({link.evidence_text}) "
            f"and the code it runs ({module_path}) installs no SIGTERM handler. The kernel never applies "
            f"SIGTERM's default action to PID 1, so `docker compose stop`/`down` is ignored until Docker SIGKILLs "
            f"the container {describe_seconds(grace)} later (stop_grace_period), and the activities it is "
            f"running are lost. {_PID1_FIX_CODE} Also add `init: true` to the service, so Docker's init forwards "
            f"the signal to Python.",
            related=(RelatedLocation(workers[0].location, "the Worker this process runs"),),
            anchor=f"{service.ref}/pid1",
        )

    for hit in per_service(project.compose_configs, check):
        if hit.location not in seen:  # services sharing one Dockerfile CMD: report the line once
            seen.add(hit.location)
            yield hit


_PID1_FIX_CODE = (
    "Handle SIGTERM in the worker process - `loop.add_signal_handler(signal.SIGTERM, stop.set)`, then "
    "`await worker.shutdown()` (or leave `async with Worker(...)`) when `stop` is set - so it drains (TPR103)."
)


def _k8s_argv_known(project: Project, link: WorkloadLink) -> bool:
    """Is everything in front of Python known? A container `command` replaces the image's
    ENTRYPOINT; without one, the image's must be known from its Dockerfile."""
    if link.container.command is not None:
        return True
    deployed, names = project.derived("images and Dockerfiles", lambda p: (
        deployed_images(p.workloads), dockerfile_names(p.dockerfiles)))
    dockerfile = dockerfile_for_image(link.container.image, project.dockerfiles, deployed, names)
    return dockerfile is not None and image_entrypoint_known(dockerfile)


def ignores_sigterm(project: Project, module_key: str) -> list[ResolvedWorker] | None:
    """The Workers of a process that runs them with no SIGTERM handler anywhere in its modules
    (the same judgement as TPR103), or None."""
    python = project.python
    module = python.modules.get(module_key)
    if module is None or is_test_path(module.path):
        return None
    closure = python.closure(module_key)
    workers = [w for w in python.workers_in(closure) if not is_test_path(w.location.path)]
    parsed = [python.modules[m] for m in closure if m in python.modules]
    # Another entrypoint's run sits behind its own main guard: importing it does not run its Worker.
    runs = [run for m in parsed if m is module or not m.is_entrypoint for run in python.runs(m)]
    if not workers or not runs or any(h.handles_sigterm for m in parsed for h in m.signal_handlers):
        return None
    return workers


RULES = {
    "TPR601": grace_period_shorter_than_drain,
    "TPR603": probe_path_not_served,
    "TPR604": pid1_without_signal_handling,
}
