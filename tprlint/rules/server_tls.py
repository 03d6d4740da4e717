"""Mutual TLS on the Temporal server (TPR514, TPR515): TLS that encrypts but does not authenticate.

TPR506 asks whether the server's planes use TLS at all. These rules take the planes where TLS is on
and ask whether the server verifies the certificate of whoever connects (`requireClientAuth` with a
client CA), where that is what keeps strangers out:

* the **frontend** (TPR514), when it is reachable from outside the cluster (a LoadBalancer or NodePort
  Service, an Ingress) and no authorizer authenticates callers, or when the project's own clients
  present client certificates that the server then never checks;
* **internode** traffic (TPR515), always: history, matching and the membership ring trust whoever
  reaches their ports, so without client certificates any pod can call them directly, past the
  frontend's authorizer.

Where a service mesh injects mTLS (the sidecar labels TPR506 reads) the model holds no client-auth
value and these rules stay silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.devsetup import is_dev_path
from tprlint.facts.python.values import Missing, Obj
from tprlint.facts.temporal_server import ServerConfig, Value
from tprlint.model import Location
from tprlint.rules.client import resolve_target
from tprlint.rules.context import Hit, Project, is_test_path


def tls_servers(project: Project, plane: str) -> list[ServerConfig]:
    """Judged server deployments whose ``plane`` uses TLS with a known client-auth setting."""
    return [c for c in project.temporal_servers.judged() if not is_test_path(c.location.path)
            and getattr(c, f"{plane}_client_auth") is not None]


def certificate_clients(project: Project) -> list[Location]:
    """`Client.connect(..., tls=TLSConfig(client_cert=...))` calls in production code, except to
    Temporal Cloud."""
    found: list[Location] = []
    for key in sorted(project.python.modules):
        module = project.python.modules[key]
        if is_test_path(module.path):
            continue
        for connect in module.client.connects:
            tls = project.python.fold(connect.tls)
            if not (isinstance(tls, Obj) and tls.callee.rsplit(".", 1)[-1] == "TLSConfig"
                    and not isinstance(tls.keyword("client_cert"), Missing)):
                continue
            target = resolve_target(project, connect)
            if target is not None and target.kind == "cloud":
                continue  # Temporal Cloud checks them; it says nothing of the server deployed here
            found.append(connect.location)
    return found


def _state(value: Value) -> str:
    shown = f"{value.key}: {str(value.value).lower()}"
    return f"{shown} - {value.note}" if value.origin == "default" and value.note else \
        f"{value.key} unset" if value.origin == "default" else shown


def _chart_toggle(value: Value) -> bool:
    """The chart's `server.tls.<plane>.requireClientAuth` (its Secret's ca.crt is the client CA)."""
    return ".config.tls." not in value.key and not value.key.startswith("global.")


def _exposures(project: Project, config: ServerConfig) -> list[str]:
    found: list[str] = []
    if config.frontend_exposure is not None:
        exposure = config.frontend_exposure
        found.append(f"{exposure.key}: {exposure.value}" if exposure.value is not True else exposure.key)
    for evidence in project.temporal_servers.exposures:
        path = evidence.location.path
        if not (is_test_path(path) or is_dev_path(path)):
            found.append(f"{evidence.what} in {path}")
    return found


def frontend_mtls_not_required(project: Project) -> Iterator[Hit]:
    """TPR514."""
    clients = certificate_clients(project)
    seen: set[Location] = set()
    for config in tls_servers(project, "frontend"):
        auth = config.frontend_client_auth
        assert auth is not None
        if auth.value is not False or auth.location in seen:
            continue
        authorizer = config.authorizer is not None and config.authorizer.value not in ("", None)
        exposures = [] if authorizer else _exposures(project, config)
        if not exposures and not clients:
            continue
        seen.add(auth.location)
        reasons = []
        if exposures:
            reasons.append(f"the frontend is reachable from outside the cluster ({'; '.join(exposures[:3])}) and "
                           "no authorizer checks who calls")
        if clients:
            first = clients[0]
            more = f" and {len(clients) - 1} more" if len(clients) > 1 else ""
            reasons.append(f"the project's clients present client certificates ({first.path}:{first.line}{more}) "
                           "that the server never checks")
        fix = f"set {auth.key}: true " + ("with the CA that signs client certificates in the TLS Secret's ca.crt"
                                           if _chart_toggle(auth) else "with clientCaFiles (or clientCaData) naming "
                                           "the CA that signs client certificates")
        yield Hit(
            auth.location,
            f"{config.name} serves the Temporal frontend over TLS without requiring client certificates "
            f"({_state(auth)}) while {' and '.join(reasons)}. TLS then only encrypts: anyone who can open a "
            "connection can start, signal, terminate or read workflows and poll task queues. To fix, "
            f"{fix}, and give every client (workers, the web UI, admin-tools) a certificate; or authenticate "
            "callers with an authorizer and JWTs (server.config.authorization).",
            anchor=f"{config.anchor}/frontend-mtls",
        )


def internode_mtls_not_required(project: Project) -> Iterator[Hit]:
    """TPR515."""
    seen: set[Location] = set()
    for config in tls_servers(project, "internode"):
        auth = config.internode_client_auth
        assert auth is not None
        if auth.value is not False or auth.location in seen:
            continue
        seen.add(auth.location)
        fix = f"set {auth.key}: true " + ("(the chart's default) with a certificate whose usages include client auth"
                                           if _chart_toggle(auth) else "with clientCaFiles (or clientCaData) naming "
                                           "the CA of the internode certificate, which must allow client auth")
        yield Hit(
            auth.location,
            f"{config.name} encrypts traffic between the Temporal services but does not require client "
            f"certificates on it ({_state(auth)}): any pod that reaches the history, matching or membership "
            "ports can call those services directly - past the frontend's authorizer and namespace checks - "
            f"or join the membership ring. To fix, {fix}.",
            anchor=f"{config.anchor}/internode-mtls",
        )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR514": frontend_mtls_not_required,
    "TPR515": internode_mtls_not_required,
}

__all__ = ["RULES", "certificate_clients", "tls_servers"]
