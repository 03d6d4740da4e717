"""TPR903 reads commands as a shell does (tprlint.facts.scripts), and reports only the forced kills that
name a worker: each case is a line a real Makefile, script or CI step could hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from tprlint.facts.scripts import extract_commands


def words_of(text: str, path: str = "scripts/ops.sh") -> list[tuple[str, ...]]:
    return [c.words for c in extract_commands(text, path).commands]


def test_the_shell_splits_the_commands() -> None:
    text = ("sudo env KUBECONFIG=/k kubectl delete pod orders-worker-0 --force  # 'quoted # not a comment'\n"
            "make build && kill -9 \"$(pgrep -f 'orders worker')\" ; echo done\n"
            "kubectl -n shop delete pod \\\n  -l app=orders-worker --grace-period=0\n"
            "echo 'unclosed\n")
    assert words_of(text) == [
        ("kubectl", "delete", "pod", "orders-worker-0", "--force"),
        ("kill", "-9", "$(pgrep -f 'orders worker')"),
        ("kubectl", "-n", "shop", "delete", "pod", "-l", "app=orders-worker", "--grace-period=0"),
    ]


def test_makefile_prefixes_and_ci_steps() -> None:
    assert words_of("restart:\n\t@-docker compose kill orders-worker\n", "Makefile") == [
        ("docker", "compose", "kill", "orders-worker")]
    assert words_of("    steps:\n      - run: docker rm -f temporal-worker\n", ".github/workflows/x.yml") == [
        ("docker", "rm", "-f", "temporal-worker")]
    assert words_of("COMPOSE_FILE=a.yml:b.yml\nkill -9 1\n", ".env") == []


@pytest.mark.parametrize(("line", "reported"), [
    ("kubectl delete pod -l app=orders-worker --grace-period=0 --force", True),
    ("kubectl delete pod orders-worker-7d9f --now", True),
    ("kubectl delete deployment orders-worker --grace-period 0", True),
    ("kubectl delete pod -l app=orders-worker", False),  # graceful: SIGTERM, then the grace period
    ("kubectl rollout restart deployment/orders-worker", False),
    ("kubectl delete configmap orders-worker-config --force", False),  # not a pod
    ("pkill -9 -f orders.worker", True),
    ("kill -s KILL $(pgrep -f temporal-worker)", True),
    ("kill -TERM $(pgrep -f orders.worker)", False),
    ("kill -9 \"$PID\"", False),  # names no worker
    ("docker kill shop-orders-worker-1", True),
    ("docker compose stop -t 0 orders-worker", True),
    ("docker compose stop orders-worker", False),
    ("docker rm -f temporal-worker", True),
    ("kubectl delete pod postgres-0 --force", False),  # not a worker
])
def test_what_is_a_forced_worker_kill(line: str, reported: bool, tmp_path: Path) -> None:
    (tmp_path / "ops.sh").write_text(f"#!/bin/sh\nset -e\n{line}\n")
    result = run_cli(str(tmp_path), "--select", "TPR903", "-f", "concise", "--no-cache", cwd=tmp_path)
    assert ("TPR903" in result.stdout) is reported, result.stdout + result.stderr
