"""Kubernetes container facts: images, commands, environment (with credentials redacted), probes, preStop."""

from __future__ import annotations

import posixpath
import re

from tprlint.facts.kube_values import KeyPath, Locator, argv_list, as_dict, as_int, as_text, get_in, str_map
from tprlint.facts.python.clients import REDACTED, is_placeholder, looks_like_token, secret_kind
from tprlint.link.commands import split_shell_commands
from tprlint.model import Location
from tprlint.records import frozen
from tprlint.secrets import scrub


@frozen
class EnvVar:
    name: str
    # The literal value; None when valueFrom or absent. REDACTED when the name or the value looks like a
    # credential: facts are cached on disk, so a secret's text must never reach them.
    value: str | None
    from_ref: bool  # valueFrom / secretKeyRef etc.
    location: Location
    # What plain-text credential the literal holds ("" when none): "credential" (a secret-named variable
    # with a real value), "private-key" (PEM private key text), "url-password" (a password inside a URL).
    literal_secret: str = ""



@frozen
class Probe:
    kind: str  # "readiness" | "liveness" | "startup"
    http_path: str | None
    port: str | None  # number or name, as text
    location: Location


@frozen
class Container:
    name: str
    image: str
    command: tuple[str, ...] | None  # None when unset (image ENTRYPOINT applies)
    args: tuple[str, ...] | None  # None when unset (image CMD applies)
    env: tuple[EnvVar, ...]
    probes: tuple[Probe, ...]
    requests: dict[str, str]  # e.g. {"cpu": "100m", "memory": "256Mi"}
    limits: dict[str, str]
    prestop_sleep_seconds: float | None  # preStop sleep action or `sleep N` exec; None if none/unknown
    prestop_location: Location | None
    location: Location  # the container's `- name:` item
    image_location: Location
    resources_location: Location | None
    # Merged pod + container securityContext (container wins). Fields Kubernetes only reads on containers
    # (allowPrivilegeEscalation, readOnlyRootFilesystem, privileged, capabilities, procMount) are taken
    # from the container alone: at pod level the API server drops them.
    security_context: dict[str, object]
    security_location: Location | None = None  # the container's securityContext key
    # Names of the ConfigMaps and Secrets whose keys become environment variables (`envFrom`).
    env_from: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the container (manifests may omit the name; the API server would not)."""
        return self.name or "(unnamed)"

    def probe(self, kind: str) -> Probe | None:
        return next((p for p in self.probes if p.kind == kind), None)



_PROBE_KINDS = (("readiness", "readinessProbe"), ("liveness", "livenessProbe"), ("startup", "startupProbe"))
# `sleep 10`, `sleep 2.5`, `sleep 10s`, `sleep 1m` (GNU and busybox accept a unit suffix).
_SLEEP_ARG_RE = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$")
_SLEEP_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_SHELL_C_RE = re.compile(r"^-[a-z]*c[a-z]*$")  # -c, -ec, -lc
_LOOP_WORDS = frozenset({"while", "until", "for"})


def containers_of(
    doc: Locator, pod_spec: dict[object, object], list_path: KeyPath, pod_security: dict[object, object]
) -> tuple[Container, ...]:
    items = pod_spec.get(list_path[-1])
    if not isinstance(items, list):
        return ()
    return tuple(
        _container(doc, item, (*list_path, i), pod_security) for i, item in enumerate(items) if isinstance(item, dict)
    )


def _container(doc: Locator, spec: dict[object, object], at: KeyPath, pod_security: dict[object, object]) -> Container:
    resources = as_dict(spec.get("resources"))
    prestop = get_in(spec, "lifecycle", "preStop")
    security = {str(k): v for k, v in {**pod_security, **as_dict(spec.get("securityContext"))}.items()}
    env = _env(doc, spec.get("env"), (*at, "env"))
    return Container(
        name=as_text(spec.get("name")) or "",
        image=as_text(spec.get("image")) or "",
        command=argv_list(spec.get("command")),
        args=argv_list(spec.get("args")),
        env=env,
        probes=_probes(doc, spec, at),
        requests=str_map(resources.get("requests")),
        limits=str_map(resources.get("limits")),
        prestop_sleep_seconds=prestop_sleep_seconds(prestop),
        prestop_location=doc.loc_if(*at, "lifecycle", "preStop"),
        location=doc.loc(*at),
        image_location=doc.loc(*at, "image"),
        resources_location=doc.loc_if(*at, "resources"),
        security_context=security,
        security_location=doc.loc_if(*at, "securityContext"),
        env_from=_env_from(spec.get("envFrom")),
    )


def _env_from(items: object) -> tuple[str, ...]:
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        for key in ("configMapRef", "secretRef"):
            name = as_text(as_dict(as_dict(item).get(key)).get("name"))
            if name:
                names.append(name)
    return tuple(names)


def _env(doc: Locator, items: object, at: KeyPath) -> tuple[EnvVar, ...]:
    if not isinstance(items, list):
        return ()
    result: list[EnvVar] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        name = as_text(item.get("name"))
        if not name:
            continue
        value = as_text(item.get("value"))
        secret = literal_secret(name, value) if value else ""
        if value and (secret or _sensitive_name(name)) and not _harmless(value):
            value = REDACTED
        elif value:
            value = scrub(value)  # a password inside a URL, a token of a known format: never cached
        result.append(EnvVar(name, value, "valueFrom" in item, doc.loc(*at, i), secret))
    return tuple(result)


# Names whose literal value must not be cached even when tprlint does not judge it a credential.
_SENSITIVE_HINTS = ("pass", "pwd", "secret", "token", "key", "cred", "cert", "auth", "private")
_STRONG_KINDS = frozenset({"password", "secret", "token", "api-key", "private-key"})
_STRONG_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "privatekey")
# `<qualifier>_KEY` names that hold identifiers, not credentials.
_NOT_SECRET_KEYS = frozenset({
    "public", "kms", "cache", "partition", "routing", "sort", "primary", "foreign", "idempotency", "object",
    "s3", "bucket", "lookup", "hash", "dedup", "dedupe", "queue", "index", "group", "shard", "label",
})
_HARMLESS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"})
_REFERENCE_MARKS = ("$(", "${", "{{")
_PRIVATE_KEY_TEXT = re.compile(r"BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY")
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.\-]*://[^:/@\s]+:(?P<password>[^@/\s]+)@(?P<host>[^:/?#\s]+)")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def literal_secret(name: str, value: str) -> str:
    """What plain-text credential an env var's literal holds ("" for none; see ``EnvVar.literal_secret``).

    Secret names (the last word decides: ``DB_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``, ``PGPASSWORD``) with
    any real value; generic ``*_KEY`` names only with a machine-generated-looking value; any variable
    holding PEM private key text or a URL with a password. Never: empty values, ``$(VAR)`` / ``${VAR}`` /
    ``{{ }}`` references, booleans, file paths, ``*_KEY_ID``, ``PUBLIC_KEY``, ``TOKEN_URL``.
    """
    text = value.strip()
    if _PRIVATE_KEY_TEXT.search(text):
        return "private-key"
    match = _URL_CREDENTIALS.match(text)
    if match and match.group("host").lower() not in _LOOPBACK and not is_placeholder(match.group("password")):
        return "url-password"
    if _harmless(text) or (text.startswith("<") and text.endswith(">")):
        return ""
    words = [w.lower() for w in _WORD_RE.findall(name)]
    if not words:
        return ""
    if secret_kind(name) in _STRONG_KINDS or words[-1].endswith(_STRONG_SUFFIXES):
        return "credential"
    if words[-1] == "key" and (len(words) < 2 or words[-2] not in _NOT_SECRET_KEYS) and not secret_kind(name):
        return "credential" if looks_like_token(text) and not text.startswith("arn:") else ""
    return ""


def _sensitive_name(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in _SENSITIVE_HINTS)


def _harmless(value: str) -> bool:
    """Values that can't be a credential, safe to keep in the cache: references, booleans, paths."""
    text = value.strip()
    return (not text or text.lower() in _HARMLESS or any(mark in text for mark in _REFERENCE_MARKS)
            or text.startswith(("/", "./", "../", "~/", "file:")))


def _probes(doc: Locator, spec: dict[object, object], at: KeyPath) -> tuple[Probe, ...]:
    probes: list[Probe] = []
    for kind, key in _PROBE_KINDS:
        probe = spec.get(key)
        if not isinstance(probe, dict):
            continue
        http = as_dict(probe.get("httpGet"))
        port = http.get("port", as_dict(probe.get("tcpSocket")).get("port", as_dict(probe.get("grpc")).get("port")))
        probes.append(Probe(kind, as_text(http.get("path")) if http else None, as_text(port), doc.loc(*at, key)))
    return tuple(probes)



def prestop_sleep_seconds(prestop: object) -> float | None:
    """Seconds a preStop hook waits: the `sleep` action, or an exec'd `sleep N` (possibly in `sh -c`).

    None when there is no hook or its duration can't be read (an HTTP hook, a loop, a script).
    """
    if not isinstance(prestop, dict):
        return None
    sleep = prestop.get("sleep")
    if isinstance(sleep, dict):
        seconds = as_int(sleep.get("seconds"))
        return float(seconds) if seconds is not None else None
    command = argv_list(as_dict(prestop.get("exec")).get("command"))
    return _command_sleep(command) if command else None


def _command_sleep(argv: tuple[str, ...]) -> float | None:
    program = posixpath.basename(argv[0])
    if program == "sleep":
        return _sleep_duration(argv[1:])
    if program not in _SHELLS:
        return None
    script = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if _SHELL_C_RE.match(a)), None)
    if script is None:
        return None
    commands = split_shell_commands(script)
    if any(word in _LOOP_WORDS for command in commands for word in (*command.prefix, *command.argv)):
        return None  # `while …; do sleep 1; done`: the duration depends on runtime state
    # Sleeps run one after another, so `sleep 5 && nginx -s quit && sleep 10` waits 15 s.
    total: float | None = None
    for command in commands:
        if posixpath.basename(command.argv[0]) == "sleep":
            seconds = _sleep_duration(command.argv[1:])
            if seconds is None:
                return None
            total = (total or 0.0) + seconds
    return total


def _sleep_duration(args: tuple[str, ...]) -> float | None:
    """`sleep` sums its operands (`sleep 1m 30s`); anything unreadable (`$DELAY`) makes it unknown."""
    if not args:
        return None
    total = 0.0
    for arg in args:
        match = _SLEEP_ARG_RE.match(arg)
        if not match:
            return None
        total += float(match.group(1)) * _SLEEP_UNITS[match.group(2)]
    return total
