"""The probe's Temporal connection, resolved the way the Temporal CLI resolves its own.

Each setting comes from the first of: a command-line flag, a ``TEMPORAL_*`` environment variable, the
selected profile of the CLI's environment config file (TOML, ``[profile.NAME]``), the default
(``localhost:7233``, namespace ``default``). So a machine set up for ``temporal`` (``temporal config set``,
``TEMPORAL_ADDRESS``...) is probed as ``temporal`` would see it.

The file is read here with tomllib rather than ``temporalio.envconfig``: that one merges the environment
and the file (so where the address came from is lost), drops ``TEMPORAL_TLS_DISABLE_HOST_VERIFICATION``,
ignores a misspelt ``TEMPORAL_TLS`` and a missing ``TEMPORAL_CONFIG_FILE``, and reads the real user's home even
when the caller passes another environment. Reading it here also keeps ``temporalio`` out of everything
but the probe itself: a wrong setting is reported before any import or network call.

Differences from the CLI, each in the user's favour: an empty variable counts as unset, and a config file
that was named explicitly but does not exist, a misspelt boolean, or inline certificate data
(``*_data``, which the probe cannot pass on) are errors instead of being silently ignored.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tprlint.live.options import ProbeConfigError, TemporalConnection
from tprlint.records import frozen

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
DEFAULT_PROFILE = "default"

# (setting, environment variable, key in the profile's [tls] table or "" for a top-level key)
_PATHS = (
    ("tls_cert_path", "TEMPORAL_TLS_CLIENT_CERT_PATH", "client_cert_path"),
    ("tls_key_path", "TEMPORAL_TLS_CLIENT_KEY_PATH", "client_key_path"),
    ("tls_ca_path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "server_ca_cert_path"),
)
_FLAGS = {"tls_cert_path": "--tls-cert-path", "tls_key_path": "--tls-key-path", "tls_ca_path": "--tls-ca-path"}


@frozen
class _Profile:
    """The selected profile of the config file, or an empty one."""

    values: Mapping[str, Any]
    tls: Mapping[str, Any]
    where: str  # "profile NAME (FILE)", "" when no file was read
    has_tls: bool = False  # the profile has a [tls] table, even an empty one: TLS on, as for the CLI

    def get(self, key: str, *, tls: bool = False) -> Any:
        return (self.tls if tls else self.values).get(key)


def resolve_temporal(*, address: str | None = None, namespace: str | None = None, tls: bool | None = None,
                     tls_cert_path: str | None = None, tls_key_path: str | None = None,
                     tls_ca_path: str | None = None, tls_server_name: str | None = None,
                     tls_disable_host_verification: bool | None = None, api_key_env: str | None = None,
                     profile: str | None = None, config_file: str | None = None, timeout: float = 5.0,
                     env: Mapping[str, str]) -> TemporalConnection:
    """The connection the flags, ``env`` and the config file give; ProbeConfigError when it cannot be used.

    None and "" mean "flag not given" (``tls=False`` is an explicit "no TLS"). ``api_key_env`` names the
    variable that holds the API key (the only way to give one on the command line, so it never shows in a
    process list or shell history).
    """
    if not timeout > 0:
        raise ProbeConfigError(f"the Temporal timeout must be a positive number of seconds, not {timeout}")
    env = {key: value for key, value in env.items() if value != ""}  # empty counts as unset
    prof = _load_profile(profile, config_file, env)

    resolved_address, source = _pick_with_source(
        ("--address", address), ("TEMPORAL_ADDRESS", env.get("TEMPORAL_ADDRESS")),
        (prof.where, _string(prof, "address")))
    if not resolved_address:
        resolved_address, source = DEFAULT_ADDRESS, "default"
    _check_address(resolved_address, source)
    resolved_namespace = (namespace or env.get("TEMPORAL_NAMESPACE") or _string(prof, "namespace")
                          or DEFAULT_NAMESPACE)

    api_key = _api_key(api_key_env, env, prof)
    paths = {setting: _path(setting, flag_value, variable, key, env, prof)
             for (setting, variable, key), flag_value in zip(
                 _PATHS, (tls_cert_path, tls_key_path, tls_ca_path), strict=True)}
    if bool(paths["tls_cert_path"]) != bool(paths["tls_key_path"]):
        given, missing = (("client certificate", "--tls-key-path") if paths["tls_cert_path"]
                          else ("client key", "--tls-cert-path"))
        raise ProbeConfigError(f"a TLS {given} was given without its pair: give {missing} too (mutual TLS "
                               "needs both the certificate and its key)")
    server_name = (tls_server_name or env.get("TEMPORAL_TLS_SERVER_NAME")
                   or _string(prof, "server_name", tls=True))
    skip_verify = _first_bool(
        ("--tls-disable-host-verification", tls_disable_host_verification),
        ("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", _env_bool(env, "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION")),
        (prof.where, _file_bool(prof, "disable_host_verification")))

    disabled = _first_bool(
        ("--tls", None if tls is None else not tls),
        ("TEMPORAL_TLS", _negate(_env_bool(env, "TEMPORAL_TLS"))),
        (prof.where, _file_bool(prof, "disabled")))
    if disabled is None:
        # As the CLI: TLS is on as soon as anything TLS-related is configured (a [tls] table counts), or an
        # API key is given, since a bearer token must not cross the network in clear text.
        use_tls = bool(api_key or server_name or any(paths.values()) or prof.has_tls or skip_verify)
    else:
        use_tls = not disabled

    return TemporalConnection(
        address=resolved_address, namespace=resolved_namespace, tls=use_tls,
        tls_cert_path=paths["tls_cert_path"], tls_key_path=paths["tls_key_path"], tls_ca_path=paths["tls_ca_path"],
        tls_server_name=server_name, tls_disable_host_verification=bool(skip_verify), api_key=api_key,
        timeout=float(timeout), source=source)


def default_config_file(env: Mapping[str, str]) -> str:
    """Where the CLI looks for its config file (Go's ``os.UserConfigDir()``/temporalio/temporal.toml)."""
    if sys.platform == "win32":
        base = env.get("APPDATA", "")
    elif sys.platform == "darwin":
        base = str(Path(env["HOME"]) / "Library" / "Application Support") if env.get("HOME") else ""
    else:
        xdg = env.get("XDG_CONFIG_HOME", "")
        base = xdg if os.path.isabs(xdg) else (str(Path(env["HOME"]) / ".config") if env.get("HOME") else "")
    return str(Path(base) / "temporalio" / "temporal.toml") if base else ""


def _load_profile(profile: str | None, config_file: str | None, env: Mapping[str, str]) -> _Profile:
    file_flag = ("--temporal-config", config_file) if config_file else (
        ("TEMPORAL_CONFIG_FILE", env["TEMPORAL_CONFIG_FILE"]) if "TEMPORAL_CONFIG_FILE" in env else ("", ""))
    path = file_flag[1] or default_config_file(env)
    name = profile or env.get("TEMPORAL_PROFILE", "")
    named = bool(name)
    name = name or DEFAULT_PROFILE
    if not path:
        data: dict[str, Any] = {}
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            if file_flag[0]:
                raise ProbeConfigError(f"the Temporal config file {path} (from {file_flag[0]}) does not "
                                       "exist: fix the path, or leave it out to use the default file") from None
            text = ""  # the default file is optional, as for the CLI
        except (OSError, UnicodeDecodeError) as exc:
            raise ProbeConfigError(f"cannot read the Temporal config file {path}: {_reason(exc)}") from None
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ProbeConfigError(f"the Temporal config file {path} is not valid TOML: {_reason(exc)}") from None
    profiles = data.get("profile", {})
    if not isinstance(profiles, dict):
        raise ProbeConfigError(f"the Temporal config file {path}: `profile` must be a table of profiles")
    values = profiles.get(name)
    if values is None:
        if named:
            known = ", ".join(sorted(str(p) for p in profiles)) or "none"
            raise ProbeConfigError(f"profile {name!r} (from {'--profile' if profile else 'TEMPORAL_PROFILE'}) is "
                                   f"not in {path or 'the Temporal config file'} (profiles there: {known})")
        return _Profile({}, {}, "")
    where = f"profile {name} ({path})"
    if not isinstance(values, dict):
        raise ProbeConfigError(f"{where}: [profile.{name}] must be a table")
    tls_table = values.get("tls", {})
    if not isinstance(tls_table, dict):
        raise ProbeConfigError(f"{where}: `tls` must be a table ([profile.{name}.tls])")
    return _Profile(values, tls_table, where, has_tls="tls" in values)


def _string(prof: _Profile, key: str, *, tls: bool = False) -> str:
    value = prof.get(key, tls=tls)
    if value is None:
        return ""
    if not isinstance(value, str):
        shown = f"tls.{key}" if tls else key
        raise ProbeConfigError(f"{prof.where}: `{shown}` must be a string, not {type(value).__name__}")
    return value


def _file_bool(prof: _Profile, key: str) -> bool | None:
    value = prof.get(key, tls=True)
    if value is None or isinstance(value, bool):
        return value
    raise ProbeConfigError(f"{prof.where}: `tls.{key}` must be true or false, not {value!r}")


def _env_bool(env: Mapping[str, str], variable: str) -> bool | None:
    value = env.get(variable)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("1", "true"):
        return True
    if lowered in ("0", "false"):
        return False
    raise ProbeConfigError(f"{variable}={value!r}: expected true, false, 1 or 0")


def _negate(value: bool | None) -> bool | None:
    return None if value is None else not value


def _first_bool(*candidates: tuple[str, bool | None]) -> bool | None:
    for _, value in candidates:
        if value is not None:
            return value
    return None


def _pick_with_source(*candidates: tuple[str, str | None]) -> tuple[str, str]:
    for source, value in candidates:
        if value:
            return value, source
    return "", ""


def _api_key(api_key_env: str | None, env: Mapping[str, str], prof: _Profile) -> str:
    if api_key_env:
        key = env.get(api_key_env, "")
        if not key.strip():
            raise ProbeConfigError("--api-key-env: the environment variable it names is unset or empty; export "
                                   "the API key in it (its name is not repeated here, in case it is the key)")
        return key.strip()
    return (env.get("TEMPORAL_API_KEY") or _string(prof, "api_key")).strip()


def _path(setting: str, flag_value: str | None, variable: str, key: str, env: Mapping[str, str],
          prof: _Profile) -> str:
    data_variable = variable.replace("_PATH", "_DATA")
    data_key = key.replace("_path", "_data")
    for source, path, inline in (
            (_FLAGS[setting], flag_value, False),
            (variable, env.get(variable, ""), data_variable in env),
            (prof.where, _string(prof, key, tls=True), bool(prof.get(data_key, tls=True)))):
        if path:
            return _existing(path, source)
        if inline:
            where = data_variable if source == variable else f"{prof.where}: tls.{data_key}"
            raise ProbeConfigError(f"{where}: the probe reads certificates and keys from files only; write the "
                                   f"PEM to a file and give its path ({variable} or tls.{key})")
    return ""


def _existing(path: str, source: str) -> str:
    expanded = os.path.expanduser(path)
    if not os.path.isfile(expanded):
        raise ProbeConfigError(f"{path} (from {source}) does not exist or is not a file: give the path of the "
                               "PEM file")
    if not os.access(expanded, os.R_OK):
        raise ProbeConfigError(f"{path} (from {source}) cannot be read: check its permissions")
    return expanded


def _check_address(address: str, source: str) -> None:
    host, sep, port = address.rpartition(":")
    if "://" in address or not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ProbeConfigError(f"the Temporal address {address!r} (from {source}) is not HOST:PORT, e.g. "
                               "temporal-frontend.temporal:7233 (no scheme such as http://)")


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


__all__ = ["DEFAULT_ADDRESS", "DEFAULT_NAMESPACE", "default_config_file", "resolve_temporal"]
