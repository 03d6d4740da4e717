"""Conformance with Polaris (FairwindsOps/polaris): its per-check fixtures, run through tprlint.

Polaris' convention: a fixture whose name starts with ``failure`` must produce the check, every other
one (``success*``, ``mutated*``) must not. Each fixture of a check that overlaps a tprlint rule runs
through the real engine with ``scope = "all"`` and only that rule selected, and the verdicts are
compared. Where one tprlint rule covers several Polaris checks (TPR404: cpu and memory requests;
TPR407: missing and blocking budgets; TPR413: three securityContext settings), the comparison looks
at the part of the finding that corresponds to the check. Every case where tprlint deliberately
disagrees is listed in ``DIVERGENCES`` with the reason; every other case must agree.

The fixtures live outside the repository (``../shared/peers/polaris``, Apache-2.0); the test skips
when they are absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tprlint.config import Config
from tprlint.engine import run
from tprlint.model import Finding

SHARED = Path(__file__).resolve().parents[2] / "shared"
CHECKS = SHARED / "peers" / "polaris" / "checks"

pytestmark = pytest.mark.skipif(not CHECKS.is_dir(), reason="Polaris fixtures not available")


def _says(pattern: str) -> Callable[[Finding], bool]:
    compiled = re.compile(pattern)
    return lambda finding: bool(compiled.search(finding.message))


def _any(_: Finding) -> bool:
    return True


# Polaris check -> (tprlint rule, which of the rule's findings stand for that check).
MAPPING: dict[str, tuple[str, Callable[[Finding], bool]]] = {
    "readinessProbeMissing": ("TPR402", _any),
    "livenessProbeMissing": ("TPR403", _any),
    "cpuRequestsMissing": ("TPR404", _says(r"requests no cpu\b")),
    "memoryRequestsMissing": ("TPR404", _says(r"requests no (cpu or )?memory\b")),
    "memoryLimitsMissing": ("TPR405", _any),
    "deploymentMissingReplicas": ("TPR406", _any),
    "missingPodDisruptionBudget": ("TPR407", _says(r"^No PodDisruptionBudget selects")),
    "pdbDisruptionsIsZero": ("TPR407", _says(r"allows no voluntary disruption")),
    "pdbMinAvailableGreaterThanHPAMinReplicas": ("TPR407", _says(r"allows no voluntary disruption")),
    "tagNotSpecified": ("TPR409", _any),
    "hpaMinAvailability": ("TPR410", _says(r"has minReplicas")),
    "topologySpreadConstraint": ("TPR411", _any),
    "sensitiveContainerEnvVar": ("TPR412", _any),
    "runAsRootAllowed": ("TPR413", _says(r"does not set [^.]*runAsNonRoot")),
    "privilegeEscalationAllowed": ("TPR413", _says(r"does not set [^.]*allowPrivilegeEscalation")),
    "notReadOnlyRootFilesystem": ("TPR413", _says(r"does not set [^.]*readOnlyRootFilesystem")),
    "missingNetworkPolicy": ("TPR415", _any),
}

_SINGLE_REPLICA_PDB = (
    "the Deployment sets no replicas, so it runs one pod. No budget helps one pod: maxUnavailable: 1 lets a "
    "drain evict it anyway and minAvailable: 1 blocks the drain forever. TPR407 requires a budget from a "
    "replica floor of 2 and TPR406 reports the single replica (test_selection_agrees_once_replicated "
    "re-runs this fixture with 3 replicas: tprlint then agrees)"
)
_NO_FLOOR_TO_SPREAD = (
    "the Deployment sets no replicas, so it runs one pod: there is nothing to spread, and TPR406 reports the "
    "floor (re-run with 3 replicas, tprlint agrees)"
)
_DIRECTIONS = (
    "a NetworkPolicy selects the pod; which directions it restricts and whether it lists rules for both is a "
    "design choice (an ingress-only default deny is a common baseline). TPR415 reports pods no policy "
    "selects at all"
)

# Case ("check/file") -> why tprlint is right to disagree with Polaris there.
DIVERGENCES: dict[str, str] = {
    "missingPodDisruptionBudget/failure-bad-ns.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.bad-name.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.empty-labels.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.no-labels.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.no-metadata.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.wrong-place.yaml": _SINGLE_REPLICA_PDB,
    "missingPodDisruptionBudget/failure.yaml": _SINGLE_REPLICA_PDB,
    "pdbMinAvailableGreaterThanHPAMinReplicas/success.equals.yaml": (
        "minAvailable 5 with an HPA floor of 5: at the floor the budget allows 0 disruptions, so drains hang. "
        "Polaris only flags minAvailable strictly greater than minReplicas"
    ),
    "pdbMinAvailableGreaterThanHPAMinReplicas/success.hpa-no-match.yaml": (
        "the HPA targets another Deployment, so this one runs spec.replicas (unset: 1) pods, and minAvailable 5 "
        "blocks every eviction. Polaris only compares budgets with a matching HPA"
    ),
    "pdbMinAvailableGreaterThanHPAMinReplicas/success.no-hpa.yaml": (
        "no HPA: the Deployment runs spec.replicas (unset: 1) pods and minAvailable 5 blocks every eviction. "
        "Polaris only compares budgets with an HPA"
    ),
    "pdbMinAvailableGreaterThanHPAMinReplicas/success.no-min-replicas.yaml": (
        "an HPA without minReplicas scales down to the API default of 1, below minAvailable 2: at that floor "
        "the budget blocks every eviction. Polaris skips an HPA without an explicit minReplicas"
    ),
    "hpaMinAvailability/success.minReplicaAbsent.yaml": (
        "the API server defaults an absent minReplicas to 1, which is below the threshold of 2"
    ),
    "topologySpreadConstraint/failure.empty.yaml": _NO_FLOOR_TO_SPREAD,
    "topologySpreadConstraint/failure.nospreadconstraint.yaml": _NO_FLOOR_TO_SPREAD,
    "missingNetworkPolicy/failure.netpol_missing_egress_in_policytypes.yaml": _DIRECTIONS,
    "missingNetworkPolicy/failure.netpol_missing_egress_rules.yaml": _DIRECTIONS,
    "missingNetworkPolicy/failure.netpol_missing_ingress_in_policytypes.yaml": _DIRECTIONS,
    "missingNetworkPolicy/failure.netpol_missing_ingress_rules.yaml": _DIRECTIONS,
}

# The agreement figure reported in the README; a change here is a change of behaviour to explain.
EXPECTED_AGREEMENT = (69, 87)


def _cases() -> list[tuple[str, Path]]:
    if not CHECKS.is_dir():
        return []
    return [(check, path) for check in MAPPING for path in sorted((CHECKS / check).iterdir()) if path.is_file()]


def _fires(check: str, path: Path) -> bool:
    rule, stands_for = MAPPING[check]
    config = Config(root=path.parent).with_overrides(select=(rule,), scope="all")
    result = run([path], config, use_cache=False, jobs=1)
    return any(f.rule_id == rule and stands_for(f) for f in result.findings)


def _polaris_fails(path: Path) -> bool:
    return path.name.startswith("failure")


@pytest.mark.parametrize(("check", "path"), _cases(), ids=lambda value: getattr(value, "name", value))
def test_case(check: str, path: Path) -> None:
    case = f"{check}/{path.name}"
    expected = _polaris_fails(path) != (case in DIVERGENCES)
    fired = _fires(check, path)
    assert fired == expected, (
        f"{case}: Polaris {'fails' if _polaris_fails(path) else 'passes'} it, tprlint "
        f"{'fires' if fired else 'is silent'}"
        + (f" (listed divergence: {DIVERGENCES[case]})" if case in DIVERGENCES else " and no divergence is listed")
    )


def test_agreement_figure(capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases()
    agree = sum(_fires(check, path) == _polaris_fails(path) for check, path in cases)
    with capsys.disabled():
        print(f"\nPolaris conformance: {agree}/{len(cases)} cases agree ({agree / len(cases):.0%}); "
              f"{len(DIVERGENCES)} deliberate divergences")
    assert (agree, len(cases)) == EXPECTED_AGREEMENT
    assert len(cases) - agree == len(DIVERGENCES)


def test_every_divergence_names_a_real_case() -> None:
    names = {f"{check}/{path.name}" for check, path in _cases()}
    assert set(DIVERGENCES) <= names
    assert all(check in MAPPING for check in (case.split("/")[0] for case in DIVERGENCES))


@pytest.mark.parametrize("check", ["missingPodDisruptionBudget", "topologySpreadConstraint"])
def test_selection_agrees_once_replicated(check: str, tmp_path: Path) -> None:
    """The single-replica divergences are only about the floor: with 3 replicas every verdict matches
    Polaris (wrong namespace, wrong labels, labels on the Deployment instead of the pods, empty lists)."""
    for path in sorted((CHECKS / check).iterdir()):
        text = re.sub(r"^spec:\n", "spec:\n  replicas: 3\n", path.read_text(encoding="utf-8"), count=1, flags=re.M)
        copy = tmp_path / check / path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text, encoding="utf-8")
        assert _fires(check, copy) == _polaris_fails(path), f"{check}/{path.name} with replicas: 3"


def test_readme_reports_this_agreement_figure() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    agree, total = EXPECTED_AGREEMENT
    assert f"**{agree} of {total} cases agree ({agree / total:.0%})**" in readme
