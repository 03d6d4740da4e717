"""The checklist report as a user sees it: `tprlint -f checklist`, the checklist in JSON, attestation in
the configuration, the checklist gates and `tprlint checklist`, all run as separate processes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import FIXTURES, run_cli

from tprlint.checklist.catalog import all_items


def items_of(path: str | Path, *extra: str, cwd: Path | None = None) -> dict[str, dict[str, Any]]:
    args = [str(path), "-f", "json", "--no-cache", "--exit-zero", *extra]
    result = run_cli(*args, cwd=cwd) if cwd else run_cli(*args)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return {item["id"]: item for c in document["checklist"]["checklists"] for item in c["items"]}


def prod_ready_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "prod-ready"
    shutil.copytree(FIXTURES / "prod-ready", copy)
    return copy


def test_the_demo_shows_failing_unknown_na_and_attest_items() -> None:
    result = run_cli("fixtures/demo-shop", "-f", "checklist", "--no-cache")
    lines = result.stdout.splitlines()
    assert result.returncode == 1  # its findings at error level gate, as always
    timeout = lines.index(next(line for line in lines if "shutdown.timeout" in line))
    assert "✗ fail" in lines[timeout]
    assert lines[timeout + 1].strip().startswith("TPR101 fixtures/demo-shop/orders/worker.py:15 This Worker sets no ")
    no_kill = next(i for i, line in enumerate(lines) if "shutdown.no-kill" in line)
    assert "✓ pass" in lines[no_kill]  # its compose workers stop with SIGTERM, and no script kills one
    pooling = next(i for i, line in enumerate(lines) if "db.pooling" in line)
    assert "? unknown" in lines[pooling]  # the shop's server stores in Amazon RDS, outside the scan
    assert lines[pooling + 1].strip().startswith("TPR523 could not decide connection pooling of the database")
    assert 'point [tool.tprlint.attest] "db.pooling" at' in " ".join(lines[pooling + 1:pooling + 8])
    monitor = next(i for i, line in enumerate(lines) if "deploy.monitor" in line)
    assert "✗ fail" in lines[monitor] and lines[monitor + 1].strip().startswith("TPR908 fixtures/demo-shop/Makefile:6")
    assert any("- n/a" in line and "sec.mtls" in line for line in lines)  # its server has no TLS at all
    assert any("! needs attestation" in line and "ops.runbooks" in line for line in lines)
    assert any("~ needs probe" in line and "post.backlog" in line for line in lines)
    assert any(line.startswith("60 checklist items: 9 pass, 24 fail, 7 unknown, 1 n/a, ") for line in lines)
    assert "need a person's word: point [tool.tprlint.attest] at the evidence" in result.stdout
    for checklist in ("Worker shutdown (10.1.1)", "High availability (10.2.4)", "Pre-deployment (10.4.1)",
                      "Deployment (10.4.2)", "Post-deployment (10.4.3)", "Capacity (10.3)"):
        assert any(line.startswith(checklist) for line in lines), checklist


def test_every_static_item_the_production_ready_fixture_covers_passes() -> None:
    items = items_of("fixtures/prod-ready")
    checked = {item_id: item for item_id, item in items.items() if item["rules"]}
    assert {item["status"] for item in checked.values()} <= {"pass", "n/a", "needs probe", "needs attestation"}
    for item_id in ("shutdown.timeout", "shutdown.signals", "shutdown.grace-period", "code.determinism",
                    "code.retries", "infra.resources", "sec.tls", "deploy.strategy"):
        assert items[item_id]["status"] == "pass", item_id
        assert items[item_id]["applied"] > 0 and items[item_id]["findings"] == []
    # Nothing in the fixture runs a Temporal server: those items do not apply, they do not pass.
    assert items["db.backups"]["status"] == "n/a"
    assert items["ha.history"]["status"] == "needs probe"


def test_an_attest_table_turns_attest_items_into_attested(tmp_path: Path) -> None:
    project = prod_ready_copy(tmp_path)
    (project / "docs" / "runbooks").mkdir(parents=True)
    (project / "docs" / "runbooks" / "incident-response.md").write_text("# Incident response\n1. Page on-call.\n")
    (project / ".github").mkdir()
    (project / ".github" / "CODEOWNERS").write_text("* @ledger-team\n")
    (project / "docs" / "oncall.md").write_text("")  # empty: no evidence
    with (project / "pyproject.toml").open("a") as config:
        config.write('\n[tool.tprlint.attest]\n"ops.runbooks" = "docs/runbooks/"\n'
                     '"code.review" = ".github/CODEOWNERS"\n"ops.oncall" = "docs/oncall.md"\n')
    items = items_of(project, cwd=tmp_path)
    assert items["ops.runbooks"]["status"] == "attested"
    assert items["ops.runbooks"]["reason"] == "attested by docs/runbooks/ (1 file)"
    assert items["code.review"]["status"] == "attested"
    assert items["ops.oncall"]["status"] == "needs attestation"
    assert items["ops.oncall"]["reason"] == "the configured evidence does not hold: docs/oncall.md is empty"
    assert items["ops.slo"]["status"] == "needs attestation"
    view = run_cli(str(project), "-f", "checklist", "--no-cache", cwd=tmp_path).stdout
    assert any("✓ attested" in line and "ops.runbooks" in line for line in view.splitlines())


def test_an_attest_entry_for_an_unknown_or_static_item_is_a_configuration_error(tmp_path: Path) -> None:
    project = prod_ready_copy(tmp_path)
    original = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(original + '\n[tool.tprlint.attest]\n"ops.runbook" = "docs/"\n')
    result = run_cli(str(project), cwd=tmp_path)
    assert result.returncode == 2
    assert "attest: unknown checklist item 'ops.runbook' (see `tprlint checklist`)" in result.stderr
    (project / "pyproject.toml").write_text(original + '\n[tool.tprlint.attest]\n"shutdown.timeout" = "docs/"\n')
    result = run_cli(str(project), cwd=tmp_path)
    assert result.returncode == 2
    assert "shutdown.timeout cannot be attested: its evidence is static, not a person's word" in result.stderr


def test_a_drain_that_cannot_be_resolved_is_unknown_never_pass() -> None:
    items = items_of("fixtures/unresolved-drain")
    grace = items["shutdown.grace-period"]
    assert grace["status"] == "unknown"
    assert grace["reason"].startswith("TPR601 could not decide Deployment fulfilment-worker: the drain of "
                                      "fixtures/unresolved-drain/app/worker.py:18 could not be resolved")
    assert grace["undecided"][0]["location"] == {"path": "fixtures/unresolved-drain/deploy/worker.yaml", "line": 16}
    assert items["shutdown.timeout"]["status"] == "unknown"
    assert items["shutdown.signals"]["status"] == "pass"
    view = run_cli("fixtures/unresolved-drain", "-f", "checklist", "--no-cache").stdout.splitlines()
    line = next(i for i, text in enumerate(view) if "shutdown.grace-period" in text)
    assert "? unknown" in view[line] and "TPR601 could not decide Deployment fulfilment-worker" in view[line + 1]


def test_a_path_inside_a_project_is_judged_on_what_is_in_it() -> None:
    """The project's manifests are read for context, but a subfolder without them has nothing a
    workload rule applies to: its workload items are n/a, not the project's pass."""
    whole = items_of("fixtures/prod-ready")
    code_only = items_of("fixtures/prod-ready/src")
    assert whole["infra.resources"]["status"] == "pass"
    assert code_only["infra.resources"]["status"] == "n/a"
    assert code_only["shutdown.timeout"]["status"] == "pass"


def undecided_prod_ready(tmp_path: Path) -> Path:
    """prod-ready with a deploy step whose manifests tprlint cannot resolve: deploy.monitor is unknown."""
    project = prod_ready_copy(tmp_path)
    (project / "Makefile").write_text("deploy:\n\tkubectl apply -f $(MANIFESTS)\n")
    return project


def test_fail_on_item_gates_on_item_statuses(tmp_path: Path) -> None:
    project = str(undecided_prod_ready(tmp_path))
    result = run_cli(project, "--no-cache", "--fail-on-item", "fail", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = run_cli(project, "--no-cache", "--fail-on-item", "fail", "--fail-on-item", "unknown", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("tprlint: 1 checklist item fails the gate (fail-on-item fail,unknown): "
                                    "deploy.monitor (unknown)")
    assert run_cli(project, "--no-cache", "--fail-on-item", "unknown", "--exit-zero", cwd=tmp_path).returncode == 0
    assert run_cli("fixtures/prod-ready", "--no-cache", "--fail-on-item", "unknown").returncode == 0


def test_require_asks_every_item_that_applies_to_be_earned(tmp_path: Path) -> None:
    project = str(undecided_prod_ready(tmp_path))
    result = run_cli(project, "--no-cache", "--require", "pass,attested", cwd=tmp_path)
    assert result.returncode == 1 and "checklist items fail the gate (require pass,attested): " in result.stderr
    result = run_cli(project, "--no-cache", "--require", "pass,attested,needs-probe,needs-attestation", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("tprlint: 1 checklist item fails the gate (require pass,attested,needs-probe,"
                                    "needs-attestation): deploy.monitor (unknown)")
    assert "db.backups" not in result.stderr  # n/a: nothing to earn
    everything = ",".join(["pass", "attested", "unknown", "needs-probe", "needs-attestation"])
    assert run_cli(project, "--no-cache", "--require", everything, cwd=tmp_path).returncode == 0


def test_the_gates_can_be_configured(tmp_path: Path) -> None:
    project = undecided_prod_ready(tmp_path)
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('fail-on = "warning"', 'fail-on = "warning"\nrequire = ["pass", '
                                                 '"attested", "needs-probe", "needs-attestation", "unknown"]'))
    assert run_cli(str(project), "--no-cache", cwd=tmp_path).returncode == 0
    config.write_text(config.read_text().replace('"unknown"]', '"unknown"]\nfail-on-item = ["unknown"]'))
    assert run_cli(str(project), "--no-cache", cwd=tmp_path).returncode == 1


def test_an_unknown_status_is_a_usage_error() -> None:
    result = run_cli("fixtures/prod-ready", "--require", "passed")
    assert result.returncode == 2
    assert "unknown item status 'passed' (expected one of pass, fail, unknown, na, needs-probe, attested, " \
           "needs-attestation)" in result.stderr


def test_tprlint_checklist_lists_every_item_with_its_evidence_and_rules() -> None:
    result = run_cli("checklist")
    assert result.returncode == 0
    for item in all_items():
        assert any(line.split()[:1] == [item.id] for line in result.stdout.splitlines()), item.id
    assert "  shutdown.timeout       static         TPR101, TPR102, TPR206" in result.stdout
    assert "shutdown.no-kill       static         TPR903" in result.stdout
    assert result.stdout.rstrip().endswith("60 items in 6 checklists. `tprlint . -f checklist` reports their status.")
    detailed = run_cli("checklist", "--rules").stdout
    assert "TPR601 applies to Kubernetes workloads linked to the Worker code they run" in detailed


def test_a_rule_left_out_leaves_its_items_unknown_not_passed() -> None:
    items = items_of("fixtures/prod-ready", "--ignore", "TPR101")
    assert items["shutdown.timeout"]["status"] == "unknown"
    assert items["shutdown.timeout"]["reason"] == "no evidence: TPR101 not selected"


def test_a_file_inside_a_project_does_not_pass_what_the_project_fails() -> None:
    """Linting one workflow module: the missing SIGTERM handler is reported in orders/worker.py, outside it."""
    items = items_of("fixtures/demo-shop/orders/workflows.py")
    assert items["shutdown.signals"]["status"] == "unknown"
    assert "outside the paths asked for; lint the whole project to see them" in items["shutdown.signals"]["reason"]
    assert items["code.determinism"]["status"] != "pass"


def test_no_name_in_a_manifest_forges_a_workflow_command_in_the_checklist_view(tmp_path: Path) -> None:
    project = prod_ready_copy(tmp_path)
    manifest = project / "deploy" / "worker.yaml"
    forged = "ledger-worker-with-a-very-long-name-that-wraps-the-reason-line ::error file=src/x.py::forged"
    manifest.write_text(manifest.read_text().replace("name: ledger-worker\n", f'name: "{forged}"\n', 1))
    # No longer the workload [[tool.tprlint.links]] names: TPR601 says it cannot tie it to its code, by name.
    for fmt in ("checklist", "console", "markdown", "junit", "html"):
        output = run_cli(str(project), "-f", fmt, "--no-cache", cwd=tmp_path).stdout
        assert "forged" in output, fmt
        assert not [line for line in output.splitlines() if line.lstrip().startswith("::")], fmt


def test_a_nul_in_an_attest_path_is_a_configuration_error(tmp_path: Path) -> None:
    project = prod_ready_copy(tmp_path)
    with (project / "pyproject.toml").open("a") as config:
        config.write('\n[tool.tprlint.attest]\n"ops.runbooks" = "docs/\\u0000x"\n')
    result = run_cli(str(project), "-f", "sarif", cwd=tmp_path)
    assert result.returncode == 2
    assert "attest.ops.runbooks must name a file or folder" in result.stderr and "Traceback" not in result.stderr


def test_a_reason_wrapped_onto_a_new_line_never_starts_it_with_a_workflow_command(tmp_path: Path) -> None:
    """Wherever the wrap falls, a '::' that reaches the start of a line is written as '\\x3a:'."""
    from tprlint.catalog import load_catalog
    from tprlint.checklist.status import build_report
    from tprlint.model import Undecided
    from tprlint.report import ReportContext, load_reporter

    escaped = 0
    for pad in range(0, 100, 3):
        undecided = (Undecided("TPR601", "Deployment " + "w" * pad + " ::error file=a.py::forged", "why"),)
        report = build_report([], ("TPR601",), {"TPR601": ("d.yaml",)}, undecided, {})
        ctx = ReportContext(rules=load_catalog(), version="0", files_scanned=1, color=False, base_dir=tmp_path,
                            checklist=report)
        output = load_reporter("checklist")([], ctx)
        assert not [line for line in output.splitlines() if line.lstrip().startswith("::")]
        escaped += "\\x3a:error file=a.py" in output
    assert escaped  # some wrap did put it at the start of a line


def test_a_pass_that_suppressions_helped_says_so_in_every_checklist_format(tmp_path: Path) -> None:
    project = prod_ready_copy(tmp_path)
    factory = project / "src" / "ledger" / "factory.py"
    factory.write_text(factory.read_text().replace('"graceful_shutdown_timeout": config.DRAIN_TIMEOUT,', ""))
    with (project / "pyproject.toml").open("a") as config:
        config.write('\n[tool.tprlint.per-file-ignores]\n"src/ledger/factory.py" = ["TPR101"]\n')
    items = items_of(project, "--select", "TPR101,TPR206", cwd=tmp_path)
    assert (items["shutdown.timeout"]["status"], items["shutdown.timeout"]["suppressed"]) == ("unknown", 1)
    timeout = items_of(project, cwd=tmp_path)["shutdown.timeout"]
    assert (timeout["status"], timeout["suppressed"]) == ("pass", 1)
    for fmt in ("checklist", "markdown", "junit"):
        output = run_cli(str(project), "-f", fmt, "--no-cache", cwd=tmp_path).stdout
        assert "with 1 suppressed finding" in output, fmt
