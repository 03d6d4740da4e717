"""A tree of real-shaped Temporal projects (tests/data/real_shaped): a pydantic-settings Python worker
whose drain comes from the environment of its Deployment, a Go worker chart that only renders with its
ci values, an API server that only starts workflows, a Tilt folder, docker-compose alternatives for a
local server, and a worker deployed with Kustomize overlays (its base alone has one replica and the
default grace period; each overlay patches both). Every error and warning tprlint reports on it is
listed here and was checked by hand; anything else it reports at those levels is a false positive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli

TREE = Path(__file__).parent / "data" / "real_shaped"

EXPECTED = [
    # ci/prod-values.yaml of the Go worker chart runs it with one replica: the defaults need a value.
    ("TPR406", "orders-go/chart/ci/prod-values.yaml", 1),
    # The Deployment sets PAYMENTS_SHUTDOWN_SECONDS=300 over the settings' default of 120 s, and a
    # 120 s grace period: the pod is killed mid-drain.
    ("TPR601", "payments/deploy/worker.yaml", 14),
]


def _run(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    root = tmp_path / "shop"
    shutil.copytree(TREE, root)
    (root / ".git").mkdir()  # a repository of its own, as it would be
    result = run_cli(*args, "-f", "json", "--no-cache", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def test_every_error_and_warning_on_the_tree_is_a_real_problem(tmp_path: Path) -> None:
    found = sorted((str(f["rule"]), str(f["path"]), int(str(f["line"]))) for f in _run(tmp_path, ".")
                   if f["severity"] in ("error", "warning"))
    assert found == EXPECTED


def test_the_findings_say_which_values_file_and_which_variable_they_come_from(tmp_path: Path) -> None:
    messages = {str(f["rule"]): str(f["message"]) for f in _run(tmp_path, ".")}
    assert messages["TPR406"].endswith("(rendered with orders-go/chart/ci/prod-values.yaml)")
    assert "env PAYMENTS_SHUTDOWN_SECONDS=300 set by the workload" in messages["TPR601"]


def test_the_api_server_is_judged_as_what_it_is_under_scope_all(tmp_path: Path) -> None:
    found = [f for f in _run(tmp_path, "api", "--scope", "all") if f["path"] == "api/deploy/api.yaml"]
    assert {"TPR402", "TPR403", "TPR404", "TPR405", "TPR406"} <= {str(f["rule"]) for f in found}
    for finding in found:
        text = str(finding["message"]).lower()
        assert "task queue" not in text and "poll" not in text and "activity" not in text, finding["message"]


def test_the_tilt_folder_and_local_compose_files_are_development_set_ups(tmp_path: Path) -> None:
    paths = {str(f["path"]) for f in _run(tmp_path, ".")}
    assert not {p for p in paths if p.startswith(("tilt/", "local-server/"))}


def test_a_folder_named_for_a_local_environment_is_one_but_a_project_named_demo_is_not() -> None:
    from tprlint.devsetup import is_dev_path

    assert is_dev_path("local-server/docker-compose-mysql.yml")
    assert is_dev_path("deploy/kind-cluster/worker.yaml")
    assert not is_dev_path("fixtures/demo-shop/deploy/workers.yaml")
    assert not is_dev_path("services/test-harness/deploy/worker.yaml")


def test_kustomize_overlays_are_judged_as_built(tmp_path: Path) -> None:
    found = _run(tmp_path, "shipping")
    assert {str(f["rule"]) for f in found if f["severity"] in ("error", "warning")} == set()
    # Staging runs 2 pods without a spread constraint (production's patch adds one): a note, named.
    (spread,) = [f for f in found if f["rule"] == "TPR411"]
    assert str(spread["message"]).endswith("(kustomize overlay shipping/deploy/overlays/staging)")
