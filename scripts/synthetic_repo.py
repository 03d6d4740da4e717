"""Generate a deterministic synthetic monorepo for benchmarking tprlint.

The tree looks like a mid-sized company monorepo: services with nested packages of ordinary Python
(classes, functions, docstrings, imports of sibling modules, a few ``__main__`` scripts and tests),
a few percent of Temporal code (activities, workflows, settings modules, worker factories and
entrypoints, built in the ways real projects build them), Kubernetes manifests (multi-document
YAML: worker and web Deployments, Services, ConfigMaps, HPAs, PDBs, CronJobs), Dockerfiles, Helm
charts that take Helm real time to render, and noise (README.md, JSON, text files, CI YAML).

As in real code, every Temporal module imports a tree of ordinary project modules (about four per
Temporal module): a few hold names an analysis needs - the settings module most groups have, a
dataclass settings object holding one worker's drain and, in one group in eight by default
(``--need-share``), a constant imported from another module (in one such group chained to a
``defaults`` module) used as an activity timeout and a worker option, and in the first of them a pure
call chain three modules deep called from workflow code; most are imported for unrelated names and
import further modules of their own. None of them mentions Temporal or signals. On the default tree an
analysis then needs 0.33 ordinary modules per Temporal module, as in the densest of six public Temporal
applications and samples (see ``synthetic_base.NEED_SHARE``).

The same arguments always produce a byte-identical tree: every choice comes from one seeded
``random.Random`` and files are written in sorted order.

    python scripts/synthetic_repo.py /tmp/monorepo --files 3000 --manifests 300
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthetic_base import (
    ENVS,
    FIELDS,
    LIBS,
    MODULE_NAMES,
    NEED_SHARE,
    NOUNS,
    SERVICES,
    SUBPACKAGES,
    SUPPORT_SHARE,
    Module,
    WorkerSpec,
    docker_cmd,
)
from synthetic_deploy import DeployWriter
from synthetic_temporal import TemporalWriter


class _Writer(TemporalWriter, DeployWriter):
    """Produces the files; all randomness flows through ``self.rng`` in a fixed order."""


def generate(root: Path, python_files: int = 3000, temporal_share: float = 0.04, manifests: int = 300,
             seed: int = 7, charts: int = 3, chart_entries: int = 300,
             need_share: float = NEED_SHARE) -> dict[str, int]:
    """Write a synthetic monorepo under ``root`` (created; must be empty) and return counts by kind.

    ``python_files`` is the number of ``.py`` files, of which about ``temporal_share`` are Temporal
    packages; ``manifests`` is the number of Kubernetes YAML files (each holds one or more documents);
    ``charts`` Helm charts (at most one per service) range over ``chart_entries`` values entries each.
    Each Temporal group imports an ordinary package of about ``SUPPORT_PER_TEMPORAL`` modules per
    Temporal module; their files come out of the ordinary modules' share of ``python_files``. In
    ``need_share`` of the groups, the Temporal code takes names from that package that an analysis needs.
    """
    if python_files < 100:
        raise ValueError("python_files must be at least 100")
    if not 0 <= temporal_share <= 0.5:
        raise ValueError("temporal_share must be between 0 and 0.5")
    if not 0 <= need_share <= 1:
        raise ValueError("need_share must be between 0 and 1")
    if charts < 0 or chart_entries < 1:
        raise ValueError("charts must be at least 0 and chart_entries at least 1")
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not empty")
    w = _Writer(seed, need_share)
    rng = w.rng

    n_services = max(2, min(len(SERVICES) * 3, python_files // 150))
    services = [SERVICES[i % len(SERVICES)] + (f"_{i // len(SERVICES) + 1}" if i >= len(SERVICES) else "")
                for i in range(n_services)]
    libs = list(LIBS[: max(1, min(len(LIBS), n_services // 4))])

    n_temporal = round(python_files * temporal_share)
    n_ordinary = python_files - n_temporal
    support_room = min(round(n_temporal * SUPPORT_SHARE), n_ordinary // 2)
    n_ordinary -= support_room

    # Where each service's packages live: flat, src layout, or a nested "backend" folder.
    roots: dict[str, str] = {}
    for s in services:
        roots[s] = w.pick((f"services/{s}", f"services/{s}", f"services/{s}/src", f"services/{s}/backend"))
    for lib in libs:
        roots[lib] = f"libs/{lib}"

    # Plan ordinary modules: per owner, a package tree with subpackages, tests and scripts.
    owners = libs + services
    weights = [0.5 if o in libs else 1.0 + rng.random() for o in owners]
    total_w = sum(weights)
    shares = [max(6, int(n_ordinary * wt / total_w)) for wt in weights]
    shares[-1] += n_ordinary - sum(shares)
    if shares[-1] < 6:
        raise ValueError("too few python files for this many services")
    planned: dict[str, list[Module]] = {}
    for owner, share in zip(owners, shares, strict=True):
        mods: list[Module] = []
        pkg_path = f"{roots[owner]}/{owner}"
        mods.append(Module(owner, f"{pkg_path}/__init__.py", owner, "init"))
        if owner == "common":
            mods.append(Module(owner, f"{pkg_path}/shutdown.py", "common.shutdown", "shutdown"))
        if owner in services:
            mods.append(Module(owner, f"{pkg_path}/settings.py", f"{owner}.settings", "settings"))
        remaining = share - len(mods)
        n_tests = remaining // 8
        n_scripts = max(2, remaining // 30) if owner in services else 0  # files, with scripts/__init__.py
        n_pkg = remaining - n_tests - n_scripts
        # Package tree: subpackages (some nested) with __init__.py and modules.
        subpkgs: list[tuple[str, str]] = []  # (path, dotted)
        while n_pkg > 0:
            if subpkgs and rng.random() < 0.3:
                parent_path, parent_dotted = subpkgs[rng.randrange(len(subpkgs))]
            else:
                parent_path, parent_dotted = pkg_path, owner
            if parent_dotted.count(".") >= 3:
                parent_path, parent_dotted = pkg_path, owner
            taken = {p for p, _ in subpkgs}
            free = [n for n in SUBPACKAGES if f"{parent_path}/{n}" not in taken]
            name = w.pick(free) if free else f"{w.pick(SUBPACKAGES)}_{len(subpkgs)}"
            path, dotted = f"{parent_path}/{name}", f"{parent_dotted}.{name}"
            subpkgs.append((path, dotted))
            mods.append(Module(owner, f"{path}/__init__.py", dotted, "init"))
            n_pkg -= 1
            names = list(dict.fromkeys(w.pick(MODULE_NAMES) for _ in range(rng.randint(3, 12))))
            for name in names:
                if n_pkg <= 0:
                    break
                mods.append(Module(owner, f"{path}/{name}.py", f"{dotted}.{name}", "module"))
                n_pkg -= 1
        if n_scripts:
            mods.append(Module(owner, f"{pkg_path}/scripts/__init__.py", f"{owner}.scripts", "init"))
            mods.append(Module(owner, f"{pkg_path}/scripts/nightly.py", f"{owner}.scripts.nightly", "script"))
            for i in range(n_scripts - 2):
                name = f"{w.ident()}_{i}"
                mods.append(Module(owner, f"{pkg_path}/scripts/{name}.py", f"{owner}.scripts.{name}", "script"))
        layout_root = roots[owner]
        test_dir = f"{layout_root.rsplit('/', 1)[0]}/tests" if layout_root.endswith(("/src", "/backend")) \
            else f"{layout_root}/tests"
        for i in range(n_tests):
            name = "conftest" if i == 0 else f"test_{w.ident()}_{i}"
            mods.append(Module(owner, f"{test_dir}/{name}.py", f"tests.{name}", "test"))
        planned[owner] = mods

    # A package's modules are written with __init__ first; scripts may be fewer than planned (tiny inputs).
    lib_modules: list[Module] = []
    written_ordinary: dict[str, list[Module]] = {}
    for owner in owners:
        done: list[Module] = []
        for mod in planned[owner]:
            if mod.role == "init":
                text = "" if rng.random() < 0.6 else f'"""{mod.dotted.replace(".", " ")} package."""'
                w.put(mod.path, text, "python")
            elif mod.role == "settings":
                w.put(mod.path, w.settings_module(mod, owner), "python")
            elif mod.role == "shutdown":
                w.put(mod.path, w.shutdown_module(mod), "python")
            elif mod.role == "test":
                w.put(mod.path, w.test_module(mod, done), "python_test")
            else:
                recent = [m for m in done[-40:] if m.role in ("module", "settings")]
                pool = recent + (rng.sample(lib_modules, min(3, len(lib_modules))) if owner in services else [])
                text = w.ordinary_module(mod, pool, owner)
                w.put(mod.path, text, "python_script" if mod.role == "script" else "python")
            done.append(mod)
        if owner in libs:
            lib_modules += [m for m in done if m.role == "module"]
        written_ordinary[owner] = done

    # Temporal packages, spread over services; each group has 4-7 files.
    workers: list[WorkerSpec] = []
    left = n_temporal
    domains_used: set[tuple[str, str]] = set()
    has_shutdown_lib = "common" in libs
    while left >= 4:
        service = services[(len(workers) * 7 + rng.randrange(3)) % len(services)]
        domain = w.pick(NOUNS)
        while (service, domain) in domains_used:
            domain = w.pick(NOUNS)
        domains_used.add((service, domain))
        tpkg = w.pick(("temporal", "jobs", "orchestration", "durable"))
        budget = rng.randint(4, 7)
        if left - budget < 4:  # do not leave a remainder too small for a group
            budget = left if left <= 7 else left - 4
        paths, worker, support_files = w.temporal_group(service, f"{roots[service]}/{service}/{tpkg}_{domain}",
                                                        f"{service}.{tpkg}_{domain}", domain, budget,
                                                        support_room, has_shutdown_lib)
        workers.append(worker)
        left -= len(paths)
        support_room -= support_files
    for i in range(left):  # fewer Temporal files than one group needs: stand-alone activity modules
        service = w.pick(services)
        w.put(f"{roots[service]}/{service}/extra_activities_{i}.py",
              "\n".join(['"""Stand-alone activities."""', "", "from temporalio import activity", "", "",
                         "@activity.defn", f"async def {w.ident()}() -> None:", "    return None"]),
              "python_temporal")

    # Room left over from the support packages: ordinary modules of a legacy package, as many as planned.
    if support_room > 0:
        legacy = services[0]
        w.put(f"{roots[legacy]}/{legacy}/legacy/__init__.py", "", "python")
        padding: list[Module] = []
        for i in range(support_room - 1):
            name = f"{w.pick(MODULE_NAMES)}_{i}"
            mod = Module(legacy, f"{roots[legacy]}/{legacy}/legacy/{name}.py", f"{legacy}.legacy.{name}", "module")
            w.put(mod.path, w.ordinary_module(mod, padding[-10:], legacy), "python")
            padding.append(mod)

    # Dockerfiles: one per service that runs workers (plus two API services), some named per worker image.
    images: dict[str, str] = {}
    first_worker: dict[str, WorkerSpec] = {}
    for s in services:
        ws = [x for x in workers if x.service == s]
        if ws:
            first_worker[s] = ws[0]
            first = ws[0].launch
            cmd = docker_cmd(first)
            w.put(f"services/{s}/Dockerfile", w.dockerfile(cmd), "dockerfile")
            images[s] = s
            if len(ws) > 1 and rng.random() < 0.5:
                x = ws[1]
                cmd = docker_cmd(x.launch)
                repo = f"{s}-{x.domain}-worker".replace("_", "-")
                w.put(f"services/{s}/Dockerfile.{repo}", w.dockerfile(cmd), "dockerfile")
                images[f"{s}/{x.domain}"] = repo
    for s in services[:2]:
        if f"services/{s}/Dockerfile" not in w.files:
            w.put(f"services/{s}/Dockerfile", w.dockerfile(f'["gunicorn", "{s}.api.wsgi:app"]'), "dockerfile")

    # Kubernetes manifests: every worker in up to three environments, then web/config manifests.
    k8s_files: dict[str, list[str]] = {}
    envs = ENVS[: max(1, min(3, manifests // max(1, 3 * len(workers))))] if workers else ENVS
    for env in envs:
        for x in workers:
            if len(k8s_files) >= manifests:
                break
            own_image = f"{x.service}/{x.domain}" in images
            repo = images.get(f"{x.service}/{x.domain}", x.service)
            image_cmd = own_image or (images.get(x.service) == x.service and first_worker[x.service] is x)
            docs = w.worker_deployment(x, env, repo, from_image=image_cmd and rng.random() < 0.5)
            folder = w.pick((f"deploy/{env}/{x.service}", f"services/{x.service}/k8s/{env}", f"k8s/{env}/{x.service}"))
            k8s_files[f"{folder}/{x.domain.replace('_', '-')}-worker.yaml"] = docs
    i = 0
    while len(k8s_files) < manifests:
        s = services[i % len(services)]
        env = ENVS[(i // len(services)) % len(ENVS)]
        component = w.pick(("api", "web", "admin", "gateway", "internal-api", "graphql", "events", "sync"))
        docs = w.web_manifest(s, s, env, component)
        folder = w.pick((f"deploy/{env}/{s}", f"services/{s}/k8s/{env}", f"k8s/{env}/{s}"))
        path = f"{folder}/{component}-{i}.yaml"
        k8s_files[path] = docs
        i += 1
    for path, docs in sorted(k8s_files.items()):
        header = f"# {path.rsplit('/', 1)[-1]}: managed by the platform team; changes go through review.\n"
        w.put(path, header + "---\n".join(d + "\n" for d in docs), "kubernetes")
        w.kinds["k8s_documents"] += len(docs)

    # A Temporal server deployment, Helm charts and noise.
    w.put("k8s/platform/temporal-server.yaml", "\n".join([
        "apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: temporal-frontend", "  namespace: temporal",
        "spec:", "  replicas: 3", "  selector:", "    matchLabels: {app: temporal-frontend}", "  template:",
        "    metadata:", "      labels: {app: temporal-frontend}", "    spec:", "      containers:",
        "        - name: frontend", "          image: temporalio/server:1.24.2",
        "          ports: [{containerPort: 7233}]"]), "kubernetes_platform")
    for s in services[:charts]:
        name = f"{s.replace('_', '-')}-web"
        w.helm_chart(f"charts/{name}", name, chart_entries)
    w.put(".github/workflows/ci.yml", "\n".join([
        "name: ci", "on: [push, pull_request]", "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:",
        "      - uses: actions/checkout@v4", "      - run: pip install -r requirements.txt", "      - run: pytest -q"]),
        "other_yaml")
    w.put("docker-compose.yml", "\n".join(["services:", "  temporal:", "    image: temporalio/auto-setup:1.24",
                                           "    ports: ['7233:7233']", "  postgres:", "    image: postgres:16"]),
          "other_yaml")
    w.put(".gitignore", "__pycache__/\n*.pyc\n.venv/\n.tprlint_cache/\nbuild/\ndist/\n", "noise")
    w.put("README.md", "# acme monorepo\n\nSynthetic monorepo generated for benchmarking tprlint.\n", "noise")
    for s in services:
        w.put(f"services/{s}/README.md", "\n".join([f"# {s}", "", f"The {s} service.", "", "## Running", "",
                                                    "```", "make dev", "```"]), "noise")
        w.put(f"services/{s}/requirements.txt", "\n".join(sorted(rng.sample(
            ["temporalio==1.8.0", "fastapi==0.115.0", "gunicorn==22.0.0", "SQLAlchemy==2.0.31", "httpx==0.27.0",
             "pydantic==2.8.2", "redis==5.0.7", "structlog==24.4.0", "boto3==1.34.0", "orjson==3.10.6"], 6))), "noise")
        fixtures = {w.ident(): {f: rng.randint(0, 1000) for f in rng.sample(FIELDS, 5)}
                    for _ in range(rng.randint(3, 30))}
        w.put(f"services/{s}/tests/fixtures/{s}.json", json.dumps(fixtures, indent=2, sort_keys=True), "noise")
    w.put("frontend/package.json", json.dumps({"name": "acme-frontend", "version": "1.0.0", "private": True,
                                               "scripts": {"build": "vite build"}}, indent=2), "noise")
    for i in range(max(2, python_files // 200)):
        w.put(f"docs/notes/{i:03d}-{w.ident()}.txt", "\n".join(w.ident().replace("_", " ") for _ in range(40)), "noise")
        w.put(f"docs/adr/{i:04d}-{w.ident().replace('_', '-')}.md",
              f"# ADR {i}\n\nStatus: accepted\n\n" + " ".join(w.pick(NOUNS) for _ in range(200)), "noise")

    total_bytes = 0
    root.mkdir(parents=True, exist_ok=True)
    for path in sorted(w.files):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = w.files[path].encode("utf-8")
        target.write_bytes(data)
        total_bytes += len(data)

    counts = dict(sorted(w.kinds.items()))
    py = sum(v for k, v in w.kinds.items() if k.startswith("python"))
    counts.update(python_total=py, workers=len(workers), files=len(w.files), bytes=total_bytes,
                  services=len(services))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic monorepo for benchmarking tprlint.")
    parser.add_argument("root", type=Path, help="folder to create (must be empty or missing)")
    parser.add_argument("--files", type=int, default=3000, help="number of Python files (default: 3000)")
    parser.add_argument("--temporal-share", type=float, default=0.04,
                        help="share of Python files that are Temporal code (default: 0.04)")
    parser.add_argument("--manifests", type=int, default=300, help="number of Kubernetes YAML files (default: 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same tree")
    parser.add_argument("--charts", type=int, default=3, help="Helm charts, one per service at most (default: 3)")
    parser.add_argument("--chart-entries", type=int, default=300,
                        help="entries of each chart's values lists that its templates range over (default: 300)")
    parser.add_argument("--need-share", type=float, default=NEED_SHARE, metavar="F",
                        help="share of Temporal groups whose code needs names of ordinary modules, rounded to "
                             f"a fraction of denominator at most 1000 (default: {NEED_SHARE:.3g}; 1 writes the "
                             "denser tree used before 2026-12-06)")
    args = parser.parse_args(argv)
    try:
        counts = generate(args.root, args.files, args.temporal_share, args.manifests, args.seed, args.charts,
                          args.chart_entries, args.need_share)
    except (FileExistsError, ValueError) as exc:
        print(f"synthetic_repo: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
