"""``-f gitlab``: a GitLab Code Quality report, checked against the format GitLab documents, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema

from tests.conftest import FIXTURES, REPO, run_cli
from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, load_reporter

DEMO = FIXTURES / "demo-shop"

# GitLab's Code Quality report ("Implement a custom tool"): a JSON array of CodeClimate issues, of which
# GitLab requires description, check_name, fingerprint, severity, location.path and location.lines.begin.
# type, categories and engine_name are CodeClimate's own, typed as its specification says.
SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "type": {"const": "issue"},
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "engine_name": {"type": "string"},
            "categories": {"type": "array", "minItems": 1, "items": {"enum": [
                "Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security",
                "Style"]}},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {"type": "object", "required": ["begin"],
                              "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}
SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def run_gitlab(tmp_path: Path, tree: Path, cwd: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The Code Quality report and the JSON report of one run (from ``cwd``, the tree by default)."""
    report, full = tmp_path / "out" / "gl-code-quality.json", tmp_path / "out" / "report.json"
    result = run_cli(str(tree), "-f", f"gitlab:{report}", "-f", f"json:{full}", cwd=cwd or tree)
    assert result.returncode in (0, 1), result.stderr
    issues: list[dict[str, Any]] = json.loads(report.read_bytes().decode("utf-8"))
    return issues, json.loads(full.read_text(encoding="utf-8"))


def test_demo_shop_report_matches_gitlabs_code_quality_format(tmp_path: Path) -> None:
    issues, document = run_gitlab(tmp_path, DEMO.relative_to(REPO), cwd=REPO)
    jsonschema.validate(issues, SCHEMA)
    assert len(issues) == document["summary"]["findings"] == 46
    by_print = {f["fingerprint"]: f for f in document["findings"]}
    for issue in issues:
        finding = by_print[issue["fingerprint"]]  # the fingerprint `-f json` shows for the finding
        assert issue["check_name"] == finding["rule"]
        assert issue["description"] == f"{finding['rule']}: {finding['message']}"
        assert issue["severity"] == SEVERITY[finding["severity"]]
        assert issue["location"] == {"path": finding["path"], "lines": {"begin": finding["line"]}}
        assert (issue["type"], issue["engine_name"]) == ("issue", "tprlint")
    categories = {issue["check_name"]: issue["categories"] for issue in issues}
    assert categories["TPR302"] == ["Security"]  # a credential in the source
    assert categories["TPR101"] == ["Bug Risk"]


def test_paths_are_relative_to_where_tprlint_ran_with_forward_slashes(tmp_path: Path) -> None:
    issues, _ = run_gitlab(tmp_path, DEMO.relative_to(REPO), cwd=REPO)
    paths = {issue["location"]["path"] for issue in issues}
    assert "fixtures/demo-shop/deploy/charts/reports-worker/values.yaml" in paths
    for path in paths:
        assert "\\" not in path and not Path(path).is_absolute()
        assert (REPO / path).is_file(), path  # GitLab finds it from the repository's root


def test_fingerprints_are_unique_and_the_same_on_every_run(tmp_path: Path) -> None:
    first, _ = run_gitlab(tmp_path / "one", DEMO)
    second, _ = run_gitlab(tmp_path / "two", DEMO)
    prints = [issue["fingerprint"] for issue in first]
    assert len(set(prints)) == len(prints) == 46
    assert prints == [issue["fingerprint"] for issue in second]


def test_suppressed_findings_are_left_out(tmp_path: Path) -> None:
    tree = tmp_path / "demo"
    shutil.copytree(DEMO, tree)
    worker = tree / "orders" / "worker.py"
    lines = worker.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[14] == "    worker = Worker(\n"  # TPR101's line
    lines[14] = "    worker = Worker(  # tprlint: ignore[TPR101] drained by the sidecar\n"
    worker.write_text("".join(lines), encoding="utf-8")
    issues, document = run_gitlab(tmp_path, tree)
    (suppressed,) = [f for f in document["findings"] if f["suppressed"]]
    assert suppressed["rule"] == "TPR101"
    assert suppressed["fingerprint"] not in {issue["fingerprint"] for issue in issues}
    assert len(issues) == document["summary"]["findings"] == 45


def test_undecodable_names_and_whole_file_findings_still_give_gitlab_valid_json(tmp_path: Path) -> None:
    findings = [Finding("TPR001", Severity.WARNING, "cannot parse \udce9", Location("caf\udce9.py", 0))]
    ctx = ReportContext(rules={}, version="0", files_scanned=1, color=False, base_dir=tmp_path)
    output = load_reporter("gitlab")(findings, ctx)
    (issue,) = json.loads(output.encode("utf-8"))  # encodable: no lone surrogate, not even escaped
    jsonschema.validate([issue], SCHEMA)
    assert issue["location"] == {"path": "caf\ufffd.py", "lines": {"begin": 1}}
    assert issue["description"] == "TPR001: cannot parse \ufffd"


def test_a_finding_keeps_its_json_fingerprint_when_its_identical_twin_is_suppressed(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_text("Worker(client)\nWorker(client)\n", encoding="utf-8")
    twins = [Finding("TPR101", Severity.ERROR, "no drain", Location("w.py", 1), suppressed_by="# tprlint: ignore"),
             Finding("TPR101", Severity.ERROR, "no drain", Location("w.py", 2))]
    ctx = ReportContext(rules={}, version="0", files_scanned=1, color=False, base_dir=tmp_path)
    (issue,) = json.loads(load_reporter("gitlab")(twins, ctx))
    shown = json.loads(load_reporter("json")(twins, ctx))["findings"]
    assert issue["fingerprint"] == shown[1]["fingerprint"] != shown[0]["fingerprint"]
