"""Property-based tests: whatever a hostile repository holds - odd literals in worker code, odd
numbers and names in manifests, compose files, Dockerfiles, pyproject.toml, Temporal values, odd
file names - a run never raises, never contains an internal error (TPR000), and its JSON report
parses. Most run the engine in-process for speed; a few run the CLI. Examples are derandomised and
few, so CI stays fast and stable."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tprlint.catalog import load_catalog
from tprlint.config import Config
from tprlint.engine import run
from tprlint.report import ReportContext, load_reporter

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(PROPERTY, max_examples=5)

# Hostile text: control characters, lone surrogates, bidirectional marks, quotes and YAML/TOML syntax.
ODD_CHARS = st.sampled_from(["\x00", "\x1b", "\x07", "\r", "\n", "\t", "\u202e", "\u200f", "\u2066", "\ufeff",
                             "\ud800", "\udcff", "'", '"', "\\", ":", "#", "&", "*", "[", "{", "%", "$",
                             "é", "\U0001d518"])
ODD_TEXT = st.text(st.one_of(ODD_CHARS, st.characters()), max_size=12)

# Numbers as source text: huge in every base, beyond float range, inf and nan, negative zero.
HUGE_NUMBERS = st.sampled_from(["1e300", "1e999", "-1e999", "0x" + "f" * 4000, "0o" + "7" * 3000, "9" * 5000,
                                "1" + "0" * 310, "-0x" + "f" * 100])
NUMBER_TEXT = st.one_of(
    HUGE_NUMBERS,  # twice: most of the crashes of the issue were here
    HUGE_NUMBERS,
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["0", "-0", "0.000001", "2**63"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
YAML_NUMBER = st.one_of(NUMBER_TEXT, st.sampled_from([".nan", ".inf", "-.inf", "1_000", "0b101", "1:30", "~"]))
PY_NUMBER = st.one_of(NUMBER_TEXT.filter(lambda t: t not in ("nan", "inf", "-inf")),
                      st.sampled_from(["float('inf')", "float('nan')", "float('-inf')", "int('9' * 5000)",
                                       "10**400", "1e300 * 1e300", "-(2**64)"]))
UNITS = st.sampled_from(["days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"])


def _quoted(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML (and close to TOML) strings; escapes stay escapes


def lint(files: dict[str, str | bytes], report: bool = True) -> None:
    """Write ``files`` into a fresh folder, lint it in-process, and check the properties."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in files.items():
            path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
            path.write_bytes(data)
        result = run([root], Config(root=root), use_cache=False, jobs=1)
        crashes = [f.message for f in result.findings if f.rule_id == "TPR000"]
        assert crashes == []
        if not report:
            return
        context = ReportContext(rules=load_catalog(), version="test", files_scanned=result.files_scanned, color=False,
                                base_dir=root)
        report = json.loads(load_reporter("json")(result.findings, context))
        assert report["summary"]["findings"] >= 0


def worker_module(timeout: str, extra: str = "") -> str:
    return (
        "from datetime import timedelta\nfrom temporalio import workflow, activity\n"
        "from temporalio.worker import Worker\n\n"
        f"SHUTDOWN = {timeout}\n\n"
        "@activity.defn\nasync def act(x):\n    return x\n\n"
        "@workflow.defn\nclass Flow:\n    @workflow.run\n    async def run(self):\n"
        f"        return await workflow.execute_activity(act, 1, start_to_close_timeout={timeout}{extra})\n\n"
        "async def main(client):\n"
        f"    worker = Worker(client, task_queue={_quoted('q')}, workflows=[Flow], activities=[act],\n"
        f"                    graceful_shutdown_timeout=SHUTDOWN, max_concurrent_activities={timeout})\n"
        "    await worker.run()\n"
    )


def deployment(name: str, replicas: str, grace: str, command: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {_quoted(name)}\n  annotations: {{tprlint.io/ignore: {_quoted(name)}}}\n"
        f"spec:\n  replicas: {replicas}\n  template:\n    spec:\n      terminationGracePeriodSeconds: {grace}\n"
        "      containers:\n      - name: worker\n        image: \"x:1\"\n"
        f"        command: [\"python\", {_quoted(command)}]\n"
        "        env:\n        - name: TEMPORAL_ADDRESS\n          value: \"temporal:7233\"\n"
        f"        resources: {{limits: {{memory: {replicas}, cpu: {grace}}}}}\n"
        f"        lifecycle: {{preStop: {{exec: {{command: [\"sh\", \"-c\", \"sleep {grace.strip('~')}\"]}}}}}}\n"
    )


@PROPERTY
@given(value=PY_NUMBER, unit=UNITS, wrapper=st.sampled_from([
    "timedelta({unit}={v})", "{v}", "timedelta({unit}={v}) * {v}", "int(os.environ.get('X', {v!r}))",
    "-timedelta({unit}={v})"]))
def test_worker_code_with_hostile_literals(value: str, unit: str, wrapper: str) -> None:
    timeout = wrapper.format(unit=unit, v=value)
    lint({"worker.py": "import os\n" + worker_module(timeout),
          "deploy.yaml": deployment("worker", "2", "30", "worker.py")})


@PROPERTY
@given(name=ODD_TEXT, replicas=YAML_NUMBER, grace=YAML_NUMBER, command=ODD_TEXT)
def test_kubernetes_objects_with_hostile_names_and_numbers(name: str, replicas: str, grace: str, command: str) -> None:
    pdb = (f"---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {_quoted(name)}}}\n"
           f"spec: {{minAvailable: {replicas}, selector: {{matchLabels: {{app: {_quoted(name)}}}}}}}\n"
           f"---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: hpa}}\n"
           f"spec: {{minReplicas: {grace}, scaleTargetRef: {{kind: Deployment, name: {_quoted(name)}}}}}\n")
    lint({"worker.py": worker_module("timedelta(seconds=60)"),
          "deploy.yaml": deployment(name, replicas, grace, command) + pdb})


@PROPERTY
@given(name=ODD_TEXT, grace=st.one_of(YAML_NUMBER, ODD_TEXT.map(_quoted), st.sampled_from(["1h2m3s", "1e999s", "-5s"])),
       command=ODD_TEXT)
def test_compose_files_with_hostile_values(name: str, grace: str, command: str) -> None:
    compose = (f"services:\n  {_quoted(name or 'w')}:\n    image: python:3.12\n    stop_grace_period: {grace}\n"
               f"    command: [\"python\", {_quoted(command)}]\n    deploy: {{replicas: {grace}}}\n"
               f"    extends: {{service: {_quoted(name or 'w')}}}\n"
               f"    environment: {{TEMPORAL_ADDRESS: {_quoted(command)}}}\n")
    lint({"worker.py": worker_module("timedelta(seconds=60)"), "docker-compose.yml": compose})


INSTRUCTIONS = st.sampled_from(["CMD", "ENTRYPOINT", "ENV", "ARG", "SHELL", "FROM", "STOPSIGNAL", "HEALTHCHECK",
                                "USER", "WORKDIR", "RUN", "LABEL", "COPY"])
DOCKER_ARGS = st.one_of(ODD_TEXT, st.sampled_from([1000, 3000]).map(lambda n: "[" * n),
                        st.integers(1, 1500).map(lambda n: "[" * n),
                        st.lists(ODD_TEXT, max_size=4).map(json.dumps), st.sampled_from(["\\", "[\"a\", [1]]", ""]))


@PROPERTY
@given(lines=st.lists(st.tuples(INSTRUCTIONS, DOCKER_ARGS), max_size=8))
def test_dockerfiles_with_hostile_instructions(lines: list[tuple[str, str]]) -> None:
    text = "FROM python:3.12\n" + "".join(f"{word} {args}\n" for word, args in lines)
    lint({"Dockerfile": text, "worker.py": worker_module("timedelta(seconds=5)")})


@PROPERTY
@given(name=ODD_TEXT, target=ODD_TEXT, depth=st.one_of(st.sampled_from([1000, 5000]), st.integers(0, 1200)))
def test_pyproject_with_hostile_scripts_and_nesting(name: str, target: str, depth: int) -> None:
    text = (f"[project]\nname = \"app\"\n[project.scripts]\n{_quoted(name)} = {_quoted(target)}\n"
            f"[tool.other]\ndeep = {'[' * depth}{']' * depth}\n")
    lint({"app/pyproject.toml": text, "app/worker.py": worker_module("timedelta(seconds=5)")})


@PROPERTY
@given(count=YAML_NUMBER, shards=YAML_NUMBER, name=ODD_TEXT)
def test_temporal_helm_values_with_hostile_numbers(count: str, shards: str, name: str) -> None:
    values = (f"server:\n  replicaCount: {count}\n  config:\n    numHistoryShards: {shards}\n"
              f"    persistence:\n      default:\n        driver: {_quoted(name)}\n"
              f"  frontend: {{replicaCount: {count}}}\n  history: {{replicaCount: {shards}}}\n"
              f"web: {{enabled: {count}}}\nelasticsearch: {{enabled: {_quoted(name)}}}\n")
    lint({"values.yaml": values, "values-prod.yaml": values})


NAME_BYTES = st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_")).filter(
    lambda b: b not in (b".", b".."))
ODD_NAMES = st.one_of(NAME_BYTES, st.sampled_from([
    b"\xe2\x80\xaeyp.evil", b"bad\xff", b"tab\there", b"new\nline", b"\x1b[31mred", b"\xed\xa0\x80surrogate",
    b"-rf", b"\xef\xbb\xbfbom"]))


@PROPERTY
@given(folder=ODD_NAMES, stem=ODD_NAMES)
def test_hostile_file_and_folder_names(folder: bytes, stem: bytes) -> None:
    folder_name, stem_name = os.fsdecode(folder), os.fsdecode(stem)
    lint({f"{folder_name}/{stem_name}.py": worker_module("timedelta(seconds=5)"),
          f"{folder_name}/{stem_name}.yaml": deployment("w", "1", "30", f"{stem_name}.py"),
          f"{stem_name}/Dockerfile": "FROM python:3.12\nCMD [\"python\", \"x.py\"]\n"},
         # Reports of names that are not UTF-8 (`bad\xff.py`) are the output package's part of the issue.
         report=False)


def _cli_properties(files: Callable[[Path], None], *args: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files(root)
        result = run_cli(str(root), "--no-cache", "-f", "json", *args, cwd=root)
        assert "Traceback" not in result.stderr
        assert result.returncode in (0, 1), result.stderr
        report = json.loads(result.stdout)
        assert not [f for f in report["findings"] if f["rule"] == "TPR000"]


@FEW
@given(value=PY_NUMBER, replicas=YAML_NUMBER, name=ODD_TEXT)
def test_cli_on_hostile_worker_and_manifest(value: str, replicas: str, name: str) -> None:
    def files(root: Path) -> None:
        (root / "worker.py").write_text(worker_module(f"timedelta(seconds={value})"), encoding="utf-8")
        text = deployment(name, replicas, replicas, "worker.py")
        (root / "deploy.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))

    _cli_properties(files, "--scope", "all")
