"""TPR516: a Temporal server service of the temporal chart that runs without a memory limit although
its values set resources.

The chart renders each service's container resources as ``default .Values.server.resources
$service.resources``: the service's own block when it is not empty, else the shared block - the two
are never merged. So a per-service block written to raise requests (``server.history.resources:
{requests: ...}``) silently drops the limits written once in ``server.resources``, and the service
runs without a memory limit. TPR511 reports services with no resources at all; this rule reports the
blocks that are there but leave the memory limit out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.facts.temporal_server import ServerConfig
from tprlint.facts.temporal_server.model import ServiceResources
from tprlint.rules.context import Hit, Project, is_test_path


def resource_blocks(project: Project) -> list[tuple[ServerConfig, ServiceResources]]:
    """The resources block each service of each judged Helm release renders."""
    return [(config, block) for config in project.temporal_servers.judged()
            if config.kind == "helm-values" and not is_test_path(config.location.path)
            for block in config.service_resources]


def server_service_without_memory_limit(project: Project) -> Iterator[Hit]:
    """TPR516."""
    grouped: dict[tuple[str, int, str], list[tuple[ServerConfig, ServiceResources]]] = {}
    for config, block in resource_blocks(project):
        if block.memory_limit:
            continue
        grouped.setdefault((block.location.path, block.location.line, block.key), []).append((config, block))
    for entries in grouped.values():
        config, block = entries[0]
        services = sorted({b.service for _, b in entries})
        names = ", ".join(services)
        plural = len(services) > 1
        what = "sets requests but no memory limit" if block.requests else "sets no memory limit"
        if block.replaced_limits is not None:
            cause = (f"`{block.key}` {what}, and the chart renders a service's own resources block *instead of* "
                     f"server.resources (line {block.replaced_limits.line}) - the blocks are not merged - so the "
                     f"limits written there do not apply to {names}")
            fix = f"repeat the limits in {block.key} (limits: {{memory: ...}})"
        else:
            cause = f"`{block.key}` {what}"
            fix = f"add limits.memory to {block.key} (about the request, or a little above it)"
        yield Hit(
            block.location,
            f"The Temporal {names} service{'s' if plural else ''} of {config.name} run{'' if plural else 's'} "
            f"without a memory limit: {cause}. History and matching grow their shard and task-queue caches with "
            "load; without a limit a leak or a burst takes memory from every pod on the node until the kernel "
            f"kills whatever it picks. To fix, {fix}.",
            anchor=f"{config.anchor}/{block.key}/memory-limit",
        )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR516": server_service_without_memory_limit,
}

__all__ = ["RULES", "resource_blocks"]
