"""``tprlint capacity [PATH]``: the capacity plan of the declared workload profile.

It runs the ordinary analysis with the capacity rules (TPR950-TPR953) selected and prints the plan they
judged (``tprlint.capacity.plan.recording``), so the plan and the lint findings never disagree.

Exit codes: 0 when the workers, pods and database in the scan carry the profile (or cannot be judged: the
plan says what is unknown), 1 when a capacity check at warning level or above fails (the load does not fit),
2 for a usage or configuration error, or when there is no profile to plan from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tprlint.model import Severity

CAPACITY_RULES = ("TPR950", "TPR951", "TPR952", "TPR953")

DESCRIPTION = """\
Print the capacity plan of the workload profile declared in [tool.tprlint.capacity] (pyproject.toml) or
[capacity] (.tprlint.toml): concurrent workflows and activities (Little's law), the workers needed, CPU and
memory per worker, database storage, each input with where it came from, and where the plan differs from
the chapter's calculator.
"""
EPILOG = """\
exit codes:
  0  the scanned workers, pods and database carry the profile (unknown values are listed, not failed)
  1  a capacity check at warning level failed: the workers, a pod's memory or the database are too small
  2  usage or configuration error, or no capacity profile in the configuration
"""


class CapacityUsageError(Exception):
    pass


def capacity_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tprlint capacity", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help="the project to plan (default: .)")
    parser.add_argument("-f", "--format", choices=("console", "json"), default="console", help="output format")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file (pyproject.toml or "
                        ".tprlint.toml)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when the load does not fit")
    args = parser.parse_args(argv)

    from tprlint.catalog import load_catalog
    from tprlint.config import ConfigError, find_config, load_config

    path = Path(args.path)
    if not path.exists():
        raise CapacityUsageError(f"path does not exist: {args.path}")
    try:
        if args.config and not args.config.is_file():
            raise ConfigError(f"config file not found: {args.config}")
        config_path = args.config or find_config(path)
        config = load_config(config_path, set(load_catalog()))
    except ConfigError as exc:
        raise CapacityUsageError(str(exc)) from None
    if config.capacity is None:
        where = f" in {config_path}" if config_path else ""
        raise CapacityUsageError(
            f"no workload profile{where}: declare one in [tool.tprlint.capacity] (pyproject.toml) or [capacity] "
            "(.tprlint.toml), e.g. workflows-per-second = 10, workflow-duration = \"5m\", activities-per-workflow "
            "= 5, activity-duration = \"10s\", activity-cpu = 0.1, activity-memory = \"256Mi\"")

    from tprlint.capacity.plan import recording
    from tprlint.capacity.render import plan_json, render_text
    from tprlint.engine import run

    # The capacity rules alone, whatever the configuration selects; the results cache is not used, since a
    # replayed run does not build the plan.
    config = config.with_overrides(select=CAPACITY_RULES, extend_select=(), ignore=())
    with recording() as plans:
        result = run([path], config, use_cache=False)
    findings = [f for f in result.findings if f.rule_id in CAPACITY_RULES and not f.is_suppressed]
    undecided = [u for u in result.not_checked if u.rule_id in CAPACITY_RULES]
    internal = [f for f in result.findings if f.rule_id == "TPR000"]
    for finding in internal:
        print(f"tprlint: {finding.message}", file=sys.stderr)
    distinct = list({repr((p.loads, p.workers, p.storage)): p for p in plans}.values()) or plans[:1]
    if not distinct:
        print("tprlint: the capacity plan could not be built (see the errors above)", file=sys.stderr)
        return 2
    if args.format == "json":
        body = [plan_json(plan, findings, undecided) for plan in distinct]
        sys.stdout.write(json.dumps(body[0] if len(body) == 1 else {"variants": body}, indent=2) + "\n")
    else:
        texts = [render_text(plan, findings, undecided) for plan in distinct]
        if len(texts) > 1:
            texts = [f"Variant {i} of {len(texts)} (a Helm values variant or kustomize overlay)\n\n{text}"
                     for i, text in enumerate(texts, 1)]
        sys.stdout.write("\n".join(texts))
    if internal or result.incomplete:
        return 2
    failing = any(f.severity >= Severity.WARNING for f in findings)
    return 1 if failing and not args.exit_zero else 0
