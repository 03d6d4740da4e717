"""Temporal server deployments: Helm values of the ``temporal`` chart (1.x and legacy 0.x layouts),
helmfiles and GitOps releases that order them, ``TemporalCluster`` operator resources, server config
files and the server Deployments of plain or rendered manifests — plus the operations evidence
(backup jobs, alerting rules, scrape configs) the TPR9xx notes look for.

Two halves:

* **per file** (cached, picklable): values *layers* flattened to ``key path -> Setting`` (value and
  position), helmfile releases, operator clusters, server config text, evidence. Passwords are never
  kept: a secret-looking key keeps only whether a literal is written there (``Secret(literal=True)``).
* **per project**: layers grouped into releases and merged in Helm's order (``values.yaml``, feature
  overlays, then one environment overlay at a time; or the order a helmfile lists them), then every
  source is turned into the same :class:`ServerConfig` model the TPR5xx rules judge. A docker-compose
  service can feed the same model later (see :func:`server_from_env`).

Where a value cannot be known (templated strings, keys whose chart default is unknown), the model
holds ``None`` and the rules stay silent.

The package, by source: ``settings`` (flattened values), ``files`` (per-file facts), ``values_files``
(values files and helmfiles), ``objects`` (server objects and evidence in manifests), ``model``
(``ServerConfig``), ``variants``, ``from_values``, ``from_operator``, ``from_manifests`` and ``assembly``.
"""

from __future__ import annotations

from tprlint.devsetup import is_dev_path
from tprlint.facts.temporal_server.assembly import build_server_project
from tprlint.facts.temporal_server.files import TemporalFileFacts
from tprlint.facts.temporal_server.from_manifests import SERVER_IMAGE, dev_launch, server_from_env
from tprlint.facts.temporal_server.model import ServerConfig, ServerProject, ServiceSpec, Value
from tprlint.facts.temporal_server.objects import extract_temporal_manifests, extract_temporal_yaml
from tprlint.facts.temporal_server.settings import (
    JUDGED_SERVICES,
    SERVICES,
    Merged,
    Node,
    Setting,
    is_literal_secret,
    is_secret_key,
)
from tprlint.facts.temporal_server.values_files import (
    ENV_PLACEHOLDER,
    is_helmfile,
    is_temporal_chart,
    layer_from_values,
    looks_like_temporal_values,
    values_shape,
)

__all__ = [
    "ENV_PLACEHOLDER", "JUDGED_SERVICES", "SERVER_IMAGE", "SERVICES", "Merged", "Node", "ServerConfig",
    "ServerProject", "ServiceSpec", "Setting", "TemporalFileFacts", "Value", "build_server_project", "dev_launch",
    "extract_temporal_manifests", "extract_temporal_yaml", "is_dev_path", "is_helmfile", "is_literal_secret",
    "is_secret_key", "is_temporal_chart", "layer_from_values", "looks_like_temporal_values", "server_from_env",
    "values_shape",
]
