"""One repository with every hostile input folded together, linted the way the GitHub Action lints a
stranger's pull request (`tprlint . -f github -f sarif:...`).

The demo repository is copied and then given: a crafted cache that would run a command if it were
unpickled, FIFOs and a symlink to /dev/zero named like files tprlint reads, symlinks to files outside
the tree, object and file names that try to forge workflow commands and terminal escapes, literal
secrets in compose, Kubernetes, Dockerfile and Helm values (one printed by a failing template), inputs
that crashed the run, and inputs that took minutes. The run must end in bounded time, write every
report, run nothing from the tree, write nothing outside the tree but its cache, and show or store no
secret value; the demo's own findings must survive.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "fixtures" / "demo-shop"

SECRETS = {
    "compose": "pg-Hostile-Pass-7731",
    "compose_api_key": "tc-api-key-Hostile-0f3a9c2b71",
    "k8s_url": "UrlPass-Hostile-5521",
    "aws": "AKIAHOSTILE000000042",
    "docker": "docker-Env-Secret-9917",
    "helm": "helm-Values-Secret-3318",
    "outside": "OUTSIDE-THE-TREE-4471",
}
INJECTED = "::error file=README.md,line=1::Injected"


class Payload:
    """Unpickling this runs `touch <marker>`: the classic pickle code-execution gadget."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _build(tmp_path: Path) -> tuple[Path, Path, Path]:
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    marker = tmp_path / "pwned"
    cache = tmp_path / "cache"

    # A crafted cache, committed to the tree and planted in the cache folder.
    crafted = pickle.dumps(Payload(marker), protocol=4)
    for folder in (repo / ".tprlint_cache", cache):
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("last-run.pickle", "last-run.json", "facts.pickle", "facts.json"):
            (folder / name).write_bytes(crafted)

    # Special files named like files tprlint reads.
    os.mkfifo(repo / "deploy" / "fifo.yaml")
    (repo / "pipes").mkdir()
    os.mkfifo(repo / "pipes" / "worker.py")
    os.mkfifo(repo / "deploy" / "charts" / "reports-worker" / "templates" / "fifo.yaml")
    os.symlink("/dev/zero", repo / "zero_worker.py")

    # Symlinks that leave the tree, for a manifest and for a chart template.
    leaked = _write(outside, "secret-deploy.yaml", f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: outside-worker}}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: example/outside:latest
                  env: [{{name: TEMPORAL_ADDRESS, value: "{SECRETS['outside']}"}}]
        """)
    os.symlink(leaked, repo / "deploy" / "linked.yaml")
    os.symlink(leaked, repo / "deploy" / "charts" / "reports-worker" / "templates" / "linked.yaml")

    # Names that try to forge workflow commands and terminal escapes.
    _write(repo, "deploy/forged.yaml", r"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: "temporal-worker\n::error file=README.md,line=1::Injected\e[31m\a"
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: worker
                  image: example/forged:latest
                  env: [{name: TEMPORAL_ADDRESS, value: temporal:7233}]
        """)
    (repo / "bad\udcff.py".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")).write_text(
        "from temporalio.client import Client\n\n"
        "async def connect():\n    return await Client.connect('prod\\ud800\\u202e.example:7233')\n",
        encoding="utf-8",
    )
    with contextlib.suppress(OSError):
        _write(repo, "odd\n::error file=README.md::x.py", "import temporalio\nx = (\n")

    # Secrets: the compose frame of TPR602, a Kubernetes env URL, an AWS key, a Dockerfile ENV, Helm values.
    _write(repo, "docker-compose.yml", f"""
        services:
          shipping-worker:
            build: .
            command: python -m shipping.main
            environment:
              POSTGRES_PASSWORD: "{SECRETS['compose']}"
              TEMPORAL_API_KEY: "{SECRETS['compose_api_key']}"
              TEMPORAL_ADDRESS: temporal.staging.internal:7233
            restart: unless-stopped
        """)
    _write(repo, "deploy/db-client.yaml", f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: billing-worker}}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: example/billing:1.0
                  env:
                    - name: TEMPORAL_TASK_QUEUE
                      value: billing
                    - name: DATABASE_URL
                      value: "postgres://billing:{SECRETS['k8s_url']}@db.prod.internal:5432/billing"
                    - name: AWS_ACCESS_KEY_ID
                      value: "{SECRETS['aws']}"
        """)
    dockerfile = (repo / "Dockerfile").read_text(encoding="utf-8")
    (repo / "Dockerfile").write_text(dockerfile.replace(
        "WORKDIR /srv\n", f"WORKDIR /srv\nENV DB_PASSWORD={SECRETS['docker']}\n"), encoding="utf-8")
    _write(repo, "deploy/charts/failing/Chart.yaml", "apiVersion: v2\nname: failing\nversion: 0.1.0\n")
    _write(repo, "deploy/charts/failing/values.yaml", f"db:\n  password: {SECRETS['helm']}\n")
    _write(repo, "deploy/charts/failing/templates/fail.yaml",
           '{{ fail (printf "bad password %s" .Values.db.password) }}\n')

    # Inputs that crashed a run.
    _write(repo, "deploy/huge-replicas.yaml", f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: hex-worker}}
        spec:
          replicas: 0x{"f" * 4000}
          template:
            spec:
              containers: [{{name: worker, image: example/hex:1.0, env: [{{name: TEMPORAL_TASK_QUEUE, value: hex}}]}}]
        """)
    _write(repo, "overflow/worker.py", f"""
        from datetime import timedelta
        from temporalio.worker import Worker

        async def main(client):
            worker = Worker(client, task_queue="overflow", workflows=[],
                            graceful_shutdown_timeout=timedelta(days=1{"0" * 310}))
            await worker.run()
        """)
    (repo / "nested").mkdir()
    (repo / "nested" / "Dockerfile").write_text("FROM python:3.12\nCMD " + "[" * 1000 + "\n", encoding="utf-8")
    (repo / "nested" / "pyproject.toml").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    chain = "\n".join(f"class C{i}(C{i - 1}):\n    pass" for i in range(1, 1000))
    _write(repo, "deep/workflows.py", "from temporalio import workflow\n\nclass C0:\n    pass\n")
    with (repo / "deep" / "workflows.py").open("a", encoding="utf-8") as handle:
        handle.write(chain + "\n\n@workflow.defn\nclass Deep(C999):\n    @workflow.run\n"
                     "    async def run(self) -> None:\n        pass\n")

    # Inputs that took minutes: a backtracking .gitignore pattern, a chart that allocates without bound.
    (repo / ".gitignore").write_text("a*a*a*a*a*a*a*a*a*a*a*a*b\n", encoding="utf-8")
    _write(repo, "a" * 60 + ".py", "import temporalio\n")
    _write(repo, "deploy/charts/greedy/Chart.yaml", "apiVersion: v2\nname: greedy\nversion: 0.1.0\n")
    _write(repo, "deploy/charts/greedy/templates/cm.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: greedy}
        data:
          {{- range $i := until 10000000 }}
          k{{ $i }}: "{{ $i }}"
          {{- end }}
        """)
    return repo, cache, marker


def _files(root: Path) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            found[path] = (info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else (0, 0)
    return found


def test_a_hostile_repository_is_linted_safely(tmp_path: Path) -> None:
    repo, cache, marker = _build(tmp_path)
    reports = tmp_path / "reports"
    before = _files(tmp_path)
    environment = {**os.environ, "NO_COLOR": "1", "TPRLINT_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "tprlint", ".", "-f", "github", "-f", f"sarif:{reports}/out.sarif",
               "-f", f"json:{reports}/out.json", "-f", f"concise:{reports}/out.txt",
               "-f", f"console:{reports}/console.txt", "--timeout", "240"]
    outcomes = []
    for _ in range(2):  # a cold run, then one that reads the cache it wrote
        result = subprocess.run(command, cwd=repo, env=environment, capture_output=True, timeout=300, check=False)
        outcomes.append(result)
        assert result.returncode in (0, 1, 2), result.stderr.decode("utf-8", "replace")
        assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")

    # No foreign code ran.
    assert not marker.exists()

    # Every report was written and parses.
    sarif = json.loads((reports / "out.sarif").read_text(encoding="utf-8"))
    document = json.loads((reports / "out.json").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    rule_ids = {finding["rule"] for finding in document["findings"]}
    # The demo's headline findings survive everything around them.
    assert {"TPR601", "TPR602", "TPR409"} <= rule_ids
    assert "TPR002" in rule_ids  # the failing chart, and the greedy one hitting Helm's limits
    assert "TPR000" not in rule_ids, "an input crashed an extractor or a rule"
    not_read = [f["message"] for f in document["findings"] if f["rule"] == "TPR001" and "outside" in f["message"]]
    assert not_read, "the symlinks out of the tree are not reported"

    # Nothing written outside the tree but the cache and the reports we asked for.
    after = _files(tmp_path)
    written = {path for path in after if before.get(path) != after[path]}
    allowed = (str(cache) + os.sep, str(reports) + os.sep)
    assert all(path.startswith(allowed) for path in written), sorted(written)

    # No secret in any output or stored file, no forged command, no terminal escape.
    texts = [outcome.stdout for outcome in outcomes] + [outcome.stderr for outcome in outcomes]
    texts += [path.read_bytes() for path in reports.iterdir()]
    texts += [Path(path).read_bytes() for path in after if path.startswith(str(cache) + os.sep)]
    for blob in texts:
        for name, secret in SECRETS.items():
            assert secret.encode() not in blob, f"the {name} secret leaked"
        assert b"\x1b" not in blob and b"\x07" not in blob
    for outcome in outcomes:
        for line in outcome.stdout.decode("utf-8").splitlines():
            assert not line.startswith("::error file=README.md"), line
            if line.startswith("::"):
                assert line.startswith(("::error file=", "::warning file=", "::notice file=")), line
    for line in (reports / "console.txt").read_text(encoding="utf-8").splitlines():
        assert not line.startswith("::"), line
    for line in (reports / "out.txt").read_text(encoding="utf-8").splitlines():
        assert not line.startswith("::"), line


@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs and /dev/zero as on Linux")
def test_the_hostile_repository_builder_makes_what_it_says(tmp_path: Path) -> None:
    """The test above is only as good as its inputs: check that they are what they claim to be."""
    repo, cache, marker = _build(tmp_path)
    assert stat.S_ISFIFO(os.lstat(repo / "pipes" / "worker.py").st_mode)
    assert os.path.realpath(repo / "zero_worker.py") == "/dev/zero"
    assert not os.path.realpath(repo / "deploy" / "linked.yaml").startswith(str(repo))
    crafted = (cache / "last-run.pickle").read_bytes()
    assert b"system" in crafted
    pickle.loads(crafted)  # the payload really runs when unpickled (here, under the test's control)
    assert marker.exists()
