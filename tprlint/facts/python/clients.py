"""Facts about Temporal client connections, SDK metrics set-up and credentials written into code.

Three things are collected from the per-scope index, never by walking the tree again:

* every ``Client.connect(...)`` with its target, namespace, TLS, API key, data converter and runtime
  as unfolded values (the project folds constants from other modules and environment defaults);
* evidence that the SDK's Core metrics are exported: ``PrometheusConfig``/``OpenTelemetryConfig``/
  ``MetricBuffer``, ``TelemetryConfig(metrics=...)``, or a ``Runtime`` whose telemetry tprlint
  cannot see (then it may well export metrics);
* places where a credential is written into the source: a literal ``api_key=``, PEM private key
  material, an mTLS client certificate literal, and non-placeholder strings bound to names that
  say they are secrets (``password``, ``TEMPORAL_API_KEY``, ``client_secret``...).

Facts are cached on disk and cross process boundaries, so a credential is recorded by **where** it
is and what it is bound to - never by its value. For the same reason every string literal inside
the API key, TLS, data converter and runtime values of a connect is replaced by ``REDACTED``.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import field
from functools import lru_cache

from tprlint.facts.python.code import FunctionBody, ModuleCode
from tprlint.facts.python.evaluate import ENV_GETTERS
from tprlint.facts.python.values import Dur, Env, Expr, Lit, Missing, Obj, Ref, Seq, Sym, Unknown
from tprlint.model import Location
from tprlint.records import frozen, mutable

CONNECT = frozenset({"temporalio.client.Client.connect", "temporalio.client._client.Client.connect"})
CLIENT_CLASS = frozenset({"temporalio.client.Client", "temporalio.client._client.Client"})
ENVCONFIG_LOADERS = frozenset({
    "temporalio.envconfig.ClientConfig.load_client_connect_config",
    "temporalio.envconfig.ClientConfigProfile.load",
})
RUNTIME = frozenset({"temporalio.runtime.Runtime"})
TELEMETRY_CONFIG = frozenset({"temporalio.runtime.TelemetryConfig"})
# Constructing any of these means Core metrics are exported somewhere.
METRICS_EXPORTERS = {
    "temporalio.runtime.PrometheusConfig": "PrometheusConfig",
    "temporalio.runtime.OpenTelemetryConfig": "OpenTelemetryConfig",
    "temporalio.runtime.MetricBuffer": "MetricBuffer",
    "temporalio.contrib.opentelemetry.MetricsExporter": "contrib.opentelemetry.MetricsExporter",
    "temporalio.contrib.aws.lambda_worker.otel.apply_defaults": "lambda_worker.otel.apply_defaults",
}
REDACTED = "<redacted>"

# Keyword arguments of Client.connect the rules read (the rest do not matter for them).
_CONNECT_OPTIONS = ("target_host", "namespace", "api_key", "tls", "data_converter", "runtime", "plugins")
_SENSITIVE_OPTIONS = frozenset({"api_key", "tls", "data_converter", "runtime", "plugins"})


@frozen
class ClientConnect:
    """One ``Client.connect(...)`` call, its values unfolded (see module docstring on redaction)."""

    location: Location
    function: str  # enclosing function's qualified name, "" at module level
    target: Expr  # Missing when not given at all (only through a splat)
    namespace: Expr
    api_key: Expr
    tls: Expr
    data_converter: Expr
    runtime: Expr
    plugins: Expr
    # "**config" when keyword arguments come from something tprlint cannot see (envconfig, a
    # caller's **kwargs, a dict built at run time): options missing here may be set there.
    unresolved_splat: str = ""
    envconfig: bool = False  # the splat is ``ClientConfig.load_client_connect_config()`` or alike


@frozen
class MetricsSetup:
    """Evidence that Core metrics are (or may be) exported."""

    location: Location
    what: str  # "PrometheusConfig", "Runtime(telemetry=...) built at run time", ...


@frozen
class Credential:
    """A credential written into the source. Never holds the value, not even a hash of it."""

    location: Location  # the literal itself
    function: str
    kind: str  # one of CREDENTIAL_KINDS
    key: str  # what it is bound to: "api_key=", "TEMPORAL_API_KEY", "DATABASES[...]['PASSWORD']"


CREDENTIAL_KINDS = ("api-key", "private-key", "client-certificate", "password", "secret", "token", "url-password")


@mutable
class ClientFacts:
    connects: list[ClientConnect] = field(default_factory=list)
    metrics: list[MetricsSetup] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    # A Client built with its constructor (``Client(service, plugins=[...])``, ``Client(**config)``)
    # that may have plugins: its Workers run the activities those bring (TPR101).
    built_with_plugins: bool = False


def extract_clients(code: ModuleCode, facts: ClientFacts) -> None:
    seen: set[tuple[int, int]] = set()  # literal positions already reported as credentials
    for body in code.bodies:
        reporter = _Reporter(code, body, facts.credentials, seen)
        for call in body.calls:
            if _last_name(code, call.func) in _INTERESTING_CALLEES:
                callee = code.callee(call)
                if callee in CONNECT:
                    facts.connects.append(_connect(code, body, call))
                elif callee in CLIENT_CLASS and any(k.arg is None or (k.arg == "plugins" and not _nothing(k.value))
                                                    for k in call.keywords):
                    facts.built_with_plugins = True
                _metrics(code, body, call, callee, facts.metrics)
            _call_credentials(reporter, call)
        _scope_credentials(reporter)
    facts.credentials.sort(key=lambda c: (c.location.line, c.location.column))


# The last part of every callee above: most calls are none of them, and this needs no qualified name.
_INTERESTING_CALLEES = frozenset(
    q.rsplit(".", 1)[-1] for q in (*CONNECT, *CLIENT_CLASS, *RUNTIME, *TELEMETRY_CONFIG, *METRICS_EXPORTERS)
)


def _nothing(node: ast.expr) -> bool:
    """``None`` or an empty list or tuple literal."""
    return (isinstance(node, ast.Constant) and node.value is None) or (
        isinstance(node, (ast.List, ast.Tuple)) and not node.elts)


def _last_name(code: ModuleCode, func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return code.imports.bindings.get(func.id, func.id).rsplit(".", 1)[-1]  # `import ... as R`
    return ""


# -- Client.connect ------------------------------------------------------------------------------


def _connect(code: ModuleCode, body: FunctionBody, call: ast.Call) -> ClientConnect:
    evaluator = body.evaluator
    values: dict[str, Expr] = {}
    unresolved = ""
    envconfig = False
    if call.args:
        first = call.args[0]
        starred = isinstance(first, ast.Starred)
        values["target_host"] = Unknown("target from *args") if starred else evaluator.eval(first)
    for keyword in call.keywords:
        if keyword.arg is not None:
            if keyword.arg in _CONNECT_OPTIONS:
                values[keyword.arg] = evaluator.eval(keyword.value)
            continue
        items = _splat(keyword.value, body)
        if items is None:
            unresolved = f"**{_splat_name(keyword.value)}"
            envconfig = envconfig or _is_envconfig(code, body, keyword.value)
        else:
            for name in _CONNECT_OPTIONS:
                if name in items:
                    values.setdefault(name, items[name])
    if any(isinstance(a, ast.Starred) for a in call.args):
        unresolved = unresolved or "*args"

    def option(name: str) -> Expr:
        value = values.get(name, Missing())
        if name in _SENSITIVE_OPTIONS:
            return redact(value)
        # A target or namespace computed by a call is not a value tprlint reads; keeping the
        # call's arguments would only risk caching something sensitive.
        return Unknown("computed at run time") if isinstance(value, (Obj, Seq)) else value

    return ClientConnect(
        location=code.loc(call), function=body.qualname,
        target=option("target_host"), namespace=option("namespace"), api_key=option("api_key"),
        tls=option("tls"), data_converter=option("data_converter"), runtime=option("runtime"),
        plugins=option("plugins"), unresolved_splat=unresolved, envconfig=envconfig,
    )


def _splat(node: ast.expr, body: FunctionBody) -> dict[str, Expr] | None:
    """Entries of a ``**dict`` tprlint can see, or None when it cannot see the dict."""
    # Imported here: the module that walks the tree imports the extractors.
    from tprlint.facts.python.extract import _splat_items

    return _splat_items(node, body.evaluator)


def _is_envconfig(code: ModuleCode, body: FunctionBody, node: ast.expr) -> bool:
    """``**ClientConfig.load_client_connect_config()``, also through a local name and
    ``ClientConfigProfile.load().to_client_connect_config()``."""
    if isinstance(node, ast.Name):
        for scope in body.evaluator.scopes:
            if node.id in scope.assigned:
                value = scope.single_value(node.id)
                return value is not None and _is_envconfig_call(code, value)
        return False
    return _is_envconfig_call(code, node)


def _is_envconfig_call(code: ModuleCode, node: ast.expr) -> bool:
    if isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call):
        return False
    callee = code.callee(node)
    if callee in ENVCONFIG_LOADERS or callee.startswith("temporalio.envconfig."):
        return True
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == "to_client_connect_config"


def redact(value: Expr) -> Expr:
    """``value`` with every string literal replaced, keeping its shape (None stays None)."""
    if isinstance(value, Lit) and isinstance(value.value, str):
        return Lit(REDACTED)
    if isinstance(value, Env):
        return Env(value.name, redact(value.default) if value.default is not None else None)
    if isinstance(value, Obj):
        return Obj(value.callee, tuple(redact(a) for a in value.args),
                   tuple((k, redact(v)) for k, v in value.keywords))
    if isinstance(value, Seq):
        return Seq(tuple(redact(item) for item in value.items))
    # Ref and Sym are names, Dur a number: none carries a literal of the scanned code. An
    # Unknown's reason may quote the source (`api_key="..." + suffix`), so it is not kept.
    if isinstance(value, (Lit, Missing, Ref, Sym, Dur)):
        return value
    return Unknown("computed at run time")


# -- metrics -------------------------------------------------------------------------------------


def _metrics(code: ModuleCode, body: FunctionBody, call: ast.Call, callee: str, found: list[MetricsSetup]) -> None:
    exporter = METRICS_EXPORTERS.get(callee)
    if exporter is not None:
        found.append(MetricsSetup(code.loc(call), exporter))
    elif callee in TELEMETRY_CONFIG:
        metrics = _keyword(body, call, "metrics")
        if not isinstance(metrics, Missing) and metrics != Lit(None):
            found.append(MetricsSetup(code.loc(call), "TelemetryConfig(metrics=...)"))
    elif callee in RUNTIME:
        telemetry = _keyword(body, call, "telemetry")
        if not (isinstance(telemetry, Obj) and telemetry.callee in TELEMETRY_CONFIG):
            # Telemetry built elsewhere (a helper, a parameter): it may export metrics.
            found.append(MetricsSetup(code.loc(call), "Runtime(telemetry=...) built at run time"))


def _keyword(body: FunctionBody, call: ast.Call, name: str) -> Expr:
    for keyword in call.keywords:
        if keyword.arg == name:
            return body.evaluator.eval(keyword.value)
        if keyword.arg is None:
            return Unknown("**kwargs")
    return Missing()


# -- credentials ---------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s:,\-]{24}")
_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s*[A-Za-z0-9+/=]{24}")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.\-]*://[^:/@\s]+:(?P<password>[^@/\s]+)@(?P<host>[^:/?#\s]+)")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,40}$")  # dict keys safe to name in a message
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_IDENTIFIER_LIKE = re.compile(r"^[a-z]+(?:[_\-.][a-z]+)+$")  # "access_token", "x-api-key"
_PLACEHOLDER_WORDS = (
    "changeme", "change_me", "change-me", "changethis", "change_this", "change-this", "your", "example",
    "placeholder", "dummy", "fake", "sample",
    "test", "todo", "fixme", "replace", "redacted", "insert", "here", "xxx", "***", "...", "django-insecure",
    "notreal", "not-a-real", "not_a_real", "invalid", "secret", "password", "default",
)
# The words of a terminal style (rich's, and most colour libraries'): attributes, colours, "on" a background.
_STYLE_WORDS = frozenset({
    "bold", "dim", "italic", "underline", "underline2", "blink", "blink2", "reverse", "conceal", "strike",
    "overline", "frame", "encircle", "not", "on", "default", "none", "reset",
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "purple", "orange", "pink",
})
_TEMPLATE_MARKS = ("<", ">", "${", "{{", "%(", "{}", "$(")
_FORMAT_FIELD = re.compile(r"\{[A-Za-z_][\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}")  # str.format: "{app_name}"
# Keys their vendors document as public, meant to ship in browsers and apps: PostHog project keys
# and Stripe publishable keys.
_PUBLIC_KEY_PREFIXES = ("phc_", "pk_live_", "pk_test_")
_FILE_SUFFIXES = (".pem", ".key", ".crt", ".cert", ".cer", ".der", ".p12", ".pfx", ".jks", ".txt", ".json",
                  ".yaml", ".yml", ".toml", ".env", ".ini", ".cfg")
_SECRET_WORDS = {"password": "password", "passwd": "password", "pwd": "password", "passphrase": "password",
                 "secret": "secret", "token": "token", "apikey": "api-key", "credential": "secret",
                 "credentials": "secret"}
_KEY_QUALIFIERS = {"api": "api-key", "private": "private-key", "secret": "secret", "access": "secret",
                   "signing": "secret", "encryption": "secret", "auth": "secret", "master": "secret"}
_NAME_HINTS = ("pass", "pwd", "secret", "token", "key", "cred", "cert")
_WRAPPERS = frozenset({"SecretStr", "SecretBytes", "Field", "field"})
MIN_SECRET_LENGTH = 8
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal")


@lru_cache(maxsize=4096)
def secret_kind(name: str) -> str:
    """What kind of secret a name says it holds ("" when it does not look like one).

    Only the last word decides: ``DB_PASSWORD`` and ``temporalApiKey`` are secrets, ``TOKEN_URL``,
    ``SECRET_NAME`` and ``API_KEY_ENV`` name where a secret lives, not the secret itself."""
    lowered = name.lower()
    if not any(part in lowered for part in _NAME_HINTS):
        return ""  # most names: no need to split them into words
    words = [w.lower() for w in _WORDS.findall(name)]
    if not words:
        return ""
    last = words[-1]
    if last in _SECRET_WORDS:
        return _SECRET_WORDS[last]
    if last == "key" and len(words) >= 2:
        return _KEY_QUALIFIERS.get(words[-2], "")
    if last in ("cert", "certificate") and len(words) >= 2 and words[-2] == "client":
        return "client-certificate"
    return ""


def is_placeholder(value: str, key: str = "") -> bool:
    """Values that are obviously not a real secret: empty, short, templates, env var names, paths,
    words like "changeme"/"your-key"/"test", repeated characters, identifiers, prose."""
    text = value.strip()
    lowered = text.lower()
    if len(text) < MIN_SECRET_LENGTH or len(set(text)) <= 2:
        return True
    if any(mark in text for mark in _TEMPLATE_MARKS) or text.startswith(("$", "%")) or _FORMAT_FIELD.search(text):
        return True
    if text.startswith("__") and text.endswith("__"):
        return True  # a sentinel ("__pending_bot_token__"), not a value anyone issued
    if text.startswith(_PUBLIC_KEY_PREFIXES):
        return True  # keys their vendors publish for client-side use
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    normal = re.sub(r"[^a-z0-9]", "", lowered)
    if key and normal == re.sub(r"[^a-z0-9]", "", key.lower()):
        return True
    if _ENV_NAME.match(text) or _IDENTIFIER_LIKE.match(text):
        return True
    if text.startswith(("/", "./", "../", "~/", "http://", "https://", "file:")) or lowered.endswith(_FILE_SUFFIXES):
        return True
    # Prose (an error message, a docstring), or a terminal style ("bold magenta" under the "secret" key
    # of a console theme): only its own words, nothing a person or a machine would choose as a secret.
    return text.count(" ") >= 2 or _is_terminal_style(lowered)


def _is_terminal_style(lowered: str) -> bool:
    words = lowered.split()
    return len(words) >= 2 and all(word in _STYLE_WORDS or word.startswith(("bright_", "grey", "gray", "color("))
                                   for word in words)


def looks_like_token(value: str) -> bool:
    """High-entropy, machine-generated: what a real API key or token looks like."""
    if len(value) < 20 or any(ch.isspace() for ch in value) or is_placeholder(value):
        return False
    classes = sum((
        any(ch.islower() for ch in value), any(ch.isupper() for ch in value),
        any(ch.isdigit() for ch in value), any(not ch.isalnum() for ch in value),
    ))
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.5 and (classes >= 3 or len(value) >= 32)


def _text_of(node: ast.expr | None) -> tuple[str, ast.expr] | None:
    """The literal text of a str/bytes constant, ``"...".encode()`` or ``b"..."``, with its node."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        value = node.value
        return (value.decode("latin-1") if isinstance(value, bytes) else value), node
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "encode"
            and isinstance(node.func.value, ast.Constant)):
        return _text_of(node.func.value)
    return None


def _resolved_text(node: ast.expr, body: FunctionBody) -> tuple[str, ast.expr] | None:
    """Like ``_text_of``, also through one local name (``api_key=KEY`` with ``KEY = "..."``)."""
    found = _text_of(node)
    if found is not None or not isinstance(node, ast.Name):
        return found
    for scope in body.evaluator.scopes:
        if node.id in scope.params:
            return None
        if node.id in scope.assigned:
            value = scope.single_value(node.id)
            return _text_of(value) if value is not None else None
    return None


class _Reporter:
    def __init__(self, code: ModuleCode, body: FunctionBody, out: list[Credential], seen: set[tuple[int, int]]):
        self.code, self.body, self.out, self.seen = code, body, out, seen

    def add(self, node: ast.expr, kind: str, key: str) -> None:
        position = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if position in self.seen:
            return
        self.seen.add(position)
        self.out.append(Credential(self.code.loc(node), self.body.qualname, kind, key))

    def value(self, node: ast.expr | None, key: str, resolve: bool = False, label: str = "") -> None:
        """Judge the value bound to ``key`` (a name, keyword or dict key); ``label`` is how the
        finding names the binding (``DATABASES['default']['PASSWORD']``), ``key`` by default."""
        if node is None:
            return
        kind = secret_kind(key) if key else ""
        if not kind and not isinstance(node, (ast.Constant, ast.Dict, ast.Call)):
            return  # a value of an ordinary name that is no literal: nothing to see
        found = _resolved_text(node, self.body) if resolve else _text_of(node)
        binding = label or key
        if found is not None:
            text, literal = found
            if _has_private_key(text):
                self.add(literal, "private-key", binding)
            elif kind and _is_secret_value(text, kind, key):
                self.add(literal, kind, binding)
            elif _url_password(text):
                self.add(literal, "url-password", binding)
            return
        if kind:
            self._wrapped(node, kind, binding)
        if isinstance(node, ast.Dict):
            self.mapping(node, binding)

    def _wrapped(self, node: ast.expr, kind: str, key: str) -> None:
        """``SecretStr("...")``, ``Field(default="...")`` and env reads with a default."""
        if not isinstance(node, ast.Call):
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                self._env_default(node.values[-1], kind, key)  # os.environ.get("K") or "..."
            return
        callee = self.code.callee(node)
        if callee in ENV_GETTERS:
            default = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "default"), None)
            self._env_default(default, kind, key)
        elif callee.rsplit(".", 1)[-1] in _WRAPPERS:
            inner = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "default"), None)
            self.value(inner, key)

    def _env_default(self, node: ast.expr | None, kind: str, key: str) -> None:
        # A default of an environment read is usually a development value; only one that looks
        # machine-generated (a real key pasted in as a fallback) is reported.
        found = _text_of(node)
        if found is not None and (looks_like_token(found[0]) or _has_private_key(found[0])):
            self.add(found[1], "private-key" if _has_private_key(found[0]) else kind, key)

    def mapping(self, node: ast.Dict, prefix: str, depth: int = 0) -> None:
        if depth > 5:
            return
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value in _EXAMPLE_KEYS:
                continue
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                part = _safe_label(k.value)
                label = f"{prefix}[{part!r}]" if prefix else part
                if isinstance(v, ast.Dict):
                    self.mapping(v, label, depth + 1)
                else:
                    self.value(v, k.value, label=label)
            elif k is None and isinstance(v, ast.Dict):
                self.mapping(v, prefix, depth + 1)


def _has_private_key(text: str) -> bool:
    return "PRIVATE KEY-----" in text and _PRIVATE_KEY.search(text) is not None


def _is_secret_value(text: str, kind: str, key: str) -> bool:
    # PEM text has blanks ("BEGIN CERTIFICATE") that read as prose to the placeholder check.
    return bool(kind == "client-certificate" and _CERTIFICATE.search(text)) or not is_placeholder(text, key)


def _safe_label(key: str) -> str:
    """A dict key to name in a message; "..." when it could itself be sensitive."""
    return key if _PLAIN_KEY.match(key) and not looks_like_token(key) else "..."


def _url_password(text: str) -> bool:
    if "@" not in text or "://" not in text:
        return False
    match = _URL_PASSWORD.match(text.strip())
    if match is None:
        return False
    host = match.group("host").lower()
    if host in _LOOPBACK_HOSTS or "." not in host:
        return False  # a local or compose database: a development URL
    return not is_placeholder(match.group("password"))


# Values that document a schema (pydantic `json_schema_extra={"example": ...}`, `Field(examples=[...])`,
# FastAPI's `openapi_examples`): example data for readers, never a credential anything uses.
_EXAMPLE_KEYS = frozenset({"example", "examples", "json_schema_extra", "openapi_examples", "schema_extra"})


def _call_credentials(reporter: _Reporter, call: ast.Call) -> None:
    for keyword in call.keywords:
        if keyword.arg in _EXAMPLE_KEYS:
            continue
        if keyword.arg is not None:
            reporter.value(keyword.value, keyword.arg, resolve=bool(secret_kind(keyword.arg)))
        elif isinstance(keyword.value, ast.Dict):
            reporter.mapping(keyword.value, "")
    for arg in call.args:
        reporter.value(arg, "")
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    found = _text_of(receiver)
    if found is not None and _has_private_key(found[0]):
        reporter.add(found[1], "private-key", "")


def _scope_credentials(reporter: _Reporter) -> None:
    code, body = reporter.code, reporter.body
    scope = body.scope
    for name, values in scope.assigned.items():
        for value in values:
            reporter.value(value, name)
    for updates in scope.dict_updates.values():
        for update in updates:
            if isinstance(update, ast.Assign):
                for target in update.targets:
                    key = _subscript_key(target)
                    if key:
                        reporter.value(update.value, key, label=_safe_label(key))
    for ret in body.returns:
        if isinstance(ret.value, ast.Dict):
            reporter.mapping(ret.value, "")
    stored = [a for a in body.attributes if isinstance(a.ctx, ast.Store) and secret_kind(a.attr)]
    if stored:
        # `client.api_key = "..."`: rare, so only then are this scope's statements looked at.
        wanted = {id(a) for a in stored}
        for statement in _statements(_body_statements(code, body)):
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    if id(target) in wanted and isinstance(target, ast.Attribute):
                        reporter.value(statement.value, target.attr)


def _subscript_key(target: ast.expr) -> str:
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        key = target.slice.value
        return key if isinstance(key, str) else ""
    return ""


def _body_statements(code: ModuleCode, body: FunctionBody) -> list[ast.stmt]:
    if body.node is None:
        return code.tree.body
    return body.node.body


def _statements(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of one scope (nested blocks included, nested functions and classes not)."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(reversed(children))


def _splat_name(node: ast.expr) -> str:
    """How to name a ``**splat`` without quoting literals that may be in it."""
    if isinstance(node, ast.Await):
        return _splat_name(node.value)
    if isinstance(node, ast.Call):
        return f"{_splat_name(node.func)}(...)"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_splat_name(node.value)}.{node.attr}"
    return "..."
