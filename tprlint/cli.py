"""Command line: ``tprlint [PATHS...]``, ``tprlint rules``, ``tprlint explain RULE``.

Heavy modules (rich, the reporters, the engine) are imported only when a command needs them, so
``tprlint --version`` starts instantly.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tprlint import __version__
from tprlint.report import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INCOMPLETE = 2  # the run did not analyse everything: an internal error (TPR000) or a timeout

DESCRIPTION = """\
Production-readiness linter for Temporal deployments: worker code (Python), Kubernetes
manifests and Dockerfiles, and the links between them.

commands:
  tprlint [PATHS...]       lint the paths (default: the current directory)
  tprlint probe [PATHS...] check the running Temporal server and cluster against the paths' code (read-only)
  tprlint rules            list every rule: id, name, severity, checklist items
  tprlint checklist        list the production checklists' items, their evidence and rules
  tprlint explain RULE     show a rule's documentation and examples (e.g. TPR601)
  tprlint capacity [PATH]  print the capacity plan of the workload profile in [tool.tprlint.capacity]
"""

EPILOG = """\
exit codes:
  0  no finding at or above --fail-on, no checklist gate failed (or --exit-zero)
  1  findings at or above --fail-on, or an item failed --fail-on-item or --require
  2  usage or configuration error (unknown option, rule id or config key; missing path), or an
     incomplete run: tprlint failed on a file, rule or stage (TPR000), also with --exit-zero

configuration is read from [tool.tprlint] in pyproject.toml or from .tprlint.toml, found by
walking up from the first path; command-line options override it. Suppress a finding with
`# tprlint: ignore[TPR101]` on its line or the line above, or the annotation
`tprlint.io/ignore: "TPR402,TPR403"` on a workload or its pod template.
"""


PROBE_DESCRIPTION = """\
Check the running system, read-only: the Temporal server (reachable, shards, retention, pollers and
backlog of every task queue the code in PATHS uses, failed workflows since --since) and the Kubernetes
cluster (live workloads judged by the same rules as manifests; ready replicas, restarts, stuck rollouts,
drift from the manifests). Reports the live findings and the checklist items a probe can answer.
"""


class UsageError(Exception):
    pass


def _parser(probe: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tprlint probe" if probe else "tprlint", description=PROBE_DESCRIPTION if probe else DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        # No abbreviations: `--api-key KEY` must never be taken for `--api-key-env` and echoed back.
        allow_abbrev=False,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .)")
    parser.add_argument("-f", "--format", action="append", metavar="NAME[:PATH]", dest="formats",
                        help=f"output format, repeatable; NAME is one of {', '.join(FORMATS)}; "
                             "with :PATH the report goes to that file (default: console to stdout)")
    parser.add_argument("--fail-on", choices=("error", "warning", "note"),
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("--fail-on-item", metavar="STATUSES", action="append",
                        help="comma-separated checklist item statuses that make the exit code 1 "
                             "(e.g. fail,unknown); repeatable; default: none")
    parser.add_argument("--require", metavar="STATUSES", action="append",
                        help="every checklist item that applies must have one of these statuses, else exit 1 "
                             "(e.g. pass,attested for a release gate); repeatable")
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="fail only on findings this baseline file does not accept (see --write-baseline)")
    parser.add_argument("--write-baseline", type=Path, metavar="FILE",
                        help="record this run's unsuppressed findings in FILE as accepted, and exit 0")
    parser.add_argument("--diff-base", metavar="REF",
                        help="fail only on findings on lines changed since REF (git merge base with HEAD); "
                             "the others are reported")
    parser.add_argument("--exit-zero", action="store_true", help="always exit 0 when the run completes")
    parser.add_argument("--fix", action="store_true",
                        help="apply the safe fixes (TPR210, TPR601, TPR602), then report what remains")
    parser.add_argument("--diff", action="store_true",
                        help="print the fixes --fix would make as a unified diff, change nothing; exit 1 if any")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff, also the fixes that change behaviour (TPR101)")
    parser.add_argument("--statistics", action="store_true",
                        help="instead of the findings, count them per rule (on standard output)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="console: print the findings only, without the rule table and summary")
    # Repeatable, and the repetitions add up (as in ruff): `--select TPR1 --select TPR601`.
    parser.add_argument("--select", metavar="IDS", action="append",
                        help="comma-separated rule ids or prefixes to run (e.g. TPR1,TPR601); repeatable")
    parser.add_argument("--extend-select", metavar="IDS", action="append",
                        help="rules to run in addition to the selection; repeatable")
    parser.add_argument("--ignore", metavar="IDS", action="append",
                        help="comma-separated rule ids or prefixes not to run; repeatable")
    parser.add_argument("--scope", choices=("workers", "all"),
                        help="workloads the Kubernetes rules judge: Temporal workers and server (default) or all")
    parser.add_argument("--values", action="append", metavar="CHART=FILE", dest="helm_values", default=[],
                        help="values file for the Helm chart in folder CHART, repeatable, applied in order "
                             "after the chart's values.yaml and the configured files (like `helm -f`)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="configuration file (pyproject.toml or .tprlint.toml)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="cache folder (default: $TPRLINT_CACHE_DIR, else the per-user cache folder, "
                             "e.g. ~/.cache/tprlint)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="time limit for the whole run; what it leaves unanalysed is reported, exit 2")
    parser.add_argument("--jobs", type=int, metavar="N", help="processes for parsing (default: CPU count)")
    # Not --profile: the probe's --profile names a Temporal CLI profile, as `temporal --profile` does.
    parser.add_argument("--timings", action="store_true",
                        help="print where the run's time went (per stage), what was parsed and why, and peak memory "
                             "to stderr (also TPRLINT_PROFILE=1)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour in console output (default: auto = on a terminal, unless NO_COLOR is set)")
    parser.add_argument("--version", action="version", version=f"tprlint {__version__}")
    from tprlint.live.cli_options import add_probe_arguments

    add_probe_arguments(parser, probe)
    return parser


def entrypoint() -> NoReturn:
    """The ``tprlint`` command: ``main``, then exit without tearing the interpreter down.

    Freeing every object of a large run one by one takes a tenth of a second and changes nothing
    (mypy exits the same way); the outputs are flushed and closed first.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # `tprlint . | head`: the reader has gone
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Reports are escaped already; this is the last guard: a terminal whose encoding cannot show
        # a character gets an escape for it, never an exception that loses the report.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["rules"]:
            return _rules_command(args_list[1:])
        if args_list[:1] == ["explain"]:
            return _explain_command(args_list[1:])
        if args_list[:1] == ["checklist"]:
            from tprlint.checklist.listing import checklist_command

            return checklist_command(args_list[1:])
        if args_list[:1] == ["probe"]:
            return _lint_command(args_list[1:], probe=True)
        if args_list[:1] == ["capacity"]:
            from tprlint.capacity.command import CapacityUsageError, capacity_command

            try:
                return capacity_command(args_list[1:])
            except CapacityUsageError as exc:
                raise UsageError(str(exc)) from None
        return _lint_command(args_list)
    except BrokenPipeError:
        # `tprlint rules | head -1`: the reader has gone. Nothing more can be shown, and Python must not
        # complain when it flushes stdout at exit (the documented way: point stdout at /dev/null).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS
    except UsageError as exc:
        from tprlint.report.text import printable

        print(f"tprlint: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


def _lint_command(argv: list[str], probe: bool = False) -> int:
    # A run allocates millions of small objects (syntax and YAML nodes) that are freed by reference
    # counting, not by the cycle collector, whose frequent passes over them cost a fifth of a cold
    # run. The process is short-lived; collect less often (mypy makes the same choice). Worker
    # processes inherit the setting.
    gc.set_threshold(200_000, 30, 30)
    parser = _parser(probe)
    args = parser.parse_args(argv)
    probing = probe or args.probe
    from tprlint.catalog import load_catalog
    from tprlint.config import ConfigError, add_helm_values, check_statuses, find_config, load_config
    from tprlint.model import Severity

    paths = [Path(p) for p in (args.paths or ["."])]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"path does not exist: {missing[0]}")
    outputs = [_parse_format(spec) for spec in (args.formats or ["console"])]
    catalog = load_catalog()
    known = set(catalog)
    try:
        config_path = args.config if args.config else find_config(paths[0])
        if args.config and not args.config.is_file():
            raise ConfigError(f"config file not found: {args.config}")
        config = load_config(config_path, known)
        config = config.with_overrides(
            select=_ids(args.select, known),
            extend_select=_ids(args.extend_select, known),
            ignore=_ids(args.ignore, known),
            scope=args.scope,
            fail_on=Severity.parse(args.fail_on) if args.fail_on else None,
            helm=add_helm_values(config.helm, args.helm_values, Path.cwd()) if args.helm_values else None,
            fail_on_item=_statuses(args.fail_on_item, check_statuses),
            require=_statuses(args.require, check_statuses),
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.timeout is not None and not 0 < args.timeout < 10**7:  # also refuses nan
        raise UsageError("--timeout must be a number of seconds above 0")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes goes with --fix or --diff")
    if (args.fix or args.diff) and (args.baseline or args.write_baseline or args.diff_base is not None):
        raise UsageError("--fix and --diff do not combine with --baseline, --write-baseline or --diff-base")
    if args.fix and args.diff:
        raise UsageError("--diff shows the fixes, --fix makes them: choose one")

    from tprlint.live.cli_options import live_run, misplaced_probe_options
    from tprlint.live.options import ProbeConfigError

    live = None
    if probing:
        if args.fix or args.diff or args.write_baseline:
            raise UsageError("a probe does not combine with --fix, --diff or --write-baseline")
        try:
            live = live_run(args, os.environ)
        except ProbeConfigError as exc:
            raise UsageError(str(exc)) from None
    elif misplaced_probe_options(args):
        raise UsageError(f"{misplaced_probe_options(args)[0]} goes with --probe or `tprlint probe`")

    from tprlint.engine import run
    from tprlint.report import CHECKLIST_FORMATS, ReportContext, load_reporter

    result = run(paths, config, use_cache=not args.no_cache, jobs=args.jobs, cache_dir=args.cache_dir,
                 timeout=args.timeout, live=live)
    reported_from = time.perf_counter()
    if live is not None:
        from tprlint.live.report import after_probe

        try:
            result = after_probe(result, live, args, probe_only=probe)
        except ProbeConfigError as exc:
            raise UsageError(str(exc)) from None
    roots = tuple(os.path.realpath(p) for p in paths)
    if args.fix or args.diff:
        from tprlint.fix.apply import fix_command

        result, diff_exit = fix_command(
            result, roots, write=not args.diff, unsafe=args.unsafe_fixes,
            rerun=lambda: run(paths, config, use_cache=not args.no_cache, jobs=args.jobs, cache_dir=args.cache_dir,
                              timeout=args.timeout))
        if diff_exit is not None:
            return EXIT_CLEAN if args.exit_zero else diff_exit
    if args.baseline or args.diff_base is not None or args.write_baseline:
        from dataclasses import replace

        from tprlint.suppress.baseline import BaselineError
        from tprlint.suppress.diff import DiffError
        from tprlint.suppress.pull_request import apply_gates, record_baseline

        plain = ReportContext(rules=catalog, version=__version__, files_scanned=result.files_scanned, color=False,
                              roots=roots)
        try:
            if args.write_baseline:
                count = record_baseline(result.findings, plain, args.write_baseline)
                print(f"tprlint: {count} finding{'' if count == 1 else 's'} recorded in {args.write_baseline}; "
                      f"--baseline {args.write_baseline} gates on new ones only.", file=sys.stderr)
            result = replace(result, findings=apply_gates(result.findings, plain, args.baseline, args.diff_base,
                                                          Path.cwd()))
        except (BaselineError, DiffError) as exc:
            raise UsageError(str(exc)) from None
    checklist = None
    complete = True
    if config.fail_on_item or config.require or any(name in CHECKLIST_FORMATS for name, _ in outputs):
        from tprlint.checklist.report import checklist_of

        try:
            checklist = checklist_of(result, config, live_only=probe)
        except Exception as exc:  # the findings' reports are still written; the run is incomplete
            from tprlint.internal import describe
            from tprlint.report.text import printable

            print(f"tprlint: {printable(describe('the checklist report', exc))}", file=sys.stderr)
            complete = False
    for name, target in outputs:
        color = _use_color(args.color) if target is None else False
        context = ReportContext(rules=catalog, version=__version__, fail_on=config.fail_on,
                                files_scanned=result.files_scanned, color=color, rules_run=result.rules_run,
                                roots=roots, quiet=args.quiet,
                                not_checked=result.not_checked, checklist=checklist)
        try:
            if args.statistics and target is None:
                from tprlint.report.statistics import render_statistics

                text = render_statistics(result.findings, context)
            else:
                text = load_reporter(name)(result.findings, context)
        except Exception as exc:  # one format's failure must not cost the others their reports
            from tprlint.internal import describe
            from tprlint.report.text import printable

            print(f"tprlint: {printable(describe(f'the {name} report', exc))}", file=sys.stderr)
            complete = False
            continue
        if target is None:
            sys.stdout.write(text)
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8", errors="backslashreplace")
            except OSError as exc:
                raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    sys.stdout.flush()
    from tprlint import profile

    if profile.wanted(args.timings):
        stages = dict(result.stages)  # "report" so far: writing the cache
        stages["report"] = stages.get("report", 0.0) + time.perf_counter() - reported_from
        sys.stderr.write(profile.render_profile(stages, result.parsed_why, result.files_scanned, result.replayed))
    from tprlint.internal import INTERNAL_ERROR

    if not complete or result.incomplete or any(f.rule_id == INTERNAL_ERROR for f in result.findings):
        return EXIT_INCOMPLETE  # a gate never passes on a crash, whatever --exit-zero says
    if args.exit_zero or args.write_baseline:
        return EXIT_CLEAN
    if live is not None:  # a probe that could not see is not a pass
        from tprlint.live.report import undecided_live
        from tprlint.report.text import printable

        blind = undecided_live(result)
        if blind:
            more = f" (and {len(blind) - 3} more)" if len(blind) > 3 else ""
            print(printable(f"tprlint: the probe could not make {len(blind)} check{'s' if len(blind) != 1 else ''}, "
                            f"so it does not pass: {'; '.join(blind[:3])}{more}"), file=sys.stderr)
            return EXIT_FINDINGS
    # Only what this change brings gates (all of it without --baseline and --diff-base).
    gating = [f for f in result.findings if not f.is_suppressed and f.is_new and f.severity >= config.fail_on]
    if checklist is not None and (config.fail_on_item or config.require):
        from tprlint.checklist.report import checklist_of, explain_gate

        gated = checklist if all(f.is_new for f in result.findings) else checklist_of(result, config, new_only=True,
                                                                                   live_only=probe)
        failed = explain_gate(gated, config) if gated is not None else ""
        if failed:
            print(failed, file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_FINDINGS if gating else EXIT_CLEAN


def _ids(values: list[str] | None, known: set[str]) -> tuple[str, ...] | None:
    if values is None:
        return None
    from tprlint.config import check_rule_selectors

    ids = [part.strip().upper() for value in values for part in value.split(",") if part.strip()]
    ids = list(dict.fromkeys(ids))  # each once, in the order given
    return check_rule_selectors(ids, known, "command line")


def _statuses(values: list[str] | None, check: Callable[[list[str], str], tuple[str, ...]]) -> tuple[str, ...] | None:
    if values is None:
        return None
    return check([part.strip() for value in values for part in value.split(",") if part.strip()], "command line")


def _parse_format(spec: str) -> tuple[str, Path | None]:
    name, _, path = spec.partition(":")
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    return name, Path(path) if path else None


def _use_color(mode: str) -> bool:
    if mode != "auto":
        return mode == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _rules_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tprlint rules", description="List every rule tprlint has.")
    parser.parse_args(argv)
    from tprlint.catalog import load_catalog
    from tprlint.checklist.catalog import items_of_rule

    rules = list(load_catalog().values())
    rows = [("ID", "NAME", "SEVERITY", "CHECKLIST")] + [
        (r.id, r.name, r.severity.label, ",".join(item.id for item in items_of_rule(r.id)) or "-") for r in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    print(f"\n{len(rules)} rules. `tprlint explain ID` shows one in full.")
    return EXIT_CLEAN


def _explain_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tprlint explain", description="Show a rule's documentation.")
    parser.add_argument("rule", help="rule id (TPR601) or name (grace-period-shorter-than-drain)")
    args = parser.parse_args(argv)
    from tprlint.catalog import load_catalog
    from tprlint.explain import render_explanation

    catalog = load_catalog()
    wanted = args.rule.strip()
    meta = catalog.get(wanted.upper()) or next((r for r in catalog.values() if r.name == wanted), None)
    if meta is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `tprlint rules`)")
    sys.stdout.write(render_explanation(meta))
    return EXIT_CLEAN
