"""The synthetic monorepo's vocabulary, plan types and the writer's common part (``synthetic_repo``)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

SERVICES = (
    "billing", "checkout", "fulfillment", "identity", "inventory", "ledger", "notifications", "payments",
    "pricing", "catalog", "search", "shipping", "onboarding", "reporting", "analytics", "compliance",
    "risk", "support", "subscriptions", "warehouse", "marketplace", "loyalty", "messaging", "scheduling",
    "documents", "media", "partners", "procurement", "payroll", "treasury", "underwriting", "claims",
    "lending", "fraud", "kyc", "ads", "recommendations", "feeds", "growth", "tax",
)
LIBS = ("common", "platform_core", "observability", "dbkit", "httpkit", "eventbus", "authz", "featureflags")
SUBPACKAGES = (
    "api", "core", "domain", "db", "services", "adapters", "handlers", "schemas", "integrations",
    "repositories", "events", "serializers", "views", "clients", "tasks", "admin", "exports", "policies",
)
MODULE_NAMES = (
    "models", "utils", "helpers", "validators", "serializers", "queries", "commands", "mappers",
    "client", "cache", "errors", "types", "constants", "formatting", "filters", "permissions", "pagination",
    "signals", "routing", "storage", "metrics", "retry", "parsers", "builders", "registry", "config",
    "backends", "middleware", "tokens", "rates", "exporters", "importers", "reconcile", "scoring",
)
NOUNS = (
    "account", "invoice", "order", "payment", "shipment", "customer", "entry", "report", "stock", "product",
    "price", "refund", "subscription", "notice", "audit", "session", "tenant", "quota", "export_job",
    "webhook", "document", "upload", "query", "metric", "alert", "schedule", "profile", "address",
    "coupon", "cart", "review", "rating", "location", "carrier", "label", "tax_rate", "currency",
    "settlement", "payout", "dispute", "signal_score", "risk_case", "identity", "token", "permission",
    "role", "team", "project", "workspace", "comment", "attachment", "message", "thread", "channel",
    "email", "device", "flag", "experiment", "cohort", "segment", "event", "stream", "batch", "snapshot",
    "backup", "archive", "policy", "contract", "vendor", "supplier", "purchase", "receipt", "claim",
)
VERBS = (
    "load", "save", "build", "parse", "render", "validate", "compute", "resolve", "fetch", "sync", "merge",
    "split", "normalize", "enrich", "publish", "dispatch", "plan", "retry", "reconcile", "aggregate",
    "summarize", "export", "ingest", "prepare", "apply", "collect", "refresh", "archive", "expire",
    "notify", "score", "rank", "match", "lookup", "register", "settle", "charge", "verify", "track",
)
FIELDS = (
    "id", "created_at", "updated_at", "status", "amount", "currency", "tenant_id", "owner", "kind",
    "reference", "metadata", "priority", "region", "source", "attempts", "version", "tags", "score",
)
THIRD_PARTY = (
    "import requests", "import sqlalchemy as sa", "from pydantic import BaseModel", "import httpx",
    "from sqlalchemy.orm import Session", "import redis", "import boto3", "import structlog",
    "from fastapi import APIRouter, HTTPException", "from django.db import models as dj_models",
    "import orjson", "from tenacity import retry, stop_after_attempt",
)
ENVS = ("production", "staging", "dev")
# Ordinary project modules reachable through imports per Temporal module (a group's settings module and
# its support package: see synthetic_temporal.TemporalWriter.support_package); the files of such
# packages that some analysis needs.
SUPPORT_PER_TEMPORAL = 4
SUPPORT_NEEDED_FILES = 7  # __init__, defaults, limits, runtime_config, text, keys, naming
# The share of Temporal groups whose Temporal code takes names from its ordinary support package (an
# activity timeout and a worker option from `limits`, a call chain from workflow code): see
# `synthetic_temporal.TemporalWriter.next_group_needs`. With the groups' own settings modules, 1/8 makes
# an analysis need 0.33 ordinary modules per Temporal module on the default tree (seed 7; 0.25-0.39 on
# seeds 1-5), as in the densest of six public Temporal applications and samples (temporal-ai-agent, 5
# for 15; the six need 0.045-0.33, 53 for 818 together). Two libraries with a Temporal integration
# need more (mcp-agent 0.5, pydantic-ai 1.1); all eight together about 0.09. A share is
# rounded to a fraction of denominator at most 1000. 1 makes every group need them: the tree used
# before 2026-12-06, which needs 0.9.
NEED_SHARE = 1 / 8
# Python files set aside for support packages, per Temporal file (groups average ~2.3; the rest pads a legacy package).
SUPPORT_SHARE = 3.0


def call_text(callee: str, args: list[str], indent: str) -> str:
    """``callee(a, b)`` on one line when short, else one argument per line (black style)."""
    one_line = f"{callee}({', '.join(args)})"
    if len(indent) + len(one_line) <= 90:
        return one_line
    return f"{callee}(\n" + "".join(f"{indent}    {arg},\n" for arg in args) + f"{indent})"


def docker_cmd(launch: tuple[str, str]) -> str:
    """A Dockerfile CMD (exec form) that runs this launch target."""
    kind, target = launch
    return f'["python", "-m", "{target}"]' if kind == "module" else f'["python", "{target}"]'


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


@dataclass
class Module:
    service: str  # service or lib name
    path: str  # relative file path
    dotted: str  # importable dotted name
    role: str  # "init" | "module" | "settings" | "test" | "script" | "shutdown"
    exports: list[str] = field(default_factory=list)  # public names other modules may import


@dataclass
class WorkerSpec:
    service: str
    domain: str
    group_dotted: str  # dotted package of the Temporal group
    group_path: str  # its folder
    launch: tuple[str, str]  # ("module", "pkg.worker") or ("script", "pkg/main.py")
    drain_seconds: int | None  # the worker's drain as the code says it, None when unknown / missing
    env_drain: str | None  # an environment variable the drain is read from, when it is


@dataclass
class Support:
    """The ordinary package of one Temporal group (see ``synthetic_temporal.TemporalWriter.support_package``)."""

    dotted: str
    unneeded: list[Module]
    activity_timeout_s: int  # the values its ``limits`` module holds, written as literals where not needed
    max_activities: int


@dataclass
class Plan:
    root_rel: dict[str, str]  # service -> folder holding its packages (sys.path entry)
    package: dict[str, str]  # service -> top-level package name


class WriterBase:
    """Holds the files written so far; all randomness flows through ``self.rng`` in a fixed order."""

    def __init__(self, seed: int, need_share: float = NEED_SHARE) -> None:
        self.rng = random.Random(seed)
        self.files: dict[str, str] = {}
        self.kinds: Counter[str] = Counter()
        self.groups = 0  # Temporal groups written
        self.needing_groups = 0  # of those, the groups whose Temporal code needs names of the support package
        # Exact, so that the share picks the same groups on every platform (no rounding of 1/6 * 6).
        self.need_share = Fraction(need_share).limit_denominator(1000)

    # -- small helpers -------------------------------------------------------------------------

    def pick(self, seq: tuple[str, ...] | list[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def put(self, path: str, text: str, kind: str) -> None:
        if path in self.files:
            raise RuntimeError(f"synthetic_repo: {path} generated twice")
        self.files[path] = text if text.endswith("\n") or not text else text + "\n"
        self.kinds[kind] += 1

    def ident(self) -> str:
        return f"{self.pick(VERBS)}_{self.pick(NOUNS)}"

    def docstring(self, indent: str, subject: str) -> list[str]:
        first = f"{self.pick(VERBS).capitalize()} the {subject.replace('_', ' ')} and return the result."
        if self.rng.random() < 0.5:
            return [f'{indent}"""{first}"""']
        more = [
            f"{indent}The {self.pick(NOUNS).replace('_', ' ')} is looked up by its {self.pick(FIELDS)};",
            f"{indent}missing values fall back to the defaults of the {self.pick(NOUNS).replace('_', ' ')}.",
        ]
        return [f'{indent}"""{first}', "", *more, f'{indent}"""']
