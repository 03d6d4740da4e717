"""How compose runs a project's files: which files are merged, and the merge itself.

``docker compose`` without `-f` merges a folder's base file (``compose.yaml`` ... ``docker-compose.yml``)
with its automatic override file; `-f` chains and `COMPOSE_FILE` name other stacks; `include:` adds
the services of other files; `extends` copies a service of this or another file. Services keep the
location of every key, so a merged service's findings point at the file that set the value.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import replace

from tprlint.facts.compose import (
    BASE_NAMES,
    OVERRIDE_NAMES,
    ComposeBuild,
    ComposeConfig,
    ComposeFile,
    ComposeHealthcheck,
    ComposeService,
)
from tprlint.facts.compose_chains import ComposeChain

_MAX_EXTENDS = 8



def compose_configs(files: list[ComposeFile], chains: Iterable[ComposeChain] = ()) -> list[ComposeConfig]:
    """Per folder: base (+ automatic override), and base + each variant file; without a base file,
    every file on its own. Chains the repository writes down come first: COMPOSE_FILE in a folder's
    .env replaces the base (+ override) there, and a file an `-f` chain uses is judged in that chain,
    not also on its own. `extends` is followed within the scanned compose files."""
    by_path = {f.path: f for f in files}
    known = [c for c in chains if c.files and all(name in by_path for name in c.files)]
    # A file another one includes is part of that project: judged there, not also on its own.
    included = {name for f in files for name in f.includes if name in by_path and name != f.path}
    defaults = {posixpath.dirname(c.source): c for c in known if c.default}
    chained = {name for c in known for name in c.files}
    configs: list[ComposeConfig] = []
    for chain in known:
        stack = [by_path[name] for name in chain.files]
        if not any(c.files == chain.files for c in configs):
            configs.append(ComposeConfig(posixpath.dirname(chain.files[0]), chain.files, _merge_stack(stack, by_path),
                                         chain.source))
    for config in _by_names([f for f in files if f.path not in included], by_path, set(defaults), chained):
        if not any(c.files == config.files for c in configs):
            configs.append(config)
    return configs


def _by_names(files: list[ComposeFile], by_path: dict[str, ComposeFile], chained_folders: set[str],
              chained: set[str]) -> list[ComposeConfig]:
    folders: dict[str, list[ComposeFile]] = {}
    for item in sorted(files, key=lambda f: f.path):
        folders.setdefault(posixpath.dirname(item.path), []).append(item)
    configs: list[ComposeConfig] = []
    for folder, members in sorted(folders.items()):
        named = {posixpath.basename(m.path).lower(): m for m in members}
        base = next((named[n] for n in BASE_NAMES if n in named), None)
        override = next((named[n] for n in OVERRIDE_NAMES if n in named), None)
        others = [m for m in members if m is not base and posixpath.basename(m.path).lower() not in OVERRIDE_NAMES]
        stacks: list[list[ComposeFile]] = []
        if base is not None:
            if folder not in chained_folders:  # else COMPOSE_FILE says what `docker compose` merges there
                stacks.append([base, override] if override is not None else [base])
            base_services = {service.name for service in base.services}
            for other in (o for o in others if o.path not in chained):  # a chain says how those are used
                # Another base-named file is a whole configuration of its own. So is an alternative set
                # side by side (docker-compose-postgres.yml beside docker-compose-mysql.yml): it declares
                # services the base does not have. A variant that only changes the base's services
                # (docker-compose.prod.yml with `command:` or `stop_grace_period:`) is what `-f base
                # -f variant` is written for: it overlays the base.
                standalone = (posixpath.basename(other.path).lower() in BASE_NAMES
                              or not {service.name for service in other.services} <= base_services)
                stacks.append([other] if standalone else [base, other])
        else:
            stacks += [[m] for m in members if m.path not in chained]
        for stack in stacks:
            configs.append(ComposeConfig(folder, tuple(f.path for f in stack), _merge_stack(stack, by_path)))
    return configs


def _merge_stack(stack: list[ComposeFile], by_path: dict[str, ComposeFile]) -> tuple[ComposeService, ...]:
    merged: dict[str, ComposeService] = {}
    for item in _with_includes(stack, by_path):
        for service in item.services:
            resolved = _resolve_extends(service, item, by_path, 0)
            merged[service.name] = merge_service(merged[service.name], resolved) if service.name in merged \
                else resolved
    return tuple(merged[name] for name in sorted(merged))


def _with_includes(stack: list[ComposeFile], by_path: dict[str, ComposeFile]) -> list[ComposeFile]:
    """The files of ``stack``, each preceded by the files it includes (recursively, each once): the
    including file's own services come last, so they win where both declare one."""
    ordered: list[ComposeFile] = []
    seen: set[str] = set()

    def visit(item: ComposeFile, depth: int) -> None:
        if item.path in seen or depth > _MAX_EXTENDS:
            return
        seen.add(item.path)
        for name in item.includes:
            if name in by_path:
                visit(by_path[name], depth + 1)
        ordered.append(item)

    for item in stack:
        visit(item, 0)
    return ordered


def _resolve_extends(service: ComposeService, owner: ComposeFile, by_path: dict[str, ComposeFile],
                     depth: int) -> ComposeService:
    if service.extends is None:
        return service
    file, name = service.extends
    what = f"extends `{name}`" + (f" of {file}" if file else "")
    target_file = owner if not file else by_path.get(posixpath.normpath(posixpath.join(posixpath.dirname(owner.path),
                                                                                            file)))
    base = next((s for s in target_file.services if s.name == name), None) if target_file else None
    if base is None or depth >= _MAX_EXTENDS or base is service:
        return replace(service, unresolved=f"{what} (not found among the compose files tprlint read)")
    assert target_file is not None
    resolved_base = _resolve_extends(base, target_file, by_path, depth + 1)
    result = merge_service(replace(resolved_base, name=service.name, file=service.file, location=service.location,
                                   labels=resolved_base.labels), service)
    return replace(result, extends=None, files=tuple(dict.fromkeys((*resolved_base.files, *service.files))))


def merge_service(base: ComposeService, over: ComposeService) -> ComposeService:
    """``over`` (a later file, or a service that extends ``base``) applied on ``base``, key by key
    as compose merges: scalars and commands replace, mappings merge by key, lists append."""
    changes: dict[str, object] = {}
    keys = over.keys
    if "image" in keys:
        changes.update(image=over.image, image_unresolved=over.image_unresolved, image_location=over.image_location)
    if "build" in keys and over.build is not None:
        changes["build"] = over.build if base.build is None else _merge_build(base.build, over.build)
    for key in ("command", "entrypoint"):
        if key in keys:
            changes[key] = getattr(over, key)
            changes[f"{key}_location"] = getattr(over, f"{key}_location")
    if "stop_grace_period" in keys:
        changes.update(stop_grace_period=over.stop_grace_period, stop_grace_seconds=over.stop_grace_seconds,
                       stop_grace_location=over.stop_grace_location, stop_grace_note=over.stop_grace_note)
    if "stop_signal" in keys:
        changes["stop_signal"] = over.stop_signal
    if "init" in keys:
        changes.update(init=over.init, init_location=over.init_location)
    if "healthcheck" in keys and over.healthcheck is not None:
        changes["healthcheck"] = _merge_healthcheck(base.healthcheck, over.healthcheck)
    if "environment" in keys:
        merged_env = {e.name: e for e in base.environment}
        merged_env.update({e.name: e for e in over.environment})
        changes["environment"] = tuple(merged_env.values())
    if "env_file" in keys:
        changes["env_files"] = tuple(dict.fromkeys((*base.env_files, *over.env_files)))
    if "ports" in keys:
        changes["ports"] = tuple(dict.fromkeys((*base.ports, *over.ports)))
    if "labels" in keys:
        changes["labels"] = {**base.labels, **over.labels}
    if "profiles" in keys:
        changes["profiles"] = over.profiles
    changes["keys"] = base.keys | keys
    changes["files"] = tuple(dict.fromkeys((*base.files, *over.files)))
    changes["unresolved"] = over.unresolved or base.unresolved
    return replace(base, **changes)  # type: ignore[arg-type]


def _merge_build(base: ComposeBuild, over: ComposeBuild) -> ComposeBuild:
    # An override that only names another target keeps the base's context: fields are merged.
    return ComposeBuild(over.context or base.context, over.dockerfile or base.dockerfile,
                        over.target or base.target, over.location)


def _merge_healthcheck(base: ComposeHealthcheck | None, over: ComposeHealthcheck) -> ComposeHealthcheck:
    if base is None:
        return over
    return ComposeHealthcheck(over.test if over.test is not None else base.test, over.disabled or base.disabled,
                              over.location)
