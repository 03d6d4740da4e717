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
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TARGETS = ["tprlint/rules", "tprlint/suppress", "tprlint/discover", "tprlint/report", "tprlint/cli.py"]
# The tests that exercise each package, so that one mutant costs seconds, not the whole suite.
SUITES = {
    "tprlint/suppress": ["tests/test_suppression_comments.py", "tests/test_boundaries.py", "tests/test_reporters.py"],
    "tprlint/report": ["tests/test_reporters.py", "tests/test_hostile_output.py", "tests/test_cli.py"],
    "tprlint/discover": ["tests/test_discover.py", "tests/test_hostile_files.py", "tests/test_boundaries.py"],
    "tprlint/rules": ["tests/test_rule_examples.py", "tests/test_boundaries.py",
                      "tests/test_one_problem_one_finding.py"],
    "tprlint/cli.py": ["tests/test_cli.py", "tests/test_boundaries.py"],
}
TIMEOUT_SECONDS = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="packages or modules to mutate")
    parser.add_argument("--tests", nargs="*", help="test files to run against each mutant (default: SUITES)")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (sessions, to inspect)")
    args = parser.parse_args()

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="tprlint-mutation-"))
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    try:
        _copy_repository(scratch)
        for target in args.targets:
            tests = args.tests or next((v for k, v in SUITES.items() if target.startswith(k)), ["tests"])
            for record in _run(scratch, target, tests):
                totals[record["module"]][record["outcome"]] += 1
                if record["outcome"] == "survived":
                    survivors.append(record["what"])
        _report(totals)
        if survivors:
            print("\nSurvived (each needs a test that kills it, or a reason why it is equivalent):")
            for what in survivors:
                print(f"  {what}")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def _copy_repository(target: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode("utf-8", "surrogateescape").split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _run(scratch: Path, target: str, tests: list[str]) -> list[dict[str, str]]:
    name = target.strip("/").replace("/", "_")
    config, session = scratch / f"{name}.toml", scratch / f"{name}.sqlite"
    test_command = f"{sys.executable} -m pytest -x -q -p no:cacheprovider {' '.join(tests)}"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{target}"\n'
        f"timeout = {TIMEOUT_SECONDS}\n"
        "excluded-modules = []\n"
        f'test-command = "{test_command}"\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    # The scratch copy first on every interpreter's path: pytest's process and the `python -m tprlint`
    # subprocesses the end-to-end tests start import the mutated code.
    env = {**os.environ, "PYTHONPATH": str(scratch)}
    print(f"[mutation] {target}: {test_command}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(config), str(session)], cwd=scratch,
                   check=True, env=env)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "exec", str(config), str(session)], cwd=scratch,
                   check=True, env=env)
    dump = subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "dump", str(session)], cwd=scratch,
                          capture_output=True, text=True, check=True, env=env).stdout
    return [_record(json.loads(line)) for line in dump.splitlines() if line.strip()]


def _record(entry: list[dict[str, object]]) -> dict[str, str]:
    item, result = entry[0], entry[1] or {}
    [mutation] = item["mutations"]  # type: ignore[misc]
    module = str(mutation["module_path"])  # type: ignore[index]
    where = f"{module}:{mutation['start_pos'][0]} {mutation['operator_name']}"  # type: ignore[index]
    outcome = str(result.get("test_outcome") or "incomplete") if isinstance(result, dict) else "incomplete"
    return {"module": module, "outcome": outcome, "what": where}


def _report(totals: dict[str, Counter[str]]) -> None:
    print(f"\n{'module':46} {'mutants':>8} {'killed':>7} {'survived':>9} {'incomplete':>11} {'kill rate':>10}")
    overall: Counter[str] = Counter()
    for module in sorted(totals):
        overall.update(totals[module])
        _row(module, totals[module])
    _row("all", overall)


def _row(label: str, counts: Counter[str]) -> None:
    mutants = sum(counts.values())
    rate = f"{100 * counts['killed'] / mutants:.0f}%" if mutants else "-"
    print(f"{label:46} {mutants:8} {counts['killed']:7} {counts['survived']:9} {counts['incomplete']:11} {rate:>10}")


if __name__ == "__main__":
    sys.exit(main())
