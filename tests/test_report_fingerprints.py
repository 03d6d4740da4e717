"""Finding fingerprints as code scanning and baselines store them: the same value for the same problem across
runs and releases, a new value when the offending code changes, and never a crash on a line the file lacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, load_reporter
from tprlint.report.fingerprint import fingerprint, fingerprints

DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "-m", "payments.worker"]
"""

SETTINGS = """\
import os

TEMPORAL_ADDRESS = "payments.a1b2c.tmprl.cloud:7233"
TEMPORAL_API_KEY = "tc-live-8f2d1e"
DB_PASSWORD = "pg-s3cret-value"
"""

TLS_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7
-----END PRIVATE KEY-----
"""

WORKERS = """\
from temporalio.worker import Worker

worker = Worker(client, task_queue="payments")
worker = Worker(client, task_queue="payments")
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def ctx(root: Path) -> ReportContext:
    return ReportContext(rules={}, version="0.3.1", files_scanned=1, color=False, base_dir=root)


def prints(root: Path, findings: list[Finding]) -> list[str]:
    return fingerprints(findings, ctx(root))


def unpinned_base_image(line: int = 1) -> Finding:
    return Finding("TPR501", Severity.WARNING, "base image is not pinned by digest", Location("Dockerfile", line, 6))


def credential(line: int, path: str = "payments/settings.py") -> Finding:
    return Finding("TPR301", Severity.ERROR, "a credential is stored in plain text", Location(path, line, 1),
                   redact_source=True)


def test_a_first_line_finding_is_identified_by_that_line_s_text(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": DOCKERFILE})
    (original,) = prints(tmp_path, [unpinned_base_image()])
    write(tmp_path, {"Dockerfile": DOCKERFILE.replace("FROM python", "FROM   python")})
    assert prints(tmp_path, [unpinned_base_image()]) == [original]
    write(tmp_path, {"Dockerfile": DOCKERFILE.replace("3.12-slim", "3.13-slim")})
    assert prints(tmp_path, [unpinned_base_image()]) != [original]


def test_a_whole_file_finding_keeps_its_fingerprint_when_lines_are_appended(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": DOCKERFILE})
    (original,) = prints(tmp_path, [unpinned_base_image(line=0)])
    write(tmp_path, {"Dockerfile": DOCKERFILE + 'HEALTHCHECK CMD ["python", "-m", "payments.health"]\n'})
    assert prints(tmp_path, [unpinned_base_image(line=0)]) == [original]


@pytest.mark.parametrize("line", [1, 5])
def test_a_finding_on_a_line_the_file_no_longer_has_is_fingerprinted_by_rule_and_path(
    tmp_path: Path, line: int
) -> None:
    write(tmp_path, {"Dockerfile": "".join(DOCKERFILE.splitlines(keepends=True)[: line - 1])})
    (shown,) = json.loads(load_reporter("json")([unpinned_base_image(line)], ctx(tmp_path)))["findings"]
    (tmp_path / "Dockerfile").unlink()
    assert prints(tmp_path, [unpinned_base_image(line)]) == [shown["fingerprint"]]


def test_fixing_one_credential_leaves_the_other_s_fingerprint_alone(tmp_path: Path) -> None:
    write(tmp_path, {"payments/settings.py": SETTINGS})
    api_key, password = prints(tmp_path, [credential(4), credential(5)])
    assert api_key != password
    fixed = SETTINGS.replace('TEMPORAL_API_KEY = "tc-live-8f2d1e"\n', "")
    write(tmp_path, {"payments/settings.py": fixed.replace("pg-s3cret-value", "rotated")})
    assert prints(tmp_path, [credential(4)]) == [password]


def test_a_credential_line_without_a_key_is_fingerprinted_without_its_text(tmp_path: Path) -> None:
    write(tmp_path, {"certs/tls.key": TLS_KEY})
    (original,) = prints(tmp_path, [credential(2, "certs/tls.key")])
    write(tmp_path, {"certs/tls.key": TLS_KEY.replace("MIIEvQIBADANBg", "MIIEpAIBAAKCAQ")})
    assert prints(tmp_path, [credential(2, "certs/tls.key")]) == [original]


# Code scanning and baselines store these values: within the `tprlint/v1` scheme they may never change.
def test_fingerprint_values_are_stable_across_releases(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": DOCKERFILE, "payments/worker.py": WORKERS})
    anchored = Finding("TPR101", Severity.ERROR, "m", Location("k8s/worker.yaml", 10, 7),
                       anchor="Deployment/payments/payments-worker")
    twins = [Finding("TPR205", Severity.WARNING, "m", Location("payments/worker.py", line, 10)) for line in (3, 4)]
    assert prints(tmp_path, [anchored, unpinned_base_image(), *twins]) == [
        "07f1d8aa2dbbff8911de9590f0d9a703",
        "d2fba568aefeadc850b96b65ddc88bcb",
        "9c145acb2f87523e1d74ba2d2c197e52",
        "ad03b73125bb9e851a03004ca002a2ba",
    ]


def test_the_single_finding_form_agrees_with_the_reports(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": DOCKERFILE})
    assert [fingerprint(unpinned_base_image(), ctx(tmp_path))] == prints(tmp_path, [unpinned_base_image()])
