"""TPR908 reads deploy commands and the commands that watch a rollout (tprlint.facts.scripts), and reports
a deploy of Temporal workloads only when nothing in the file, the scripts it calls or the file that calls
it watches the rollout."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from tests.project_helpers import findings
from tprlint.config import Config
from tprlint.engine import run
from tprlint.facts.scripts import extract_commands
from tprlint.report import FORMATS

WORKER = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: {kind}
    metadata:
      name: orders-worker
    spec:
      replicas: 3
      selector:
        matchLabels: {{app: orders-worker}}
      template:
        metadata:
          labels: {{app: orders-worker}}
        spec:
          containers:
            - name: worker
              image: registry.example.com/orders-worker:1.4.2
              env:
                - {{name: TEMPORAL_ADDRESS, value: "temporal-frontend.temporal:7233"}}
                - {{name: TASK_QUEUE, value: orders}}
    """)


def test_deploys_and_watches_are_read_as_commands() -> None:
    text = textwrap.dedent("""\
        kubectl --context prod -n orders apply -f deploy/k8s/ -f deploy/pdb.yaml
        kustomize build deploy/overlays/prod | kubectl apply -f -
        kubectl set image deployment orders-worker worker=img:2
        helm upgrade --install temporal temporalio/temporal -n temporal -f values.yaml --atomic
        helm upgrade orders ./charts/orders --wait=false
        kubectl -n orders rollout status deployment/orders-worker --timeout=15m
        kubectl wait --for=condition=available deployment/orders-worker
        kubectl argo rollouts status orders-worker
        kubectl rollout restart deployment/orders-worker
        ./scripts/smoke.sh && make verify
        """)
    facts = extract_commands(text, "scripts/deploy.sh")
    assert [(d.verb, d.paths, d.names, d.waits) for d in facts.deploys] == [
        ("kubectl apply", ("deploy/k8s/", "deploy/pdb.yaml"), (), False),
        ("kubectl apply", ("deploy/overlays/prod",), (), False),
        ("kubectl set image", (), ("orders-worker",), False),
        ("helm upgrade", ("temporalio/temporal",), ("temporal", "temporalio/temporal"), True),
        ("helm upgrade", ("./charts/orders",), ("orders", "./charts/orders"), False),
    ]
    assert [w.location.line for w in facts.watches] == [6, 7, 8]
    assert [c.words[0] for c in facts.calls] == ["./scripts/smoke.sh", "make"]


def _lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> list[tuple[str, int]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return sorted((f.location.path.rsplit("/", 1)[-1], f.location.line)
                  for f in findings(tmp_path, monkeypatch, files, "TPR908"))


@pytest.mark.parametrize(("makefile", "reported"), [
    ("deploy:\n\tkubectl apply -f deploy/k8s/\n", [("Makefile", 2)]),
    ("deploy:\n\tkubectl apply -f deploy/k8s/\n\tkubectl rollout status deployment/orders-worker\n", []),
    # targets run in any order: a `wait` target anywhere in the Makefile counts
    ("wait:\n\tkubectl rollout status deployment/orders-worker\n\ndeploy: \n\tkubectl apply -f deploy/k8s/\n", []),
    ("deploy:\n\tkubectl apply -f deploy/k8s/\n\t./scripts/wait.sh\n", []),  # the script it calls watches
    ("deploy:\n\tkubectl apply -f deploy/monitoring/\n", []),  # not a Temporal workload
    ("deploy:\n\tkubectl apply -f deploy/\n", []),  # without -R, only the folder's own files
    ("deploy:\n\tkubectl apply -R -f deploy/\n", [("Makefile", 2)]),
    ("deploy:\n\tkustomize build deploy/ | kubectl apply -f -\n", [("Makefile", 2)]),
    ("deploy:\n\tkubectl apply -f https://example.com/crds.yaml\n", []),
    ("deploy:\n\thelm upgrade --install temporal temporalio/temporal -f values.yaml\n", [("Makefile", 2)]),
    ("deploy:\n\thelm upgrade --install temporal temporalio/temporal -f values.yaml --wait\n", []),
    ("deploy:\n\tkubectl apply -f deploy/k8s/orders-worker.yaml\n\tkubectl set image deploy/orders-worker w=i:2\n",
     [("Makefile", 2)]),  # one finding per file
])
def test_what_counts_as_a_watched_rollout(makefile: str, reported: list[tuple[str, int]], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Makefile": makefile, "deploy/k8s/orders-worker.yaml": WORKER.format(kind="Deployment"),
             "deploy/monitoring/grafana.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dashboards}\n",
             "scripts/wait.sh": "#!/bin/sh\nkubectl rollout status deployment/orders-worker --timeout=15m\n"}
    assert _lint(tmp_path, monkeypatch, files) == reported


def test_a_target_run_by_ci_that_watches_after_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Makefile": "deploy:\n\tkubectl apply -f deploy/k8s/\n",
             "deploy/k8s/orders-worker.yaml": WORKER.format(kind="Deployment"),
             ".github/workflows/deploy.yml": "jobs:\n  deploy:\n    steps:\n      - run: make deploy\n"
                                             "      - run: kubectl rollout status deployment/orders-worker\n"}
    assert _lint(tmp_path, monkeypatch, files) == []
    files[".github/workflows/deploy.yml"] = "jobs:\n  deploy:\n    steps:\n      - run: make deploy\n"
    assert _lint(tmp_path / "b", monkeypatch, files) == [("Makefile", 2)]


def test_a_watch_before_the_deploy_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"deploy/k8s/orders-worker.yaml": WORKER.format(kind="Deployment"),
             "scripts/deploy.sh": "#!/bin/sh\nset -e\nkubectl rollout status deployment/orders-worker\n"
                                  "kubectl apply -f ../deploy/k8s/orders-worker.yaml\n"}
    assert _lint(tmp_path, monkeypatch, files) == [("deploy.sh", 4)]


def test_an_argo_rollout_with_analysis_watches_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "b").mkdir()
    rollout = WORKER.format(kind="Rollout").replace("apps/v1", "argoproj.io/v1alpha1") + textwrap.indent(
        textwrap.dedent("""\
          strategy:
            canary:
              analysis:
                templates: [{templateName: worker-health}]
              steps: [{setWeight: 20}, {pause: {duration: 10m}}]
        """), "  ")
    files = {"deploy/k8s/orders-worker.yaml": rollout,
             ".gitlab-ci.yml": "deploy:\n  script:\n    - kubectl apply -f deploy/k8s/\n"}
    assert _lint(tmp_path, monkeypatch, files) == []
    files["deploy/k8s/orders-worker.yaml"] = rollout.replace("analysis:", "x-analysis:")
    messages = [f.message for f in findings(tmp_path / "b", monkeypatch, files, "TPR908")]
    assert len(messages) == 1 and "`kubectl argo rollouts status orders-worker --timeout 15m`" in messages[0]


def test_a_path_it_cannot_resolve_is_undecided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "deploy" / "prod").mkdir(parents=True)
    (tmp_path / "deploy" / "prod" / "orders-worker.yaml").write_text(WORKER.format(kind="Deployment"))
    (tmp_path / "deploy.sh").write_text("#!/bin/sh\nset -e\nkubectl apply -f deploy/$ENV/\n")
    monkeypatch.chdir(tmp_path)
    result = run([tmp_path], Config(root=tmp_path).with_overrides(select=("TPR908",), root=tmp_path),
                 use_cache=False, jobs=1)
    assert result.findings == []
    assert [u.rule_id for u in result.not_checked] == ["TPR908"]


def test_the_chapter_deploy_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapter's pipeline applies the worker's manifests and sets its image, and never waits."""
    chapter = REPO / "fixtures" / "chapter"
    monkeypatch.chdir(chapter)
    result = run([chapter], Config(root=chapter).with_overrides(select=("TPR908",), root=chapter),
                 use_cache=False, jobs=1)
    assert [(Path(f.location.path).name, f.location.line) for f in result.findings] == [("deploy.yml", 18)]
    assert "Deployment orders-worker" in result.findings[0].message


HELM_SECRETS = ("Sup3rS3cretPw", "AKIAIOSFODNN7EXAMPLE", "Str1ngS3cretPw", "Tok3nValue99", "kc-Pr1vate-Path")
WORKFLOW = textwrap.dedent("""\
    name: deploy
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Deploy the worker
            run: |
              helm upgrade --install temporal-worker ./chart \\
                --set db.password=Sup3rS3cretPw --set apiKey=AKIAIOSFODNN7EXAMPLE \\
                --set-string auth.secret=Str1ngS3cretPw --token=Tok3nValue99 --kubeconfig /home/kc-Pr1vate-Path
    """)


def test_helm_credentials_are_scrubbed_when_facts_are_built() -> None:
    words = extract_commands(WORKFLOW, ".github/workflows/deploy.yml").deploys[0].words
    assert "db.password=****" in words and "apiKey=****" in words and "auth.secret=****" in words
    assert "--token=****" in words and words[words.index("--kubeconfig") + 1] == "****"
    assert not [s for s in HELM_SECRETS if s in " ".join(words)]
    assert "./chart" in words and "temporal-worker" in words  # what the rule needs is kept


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_and_no_cache_file_shows_a_helm_credential(fmt: str, tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW, encoding="utf-8")
    result = run_cli(".", "-f", fmt, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    if fmt in ("console", "json"):
        assert "TPR908" in result.stdout and "db.password=****" in result.stdout
    cache = Path(os.environ["TPRLINT_CACHE_DIR"])
    stored = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in cache.rglob("*") if p.is_file())
    assert "helm" in stored  # the facts were cached
    assert [s for s in HELM_SECRETS if s in stored] == []
    # a code frame shows the line as written, credentials masked (a kubeconfig's path is not one)
    assert [s for s in HELM_SECRETS[:-1] if s in result.stdout + result.stderr] == []
