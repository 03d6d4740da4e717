"""docker-compose facts: the services of a compose file.

Per file (``extract_compose``) we keep what each service declares - image, build context, command
and entrypoint, environment (list and map forms), ``env_file`` names, ``stop_grace_period``,
``init``, healthcheck, ports and labels - with the location of every key, and the files it
includes. How files are merged into the configurations compose runs is ``compose_projects``.

Values are interpolated like compose does, without a shell environment: ``${VAR:-default}`` and
``${VAR-default}`` take their default (and say so), ``$$`` is a dollar sign, and anything else
(``${VAR}``, ``$VAR``) is unknown. Values of secret-looking variables are never kept: only whether
a literal is present.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import field

from tprlint.devsetup import DEV_WORDS, is_dev_path
from tprlint.facts.kubernetes import literal_secret
from tprlint.facts.yaml_docs import YamlDoc
from tprlint.link.commands import split_shell_form
from tprlint.model import Location
from tprlint.records import frozen
from tprlint.secrets import scrub, scrub_argv

COMPOSE_DEFAULT_GRACE = 10.0  # seconds docker waits after the stop signal before SIGKILL

# `docker compose` without -f: the first base file found, then the first override file found.
BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_NAMES = ("compose.override.yaml", "compose.override.yml",
                  "docker-compose.override.yaml", "docker-compose.override.yml")
# Names whose values are credentials: the value is never stored, only that a literal is present.
_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY|(^|_)PWD$|(^|_)PASS$|_KEY$", re.IGNORECASE
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?$", re.DOTALL)

_At = Callable[..., Location]


@frozen
class ComposeEnv:
    name: str
    value: str | None  # None: unknown (from the host, `${VAR}` without default) or withheld (a secret)
    location: Location
    note: str = ""  # "default of ${DRAIN}" when interpolation supplied it
    secret_literal: bool = False  # a secret-looking name with a literal value in the file
    # What credential the literal holds, judged as Kubernetes env is (``facts.kubernetes.literal_secret``):
    # "credential" | "private-key" | "url-password" | "" (none, or a value only known at run time).
    literal_secret: str = ""


@frozen
class ComposeBuild:
    context: str | None  # relative to the compose file's folder; None when unknown (a URL, `${VAR}`)
    dockerfile: str | None  # relative to the context ("Dockerfile" by default); None for an inline one
    target: str | None
    location: Location


@frozen
class ComposeHealthcheck:
    test: tuple[str, ...] | None  # what Docker runs; None when this declaration does not set `test`
    disabled: bool
    location: Location


@frozen
class ComposeService:
    """A service as one file declares it, or (after ``compose_configs``) as compose runs it."""

    name: str
    file: str  # the file that declares it (the first of a merge)
    location: Location  # the service's key under `services:`
    keys: frozenset[str] = frozenset()  # keys set (a merge only takes these from an override)
    image: str | None = None  # interpolated; None when unset
    image_unresolved: bool = False  # the image uses a variable without a default
    image_location: Location | None = None
    build: ComposeBuild | None = None
    command: tuple[str, ...] | None = None  # None when unset (the image's CMD applies)
    command_location: Location | None = None
    entrypoint: tuple[str, ...] | None = None  # None when unset (the image's ENTRYPOINT applies)
    entrypoint_location: Location | None = None
    environment: tuple[ComposeEnv, ...] = ()
    env_files: tuple[str, ...] = ()
    stop_grace_period: str | None = None  # as written, interpolated
    stop_grace_seconds: float | None = None  # None when unset or unreadable
    stop_grace_note: str = ""  # "default of ${STOP_GRACE}" when interpolation supplied it
    stop_grace_location: Location | None = None
    stop_signal: str | None = None
    init: bool | None = None
    init_location: Location | None = None
    healthcheck: ComposeHealthcheck | None = None
    ports: tuple[str, ...] = ()  # container-side ports, as text
    labels: dict[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    extends: tuple[str, str] | None = None  # (file, service); file "" = the same file
    unresolved: str = ""  # what could not be followed, e.g. an `extends` of a file tprlint did not read
    files: tuple[str, ...] = ()  # every file that contributed, in merge order

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.file)

    @property
    def ref(self) -> str:
        """``Compose/<folder>/<service>``: stable identity for anchors and label suppressions."""
        return f"Compose/{self.folder.replace('/', ':') or '.'}/{self.name}"

    def env(self, name: str) -> ComposeEnv | None:
        return next((e for e in self.environment if e.name == name), None)

    def where(self, *candidates: Location | None) -> Location:
        return next((c for c in candidates if c is not None), self.location)


@frozen
class ComposeFile:
    path: str
    project_name: str | None  # top-level `name:`
    services: tuple[ComposeService, ...]
    includes: tuple[str, ...] = ()  # top-level `include:` paths, relative to the scan like ``path``


@frozen
class ComposeConfig:
    """One way compose runs a folder's files: ``files`` merged in order."""

    folder: str
    files: tuple[str, ...]
    services: tuple[ComposeService, ...]
    written_in: str = ""  # the .env, Makefile or script that chains these files: it is run this way

    @property
    def label(self) -> str:
        names = [posixpath.basename(f) for f in self.files]
        return " + ".join(names)


def is_dev_compose(path: str) -> bool:
    """A compose file its name (`docker-compose.dev.yml`, `compose.test.yaml`) or a folder named for
    it (`dev/`, `tests/`, `.devcontainer/`, `examples/`) marks as dev, test, CI or example tooling."""
    return is_dev_path(path)


def is_dev_service(service: ComposeService) -> bool:
    """A service only started with a dev/test profile (`profiles: [dev]`): `up` skips it otherwise."""
    return bool(service.profiles) and all(p.lower() in DEV_WORDS for p in service.profiles)


# --------------------------------------------------------------------------------------------
# Extraction of one file. Every accessor checks types: compose files in the wild are partial.


def extract_compose(docs: list[YamlDoc], path: str) -> ComposeFile:
    doc = next((d for d in docs if isinstance(d.data, dict)), None)
    if doc is None or not isinstance(doc.data, dict):
        return ComposeFile(path, None, ())
    name = doc.data.get("name")
    services = doc.data.get("services")
    found: list[ComposeService] = []
    if isinstance(services, dict):
        for key, spec in services.items():
            if isinstance(key, str) and isinstance(spec, dict):
                found.append(_service(_Doc(doc, path), key, spec))
            elif isinstance(key, str) and spec is None:
                found.append(ComposeService(key, path, _Doc(doc, path).loc(key), files=(path,)))
    return ComposeFile(path, name if isinstance(name, str) else None, tuple(found), _includes(doc.data, path))


def _includes(data: dict[object, object], path: str) -> tuple[str, ...]:
    """`include:` entries: a path, or `{path: a path or a list of files merged in order}`."""
    found: list[str] = []
    for item in _list(data.get("include")):
        named = item.get("path") if isinstance(item, dict) else item
        for name in (named if isinstance(named, list) else [named]):
            if isinstance(name, str) and name and "$" not in name and "://" not in name:
                found.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), name)))
    return tuple(found)


@frozen
class _Doc:
    doc: YamlDoc
    path: str

    def loc(self, service: str, *keys: str | int) -> Location:
        line, column = self.doc.loc("services", service, *keys)
        return Location(self.path, line, column)


def _service(doc: _Doc, name: str, spec: dict[object, object]) -> ComposeService:
    keys = frozenset(k for k in spec if isinstance(k, str))

    def at(*path: str | int) -> Location:
        return doc.loc(name, *path)

    def located(key: str) -> Location | None:
        return at(key) if key in keys else None

    image_raw = _text(spec.get("image"))
    image, image_known = (interpolate_lenient(image_raw) if image_raw is not None else (None, True))
    grace_text = _text(spec.get("stop_grace_period"))
    grace_value, grace_note = interpolate(grace_text) if grace_text is not None else (None, "")
    init = spec.get("init")
    return ComposeService(
        name=name,
        file=doc.path,
        location=at(),
        keys=keys,
        image=image,
        image_unresolved=not image_known,
        image_location=located("image"),
        build=_build(spec.get("build"), at("build")) if "build" in keys else None,
        command=_argv(spec.get("command")),
        command_location=located("command"),
        entrypoint=_argv(spec.get("entrypoint")),
        entrypoint_location=located("entrypoint"),
        environment=_environment(spec.get("environment"), at),
        env_files=_env_files(spec.get("env_file")),
        stop_grace_period=grace_value if grace_value is not None else grace_text,
        stop_grace_seconds=parse_compose_duration(grace_value) if grace_value is not None else None,
        stop_grace_location=located("stop_grace_period"),
        stop_grace_note=grace_note,
        stop_signal=_text(spec.get("stop_signal")),
        init=init if isinstance(init, bool) else None,
        init_location=located("init"),
        healthcheck=_healthcheck(spec.get("healthcheck"), at("healthcheck")) if "healthcheck" in keys else None,
        ports=_ports(spec.get("ports")),
        labels=_labels(spec.get("labels")),
        profiles=tuple(p for p in (_text(x) for x in _list(spec.get("profiles"))) if p),
        extends=_extends(spec.get("extends")),
        files=(doc.path,),
    )


def _environment(value: object, at: _At) -> tuple[ComposeEnv, ...]:
    found: list[ComposeEnv] = []
    if isinstance(value, dict):
        for key, raw in value.items():
            if isinstance(key, str) and key:
                found.append(_env_var(key, None if raw is None else _text(raw), True, at("environment", key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            text = _text(item)
            if not text:
                continue
            name, sep, raw_value = text.partition("=")
            if name:
                found.append(_env_var(name, raw_value if sep else None, bool(sep), at("environment", i)))
    return tuple(found)


def _env_var(name: str, raw: str | None, given: bool, location: Location) -> ComposeEnv:
    """``raw`` None: the variable is passed through from the host (`- NAME`, `NAME:`)."""
    if raw is None or not given:
        return ComposeEnv(name, None, location, "taken from the host environment")
    value, note = interpolate(raw)
    kind = literal_secret(name, value) if value else ""
    if _SECRET_NAME.search(name):
        literal = (value is not None and value != "") or (value is None and _has_literal(raw))
        return ComposeEnv(name, None, location, "a secret: not kept", secret_literal=literal, literal_secret=kind)
    # A password inside a URL, a token of a known format: masked, as facts are cached on disk.
    return ComposeEnv(name, scrub(value) if value else value, location, note, literal_secret=kind)


def _has_literal(raw: str) -> bool:
    """Does an unresolvable value still carry literal text (`pre${X}`)? Only `${X}` alone does not."""
    return bool(re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "", raw).strip())


def _env_files(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    names: list[str] = []
    for item in items:
        path = _text(item.get("path")) if isinstance(item, dict) else _text(item)
        if path:
            names.append(path)
    return tuple(names)


def _build(value: object, location: Location) -> ComposeBuild:
    if isinstance(value, dict):
        context_raw = _text(value.get("context")) or "."
        dockerfile_raw = _text(value.get("dockerfile")) or "Dockerfile"
        inline = "dockerfile_inline" in value
        target = _text(value.get("target"))
    else:
        context_raw, dockerfile_raw, inline, target = _text(value) or ".", "Dockerfile", False, None
    context = interpolate(context_raw)[0]
    if context is not None and re.match(r"^[a-z][a-z0-9+.-]*://|^git@|\.git(#|$)", context):
        context = None  # a remote context: its Dockerfile is not in this repository
    dockerfile = None if inline else interpolate(dockerfile_raw)[0]
    return ComposeBuild(context, dockerfile, target, location)


def _healthcheck(value: object, location: Location) -> ComposeHealthcheck:
    spec = value if isinstance(value, dict) else {}
    disabled = spec.get("disable") is True
    raw = spec.get("test")
    test: tuple[str, ...] | None = None
    if isinstance(raw, str):
        test = ("/bin/sh", "-c", raw)
    elif isinstance(raw, list) and raw:
        words = [_text(w) or "" for w in raw]
        if words[0] == "NONE":
            disabled = True
        elif words[0] == "CMD":
            test = tuple(words[1:])
        elif words[0] == "CMD-SHELL":
            test = ("/bin/sh", "-c", " ".join(words[1:]))
    return ComposeHealthcheck(test, disabled, location)


def _ports(value: object) -> tuple[str, ...]:
    ports: list[str] = []
    for item in _list(value):
        if isinstance(item, dict):
            target = _text(item.get("target"))
            if target:
                ports.append(target)
            continue
        text = _text(item)
        if text:
            # "127.0.0.1:8080:80/tcp" -> "80": the container side is the last part.
            ports.append(text.rsplit(":", 1)[-1].split("/", 1)[0])
    return tuple(ports)


def _labels(value: object) -> dict[str, str]:
    labels: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            text = _text(item)
            if isinstance(key, str):
                labels[key] = text or ""
    else:
        for item in _list(value):
            text = _text(item)
            if text:
                key, _, label = text.partition("=")
                labels[key] = label
    return labels


def _extends(value: object) -> tuple[str, str] | None:
    if isinstance(value, str):
        return ("", value)
    if isinstance(value, dict):
        service = _text(value.get("service"))
        if service:
            return (_text(value.get("file")) or "", service)
    return None


def _argv(value: object) -> tuple[str, ...] | None:
    """`command:`/`entrypoint:` as the argv Docker runs: a list is exec form; compose splits a
    string the way a shell would (it does not run a shell). Unset or null: None."""
    if isinstance(value, list):
        return scrub_argv([interpolate_lenient(_text(item) or "")[0] for item in value])
    text = _text(value)
    if text is None:
        return None
    return scrub_argv(split_shell_form(interpolate_lenient(text)[0]))


# --------------------------------------------------------------------------------------------
# Interpolation and durations.


def interpolate(text: str) -> tuple[str | None, str]:
    """``text`` with compose's interpolation applied: (value, note); value None when a variable
    has no default (its value depends on the shell or the `.env` file)."""
    value, notes, known = _interpolate(text, 0)
    return (value if known else None), "; ".join(dict.fromkeys(notes))


def interpolate_lenient(text: str) -> tuple[str, bool]:
    """Defaults applied, unknown variables left as written: (text, fully known)."""
    value, _, known = _interpolate(text, 0)
    return value, known


def _interpolate(text: str, depth: int) -> tuple[str, list[str], bool]:
    if "$" not in text:
        return text, [], True
    out: list[str] = []
    notes: list[str] = []
    known = True
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        following = text[i + 1]
        if following == "$":
            out.append("$")
            i += 2
            continue
        if following == "{":
            end = _closing_brace(text, i + 2)
            if end is None:
                out.append(text[i:])
                return "".join(out), notes, False
            inner = text[i + 2 : end]
            value, inner_notes, inner_known = _expand(inner, depth)
            out.append(value if inner_known else text[i : end + 1])
            notes += inner_notes
            known = known and inner_known
            i = end + 1
            continue
        match = _VAR_NAME.match(text, i + 1)
        if match:
            out.append(text[i : match.end()])
            known = False
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out), notes, known


def _closing_brace(text: str, start: int) -> int | None:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return None


def _expand(inner: str, depth: int) -> tuple[str, list[str], bool]:
    match = _BRACED.match(inner)
    if not match or depth > 5:
        return "", [], False
    name, op, argument = match.group(1), match.group(2), match.group(3)
    if op in (":-", "-"):
        value, notes, known = _interpolate(argument or "", depth + 1)
        return value, [f"default of ${{{name}}}", *notes], known
    return "", [], False  # `${VAR}`, `${VAR:?error}`, `${VAR:+alt}`: decided by the environment


def parse_compose_duration(text: str) -> float | None:
    """Seconds of a compose duration (Go syntax: `1m30s`, `10s`, `300ms`, `1.5h`); None if unreadable.
    A bare number is not a duration for compose (the schema wants a string with a unit)."""
    stripped = text.strip()
    if stripped == "0":
        return 0.0
    total = 0.0
    position = 0
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if not match:
            return None
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    return total if stripped else None


# --------------------------------------------------------------------------------------------
# Small readers.

def _text(value: object) -> str | None:
    """A scalar as compose reads it; None for absent or non-scalar values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
