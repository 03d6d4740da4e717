"""The probe's command-line options (``tprlint probe``, ``tprlint PATHS --probe``), turned into settings.

Connection options follow the Temporal CLI (``--address``, ``--namespace``, ``--tls-*``, ``TEMPORAL_*``
variables, its environment config file) and kubectl (``--context``, ``--kubeconfig``). An API key is only
taken from an environment variable (``--api-key-env VAR`` or ``TEMPORAL_API_KEY``): a literal on the
command line would be in the shell's history, the process list and CI logs.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from tprlint.live.options import KubeConnection, ProbeConfigError, ProbeSettings
from tprlint.live.paths import is_loopback

if TYPE_CHECKING:
    from tprlint.live.observe import LiveRun

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_CALL_TIMEOUT = 5.0
_DEADLINE = 30.0


def add_probe_arguments(parser: argparse.ArgumentParser, probe_command: bool) -> None:
    group = parser.add_argument_group(
        "live probe" if probe_command else "live probe (with --probe)",
        "read-only checks of the running Temporal server and Kubernetes cluster")
    if not probe_command:
        group.add_argument("--probe", action="store_true",
                           help="also probe the running system, and report static and live evidence together")
    group.add_argument("--address", metavar="HOST:PORT",
                       help="Temporal frontend (default: $TEMPORAL_ADDRESS, the CLI's config file, localhost:7233)")
    group.add_argument("--namespace", metavar="NS", help="Temporal namespace (default: $TEMPORAL_NAMESPACE, default)")
    group.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None,
                       help="connect with TLS (on by default with a certificate, a CA or an API key)")
    group.add_argument("--tls-cert-path", metavar="FILE", help="client certificate (mTLS)")
    group.add_argument("--tls-key-path", metavar="FILE", help="client private key (mTLS)")
    group.add_argument("--tls-ca-path", metavar="FILE", help="CA certificate that signed the server's")
    group.add_argument("--tls-server-name", metavar="NAME", help="server name to verify the certificate against")
    group.add_argument("--tls-disable-host-verification", action="store_true", default=None,
                       help="accepted as in the Temporal CLI, but the Python SDK always checks the host "
                            "name: give --tls-server-name instead")
    group.add_argument("--api-key-env", metavar="VAR",
                       help="environment variable holding an API key (never the key itself; default: "
                            "$TEMPORAL_API_KEY)")
    group.add_argument("--api-key", type=_refuse_api_key, help=argparse.SUPPRESS)
    group.add_argument("--profile", metavar="NAME", help="profile of the Temporal CLI's config file")
    group.add_argument("--temporal-config", metavar="FILE",
                       help="the Temporal CLI's config file (default: $TEMPORAL_CONFIG_FILE, "
                            "~/.config/temporalio/temporal.toml)")
    group.add_argument("--no-temporal", action="store_true", help="do not probe the Temporal server")
    group.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    group.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    group.add_argument("--kube-namespace", metavar="NS", action="append",
                       help="Kubernetes namespaces to list, comma-separated, repeatable (default: the context's)")
    group.add_argument("--no-kubernetes", action="store_true", help="do not probe the Kubernetes cluster")
    group.add_argument("--build-id", metavar="ID",
                       help="the build that must poll every task queue of the code (TPR715; with --wait, wait "
                            "for it): a Worker Deployment version's build id, or a Worker's build_id")
    group.add_argument("--since", metavar="DURATION|TIME", default="1h",
                       help="count workflows closed since then: 30m, 2h, or an RFC 3339 time (default: 1h)")
    group.add_argument("--wait", metavar="DURATION",
                       help="probe again until the post-deployment checks pass, for up to DURATION (e.g. 5m)")
    group.add_argument("--wait-interval", metavar="DURATION", default="5s",
                       help="time between --wait attempts (default: 5s)")
    group.add_argument("--call-timeout", metavar="DURATION", default=f"{_CALL_TIMEOUT:g}s",
                       help=f"limit of each network call (default: {_CALL_TIMEOUT:g}s)")
    group.add_argument("--probe-deadline", metavar="DURATION", default=f"{_DEADLINE:g}s",
                       help=f"limit of one whole probe (each --wait attempt) (default: {_DEADLINE:g}s)")
    group.add_argument("--record", metavar="FILE", type=Path,
                       help="write what the probe saw to FILE (JSON), to judge it later with --replay")
    group.add_argument("--replay", metavar="FILE", type=Path,
                       help="judge a snapshot written by --record instead of probing (no network)")


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _refuse_api_key(_: str) -> str:
    # The message never repeats what was given: it is a key.
    raise argparse.ArgumentTypeError("an API key is never taken on the command line (it would be in the shell "
                                     "history, the process list and CI logs): put it in an environment variable "
                                     "and name that with --api-key-env VAR (the value given is not shown)")


def parse_duration(text: str, option: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ProbeConfigError(f"{option} expects a duration like 30s, 5m or 2h, not {text!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 0 <= seconds < 10**8:
        raise ProbeConfigError(f"{option} is out of range: {text!r}")
    return seconds


def probe_settings(args: argparse.Namespace, env: Mapping[str, str]) -> ProbeSettings:
    """Settings from the options and the environment; ProbeConfigError says what is wrong (exit 2)."""
    call_timeout = parse_duration(args.call_timeout, "--call-timeout")
    deadline = parse_duration(args.probe_deadline, "--probe-deadline")
    if getattr(args, "timeout", None):  # the run's own time limit bounds its probe too
        deadline = min(deadline, float(args.timeout))
    if call_timeout <= 0 or deadline <= 0:
        raise ProbeConfigError("--call-timeout and --probe-deadline must be above 0")
    since_seconds, since_time = 3600.0, ""
    if re.match(r"^\d{4}-\d\d-\d\d", args.since.strip()):
        try:
            moment = datetime.fromisoformat(args.since.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ProbeConfigError(f"--since: {args.since!r} is not an RFC 3339 time") from None
        if moment.tzinfo is None:
            raise ProbeConfigError(f"--since: {args.since!r} needs a time zone (Z or +01:00)")
        since_time = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        since_seconds = parse_duration(args.since, "--since")
    if args.api_key_env is not None and not _ENV_NAME.match(args.api_key_env):
        raise ProbeConfigError("--api-key-env takes the NAME of an environment variable (letters, digits and _), "
                               "not a key (the value given is not shown)")
    temporal = None
    if not args.no_temporal:
        from tprlint.live.temporal_connect import resolve_temporal

        temporal = resolve_temporal(
            address=args.address, namespace=args.namespace, tls=args.tls, tls_cert_path=args.tls_cert_path,
            tls_key_path=args.tls_key_path, tls_ca_path=args.tls_ca_path, tls_server_name=args.tls_server_name,
            tls_disable_host_verification=args.tls_disable_host_verification, api_key_env=args.api_key_env,
            profile=args.profile, config_file=args.temporal_config, timeout=call_timeout, env=env)
        if temporal.api_key and not temporal.tls and not is_loopback(temporal.address):
            raise ProbeConfigError(f"an API key is sent only over TLS: {temporal.address} is not on this host and "
                                   "TLS is off (--no-tls, TEMPORAL_TLS or the profile); turn TLS on")
    kubernetes, kube_skipped = (None, "--no-kubernetes") if args.no_kubernetes else _kube(args, env, call_timeout)
    if temporal is None and kubernetes is None:
        raise ProbeConfigError("nothing to probe: --no-temporal, and " + (
            "--no-kubernetes" if args.no_kubernetes else f"no Kubernetes configuration ({kube_skipped})"))
    wait = parse_duration(args.wait, "--wait") if args.wait else 0.0
    if getattr(args, "timeout", None):  # --wait ends before the run's time limit, leaving time for the rules
        wait = min(wait, max(0.0, float(args.timeout) * 0.8 - deadline))
    build_id = (args.build_id or "").strip()
    if args.build_id is not None and not build_id:
        raise ProbeConfigError("--build-id needs a build id")
    return ProbeSettings(temporal=temporal, kubernetes=kubernetes, kube_skipped=kube_skipped, build_id=build_id,
                         since_seconds=since_seconds, since_time=since_time,
                         deadline=deadline, wait=wait,
                         interval=max(0.5, parse_duration(args.wait_interval, "--wait-interval")))


def _kube(args: argparse.Namespace, env: Mapping[str, str], timeout: float) -> tuple[KubeConnection | None, str]:
    """The cluster to list: asked for by an option, or a kubeconfig / in-cluster configuration that exists.
    Without any, the cluster is not probed (the summary says why), which is not an error."""
    namespaces = tuple(dict.fromkeys(part.strip() for value in (args.kube_namespace or ())
                                     for part in value.split(",") if part.strip()))
    asked = bool(args.context or args.kubeconfig or namespaces)
    if args.kubeconfig and not Path(args.kubeconfig).is_file():
        raise ProbeConfigError(f"--kubeconfig: no such file: {args.kubeconfig}")
    found = any(Path(p).is_file() for p in env.get("KUBECONFIG", "").split(os.pathsep) if p) \
        or (Path.home() / ".kube" / "config").is_file() or bool(env.get("KUBERNETES_SERVICE_HOST"))
    if not (asked or found):
        return None, "no kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a cluster"
    return KubeConnection(context=args.context or "", kubeconfig=args.kubeconfig or "", namespaces=namespaces,
                          timeout=timeout), ""


# Options that only mean something when probing: given without --probe, they are a mistake to point out.
PROBE_ONLY = ("address", "namespace", "tls", "tls_cert_path", "tls_key_path", "tls_ca_path", "tls_server_name",
              "tls_disable_host_verification", "api_key_env", "profile", "temporal_config", "context", "kubeconfig",
              "kube_namespace", "wait", "record", "replay", "build_id")


def live_run(args: argparse.Namespace, env: Mapping[str, str]) -> LiveRun:
    """The probe of this run: a recorded snapshot (--replay), else the settings of the options."""
    from tprlint.live.observe import LiveRun
    from tprlint.live.snapshot import from_json

    if args.replay:
        try:
            text = args.replay.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProbeConfigError(f"--replay: cannot read {args.replay}: {exc}") from None
        try:
            return LiveRun(recorded=from_json(text))
        except (ValueError, TypeError) as exc:
            raise ProbeConfigError(f"--replay: {args.replay} is not a snapshot written by --record: {exc}") from None
    return LiveRun(probe_settings(args, env))


def misplaced_probe_options(args: argparse.Namespace) -> list[str]:
    return [f"--{name.replace('_', '-')}" for name in PROBE_ONLY if getattr(args, name, None) not in (None, False)]
