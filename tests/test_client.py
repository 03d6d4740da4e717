"""Client connections, credentials and SDK metrics (TPR301-TPR306) on projects written the way real
ones are: settings modules, a shared `connect()` helper, Django and pydantic-settings configuration,
envconfig profiles, several workers per process - and the guarantee that a credential never reaches
any output."""

from __future__ import annotations

import ast
import json
import pickle
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.python.clients import (
    REDACTED,
    is_placeholder,
    looks_like_token,
    secret_kind,
)
from tprlint.facts.python.credential_text import may_hold_a_credential
from tprlint.facts.python.extract import extract_python
from tprlint.facts.python.facts import PythonFacts
from tprlint.facts.python.values import Env, Lit, Missing
from tprlint.rules.client import classify_host, split_target

CLIENT_RULES = ("TPR301", "TPR302", "TPR303", "TPR304", "TPR305", "TPR306")


def facts(source: str, path: str = "app/worker.py") -> PythonFacts:
    return extract_python(ast.parse(textwrap.dedent(source)), path)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str],
         rules: tuple[str, ...] = CLIENT_RULES) -> list[tuple[str, str, int]]:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, files)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=rules), use_cache=False, jobs=1)
    return sorted((f.rule_id, Path(f.location.path).as_posix(), f.location.line) for f in result.findings)


def fired(found: list[tuple[str, str, int]], rule: str) -> list[tuple[str, int]]:
    return [(path, line) for r, path, line in found if r == rule]


# -- targets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "kind"), [
    ("localhost", "loopback"), ("127.0.0.1", "loopback"), ("127.3.4.5", "loopback"), ("::1", "loopback"),
    ("0.0.0.0", "loopback"), ("host.docker.internal", "loopback"), ("api.localhost", "loopback"),
    ("temporal", "service"), ("temporal-frontend", "service"),
    ("temporal-frontend.temporal", "cluster"), ("temporal-frontend.temporal.svc.cluster.local", "cluster"),
    ("frontend.temporal.svc", "cluster"),
    ("temporal.example.com", "network"), ("example.io", "network"), ("temporal.prod.internal", "network"),
    ("10.0.0.5", "network"), ("2001:db8::1", "network"), ("temporal.example.de", "network"),
    ("ns.acct.tmprl.cloud", "cloud"), ("us-east-1.aws.api.temporal.io", "cloud"),
])
def test_hosts_are_classified(host: str, kind: str) -> None:
    assert classify_host(host) == kind


@pytest.mark.parametrize(("text", "expected"), [
    ("localhost:7233", ("", "localhost")), ("[::1]:7233", ("", "::1")), ("::1", ("", "::1")),
    ("http://temporal.example.com:7233", ("http", "temporal.example.com")),
    ("https://ns.acct.tmprl.cloud:7233/", ("https", "ns.acct.tmprl.cloud")), ("temporal", ("", "temporal")),
])
def test_targets_are_split(text: str, expected: tuple[str, str]) -> None:
    assert split_target(text) == expected


# -- facts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "from temporalio.client import Client\nc = await Client.connect('h:1', tls=True)",
    "import temporalio.client\nc = await temporalio.client.Client.connect('h:1', tls=True)",
    "from temporalio import client\nc = await client.Client.connect('h:1', tls=True)",
    "from temporalio.client import Client as C\nc = await C.connect(target_host='h:1', tls=True)",
])
def test_connect_spellings(source: str) -> None:
    (connect,) = facts(source).client.connects
    assert connect.target == Lit("h:1")
    assert connect.tls == Lit(True)


def test_connect_values_from_a_kwargs_dict_and_envconfig() -> None:
    found = facts("""
        import os
        from temporalio.client import Client
        from temporalio.envconfig import ClientConfig

        OPTIONS = {"namespace": "orders", "tls": True}
        a = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"), **OPTIONS)
        config = ClientConfig.load_client_connect_config()
        b = await Client.connect(**config)
        c = await Client.connect(**ClientConfig.load_client_connect_config(profile="prod"))
    """).client.connects
    assert found[0].namespace == Lit("orders") and found[0].tls == Lit(True) and not found[0].unresolved_splat
    assert found[0].target == Env("TEMPORAL_ADDRESS", Lit("localhost:7233"))
    assert found[1].envconfig and found[1].unresolved_splat == "**config" and isinstance(found[1].target, Missing)
    assert found[2].envconfig


def test_connect_keeps_no_literal_of_sensitive_options() -> None:
    (connect,) = facts("""
        from temporalio.client import Client
        from temporalio.service import TLSConfig
        c = await Client.connect("ns.acct.tmprl.cloud:7233", api_key="tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb",
                                 tls=TLSConfig(client_private_key="k3y-M4teR1al-9xQ", domain="d.example"))
    """).client.connects
    assert connect.api_key == Lit(REDACTED)
    text = pickle.dumps(connect)
    assert b"tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb" not in text and b"k3y-M4teR1al-9xQ" not in text


def test_reasons_and_splat_names_do_not_quote_literals() -> None:
    client = facts("""
        from temporalio.client import Client
        a = await Client.connect("h:1", api_key="tmprl_Zr8vQ2nK5pL9" + SUFFIX, tls=pick("k3y-M4teR1al-9xQ"))
        b = await Client.connect("h:1", **build({"api_key": "tmprl_Zr8vQ2nK5pL9"}))
    """).client
    assert client.connects[1].unresolved_splat == "**build(...)"
    text = pickle.dumps(client.connects)
    assert b"tmprl_Zr8vQ2nK5pL9" not in text and b"k3y-M4teR1al-9xQ" not in text


SECRETS_MODULE = '''
    import os
    from temporalio.client import Client

    TEMPORAL_API_KEY = "tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb"
    CLIENT_KEY = b"""-----BEGIN RSA PRIVATE KEY-----
    MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
    -----END RSA PRIVATE KEY-----"""
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "Wq8-zL2r-Kp4x"}}
    BROKER_URL = "amqp://orders:Hq72kLmZp9@rabbit.prod.example.com:5672/"
    API_TOKEN = os.getenv("TEMPORAL_API_KEY", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.Yx7K2p")
    DEV_PASSWORD = os.getenv("DEV_PASSWORD", "temporal")

    async def main(client: Client) -> None:
        client.api_key = "tmprl_K8wq2Lx9Rm4Tz7Vb3Np6Hs5J"
        config = {}
        config["password"] = "Rk93xqL2-wPz"
'''
SECRET_VALUES = (
    "tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb", "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "Wq8-zL2r-Kp4x", "Hq72kLmZp9", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.Yx7K2p",
    "tmprl_K8wq2Lx9Rm4Tz7Vb3Np6Hs5J", "Rk93xqL2-wPz",
)


def test_credentials_are_found_by_place_and_binding() -> None:
    found = [(c.location.line, c.kind, c.key) for c in facts(SECRETS_MODULE, "app/settings.py").client.credentials]
    assert found == [
        (5, "api-key", "TEMPORAL_API_KEY"),
        (6, "private-key", "CLIENT_KEY"),
        (9, "password", "DATABASES['default']['PASSWORD']"),
        (10, "url-password", "BROKER_URL"),
        (11, "token", "API_TOKEN"),
        (15, "api-key", "api_key"),
        (17, "password", "password"),
    ]


# How a credential is bound, as real code writes it: {name} is the binding's name, {value} the literal.
BINDINGS = (
    '{name} = "{value}"\n', '{name}: str = "{value}"\n', "{name} = (\n    '{value}'\n)\n",
    "{name} = (  # from the vault, some day\n\n    '{value}'\n)\n", '{name} = \\\n    "{value}"\n',
    'SETTINGS = {{"{name}": "{value}"}}\n', 'SETTINGS = {{\n    "{name}":  # see the wiki\n        "{value}",\n}}\n',
    'config = {{}}\nconfig["{name}"] = "{value}"\n', 'connect(host="h", {name}="{value}")\n',
    'connect(host="h", {name}=\n    "{value}")\n', 'connect(**dict({name}=\n    "{value}"))\n',
    'KEY = "{value}"\nconnect({name}=KEY)\n', 'KEY = "{value}"\nconnect({name}=KEY  # the key\n)\n',
    'KEY = "{value}"\nconnect({name}=(KEY))\n', 'connect(\n    {name}=KEY,\n)\nKEY = "{value}"\n',
    '{name} = os.environ.get("X", "{value}")\n', '{name} = os.environ.get(\n    "X",\n    "{value}",\n)\n',
    '{name} = os.getenv("X") or "{value}"\n', '{name} = os.environ.get("X", default="{value}")\n',
    'from pydantic import Field, SecretStr\n{name}: SecretStr = Field(\n    min_length=8,\n    description="k",\n'
    '    default="{value}",\n)\n',
    'from pydantic import SecretStr\n{name} = SecretStr(\n    # rotate yearly\n    "{value}"\n)\n',
    'from dataclasses import dataclass, field\n@dataclass\nclass Settings:\n    {name}: str = field(\n'
    '        repr=False,\n        default="{value}",\n    )\n',
    'class Settings:\n    {name} = "{value}"\n', 'def connect({name}="{value}"):\n    pass\n',
    'def connect(*, {name}: str = "{value}"):\n    pass\n', 'client.{name} = "{value}"\n',
    'if ({name} := "{value}"):\n    pass\n', '{name} = b"{value}"\n', '{name} = "{value}".encode()\n',
    '{name} = ""\n{name} += "{value}"\n', 'for {name} in "{value}":\n    pass\n',
    'connect("{value}")\n', 'connect("{value}"\n        "")\n', 'URL = "{value}"[:5] + "{value}"\n',
    'OPTIONS = dict(\n    {name}=os.environ.get("K")\n    or "{value}",\n)\n',
    'OPTIONS = {{\n    "{name}": os.environ.get("K")  # or the default\n    or "{value}",\n}}\n',
    'from typing import Annotated, Optional\nfrom pydantic import Field\n'
    '{name}: Annotated[Optional[str], Field(min_length=8)] = "{value}"\n',
    '{name}                                        = "{value}"\n', '{name} \\\n    = "{value}"\n',
    'for {name} in ("{value}"):\n    pass\n',
)
NAMES = ("TEMPORAL_API_KEY", "temporalApiKey", "api_key", "apikey", "DB_PASSWORD", "passwd", "client_secret",
         "AUTH_TOKEN", "next_page_token", "AWS_SECRET_ACCESS_KEY", "client_private_key", "client_cert",
         "API_KEY_", "API____KEY", "Credentials", "cache_key", "max_tokens", "url", "schlüssel_token",
         "SECRET_KEY", "client_secret_key", "JWT_SECRET_KEY", "secret-key",
         "a_very_long_name_that_goes_on_and_on_for_well_over_eighty_characters_before_it_ends_token")
KEYS = ("api/key", "api:key", "Password:", "token!", "api_key ", "signing-key")  # only as dict keys
VALUES = ("tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb", "Wq8-zL2r-Kp4x", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.Yx7K2p",
          "amqp://orders:Hq72kLmZp9@rabbit.prod.example.com:5672/",
          "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\\n")
MORE = (  # shapes of their own: a literal split by implicit concatenation, a key in triple quotes
    'DATABASE_URL = ("postgresql://billing:Xk9vQ2mL7pR4"\n    "@db.billing.example.com/app")\n',
    'PEM = ("-----BEGIN PRIVATE "\n       "KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\\n")\n',
    "SETTINGS = {'''password''': 'Wq8-zL2r-Kp4x'}\n",
    'DSN = "postgresql://app:' + "eyJhbGciOiJFUzI1NiJ9" * 30 + '@db.prod.example.com/app"\n',
)


def _sources() -> list[str]:
    found = [binding.format(name=name, value=value) for binding in BINDINGS for name in NAMES for value in VALUES]
    found += [f'SETTINGS = {{"{key}": "{value}"}}\n' for key in KEYS for value in VALUES]
    return found + list(MORE)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_module_with_a_credential_is_one_following_imports_parses(newline: str) -> None:
    # Modules of the Temporal code's closures are parsed for TPR302 only when may_hold_a_credential says
    # so: for every credential the extractor finds, it must.
    found = 0
    for body in _sources():
        source = ("import os\n" + body).replace("\n", newline)
        try:
            ast.parse(source)
        except SyntaxError:
            continue  # a name that is one only as a dict key
        if facts(source, "app/settings.py").client.credentials:
            found += 1
            assert may_hold_a_credential(source.encode()), source
    assert found > 1500


@pytest.mark.parametrize("source", [
    "def merge_token(self, payment):\n    \"\"\"Merge the token and return it.\"\"\"\n",
    'logger.debug("token: %d entries", len(rows))\n', 'if token == "abc":\n    pass\n',
    'for key, value in sorted(data.items(), key=lambda kv: kv[0]):\n    print("x")\n',
    'PASSWORD_HASH = "pbkdf2"\n', 'max_tokens = "many"\n', 'TOKEN_TTL = 300  # seconds\n',
    'api_key = os.getenv("OPENAI_API_KEY")\n', 'API_KEY = os.environ["API_KEY"]  # set by the chart\n',
    'kind = getattr(token, "kind", None)\n', 'from app.auth import merge_token, split_token\n',
    'def f(token: Any, *, limit: int = 3) -> str:\n    """Doc."""\n', 'class BaseToken:\n    """Doc."""\n',
    'FEATURES = {\n    "ingest_token": False,\n    "other": "x",\n}\n',
    '@pytest.mark.parametrize("v", ["token", 46])\n', 'if TOKEN >= limit or token != other:\n    pass\n',
    '"""See https://docs.example.com/guide for the options."""\n\nlimit: int = 1\n\n@app.get("/x")\n',
])
def test_ordinary_text_is_not_taken_for_a_credential(source: str) -> None:
    assert not may_hold_a_credential(source.encode())


def test_client_facts_never_hold_a_credential_value() -> None:
    client = pickle.dumps(facts(SECRETS_MODULE, "app/settings.py").client)
    for value in SECRET_VALUES:
        assert value.encode() not in client, value


def test_cached_module_facts_never_hold_a_credential_value() -> None:
    whole = pickle.dumps(facts(SECRETS_MODULE, "app/settings.py"))
    for value in SECRET_VALUES:
        assert value.encode() not in whole, value


@pytest.mark.parametrize(("name", "kind"), [
    ("TEMPORAL_API_KEY", "api-key"), ("temporalApiKey", "api-key"), ("APIKey", "api-key"), ("apikey", "api-key"),
    ("DB_PASSWORD", "password"), ("passwd", "password"), ("client_secret", "secret"), ("AUTH_TOKEN", "token"),
    ("AWS_SECRET_ACCESS_KEY", "secret"), ("client_private_key", "private-key"), ("client_cert", "client-certificate"),
    ("TOKEN_URL", ""), ("SECRET_NAME", ""), ("API_KEY_ENV", ""), ("password_field", ""), ("cache_key", ""),
    ("server_root_ca_cert", ""), ("max_tokens", ""), ("next_page_token", "token"),
])
def test_secret_names_are_decided_by_their_last_word(name: str, kind: str) -> None:
    assert secret_kind(name) == kind


@pytest.mark.parametrize("value", [
    "", "short", "changeme", "<your-api-key>", "${TEMPORAL_API_KEY}", "{{ .Values.key }}", "xxxxxxxxxxxx",
    "TEMPORAL_API_KEY", "/run/secrets/temporal/api-key", "certs/client.pem", "https://auth.example.com/token",
    "my-test-key-123", "dummy-value-1", "django-insecure-4k#2m!x8w@p0z", "access_token",
    "Your API key is not valid", "bold magenta", "dim cyan on black", "changethis",
])
def test_placeholders_are_not_credentials(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [
    "Sunshine Garden", "Kangaroo Ostrich", "Pässwört Geheimnis", "qWeRtYuIoPaSdFgHjKlZx MnBvCxZaSdFgHjKl",
    "Bearer QkDXnRwzLmPtVsHyJcGbFaUe", "sunshine garden",
])
def test_two_words_are_a_secret_unless_they_are_a_terminal_style(value: str) -> None:
    assert not is_placeholder(value)


def test_only_machine_generated_defaults_look_like_tokens() -> None:
    assert looks_like_token("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.Yx7K2p")
    assert looks_like_token("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    assert not looks_like_token("temporal")
    assert not looks_like_token("local-development-password")


def test_extraction_survives_odd_shapes() -> None:
    found = facts("""
        from temporalio.client import Client
        from temporalio.runtime import Runtime, TelemetryConfig
        from temporalio.service import TLSConfig

        args = ("h:1",)
        a = await Client.connect(*args)
        b = await Client.connect()
        c = await Client.connect(**{})
        d = await Client.connect("h:1", tls=TLSConfig(**opts), api_key=b"raw-bytes-key-123456")
        e = await Client.connect(f"{HOST}:7233", api_key=f"{PREFIX}-key")
        r = Runtime(**kw)
        t = TelemetryConfig(*a)
        weird = {1: "x", None: "y", **other}
        self.api_key: str = "tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb"
        (x.password, y) = ("Rk93xqL2-wPz", 1)
        lam = lambda password="Rk93xqL2-wPz": password
        match command:
            case {"password": "Rk93xqL2-wPz"}:
                pass
    """)
    assert len(found.client.connects) == 5
    assert found.client.connects[0].unresolved_splat == "*args"
    assert [m.what for m in found.client.metrics] == ["Runtime(telemetry=...) built at run time"]
    assert ("api-key", "api_key") in [(c.kind, c.key) for c in found.client.credentials]


# -- TPR301 / TPR303 / TPR304 / TPR305 on real-world shapes ----------------------------------------

SETTINGS_FROM_ENV = {
    "app/settings.py": """
        import os

        TEMPORAL_HOST = os.getenv("TEMPORAL_HOST", "localhost:7233")
        TEMPORAL_NAMESPACE = os.getenv("TEMPORAL_NAMESPACE", "default")
        TEMPORAL_API_KEY = os.getenv("TEMPORAL_API_KEY")
        TASK_QUEUE = "orders"
    """,
    "app/client.py": """
        from temporalio.client import Client
        from app import settings

        async def connect() -> Client:
            return await Client.connect(settings.TEMPORAL_HOST, namespace=settings.TEMPORAL_NAMESPACE,
                                        api_key=settings.TEMPORAL_API_KEY)
    """,
    "app/worker.py": """
        import asyncio
        from temporalio.worker import Worker
        from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
        from app.client import connect
        from app.settings import TASK_QUEUE

        Runtime.set_default(Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="0.0.0.0:9000"))))

        async def main():
            client = await connect()
            async with Worker(client, task_queue=TASK_QUEUE, workflows=[]):
                await asyncio.Event().wait()

        if __name__ == "__main__":
            asyncio.run(main())
    """,
    "app/starter.py": """
        import asyncio
        from app.client import connect

        async def main():
            client = await connect()
            await client.start_workflow("Order", id="o-1", task_queue="orders")

        if __name__ == "__main__":
            asyncio.run(main())
    """,
}


def test_settings_from_the_environment_and_a_shared_connect_helper_are_clean(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(tmp_path, monkeypatch, SETTINGS_FROM_ENV) == []


def test_a_hardcoded_cloud_helper_used_by_worker_and_starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = dict(SETTINGS_FROM_ENV)
    files["app/client.py"] = """
        import os
        from temporalio.client import Client

        CLOUD = "orders.a1b2c.tmprl.cloud:7233"

        async def connect() -> Client:
            return await Client.connect(CLOUD, api_key=os.environ["TEMPORAL_API_KEY"])
    """
    found = lint(tmp_path, monkeypatch, files)
    # The API key turns TLS on: no TPR301. One connect site, one finding per rule.
    assert found == [
        ("TPR303", "app/client.py", 8), ("TPR304", "app/client.py", 8), ("TPR305", "app/client.py", 8),
    ]


def test_plaintext_to_a_remote_host_from_a_settings_constant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = dict(SETTINGS_FROM_ENV)
    files["app/settings.py"] = """
        TEMPORAL_HOST = "temporal.internal.example.com:7233"
        TEMPORAL_NAMESPACE = "orders"
        TEMPORAL_API_KEY = None
        TASK_QUEUE = "orders"
    """
    found = lint(tmp_path, monkeypatch, files, ("TPR301", "TPR303", "TPR304"))
    assert found == [("TPR301", "app/client.py", 6), ("TPR303", "app/client.py", 6)]


def test_django_and_pydantic_settings_are_not_guessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "shop/temporal.py": """
            from django.conf import settings
            from temporalio.client import Client

            async def get_client() -> Client:
                return await Client.connect(settings.TEMPORAL_ADDRESS, namespace=settings.TEMPORAL_NAMESPACE,
                                            tls=settings.TEMPORAL_TLS)
        """,
        "svc/config.py": """
            from pydantic import SecretStr
            from pydantic_settings import BaseSettings, SettingsConfigDict
            from temporalio.client import Client

            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="TEMPORAL_")
                address: str = "localhost:7233"
                namespace: str = "default"
                api_key: SecretStr | None = None
                tls: bool = False

            settings = Settings()

            async def connect() -> Client:
                key = settings.api_key.get_secret_value() if settings.api_key else None
                return await Client.connect(settings.address, namespace=settings.namespace, api_key=key,
                                            tls=settings.tls)
        """,
    })
    assert found == []


def test_a_pydantic_settings_default_that_is_a_real_key_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "svc/config.py": """
            from pydantic import Field, SecretStr
            from pydantic_settings import BaseSettings
            import temporalio.client

            class Settings(BaseSettings):
                api_key: SecretStr = SecretStr("tmprl_Q3mv8Rt2Lz6Xw9Kp4Nb7Hc5F")
                db_password: str = Field(default="Zx81-qLm3-RtP0")
                placeholder_token: str = "<token>"
        """,
    }, ("TPR302",))
    assert found == [("TPR302", "svc/config.py", 7), ("TPR302", "svc/config.py", 8)]


def test_envconfig_and_forwarding_wrappers_are_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/client.py": """
            from temporalio.client import Client
            from temporalio.envconfig import ClientConfig, ClientConfigProfile

            async def from_profile() -> Client:
                config = ClientConfig.load_client_connect_config()
                config.setdefault("target_host", "localhost:7233")
                return await Client.connect(**config)

            async def from_loaded_profile() -> Client:
                return await Client.connect(**ClientConfigProfile.load(profile="prod").to_client_connect_config())

            async def forwarding(address: str, **kwargs) -> Client:
                return await Client.connect(address, **kwargs)
        """,
    }, ("TPR301", "TPR303", "TPR304", "TPR305"))
    assert found == []


def test_tls_from_files_read_at_run_time_and_tls_true_on_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/client.py": """
            import os
            from pathlib import Path
            from temporalio.client import Client
            from temporalio.service import TLSConfig

            async def mtls() -> Client:
                tls = TLSConfig(client_cert=Path(os.environ["TLS_CERT"]).read_bytes(),
                                client_private_key=Path(os.environ["TLS_KEY"]).read_bytes())
                return await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "orders.a1b2c.tmprl.cloud:7233"),
                                            namespace="orders.a1b2c", tls=tls)

            async def api_key() -> Client:
                return await Client.connect("orders.a1b2c.tmprl.cloud:7233", namespace="orders.a1b2c", tls=True,
                                            api_key=os.environ["TEMPORAL_API_KEY"])
        """,
    }, ("TPR301", "TPR302", "TPR304"))
    assert found == []


def test_tls_false_sends_even_an_api_key_in_the_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/client.py": """
            import os
            from temporalio.client import Client

            client = await Client.connect("temporal.example.com:7233", api_key=os.environ["K"], tls=False)
            proxy = await Client.connect("http://temporal.example.com:7233")
            secure = await Client.connect("https://temporal.example.com:7233")
        """,
    }, ("TPR301",))
    assert found == [("TPR301", "app/client.py", 5), ("TPR301", "app/client.py", 6)]


def test_loopback_literals_only_matter_in_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/temporal_client.py": """
            from temporalio.client import Client

            async def connect() -> Client:
                return await Client.connect("localhost:7233")
        """,
        "app/worker.py": """
            import asyncio
            from temporalio.worker import Worker
            from app.temporal_client import connect

            async def main():
                client = await connect()
                orders = Worker(client, task_queue="orders", workflows=[])
                billing = Worker(client, task_queue="billing", workflows=[])
                await asyncio.gather(orders.run(), billing.run())

            if __name__ == "__main__":
                asyncio.run(main())
        """,
        "scripts/start.py": """
            import asyncio
            from temporalio.client import Client

            async def main():
                client = await Client.connect("localhost:7233")
                await client.start_workflow("Order", id="o-1", task_queue="orders")

            if __name__ == "__main__":
                asyncio.run(main())
        """,
    }, ("TPR301", "TPR303", "TPR304", "TPR305", "TPR306"))
    # The helper is loaded by the worker process; the starter script is a development tool. One
    # TPR306 for the whole project, at the connect the worker process runs.
    assert found == [("TPR303", "app/temporal_client.py", 5), ("TPR306", "app/temporal_client.py", 5)]


def test_payload_codec_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "app/client.py": """
            import dataclasses
            from temporalio.client import Client
            from temporalio.converter import DataConverter
            from app.codec import EncryptionCodec
            from app.converters import CONVERTER

            HOST = "temporal.example.com:7233"
            PLAIN = dataclasses.replace(DataConverter.default, payload_codec=None)

            a = await Client.connect(HOST, namespace="o", tls=True, data_converter=CONVERTER)
            b = await Client.connect(HOST, namespace="o", tls=True, data_converter=PLAIN)
            c = await Client.connect(HOST, namespace="o", tls=True, data_converter=DataConverter())
            d = await Client.connect(HOST, namespace="o", tls=True, plugins=[SomePlugin()])
            e = await Client.connect(HOST, namespace="o", tls=True, data_converter=DataConverter.default)
        """,
        "app/converters.py": """
            import dataclasses
            import temporalio.converter
            from app.codec import EncryptionCodec

            CONVERTER = dataclasses.replace(temporalio.converter.DataConverter.default, payload_codec=EncryptionCodec())
        """,
    }, ("TPR305",))
    assert found == [("TPR305", "app/client.py", 12), ("TPR305", "app/client.py", 13), ("TPR305", "app/client.py", 15)]


# -- TPR306 ----------------------------------------------------------------------------------------


def test_metrics_anywhere_in_production_code_count_but_not_in_tests_or_tracing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = {
        "app/worker.py": """
            import os
            from temporalio.client import Client
            from temporalio.contrib.opentelemetry import TracingInterceptor
            from temporalio.worker import Worker

            async def main():
                client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], interceptors=[TracingInterceptor()])
                async with Worker(client, task_queue="q", workflows=[]):
                    ...
        """,
        "tests/test_worker.py": """
            from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
            runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="0.0.0.0:9000")))
        """,
    }
    (tmp_path / "a").mkdir()
    assert lint(tmp_path / "a", monkeypatch, worker, ("TPR306",)) == [("TPR306", "app/worker.py", 8)]
    with_otel = {**worker, "app/observability.py": """
        from temporalio.runtime import OpenTelemetryConfig, Runtime, TelemetryConfig
        RUNTIME = Runtime(telemetry=TelemetryConfig(metrics=OpenTelemetryConfig(url="http://collector:4317")))
    """}
    (tmp_path / "b").mkdir()
    assert lint(tmp_path / "b", monkeypatch, with_otel, ("TPR306",)) == []


def test_no_metrics_note_without_workers_or_with_an_unseen_runtime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    starter_only = {"app/api.py": """
        import os
        from temporalio.client import Client
        client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    """}
    assert lint(tmp_path / "a", monkeypatch, starter_only, ("TPR306",)) == []
    (tmp_path / "b").mkdir()
    unseen = {"app/worker.py": """
        import os
        from temporalio.client import Client
        from temporalio.worker import Worker

        async def main(runtime):
            client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], runtime=runtime)
            await Worker(client, task_queue="q", workflows=[]).run()
    """}
    assert lint(tmp_path / "b", monkeypatch, unseen, ("TPR306",)) == []


# -- TPR302 and redaction in every output -----------------------------------------------------------


def test_test_code_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {
        "tests/conftest.py": """
            from temporalio.client import Client
            API_KEY = "tmprl_Zr8vQ2nK5pL9xT4wM7cH3jYb"
            client = await Client.connect("temporal.example.com:7233")
        """,
        "app/test_helpers.py": """
            from temporalio.client import Client
            PASSWORD = "Rk93xqL2-wPz"
        """,
    })
    assert found == []


def test_every_secret_of_a_settings_module_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = lint(tmp_path, monkeypatch, {"app/settings.py": SECRETS_MODULE}, ("TPR302",))
    assert [line for _, _, line in found] == [5, 6, 9, 10, 11, 15, 17]


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "github", "concise"])
def test_no_output_format_ever_shows_a_credential(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, {
        "app/settings.py": SECRETS_MODULE,
        "app/worker.py": """
            from temporalio.client import Client
            from temporalio.worker import Worker

            async def main():
                client = await Client.connect("orders.a1b2c.tmprl.cloud:7233", api_key="tmprl_Hx4Lq8Vz2Np7Rk3Wm9Tb5Yc6")
                worker = Worker(client, task_queue="orders", workflows=[])
                await worker.run()
        """,
    })
    result = run_cli(str(tmp_path), "--no-cache", "-f", fmt, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert "TPR302" in output
    for value in (*SECRET_VALUES, "tmprl_Hx4Lq8Vz2Np7Rk3Wm9Tb5Yc6"):
        # Fragments too: the console crops long lines, which would hide a leak of the whole value.
        for fragment in (value[:8], value[-8:]):
            assert fragment not in output, f"{fmt} output shows {value}"
    # Rules other than TPR302 fire on the connect line too (TPR303-TPR306): their code frames
    # and snippets must not show it either.
    if fmt == "sarif":
        results = json.loads(result.stdout)["runs"][0]["results"]
        on_connect = [r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
                      and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/worker.py"]
        assert {r["ruleId"] for r in on_connect} >= {"TPR302", "TPR303", "TPR304"}
        assert all("snippet" not in r["locations"][0]["physicalLocation"]["region"] for r in on_connect)


def test_placeholders_sentinels_and_public_keys_are_not_credentials(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "creds.py").write_text(
        "from temporalio.client import Client\n\n"
        "APP_TOKEN = \"{app_name}\"\n"
        "ANGLE_TOKEN = \"<token>\"\n"
        "ENV_KEY = \"${API_KEY}\"\n"
        "PENDING_TOKEN = \"__pending_bot_token__\"\n"
        "END_TOKEN = \"<|end|>\"\n"
        "POSTHOG_API_KEY = \"phc_AbCdEf1234567890XyZaBcDeF123456\"\n"
        "STRIPE_PUBLISHABLE_KEY = \"pk_live_51HxYzAbCdEf1234567890\"\n"
        "REAL_API_KEY = \"q8Zr2LmV9xT4kPw7Yb3NcJ5hGf6DsA1E\"\n"
        "DB_PASSWORD = \"hunter2hunter2X\"\n\n"
        "async def connect():\n    return await Client.connect(\"x:7233\", api_key=REAL_API_KEY)\n",
        encoding="utf-8")
    result = run_cli(".", "-f", "concise", "--select", "TPR302", cwd=tmp_path)
    assert [line.split(":")[1] for line in result.stdout.splitlines()] == ["10", "11"]  # the two real ones
    assert "q8Zr2LmV9" not in result.stdout and "hunter2" not in result.stdout


def test_schema_examples_are_not_credentials(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "schema.py").write_text(
        "from pydantic import BaseModel, ConfigDict, Field\nfrom temporalio import activity\n\n"
        "class Creds(BaseModel):\n"
        "    model_config = ConfigDict(json_schema_extra={'example': {'api_key': 'sk-q8Zr2LmV9xT4kPw7Yb3NcJ5hGf6D'}})\n"
        "    token: str = Field(examples=['ghp_q8Zr2LmV9xT4kPw7Yb3NcJ5hGf6DsA1Eabcd'])\n"
        "    schema_doc = {'examples': {'password': 'q8Zr2LmV9xT4kPw7Yb3N'}}\n"
        "    real = {'password': 'q8Zr2LmV9xT4kPw7Yb3N'}\n", encoding="utf-8")
    result = run_cli(".", "-f", "concise", "--select", "TPR302", cwd=tmp_path)
    assert [line.split(":")[1] for line in result.stdout.splitlines()] == ["8"]  # only the real one
