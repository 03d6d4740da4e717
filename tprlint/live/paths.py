"""Where live findings point: a Temporal namespace or a cluster object has no file, so it gets a path
of its own scheme. Reporters show such a path as it is and never read it from disk."""

from __future__ import annotations

TEMPORAL = "temporal://"
CLUSTER = "cluster://"


def is_live_path(path: str) -> bool:
    return path.startswith((TEMPORAL, CLUSTER))


def temporal_path(address: str, namespace: str) -> str:
    return f"{TEMPORAL}{address}/{namespace}"


def cluster_path(namespace: str, kind: str = "", name: str = "") -> str:
    """``cluster://shop/Deployment/order-worker``; the context is said in the probe's summary, not here:
    a context named `kind-dev` would make every object look like a development set-up."""
    if not namespace:  # the cluster itself (it could not be listed at all)
        return CLUSTER
    return f"{CLUSTER}{namespace}" + (f"/{kind}/{name}" if kind else "")


def is_loopback(address: str) -> bool:
    """Is ``host:port`` on this host (localhost, 127.0.0.0/8, ::1)?"""
    import ipaddress

    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
