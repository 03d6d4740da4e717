"""Rules on client connections, credentials and SDK metrics (TPR3xx).

Where a connection goes decides what is wrong with it, so every rule starts from the folded target:

* **loopback** (``localhost``, ``127.*``, ``::1``, ``0.0.0.0``, ``host.docker.internal``): a
  development server; nothing is reported about TLS, namespaces or codecs.
* **service name** without a dot (``temporal:7233``, ``temporal-frontend:7233``): the docker-compose
  (or same-namespace Kubernetes) idiom; tprlint cannot tell a laptop from a cluster, so it stays quiet.
* **in-cluster** (``*.svc``, ``*.svc.cluster.local``, ``*.local``, ``service.namespace``): a
  Kubernetes service. Plaintext to it is not reported (a service mesh often adds mTLS that tprlint
  cannot see), but it is a real server: namespace and codec notes apply.
* **network** (any other FQDN, any non-loopback IP) and **cloud** (``*.tmprl.cloud``,
  ``*.api.temporal.io``): remote; every rule applies.

A target tprlint cannot resolve (read from the environment without a default, a function result, an
envconfig profile) is never judged. An environment default counts as the value, except that a
loopback default is a development default and the deployment is assumed to set the variable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

from tprlint.facts.python.clients import CREDENTIAL_KINDS, TELEMETRY_CONFIG, ClientConnect, Credential
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.values import Expr, Lit, Missing, Obj, Ref, Seq, Sym
from tprlint.link.python_project import PythonProject
from tprlint.model import Location, RelatedLocation
from tprlint.records import frozen
from tprlint.rules.context import Hit, Project, is_test_path

CLOUD_SUFFIXES = (".tmprl.cloud", ".api.temporal.io")
_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local", ".local")
_LOOPBACK_NAMES = ("localhost", "host.docker.internal", "0.0.0.0", "::", "::1")
# Top-level domains seen in real endpoints: a two-label name ending in one of these (or in any
# two-letter country code) is a public host; otherwise `frontend.temporal` is service.namespace.
_PUBLIC_TLDS = frozenset({
    "com", "net", "org", "io", "cloud", "dev", "app", "ai", "biz", "info", "xyz", "tech", "online", "site",
    "systems", "services", "network", "software", "host", "run", "page", "link", "live", "pro", "store",
    "one", "world", "company", "group", "team", "zone", "digital", "global", "gov", "edu", "mil", "int",
    "asia", "internal", "corp",
})
_DATA_CONVERTERS = frozenset({
    "temporalio.converter.DataConverter", "temporalio.converter._data_converter.DataConverter",
})


@frozen
class Target:
    text: str  # the address as written (folded)
    host: str
    kind: str  # "loopback", "service", "cluster", "network", "cloud"
    env: str  # the environment variable it is the default of, "" for a plain literal
    scheme: str  # "http", "https" or "" (the deprecated scheme form)

    @property
    def remote(self) -> bool:
        """A real server somewhere else: what the namespace and codec notes are about."""
        return self.kind in ("cluster", "network", "cloud")

    @property
    def described(self) -> str:
        source = f" (the default of ${self.env})" if self.env else ""
        return f"`{self.text}`{source}"


def classify_host(host: str) -> str:
    """"loopback", "service", "cluster", "network" or "cloud" for a host name or IP address."""
    name = host.strip("[]").rstrip(".").lower()
    if not name or name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return "loopback" if address.is_loopback or address.is_unspecified else "network"
    if name.endswith(CLOUD_SUFFIXES):
        return "cloud"
    if "." not in name:
        return "service"
    if name.endswith(_CLUSTER_SUFFIXES):
        return "cluster"
    labels = name.split(".")
    tld = labels[-1]
    if len(labels) == 2 and not (tld in _PUBLIC_TLDS or (len(tld) == 2 and tld.isalpha())):
        return "cluster"  # `temporal-frontend.temporal`: service.namespace
    return "network"


def split_target(text: str) -> tuple[str, str]:
    """(scheme, host) of ``host:port``, ``[::1]:7233``, ``http://host:port`` or a bare host."""
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "", text.strip()
    rest = rest.split("/", 1)[0]
    if rest.startswith("["):
        return scheme.lower(), rest[1:].split("]", 1)[0]
    if rest.count(":") > 1:  # a bare IPv6 address
        return scheme.lower(), rest
    return scheme.lower(), rest.split(":", 1)[0]


def resolve_target(project: Project, connect: ClientConnect) -> Target | None:
    value = project.python.fold(connect.target)
    if not (isinstance(value, Lit) and isinstance(value.value, str) and value.value.strip()):
        return None
    env = ""
    prefix = "default of env "
    if value.note.startswith(prefix):
        env = value.note[len(prefix):]
    elif value.note:
        return None  # set by a workload's environment: not the code's value
    scheme, host = split_target(value.value)
    kind = classify_host(host)
    if env and kind == "loopback":
        return None  # a development default: the deployment sets the variable
    return Target(value.value.strip(), host, kind, env, scheme)


def _connects(project: Project) -> Iterator[tuple[PythonFacts, ClientConnect]]:
    for key in sorted(project.python.modules):
        module = project.python.modules[key]
        if is_test_path(module.path):
            continue
        for connect in module.client.connects:
            yield module, connect


def _anchor(module: PythonFacts, connect: ClientConnect, what: str) -> str:
    return f"{module.key}:{connect.function}:{what}"


# -- TPR301 ----------------------------------------------------------------------------------------


def client_plaintext_remote(project: Project) -> Iterator[Hit]:
    """TPR301: a connection to a remote server that the SDK makes over plaintext HTTP/2."""
    for module, connect in _connects(project):
        target = resolve_target(project, connect)
        where = f"the Client.connect at {connect.location.path}:{connect.location.line}"
        if target is None:
            if _plaintext(project, connect, Target("", "", "network", "", "")) is not None:
                project.undecided("TPR301", where, "it sets no TLS, and its address could not be resolved, so "
                                  "whether the connection leaves the host is not known", connect.location)
            continue  # TLS is on whatever the address
        if target.kind == "loopback" or target.scheme == "https":
            continue
        problem = _plaintext(project, connect, target)
        if problem is None:
            continue
        if target.kind in ("cluster", "service"):
            project.undecided("TPR301", where, f"it {problem} for {target.described} inside the cluster: plaintext "
                              "unless a service mesh encrypts it, which tprlint cannot see", connect.location)
            continue
        cloud = " Temporal Cloud refuses plaintext connections, so this cannot even connect." \
            if target.kind == "cloud" else ""
        yield Hit(
            connect.location,
            f"Client.connect to {target.described} {problem}, so the SDK connects over plaintext "
            f"(http://): workflow inputs and results, and any authorization header in rpc_metadata, cross "
            f"the network unencrypted and the server is not authenticated.{cloud} Pass tls=True (the server "
            f"certificate is verified against the system roots), or tls=TLSConfig(client_cert=..., "
            f"client_private_key=...) for mTLS with the certificate and key read at run time, or "
            f"api_key=... (TLS is then enabled automatically); or load the connection with "
            f"temporalio.envconfig.ClientConfig.load_client_connect_config().",
            anchor=_anchor(module, connect, "tls"),
            redact_source=_has_literal_secret(connect),
        )


def _plaintext(project: Project, connect: ClientConnect, target: Target) -> str | None:
    """Why this connection is plaintext, or None when it is (or may be) TLS."""
    tls = project.python.fold(connect.tls)
    api_key = project.python.fold(connect.api_key)
    if target.scheme == "http":
        # The deprecated scheme form is used as written; only a TLSConfig gets a TLS config.
        if isinstance(tls, (Lit, Missing)) and not connect.unresolved_splat:
            return "uses the http:// scheme"
        return None
    if isinstance(tls, Lit) and tls.value is False and not tls.note:
        return "sets tls=False"
    tls_off = isinstance(tls, Missing) or (isinstance(tls, Lit) and tls.value is None and not tls.note)
    key_off = isinstance(api_key, Missing) or (isinstance(api_key, Lit) and api_key.value is None)
    if not (tls_off and key_off) or connect.unresolved_splat:
        return None  # TLS on, or set by keyword arguments tprlint cannot see
    return "sets no tls and no api_key" if isinstance(tls, Missing) else "sets tls=None and no api_key"


def _has_literal_secret(connect: ClientConnect) -> bool:
    """A literal API key on the call: the code frame would show it, so the finding hides it."""
    return isinstance(connect.api_key, Lit) and isinstance(connect.api_key.value, str)


# -- TPR302 ----------------------------------------------------------------------------------------

_WHAT = {
    "api-key": "an API key",
    "private-key": "a PEM private key",
    "client-certificate": "an mTLS client certificate",
    "password": "a password",
    "secret": "a secret",
    "token": "a token",
    "url-password": "a password inside a connection URL",
}
assert set(_WHAT) == set(CREDENTIAL_KINDS)


def hardcoded_credential(project: Project) -> Iterator[Hit]:
    """TPR302: credentials written into the source. The value is never shown."""
    passed = _api_keys_passed_by_name(project.python)
    for key in sorted(project.python.modules):
        module = project.python.modules[key]
        if is_test_path(module.path):
            continue
        counts: dict[str, int] = {}
        for credential in module.client.credentials:
            bound = f" (`{credential.key}`)" if credential.key else ""
            # Temporal's own advice for a key or certificate of Temporal's: named so, inside a
            # `Client.connect(...)`, an API key in a module that passes a literal one to it, or one
            # that a `Client.connect(api_key=...)` of any module names (`api_key=config.API_KEY`).
            temporal = "temporal" in credential.key.lower() or (
                credential.kind == "api-key" and (key, credential.key) in passed) or any(
                _within(credential.location, c.location)
                or (credential.kind == "api-key" and isinstance(c.api_key, Lit)) for c in module.client.connects)
            yield Hit(
                credential.location,
                f"{_sentence(_WHAT[credential.kind])} is written into the source{bound}. Everyone who can "
                f"read the repository, its history, CI logs or the built image has it. "
                f"{_fix(credential, temporal)} The value is not shown in this report.",
                anchor=_credential_anchor(module, credential, counts),
                redact_source=True,
            )


def _api_keys_passed_by_name(python: PythonProject) -> set[tuple[str, str]]:
    """(module key, name) of the constants that a ``Client.connect(api_key=...)`` names."""
    passed: set[tuple[str, str]] = set()
    for module in python.modules.values():
        for connect in module.client.connects:
            if isinstance(connect.api_key, Ref):
                candidates = python.resolve_module(connect.api_key.module)
                if len(candidates) == 1:
                    passed.add((candidates[0], connect.api_key.name))
    return passed


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


_GENERAL_FIX = "Rotate it, then read it at run time from the environment or a secret manager (os.environ[...])."


def _within(inner: Location, outer: Location) -> bool:
    return inner.path == outer.path and outer.line <= inner.line <= (outer.end_line or outer.line)


def _fix(credential: Credential, temporal: bool) -> str:
    """How to fix it: Temporal's own ways for a Temporal key or certificate (one passed to
    ``Client.connect``, or named for Temporal), the general way for any other."""
    if not temporal and credential.kind in ("api-key", "private-key", "client-certificate"):
        return _GENERAL_FIX
    if credential.kind == "api-key":
        return (
            "Revoke and rotate the key, then read it at run time: api_key=os.environ[\"TEMPORAL_API_KEY\"] "
            "(from a Kubernetes Secret or a secret manager), or "
            "temporalio.envconfig.ClientConfig.load_client_connect_config(), which reads TEMPORAL_API_KEY."
        )
    if credential.kind in ("private-key", "client-certificate"):
        return (
            "Rotate the certificate and key, then load them at run time from a mounted secret: "
            "TLSConfig(client_cert=Path(cert_path).read_bytes(), client_private_key=Path(key_path).read_bytes()), "
            "or envconfig's TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH."
        )
    return _GENERAL_FIX


def _credential_anchor(module: PythonFacts, credential: Credential, counts: dict[str, int]) -> str:
    # The key name and a per-module counter, never the value: fingerprints are uploaded (SARIF).
    base = f"{module.key}:{credential.function}:{credential.kind}:{credential.key}"
    counts[base] = counts.get(base, 0) + 1
    return base if counts[base] == 1 else f"{base}#{counts[base]}"


# -- TPR303 ----------------------------------------------------------------------------------------


def hardcoded_target(project: Project) -> Iterator[Hit]:
    """TPR303: the server address is a literal in code, not configuration."""
    worker_modules: set[str] | None = None
    for module, connect in _connects(project):
        target = resolve_target(project, connect)
        if target is None or target.env:
            continue
        if target.kind == "loopback":
            # A loopback literal in a starter script is a development tool; in a process that runs
            # a Worker it is what the container will (fail to) connect to.
            if worker_modules is None:
                worker_modules = worker_process_modules(project)
            if module.key not in worker_modules:
                continue
            consequence = (
                "In a container, localhost is the container itself, so the deployed worker cannot reach "
                "the server."
            )
        else:
            consequence = "Every environment (staging, production, a failover cluster) needs a code change."
        yield Hit(
            connect.location,
            f"Client.connect uses the hard-coded address `{target.text}`. {consequence} Read it from "
            f"configuration: os.environ[\"TEMPORAL_ADDRESS\"], or "
            f"Client.connect(**ClientConfig.load_client_connect_config()) (temporalio.envconfig reads "
            f"TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TLS settings).",
            anchor=_anchor(module, connect, "target"),
            redact_source=_has_literal_secret(connect),
        )


def worker_process_modules(project: Project) -> set[str]:
    """Modules loaded by a process that runs a Worker: each production module that constructs or
    runs one, each entrypoint whose imports lead to one, and everything these import. (A starter that
    imports `worker.py` for a workflow class counts too: tprlint cannot tell whether it calls the
    function there that runs the Worker.)"""
    python = project.python
    builders = {w.module for w in python.workers if not is_test_path(w.location.path)}
    if not builders:
        return set()
    linked = {link.module for link in project.links}
    found: set[str] = set()
    for key, module in python.modules.items():
        runs = python.runs(module)
        if is_test_path(module.path) or not (key in builders or runs or module.is_entrypoint or key in linked):
            continue
        closure = python.closure(key)
        if key in builders or runs or any(k in builders for k in closure):
            found.update(closure)
    return found


# -- TPR304 ----------------------------------------------------------------------------------------


def default_namespace_remote(project: Project) -> Iterator[Hit]:
    """TPR304: a remote server with the namespace left at "default"."""
    for module, connect in _connects(project):
        target = resolve_target(project, connect)
        if target is None or not target.remote:
            continue
        namespace = project.python.fold(connect.namespace)
        if isinstance(namespace, Missing):
            if connect.unresolved_splat:
                continue
            how = "sets no namespace, so it uses `default`"
        elif isinstance(namespace, Lit) and namespace.value == "default" and not namespace.note:
            how = "sets namespace=\"default\""
        else:
            continue
        if target.kind == "cloud":
            labels = target.host.split(".")
            suggestion = f"\"{labels[0]}.{labels[1]}\"" if target.host.endswith(".tmprl.cloud") and len(labels) == 4 \
                else "\"<namespace>.<account>\""
            detail = (
                f"Temporal Cloud has no `default` namespace: every call fails until namespace={suggestion} "
                f"(<namespace>.<account-id>) is passed."
            )
        else:
            detail = (
                "A production namespace of its own gives the application its own retention, archival, search "
                "attributes, rate limits and access control; `default` is shared by everything else on the "
                "cluster. Create one (`temporal operator namespace create`) and pass namespace=... (or set "
                "TEMPORAL_NAMESPACE with envconfig)."
            )
        yield Hit(
            connect.location,
            f"Client.connect to {target.described} {how}. {detail}",
            anchor=_anchor(module, connect, "namespace"),
            redact_source=_has_literal_secret(connect),
        )


# -- TPR305 ----------------------------------------------------------------------------------------


def no_payload_codec(project: Project) -> Iterator[Hit]:
    """TPR305: a remote server gets every payload in the clear."""
    for module, connect in _connects(project):
        target = resolve_target(project, connect)
        where = f"the Client.connect at {connect.location.path}:{connect.location.line}"
        if target is None or not target.remote:
            if target is None and _codec(project.python.fold(connect.data_converter), project.python.fold) != "codec":
                project.undecided("TPR305", where, "it sets no payload codec, and its address could not be resolved, "
                                  "so whether the payloads leave the host is not known", connect.location)
            continue
        if connect.unresolved_splat:
            project.undecided("TPR305", where, f"its data converter may come from {connect.unresolved_splat}, "
                              "which could not be resolved", connect.location)
            continue
        plugins = project.python.fold(connect.plugins)
        if not (isinstance(plugins, Missing) or (isinstance(plugins, Seq) and not plugins.items)):
            continue  # a plugin may install a data converter with a codec
        converter = project.python.fold(connect.data_converter)
        if _codec(converter, project.python.fold) != "none":
            continue
        what = "sets no data_converter" if isinstance(converter, Missing) \
            else "uses a data converter without a payload_codec"
        yield Hit(
            connect.location,
            f"Client.connect to {target.described} {what}, so workflow and activity inputs, results, "
            f"signals and memos are stored in the server's database (and shown in its UI) as plain JSON. "
            f"If they can hold personal or secret data, encrypt them on the client: "
            f"data_converter=dataclasses.replace(temporalio.converter.DataConverter.default, "
            f"payload_codec=YourEncryptionCodec()) (a temporalio.converter.PayloadCodec), and use the same "
            f"converter on every client and worker.",
            anchor=_anchor(module, connect, "codec"),
            redact_source=_has_literal_secret(connect),
        )


def _codec(converter: Expr, fold: Callable[[Expr], Expr], depth: int = 0) -> str:
    """"codec", "none" (certainly no payload codec) or "unknown"."""
    if depth > 5:
        return "unknown"
    if isinstance(converter, Missing):
        return "none"
    if isinstance(converter, Sym):
        # DataConverter.default, temporalio.contrib.pydantic.pydantic_data_converter: no codec.
        return "none" if converter.qualname.startswith("temporalio.") else "unknown"
    if not isinstance(converter, Obj):
        return "unknown"
    codec = fold(converter.keyword("payload_codec"))
    if converter.callee in _DATA_CONVERTERS:
        if isinstance(codec, Missing) or codec == Lit(None):
            return "none"
        return "codec"
    if converter.callee == "dataclasses.replace" and converter.args:
        if isinstance(codec, Missing):
            return _codec(fold(converter.args[0]), fold, depth + 1)
        return "none" if codec == Lit(None) else "codec"
    return "unknown"  # a project factory, a library's converter


# -- TPR306 ----------------------------------------------------------------------------------------


def no_sdk_metrics(project: Project) -> Iterator[Hit]:
    """TPR306: Workers run, but the SDK's metrics are exported nowhere. One finding per project."""
    python = project.python
    workers = sorted((w for w in python.workers if not is_test_path(w.location.path)),
                     key=lambda w: (w.location.path, w.location.line, w.location.column))
    if not workers:
        return
    production = [m for m in python.modules.values() if not is_test_path(m.path)]
    if any(m.client.metrics for m in production):
        return
    connects = list(_connects(project))
    if any(_runtime_unseen(project, connect) for _, connect in connects):
        return  # a runtime built somewhere tprlint cannot see may export metrics
    worker_modules = worker_process_modules(project)
    running = sorted(
        ((m, c) for m, c in connects if m.key in worker_modules),
        key=lambda mc: (mc[1].location.path, mc[1].location.line, mc[1].location.column),
    )
    location: Location
    related: tuple[RelatedLocation, ...] = ()
    if running:
        module, connect = running[0]
        location, anchor, redact = connect.location, f"{module.key}:metrics", _has_literal_secret(connect)
        related = (RelatedLocation(workers[0].location, "a Worker this project runs"),)
    else:
        location, anchor, redact = workers[0].location, f"{workers[0].module}:metrics", False
    yield Hit(
        location,
        "This project runs Temporal Workers but configures no SDK metrics: no Runtime(telemetry="
        "TelemetryConfig(metrics=...)) anywhere, so schedule-to-start latency, task slot usage, poll "
        "failures, sticky cache hits and activity/workflow task failures are invisible, and worker tuning "
        "and alerting have nothing to go on. Create the runtime before the first client: "
        "runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=\"0.0.0.0:9000\"))) "
        "(or OpenTelemetryConfig(url=...)) and pass Client.connect(..., runtime=runtime), or "
        "Runtime.set_default(runtime).",
        related=related,
        anchor=anchor,
        redact_source=redact,
    )


def _runtime_unseen(project: Project, connect: ClientConnect) -> bool:
    runtime = project.python.fold(connect.runtime)
    if isinstance(runtime, Missing) or runtime == Lit(None):
        return False
    if isinstance(runtime, Obj) and runtime.callee.startswith("temporalio.runtime.Runtime"):
        telemetry = project.python.fold(runtime.keyword("telemetry"))
        if isinstance(telemetry, Obj) and telemetry.callee in TELEMETRY_CONFIG:
            metrics = project.python.fold(telemetry.keyword("metrics"))
            return not (isinstance(metrics, Missing) or metrics == Lit(None))
        # `Runtime()` needs telemetry=, so a Runtime without one visible got it from **options.
        return runtime.callee == "temporalio.runtime.Runtime"
    return not isinstance(runtime, Sym) or not runtime.qualname.startswith("temporalio.")


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR301": client_plaintext_remote,
    "TPR302": hardcoded_credential,
    "TPR303": hardcoded_target,
    "TPR304": default_namespace_remote,
    "TPR305": no_payload_codec,
    "TPR306": no_sdk_metrics,
}
