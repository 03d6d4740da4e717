"""Mutation testing on demand: does the test suite notice when the code is subtly wrong?

    pip install -e '.[test,mutation]'
    python scripts/mutation.py tprlint/suppress                 # its own test selection (see SUITES)
    python scripts/mutation.py tprlint/report/text.py --tests tests/test_hostile_output.py
    python scripts/mutation.py                                  # every package the issue names (hours)

It runs cosmic-ray (https://github.com/sixty-north/cosmic-ray) in a scratch copy of the repository (the
files git tracks), so the checkout is never touched. Each mutant is one small change (`>` for `>=`, `and`
for `or`, a constant off by one, a removed `not`...); the tests run against it, in-process and through
`python -m tprlint` subprocesses alike (both import the scratch copy), and either fail (killed) or pass
(survived). It prints, per module, the mutants and the kill rate, and lists the survivors. Not part of
CI: every mutant runs its test selection, so a package takes minutes to hours on two cores.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TARGETS = ["tprlint/rules", "tprlint/suppress", "tprlint/discover", "tprlint/report", "tprlint/cli.py"]
# The tests that exercise each module, so that one mutant costs seconds, not the whole suite. The longest
# prefix wins. A rules module also gets the rule-example tests of the rules it defines (`-k` by rule id).
SUITES = {
    "tprlint/suppress": ["tests/test_suppression_comments.py", "tests/test_boundaries.py", "tests/test_reporters.py"],
    "tprlint/report": ["tests/test_reporters.py", "tests/test_report_formats.py", "tests/test_report_fingerprints.py",
                       "tests/test_console_edges.py",
                       "tests/test_report_context.py", "tests/test_console_layout.py", "tests/test_hostile_output.py",
                       "tests/test_cli.py", "tests/test_secrets_not_stored.py"],
    "tprlint/discover": ["tests/test_discover.py", "tests/test_walk.py", "tests/test_hostile_files.py",
                         "tests/test_boundaries.py", "tests/test_project_context.py",
                         "tests/test_hostile_repository.py"],
    "tprlint/discover/read.py": ["tests/test_read.py", "tests/test_hostile_files.py", "tests/test_discover.py"],
    "tprlint/discover/walk.py": ["tests/test_walk.py", "tests/test_walk_edges.py", "tests/test_discover.py",
                                 "tests/test_wildmatch.py", "tests/test_hostile_files.py",
                                 "tests/test_project_context.py", "tests/test_hostile_repository.py"],
    "tprlint/discover/wildmatch.py": ["tests/test_wildmatch.py", "tests/test_wildmatch_edges.py", "tests/test_walk.py",
                                      "tests/test_hostile_files.py"],
    "tprlint/discover/context.py": ["tests/test_project_context.py", "tests/test_discover.py"],
    "tprlint/discover/imports.py": ["tests/test_discover.py", "tests/test_python_project.py"],
    "tprlint/rules": ["tests/test_boundaries.py", "tests/test_one_problem_one_finding.py"],
    "tprlint/rules/activities.py": ["tests/test_activities.py", "tests/test_activity_rules.py",
                                    "tests/test_activity_index.py", "tests/test_activity_worker_rules.py",
                                    "tests/test_activity_timeouts.py"],
    "tprlint/rules/activity_bodies.py": ["tests/test_activities.py", "tests/test_activity_worker_rules.py"],
    "tprlint/rules/activity_timeouts.py": ["tests/test_activities.py", "tests/test_activity_timeouts.py",
                                           "tests/test_one_problem_one_finding.py"],
    "tprlint/rules/client.py": ["tests/test_client.py", "tests/test_client_rules.py", "tests/test_client_messages.py",
                                "tests/test_boundaries.py"],
    "tprlint/rules/compose.py": ["tests/test_compose.py", "tests/test_compose_rules.py", "tests/test_compose_chains.py",
                                 "tests/test_boundaries.py"],
    "tprlint/rules/cross_artifact.py": ["tests/test_compose.py", "tests/test_cross_artifact_rules.py",
                                        "tests/test_project_context.py", "tests/test_python_project.py",
                                        "tests/test_boundaries.py", "tests/test_settings_objects.py",
                                        "tests/test_worker_kwargs.py", "tests/test_realistic_project.py",
                                        "tests/test_kustomize.py"],
    "tprlint/rules/drain.py": ["tests/test_drain.py", "tests/test_boundaries.py", "tests/test_settings_objects.py",
                               "tests/test_worker_kwargs.py", "tests/test_compose.py", "tests/test_helm.py",
                               "tests/test_kustomize.py", "tests/test_real_shaped_tree.py"],
    "tprlint/rules/kubernetes.py": ["tests/test_kubernetes_policies.py", "tests/test_kubernetes_rules.py",
                                    "tests/test_kubernetes_facts.py", "tests/test_helm.py", "tests/test_kustomize.py",
                                    "tests/test_one_problem_one_finding.py", "tests/test_boundaries.py",
                                    "tests/test_real_shaped_tree.py"],
    "tprlint/rules/python_worker.py": ["tests/test_python_worker_rules.py", "tests/test_python_worker_messages.py",
                                       "tests/test_python_project.py", "tests/test_project_context.py",
                                       "tests/test_entrypoints.py", "tests/test_boundaries.py",
                                       "tests/test_realistic_project.py"],
    "tprlint/rules/determinism.py": ["tests/test_determinism.py", "tests/test_determinism_rules.py"],
    "tprlint/rules/kubernetes_policies.py": ["tests/test_kubernetes_policies.py",
                                             "tests/test_kubernetes_policy_messages.py"],
    "tprlint/rules/context.py": ["tests/test_rule_context.py", "tests/test_kubernetes_policies.py",
                                 "tests/test_boundaries.py", "tests/test_one_problem_one_finding.py"],
    "tprlint/rules/process.py": ["tests/test_process_rules.py", "tests/test_process_messages.py",
                                 "tests/test_process_health_messages.py"],
    "tprlint/rules/temporal_server.py": ["tests/test_temporal_server.py", "tests/test_temporal_server_rules.py",
                                         "tests/test_temporal_server_messages.py",
                                         "tests/test_one_problem_one_finding.py"],
    "tprlint/rules/versioning.py": ["tests/test_versioning_rules.py", "tests/test_versioning_messages.py"],
    "tprlint/cli.py": ["tests/test_cli.py", "tests/test_cli_options.py", "tests/test_boundaries.py",
                       "tests/test_internal_errors.py", "tests/test_hostile_output.py", "tests/test_helm.py"],
}
RULE_EXAMPLES = "tests/test_rule_examples.py"
# A mutant that loops forever is stopped (and counts as killed) after this many times the time its test
# selection takes on the unmutated code, measured first, and at least MIN_TIMEOUT_SECONDS.
TIMEOUT_FACTOR = 4.0
MIN_TIMEOUT_SECONDS = 20.0


def main() -> int:
    if sys.argv[1:2] == ["--mutant"]:  # the test command cosmic-ray runs for each mutant (see _run)
        own, pytest_command = _split_at(sys.argv[2:])
        return _run_mutant(own[0], Path(own[own.index("--lines") + 1]), pytest_command, "--quick" in own)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="packages or modules to mutate")
    parser.add_argument("--tests", nargs="*", help="test files to run against each mutant (default: SUITES)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="modules mutated side by side")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (sessions, to inspect)")
    parser.add_argument("--json", type=Path, help="also write every mutant and its outcome to this file")
    parser.add_argument("--quick", action="store_true",
                        help="run each mutant against the tests that reach its lines only (as mutmut does), "
                             "not also against the rest of the selection; recheck the survivors later")
    args = parser.parse_args()

    modules = [module for target in args.targets for module in _modules(target)]
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="tprlint-mutation-"))
    records: list[dict[str, str]] = []
    try:
        copies = [scratch / f"copy{i}" for i in range(max(1, min(args.jobs, len(modules))))]
        for copy in copies:
            if not copy.exists():
                _copy_repository(copy)
        # One scratch copy per job: a mutant is written into its module's file, so two modules mutated at
        # once in one copy would each be tested against the other's mutant.
        pending = list(modules)
        lock = threading.Lock()

        def work(copy: Path) -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    module = _next_module(pending, copy, copies)
                try:
                    found = _run(copy, module, args.tests or _tests_for(module), args.quick)
                except (Exception, SystemExit) as exc:  # a thread's exception would end it without a word
                    print(f"[mutation] {module}: not run: {exc}", file=sys.stderr, flush=True)
                    continue
                with lock:
                    records.extend(found)

        threads = [threading.Thread(target=work, args=(copy,)) for copy in copies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _report(records)
        if args.json:
            args.json.write_text(json.dumps(records, indent=1), encoding="utf-8")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _next_module(pending: list[str], copy: Path, copies: list[Path]) -> str:
    """A module this copy has a session for (a kept run resumes where it stopped), else one no copy has
    started, else the next one."""
    def started(module: str, folder: Path) -> bool:
        return (folder / f"{module.strip('/').replace('/', '_')}.sqlite").exists()

    for choice in ([m for m in pending if started(m, copy)],
                   [m for m in pending if not any(started(m, other) for other in copies)], pending):
        if choice:
            pending.remove(choice[0])
            return choice[0]
    raise IndexError("no module left")


def _modules(target: str) -> list[str]:
    path = REPO / target
    if path.is_file():
        return [target]
    return sorted(str(p.relative_to(REPO)) for p in path.rglob("*.py") if p.name != "__init__.py"
                  or p.stat().st_size > 200)


def _tests_for(module: str) -> list[str]:
    prefix = max((k for k in SUITES if module.startswith(k)), key=len, default=None)
    tests = list(SUITES[prefix]) if prefix else ["tests"]
    if module.startswith("tprlint/rules/"):
        ids = sorted(set(re.findall(r"\bTPR\d{3}\b", (REPO / module).read_text(encoding="utf-8"))))
        if ids:
            tests.insert(0, RULE_EXAMPLES)
            tests.append("-k '" + " or ".join(ids) + " or not test_example'")
    return tests


def _copy_repository(target: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode("utf-8", "surrogateescape").split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _run(scratch: Path, module: str, tests: list[str], quick: bool = False) -> list[dict[str, str]]:
    name = module.strip("/").replace("/", "_")
    config, session, lines = scratch / f"{name}.toml", scratch / f"{name}.sqlite", scratch / f"{name}.lines.json"
    pytest_command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *_split(tests)]
    # cosmic-ray writes each mutant into the module and puts it back after; a run that was stopped may have
    # left one there. The module as copied is kept aside and put back first.
    pristine = scratch / ".pristine" / module
    if pristine.exists():
        shutil.copy2(pristine, scratch / module)
    else:
        pristine.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(scratch / module, pristine)
    # The scratch copy first on every interpreter's path: pytest's process and the `python -m tprlint`
    # subprocesses the end-to-end tests start import the mutated code.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(scratch), str(scratch / "scripts")])}
    started = time.monotonic()
    _map_lines_to_tests(scratch, module, pytest_command, env, lines)
    timeout = max(MIN_TIMEOUT_SECONDS, TIMEOUT_FACTOR * (time.monotonic() - started))
    # Each mutant first runs the tests that reached its line on the unmutated code (most mutants are killed
    # there, in a fraction of the selection); only if they all pass does the whole selection run, so a
    # survivor has always survived every test of the selection. With --quick it does not: a test that
    # never reaches the changed lines cannot see the change, unless the map missed it (a process that
    # coverage does not follow), which a recheck of the survivors finds.
    test_command = " ".join(shlex.quote(part) for part in
                            [sys.executable, "scripts/mutation.py", "--mutant", module, "--lines", str(lines),
                             *(["--quick"] if quick else []), "--", *pytest_command[1:]])
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(test_command)}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    print(f"[mutation] {module}: {' '.join(tests)} (timeout {timeout:.0f} s)", file=sys.stderr, flush=True)
    quiet = {"cwd": scratch, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if not session.exists():
        subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)], check=True,
                       **quiet)  # type: ignore[call-overload]
    _skip(session, pristine)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(session)], check=True,
                   **quiet)  # type: ignore[call-overload]
    dump = subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "dump", str(session)], cwd=scratch,
                          capture_output=True, text=True, check=True, env=env).stdout
    return [_record(json.loads(line)) for line in dump.splitlines() if line.strip()]


def _split(tests: list[str]) -> list[str]:
    return [part for test in tests for part in shlex.split(test)]


def _map_lines_to_tests(scratch: Path, module: str, pytest_command: list[str], env: dict[str, str],
                        lines: Path) -> None:
    """Run the selection once on the unmutated code under coverage, each test in its own context, and
    write which tests reach each line of the module (the empty context: reached outside any test).

    The `python -m tprlint` processes the end-to-end tests start are measured too, each under the id of
    the test that started it: a `sitecustomize` in the scratch copy starts coverage in them (see
    scripts/mutation_contexts.py), for this run only."""
    data_file = lines.with_suffix(".coverage")
    rcfile = lines.with_suffix(".coveragerc")
    rcfile.write_text("[run]\n"
                      f"data_file = {data_file}\n"
                      "parallel = true\n"
                      f"include = {(scratch / module).resolve()}\n"
                      "context = ${MUTATION_TEST_ID}\n", encoding="utf-8")
    startup = scratch / "sitecustomize.py"
    startup.write_text(_SUBPROCESS_COVERAGE, encoding="utf-8")
    try:
        baseline = subprocess.run([sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}",
                                   "-m", *pytest_command[2:], "-p", "mutation_contexts"],
                                  cwd=scratch, env={**env, "MUTATION_RCFILE": str(rcfile), "MUTATION_TEST_ID": ""},
                                  capture_output=True, text=True, timeout=3600)
    finally:
        startup.unlink()
    if baseline.returncode != 0:
        raise SystemExit(f"[mutation] the tests fail without any mutant ({module}):\n{baseline.stdout[-2000:]}")
    combined = subprocess.run([sys.executable, "-m", "coverage", "combine", f"--rcfile={rcfile}"], cwd=scratch,
                              env=env, capture_output=True, text=True, check=False)
    if combined.returncode != 0:
        raise SystemExit(f"coverage combine failed: {combined.stdout[-500:]}{combined.stderr[-1500:]}")
    import coverage  # type: ignore[import-not-found,unused-ignore]  # the `mutation` extra

    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    target = str((scratch / module).resolve())
    measured = next((f for f in data.measured_files() if str(Path(f).resolve()) == target), None)
    by_line = data.contexts_by_lineno(measured) if measured else {}
    # A context is "static|dynamic": the pytest process has only a dynamic one, a subprocess only a static.
    tests = {str(line): sorted({part for context in ids for part in context.split("|") if part} or {""})
             for line, ids in by_line.items()}
    lines.write_text(json.dumps(tests), encoding="utf-8")


# Started by every Python process of the mapping run (the scratch copy is on PYTHONPATH): measure it when
# the pytest plugin has said where the configuration is, and save before tprlint's os._exit.
_SUBPROCESS_COVERAGE = """\
import os
if os.environ.get("COVERAGE_PROCESS_START"):
    import coverage
    _measuring = coverage.process_startup()
    if _measuring is not None:
        _exit = os._exit

        def _save_then_exit(code):
            _measuring.stop()
            _measuring.save()
            _exit(code)

        os._exit = _save_then_exit
"""


def _split_at(argv: list[str]) -> tuple[list[str], list[str]]:
    """``--mutant MODULE --lines FILE [--quick] -- PYTEST-ARGS``: the script's own words, the pytest ones."""
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def _run_mutant(module: str, lines: Path, pytest_command: list[str], quick: bool = False) -> int:
    """The test command of one mutant (cosmic-ray has written it into the module): the tests that reach
    the changed lines first, then, if none fails (and not ``quick``), the whole selection."""
    scratch = Path.cwd()
    before = (scratch / ".pristine" / module).read_text(encoding="utf-8").splitlines()
    after = (scratch / module).read_text(encoding="utf-8").splitlines()
    changed = {line for tag, start, end, _, _ in difflib.SequenceMatcher(None, before, after).get_opcodes()
               if tag != "equal" for line in range(start + 1, max(end, start + 1) + 1)}
    reached: dict[str, list[str]] = json.loads(lines.read_text(encoding="utf-8"))
    contexts = [context for line in sorted(changed) for context in reached.get(str(line), [""])]
    if contexts and "" not in contexts:
        first = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                *dict.fromkeys(contexts)], check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if first.returncode != 0 or quick:
            return first.returncode
    return subprocess.run([sys.executable, *pytest_command], check=False,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


# One replacement per operator, as mutmut and Stryker choose: cosmic-ray replaces `a + b` by all eleven
# other binary operators, and `a < b` by nine other comparisons, most of which test the same thing
# again. Comparisons keep their boundary and their negation (`<` becomes `<=` and `>=`).
_CURATED = {
    "ReplaceBinaryOperator": {"Add": {"Sub"}, "Sub": {"Add"}, "Mul": {"Div"}, "Div": {"Mul"}, "FloorDiv": {"Mul"},
                              "Mod": {"FloorDiv"}, "Pow": {"Mul"}, "LShift": {"RShift"}, "RShift": {"LShift"},
                              "BitOr": {"BitAnd"}, "BitAnd": {"BitOr"}, "BitXor": {"BitOr"}},
    "ReplaceComparisonOperator": {"Lt": {"LtE", "GtE"}, "LtE": {"Lt", "Gt"}, "Gt": {"GtE", "LtE"},
                                  "GtE": {"Gt", "Lt"}, "Eq": {"NotEq"}, "NotEq": {"Eq"}, "Is": {"IsNot"},
                                  "IsNot": {"Is"}, "In": {"NotIn"}, "NotIn": {"In"}},
}


def _curated(operator: str) -> bool:
    family, _, change = operator.rpartition("/")[2].partition("_")
    if family not in _CURATED:
        return True
    before, _, after = change.partition("_")
    return after in _CURATED[family].get(before, set())


def _skip(session: Path, source: Path) -> None:
    """Mark as skipped the mutants outside the curated set (``_CURATED``) and those no test can kill by
    construction: a change inside a type annotation (every module has `from __future__ import
    annotations`, so annotations are never evaluated) or inside a docstring. Run on every start, so a
    kept session follows the current rules."""
    # The `mutation` extra, imported only here; it has no type hints.
    from cosmic_ray.work_db import use_db  # type: ignore[import-not-found,unused-ignore]
    from cosmic_ray.work_item import WorkerOutcome, WorkResult  # type: ignore[import-not-found,unused-ignore]

    text = source.read_text(encoding="utf-8")
    inert = _inert_spans(ast.parse(text)) if "from __future__ import annotations" in text else []
    with use_db(str(session)) as db:
        for item in db.work_items:
            if all(_inside(m.start_pos, m.end_pos, inert) or not _curated(m.operator_name) for m in item.mutations):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


Span = tuple[tuple[int, int], tuple[int, int]]


def _inert_spans(tree: ast.Module) -> list[Span]:
    spans: list[Span] = []

    def add(node: ast.AST | None) -> None:
        if node is not None and node.end_lineno is not None:  # type: ignore[attr-defined]
            spans.append(((node.lineno, node.col_offset),  # type: ignore[attr-defined]
                          (node.end_lineno, node.end_col_offset)))  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node.returns)
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg]:
                add(arg.annotation if arg else None)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                add(first)
    return spans


def _inside(start: tuple[int, int], end: tuple[int, int], spans: list[Span]) -> bool:
    return any(tuple(s) <= tuple(start) and tuple(end) <= tuple(e) for s, e in spans)


def _record(entry: list[Any]) -> dict[str, str]:
    item, result = entry[0], entry[1] or {}
    [mutation] = item["mutations"]
    module = str(mutation["module_path"])
    where = f"{module}:{mutation['start_pos'][0]} {mutation['operator_name']}"
    outcome = "incomplete"
    change = ""
    if isinstance(result, dict):
        outcome = "skipped" if result.get("worker_outcome") == "skipped" else \
            str(result.get("test_outcome") or "incomplete")
        diff = str(result.get("diff") or "")
        change = " => ".join(line[1:].strip() for line in diff.splitlines()
                             if line[:1] in "-+" and not line.startswith(("---", "+++")))
    return {"module": module, "outcome": outcome, "what": where, "change": change}


def _report(records: list[dict[str, str]]) -> None:
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        totals[record["module"]][record["outcome"]] += 1
    print(f"\n{'module':46} {'mutants':>8} {'skipped':>8} {'killed':>7} {'survived':>9} {'incomplete':>11}"
          f" {'kill rate':>10}")
    overall: Counter[str] = Counter()
    for module in sorted(totals):
        overall.update(totals[module])
        _row(module, totals[module])
    _row("all", overall)
    survivors = sorted((r for r in records if r["outcome"] == "survived"), key=lambda r: r["what"])
    if survivors:
        print("\nSurvived (each needs a test that kills it, or a reason why it is equivalent):")
        for record in survivors:
            print(f"  {record['what']}: {record['change']}")


def _row(label: str, counts: Counter[str]) -> None:
    tested = sum(counts.values()) - counts["skipped"]
    rate = f"{100 * counts['killed'] / tested:.0f}%" if tested else "-"
    print(f"{label:46} {tested + counts['skipped']:8} {counts['skipped']:8} {counts['killed']:7}"
          f" {counts['survived']:9} {counts['incomplete']:11} {rate:>10}")


if __name__ == "__main__":
    sys.exit(main())
