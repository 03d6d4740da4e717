"""What counts as a development set-up, in one place for every rule family.

Folders and files for local development, tests, CI and examples (`tilt/`, `.devcontainer/`, `kind/`,
`docker-compose.dev.yml`, `values-local.yaml`, `examples/`) are not production and are not held to
production standards: not the server rules, not the workload rules, not the compose rules. An object
whose own name or namespace says production (`orders-prod`, namespace `production`) is judged wherever
it lives: an `examples/` folder can hold the real thing.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

DEV_WORDS = frozenset({
    "dev", "devel", "development", "local", "localdev", "test", "tests", "testing", "e2e", "ci", "kind",
    "minikube", "k3d", "sandbox", "example", "examples", "sample", "samples", "demo", "playground", "tilt",
    "docker-desktop", "devcontainer", "debug", "skaffold",
})
LOCAL_WORDS = frozenset({"dev", "local", "localdev", "tilt", "kind", "minikube", "k3d", "devcontainer", "skaffold"})
PROD_WORDS = frozenset({"prod", "production", "prd", "live"})
_SPLIT = re.compile(r"[-_.]")


def name_tokens(path: str) -> list[str]:
    """The words of a file's name without its YAML suffixes: `values-dev.yaml` -> ["values", "dev"]."""
    stem = posixpath.basename(path).lower()
    for suffix in (".yaml.gotmpl", ".yml", ".yaml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return [token for token in _SPLIT.split(stem) if token]


@lru_cache(maxsize=4096)  # asked for every object of a file by many rules: a pure function of the path
def is_dev_path(path: str) -> bool:
    """A file of a development, test, CI or example set-up: a folder named so, or a word of its name."""
    parts = path.lower().split("/")
    # A folder named for it (`tilt/`, `.devcontainer/`), or one with a word that names a local environment
    # (`local-server/`, `dev_env/`, `kind-cluster/`). Not every word: `demo-shop/` or `test-harness/` is
    # the name of a project, not a set-up.
    return (any(part.lstrip(".") in DEV_WORDS or any(t in LOCAL_WORDS for t in _SPLIT.split(part))
                for part in parts[:-1])
            or any(token in DEV_WORDS for token in name_tokens(path)))


def says_production(*names: str | None) -> bool:
    """Does an object's own name or namespace say production (`orders-prod`, `production`)?"""
    return any(token in PROD_WORDS for name in names if name for token in _SPLIT.split(name.lower()))
