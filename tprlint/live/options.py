"""How to reach the running system: the probe's connection settings, resolved before any network call.

Temporal settings follow the Temporal CLI's conventions (flags, ``TEMPORAL_*`` variables, the CLI's
environment config file); an API key is only ever read from an environment variable, never from the
command line, and is never printed (``__repr__`` hides it).
"""

from __future__ import annotations

from dataclasses import field

from tprlint.records import frozen


class ProbeConfigError(Exception):
    """The probe's settings cannot be used (a missing file, an empty API key variable...): exit 2."""


@frozen
class TemporalConnection:
    address: str  # host:port
    namespace: str = "default"
    tls: bool = False  # TLS on (a CA, a client certificate, an API key or TEMPORAL_TLS turn it on)
    tls_cert_path: str = ""
    tls_key_path: str = ""
    tls_ca_path: str = ""
    tls_server_name: str = ""
    tls_disable_host_verification: bool = False
    api_key: str = field(default="", repr=False)  # from --api-key-env VAR / TEMPORAL_API_KEY only
    timeout: float = 5.0  # seconds, for each call
    source: str = ""  # where the address came from: "--address", "TEMPORAL_ADDRESS", "profile default (FILE)"

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in any output."""
        return (self.api_key,) if self.api_key else ()


@frozen
class KubeConnection:
    context: str = ""  # kubeconfig context; "" for the current one (or in-cluster config)
    kubeconfig: str = ""  # a kubeconfig file; "" for $KUBECONFIG / ~/.kube/config / in-cluster
    namespaces: tuple[str, ...] = ()  # () for the context's namespace
    timeout: float = 5.0  # seconds, for each request


@frozen
class ProbeSettings:
    temporal: TemporalConnection | None = None
    kubernetes: KubeConnection | None = None
    kube_skipped: str = ""  # why the cluster is not probed, when it is not
    since_seconds: float = 3600.0  # --since: the window for workflow error counts
    since_time: str = ""  # --since as an RFC 3339 time, when one was given
    deadline: float = 30.0  # seconds for the whole probe (each --wait attempt)
    wait: float = 0.0  # --wait: keep probing until the post-deployment items pass, for this long
    interval: float = 5.0  # seconds between --wait attempts
    build_id: str = ""  # --build-id: the build every task queue must be polled by (TPR715)
