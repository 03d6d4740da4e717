"""The bundled example repositories: the demo must show exactly its classic mistakes, and the
production-ready one must pass. Expected findings are pinned here and reviewed by reading them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DEMO_FINDINGS, FIXTURES, REPO, run_cli


def _json_findings(path: Path) -> list[dict[str, object]]:
    result = run_cli(str(path), "-f", "json", "--no-cache", "--exit-zero")
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_demo_findings_are_pinned() -> None:
    findings = _json_findings(FIXTURES / "demo-shop")
    got = [(f["rule"], str(f["path"]).split("demo-shop/", 1)[1], f["line"]) for f in findings]
    assert got == DEMO_FINDINGS


def test_demo_exits_1_and_reads_well() -> None:
    result = run_cli("fixtures/demo-shop", "--no-cache")
    assert result.returncode == 1
    out = result.stdout
    assert "Found 9 errors, 19 warnings, 18 notes" in out
    assert "Set terminationGracePeriodSeconds to at least 606" in out
    assert "PID 1" in out  # orders worker: exec-form python command
    assert "default of env SHIPPING_DRAIN_SECONDS" in out
    assert "OrderWorkflow.run → is_overdue → datetime.now" in out
    assert "sk_live_" not in out  # the hard-coded key is reported, never printed
    assert "storefront" not in out  # nginx is not a Temporal worker
    assert "\x1b[" not in out
    assert "Traceback" not in result.stderr


def test_prod_ready_has_no_error_or_warning() -> None:
    findings = _json_findings(FIXTURES / "prod-ready")
    assert [f for f in findings if f["severity"] in ("error", "warning")] == []
    result = run_cli("fixtures/prod-ready", "--no-cache")
    assert result.returncode == 0
    assert "All checks passed!" in result.stdout


def test_prod_ready_is_really_checked(tmp_path: Path) -> None:
    """Not silent by accident: shortening its grace period below drain + preStop + margin fires TPR601,
    and the drain is read from the env value the Deployment sets."""
    import shutil

    copy = tmp_path / "prod-ready"
    shutil.copytree(FIXTURES / "prod-ready", copy)
    manifest = copy / "deploy" / "worker.yaml"
    manifest.write_text(manifest.read_text().replace("terminationGracePeriodSeconds: 320",
                                                     "terminationGracePeriodSeconds: 300"))
    result = run_cli(str(copy), "-f", "concise", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1
    assert "TPR601" in result.stdout
    assert "env LEDGER_DRAIN_SECONDS=300 set by the workload" in result.stdout
    assert "at least 311" in result.stdout
    assert REPO.exists()
