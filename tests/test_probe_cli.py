"""`tprlint probe` and `--probe` as a user runs them, on recorded snapshots (`--replay`): what is reported,
the checklist's static and live evidence side by side, `--record`, and the options' mistakes. The probe
itself runs against real servers in test_probe_live.py and the probe modules' own tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import FIXTURES, REPO, run_cli

DEMO = FIXTURES / "demo-shop"
NOW = "2026-12-05T10:00:00Z"


def queue(name: str, kind: str, pollers: int) -> dict[str, Any]:
    return {"name": name, "kind": kind, "backlog_count": 0, "backlog_age_seconds": 0.0,
            "pollers": [{"identity": f"{i}@{name}-pod", "last_access": "2026-12-05T09:59:59Z"} for i in range(pollers)]}


def demo_snapshot(**temporal: Any) -> dict[str, Any]:
    """The demo-shop's queues on a development server: payments has no worker."""
    state = {"address": "127.0.0.1:7233", "namespace": "default", "tls": False, "serving": True,
             "server_version": "1.32.0", "history_shard_count": 1, "persistence_store": "sqlite",
             "visibility_store": "sqlite", "retention_seconds": 86400.0, "history_archival": "disabled",
             "visibility_archival": "disabled",
             "queues": [queue("orders", "workflow", 1), queue("orders", "activity", 1),
                        queue("shipping", "workflow", 1), queue("shipping", "activity", 1),
                        queue("payments", "workflow", 0), queue("payments", "activity", 0)],
             "counts": {"since": "2026-12-05T09:00:00Z", "completed": 40, "failed": 10, "timed_out": 0,
                        "terminated": 0, "canceled": 0}}
    state.update(temporal)
    return {"schema": "tprlint-live/1", "taken_at": NOW, "temporal": state}


def write(tmp_path: Path, snapshot: dict[str, Any], name: str = "snapshot.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return path


def json_report(*args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(*args, "-f", "json", "--no-cache")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_probe_reports_the_live_findings_only(tmp_path: Path) -> None:
    code, report = json_report("probe", str(DEMO), "--replay", str(write(tmp_path, demo_snapshot())))
    found = {(f["rule"], f["path"]) for f in report["findings"]}
    assert ("TPR710", "fixtures/demo-shop/payments/worker.py") in found  # the queue nobody polls
    assert ("TPR703", "temporal://127.0.0.1:7233/default") in found  # SQLite: a development server
    assert ("TPR704", "temporal://127.0.0.1:7233/default") in found  # one shard
    assert ("TPR720", "temporal://127.0.0.1:7233/default") in found  # 10 of 50 failed
    assert all(f["rule"].startswith(("TPR7", "TPR8")) for f in report["findings"]), found
    assert code == 1
    message = next(f["message"] for f in report["findings"] if f["rule"] == "TPR710")
    assert "`payments` has no activity pollers on 127.0.0.1:7233 (namespace default)" in message


def test_probe_shows_what_it_saw(tmp_path: Path) -> None:
    result = run_cli("probe", str(DEMO), "--replay", str(write(tmp_path, demo_snapshot())), "--no-cache")
    assert ("tprlint: probed Temporal at 127.0.0.1:7233 (namespace default, no TLS): server 1.32.0, "
            "1 history shard, stores sqlite/sqlite, retention 1 day, history archival disabled") in result.stderr
    assert "tprlint:   task queue payments: workflow 0 pollers, activity 0 pollers" in result.stderr
    assert "workflows closed since 2026-12-05T09:00:00Z: 40 completed, 10 failed" in result.stderr


def test_a_queue_polled_again_passes(tmp_path: Path) -> None:
    snapshot = demo_snapshot(counts={"since": NOW, "completed": 50, "failed": 0, "timed_out": 0,
                                     "terminated": 0, "canceled": 0})
    # as many pollers as the pods the demo's workloads ask for
    snapshot["temporal"]["queues"] = [queue(name, kind, 3) for name in ("orders", "shipping", "payments")
                                      for kind in ("workflow", "activity")]
    _, report = json_report("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)), "--exit-zero")
    assert not [f for f in report["findings"] if f["rule"] in ("TPR710", "TPR720")]
    items = {i["id"]: i for c in report["checklist"]["checklists"] for i in c["items"]}
    # Every queue is polled, but the demo deploys to Kubernetes and no cluster was probed: ready replicas
    # are not known, so the item is not a pass.
    assert items["post.workers-healthy"]["status"] == "unknown"
    assert "the cluster was not probed" in items["post.workers-healthy"]["reason"]
    assert items["post.errors"]["status"] == "pass"
    assert items["post.backlog"]["status"] == "pass"


def test_the_probe_checklist_holds_the_items_a_probe_answers(tmp_path: Path) -> None:
    result = run_cli("probe", str(DEMO), "--replay", str(write(tmp_path, demo_snapshot())), "-f", "checklist",
                     "--no-cache")
    lines = result.stdout.splitlines()
    healthy = next(line for line in lines if "post.workers-healthy" in line)
    assert "✗ fail" in healthy and "live fail" in healthy
    assert "code.determinism" not in result.stdout  # no live rule answers it
    assert not any("static" in line for line in lines)


def test_scan_and_probe_side_by_side(tmp_path: Path) -> None:
    result = run_cli(str(DEMO), "--probe", "--replay", str(write(tmp_path, demo_snapshot())), "-f", "checklist",
                     "--no-cache")
    lines = result.stdout.splitlines()
    server = next(line for line in lines if " infra.server " in line)
    assert "static fail · live fail" in server
    healthy = next(line for line in lines if "post.workers-healthy" in line)
    assert "live fail" in healthy and "static" not in healthy
    timeout = next(line for line in lines if "shutdown.timeout" in line)
    assert "static fail" in timeout


def test_unreachable_server_leaves_the_live_items_unknown(tmp_path: Path) -> None:
    snapshot = {"taken_at": NOW, "temporal": {"address": "127.0.0.1:1", "namespace": "default", "tls": False,
                                              "error": "cannot reach the Temporal server at 127.0.0.1:1: "
                                                       "connection refused"}}
    code, report = json_report("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)))
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == ["TPR701"]
    assert "Cannot check the Temporal server at 127.0.0.1:1" in report["findings"][0]["message"]
    items = {i["id"]: i for c in report["checklist"]["checklists"] for i in c["items"]}
    assert items["post.workers-healthy"]["status"] == "unknown"
    assert items["post.errors"]["status"] == "unknown"


def test_record_writes_what_replay_judges_without_secrets(tmp_path: Path) -> None:
    snapshot = demo_snapshot()
    snapshot["kubernetes"] = {"context": "prod", "server": "https://k8s.example.com", "namespaces": ["shop"],
                              "objects": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                           "metadata": {"name": "payments-worker", "namespace": "shop"},
                                           "spec": {"selector": {"matchLabels": {"app": "payments"}}, "template": {
                                               "metadata": {"labels": {"app": "payments"}},
                                               "spec": {"containers": [{"name": "worker", "image": "shop:1",
                                                                        "env": [{"name": "DB_PASSWORD",
                                                                                 "value": "hunter2-prod-secret"}]}]}}},
                                           "status": {"replicas": 1, "readyReplicas": 1}}]}
    recorded = tmp_path / "recorded.json"
    first = run_cli("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)), "--record", str(recorded),
                    "-f", "json", "--no-cache")
    text = recorded.read_text(encoding="utf-8")
    assert "hunter2-prod-secret" not in text and "<redacted by tprlint>" in text
    again = run_cli("probe", str(DEMO), "--replay", str(recorded), "-f", "json", "--no-cache")
    rules = sorted(f["rule"] for f in json.loads(again.stdout)["findings"])
    assert rules == sorted(f["rule"] for f in json.loads(first.stdout)["findings"] if f["rule"] != "TPR409")


def test_probe_options_need_a_probe() -> None:
    result = run_cli(str(DEMO), "--address", "localhost:7233", "--no-cache")
    assert result.returncode == 2
    assert "--address goes with --probe or `tprlint probe`" in result.stderr


def test_an_api_key_is_never_an_option_value() -> None:
    result = run_cli("probe", str(DEMO), "--api-key", "secret-key-123", "--no-cache")
    assert result.returncode == 2 and "secret-key-123" not in result.stdout + result.stderr
    assert "an API key is never taken on the command line" in result.stderr


def test_an_unreadable_replay_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "tprlint-live/1", "taken_at": "x", "temporal": {"bogus": 1}}', encoding="utf-8")
    result = run_cli("probe", str(DEMO), "--replay", str(bad), "--no-cache")
    assert result.returncode == 2
    assert "is not a snapshot written by --record" in result.stderr and "Traceback" not in result.stderr


def test_durations_are_checked() -> None:
    result = run_cli("probe", str(DEMO), "--wait", "soon", "--no-cache")
    assert result.returncode == 2 and "--wait expects a duration like 30s, 5m or 2h" in result.stderr


def test_a_probe_that_could_not_see_does_not_pass(tmp_path: Path) -> None:
    snapshot = demo_snapshot()
    snapshot["temporal"]["queues"] = [{"name": q, "kind": k, "error": "PERMISSION_DENIED: not allowed"}
                                      for q in ("orders", "shipping", "payments") for k in ("workflow", "activity")]
    snapshot["temporal"]["counts"] = {"since": NOW, "error": "visibility cannot count: unavailable"}
    result = run_cli("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)), "--no-cache",
                     "--select", "TPR710,TPR720")
    assert result.returncode == 1
    assert "tprlint: the probe could not make " in result.stderr
    assert "so it does not pass: TPR710 could not check task queue" in result.stderr
    assert "PERMISSION_DENIED: not allowed" in result.stderr
    zero = run_cli("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)), "--no-cache", "--exit-zero",
                   "--select", "TPR710,TPR720")
    assert zero.returncode == 0


def test_a_namespace_that_cannot_be_described_is_a_finding(tmp_path: Path) -> None:
    snapshot = demo_snapshot(namespace="shop-typo", namespace_error="NOT_FOUND: namespace shop-typo is not found",
                             retention_seconds=None)
    code, report = json_report("probe", str(DEMO), "--replay", str(write(tmp_path, snapshot)))
    [finding] = [f for f in report["findings"] if f["rule"] == "TPR701"]
    assert finding["message"].startswith("Cannot check namespace shop-typo on the Temporal server at 127.0.0.1:7233")
    assert code == 1


def test_nothing_to_probe_is_a_usage_error() -> None:
    result = run_cli("probe", str(DEMO), "--no-temporal", "--no-kubernetes", "--no-cache")
    assert result.returncode == 2 and "nothing to probe" in result.stderr


def test_an_api_key_goes_only_over_tls_or_to_this_host() -> None:
    result = run_cli("probe", str(DEMO), "--address", "temporal.example.com:7233", "--no-tls", "--api-key-env",
                     "SHOP_KEY", "--no-kubernetes", "--no-cache", env={"SHOP_KEY": "key-over-plaintext-9f1"})
    assert result.returncode == 2 and "an API key is sent only over TLS" in result.stderr
    assert "key-over-plaintext-9f1" not in result.stderr


def test_a_key_given_where_a_variable_name_goes_is_not_echoed() -> None:
    key = "eyJhbGciOi.secret-part.signature"
    result = run_cli("probe", str(DEMO), "--api-key-env", key, "--no-cache")
    assert result.returncode == 2 and key not in result.stdout + result.stderr
    assert "--api-key-env takes the NAME of an environment variable" in result.stderr


def test_the_clusters_objects_do_not_change_the_repositorys_findings(tmp_path: Path) -> None:
    """A PDB that exists only in the cluster does not hide the manifest's missing one: the cluster is a
    world of its own."""
    repo = run_cli(str(DEMO), "-f", "json", "--no-cache", "--select", "TPR407")
    expected = sorted((f["path"], f["line"]) for f in json.loads(repo.stdout)["findings"])
    assert expected
    pdbs = [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": f"{name}-pdb", "namespace": "shop"},
             "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}}}
            for name in ("orders-worker", "payments-worker", "shipping-worker", "reports-worker")]
    snapshot = demo_snapshot()
    snapshot["kubernetes"] = {"context": "prod", "server": "https://k8s.example.com", "namespaces": ["shop"],
                              "objects": pdbs}
    both = run_cli(str(DEMO), "--probe", "--replay", str(write(tmp_path, snapshot)), "-f", "json", "--no-cache",
                   "--select", "TPR407")
    assert sorted((f["path"], f["line"]) for f in json.loads(both.stdout)["findings"]) == expected


def test_json_carries_the_side_by_side_statuses(tmp_path: Path) -> None:
    _, report = json_report(str(DEMO), "--probe", "--replay", str(write(tmp_path, demo_snapshot())), "--exit-zero")
    items = {i["id"]: i for c in report["checklist"]["checklists"] for i in c["items"]}
    assert items["infra.server"]["sources"] == {"static": "fail", "live": "fail"}
    assert items["post.backlog"]["sources"] == {"live": "pass"}
    _, plain = json_report(str(DEMO), "--exit-zero")
    assert all(i["sources"] == {} for c in plain["checklist"]["checklists"] for i in c["items"])


def test_a_lint_run_imports_no_live_client() -> None:
    probe = ("import sys\nfrom tprlint.cli import main\ncode = main(['fixtures/demo-shop', '-q', '--no-cache'])\n"
             "print('LOADED', [m for m in ('temporalio', 'kubernetes') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
