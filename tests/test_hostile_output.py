"""No text from the scanned tree can forge a CI workflow command, drive a terminal, break an output's
encoding or show a credential, in any format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO
from tprlint.report import FORMATS
from tprlint.report.text import printable, printable_path
from tprlint.secrets import mask_line, mask_lines

HOSTILE_NAMES = [
    "temporal-worker\n::error file=README.md,line=1::Injected",
    "esc-\x1b[31mred\x1b[0m-\x07bell",
    "rtl-\u202eexe.yaml",
]


def _lint(repo: Path, fmt: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tprlint", ".", "-f", fmt], cwd=repo, capture_output=True,
                          timeout=120, check=False, env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)})


def _hostile_repo(root: Path) -> Path:
    docs = []
    for index, name in enumerate(HOSTILE_NAMES):
        docs.append(textwrap.dedent(f"""\
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {json.dumps(name)}
            spec:
              replicas: 1
              selector: {{matchLabels: {{app: w{index}}}}}
              template:
                metadata: {{labels: {{app: w{index}}}}}
                spec:
                  containers:
                    - name: worker{index}
                      image: example/worker:latest
                      env: [{{name: TEMPORAL_TASK_QUEUE, value: q}}]
            """))
    (root / "deploy.yaml").write_text("---\n".join(docs), encoding="utf-8")
    (root / "w.py").write_text(
        "from temporalio.client import Client\n\nasync def c():\n"
        "    return await Client.connect('prod\\ud800\\u202e.example:7233')\n", encoding="utf-8")
    for raw in (b"bad\xff.py", b"odd\n::error file=README.md::x.py", b"::warning file=a::b.py", b"e\x1b[2Jx.py"):
        (root / os.fsdecode(raw)).write_bytes(b"import temporalio\nx = (\n")
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_input_forges_a_command_an_escape_or_a_crash(tmp_path: Path, fmt: str) -> None:
    result = _lint(_hostile_repo(tmp_path), fmt)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")  # warnings and notes only
    assert b"Traceback" not in result.stderr
    text = result.stdout.decode("utf-8")  # valid UTF-8, whatever the names held
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    for line in text.splitlines():
        if line.lstrip().startswith("::"):  # only tprlint's own annotations, each for a finding of ours
            assert fmt == "github" and line.startswith(("::error file=", "::warning file=", "::notice file="))
            assert not line.startswith(("::error file=README.md", "::warning file=a"))
    if fmt in ("json", "sarif"):
        json.loads(text)
    # The names are still there, escaped, for the reader to see.
    assert "Injected" in text
    # The file whose name is not UTF-8: shown as an escape, JSON's own escape, or SARIF's URI encoding.
    # GitLab needs valid UTF-8 paths: the byte is U+FFFD there (JSON's escape of it).
    shown = {"json": "bad\\udcff.py", "sarif": "bad%FF.py", "gitlab": "bad\\ufffd.py"}.get(fmt, "bad\\xff.py")
    assert shown in text


def test_printable_escapes_what_could_end_a_line_or_drive_a_terminal() -> None:
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[31m\x07\x7f\x85") == "\\x1b[31m\\x07\\x7f\\x85"
    assert printable("\u202eabc\u2066\u2028") == "\\u202eabc\\u2066\\u2028"
    assert printable("bad" + os.fsdecode(b"\xff") + "\ud800") == "bad\\xff\\ud800"
    assert printable("Zürich 東京 👩\u200d💻") == "Zürich 東京 👩\u200d💻"
    assert printable_path("::error file=x::y.py") == "./::error file=x::y.py"


SECRET_LINES = [
    ('      POSTGRES_PASSWORD: "pg-secret-value"', '      POSTGRES_PASSWORD: "****"'),
    ("      - TEMPORAL_API_KEY=tc-key-value-123", "      - TEMPORAL_API_KEY=****"),
    ("ENV DB_PASSWORD=docker-secret-1", "ENV DB_PASSWORD=****"),
    ("ARG GITHUB_TOKEN ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ARG GITHUB_TOKEN ****"),
    ('Client.connect(addr, api_key="tc-api-key-99")', 'Client.connect(addr, api_key="****")'),
    ('{"password": "json-secret"}', '{"password": "****"}'),
    ("DATABASE_URL=postgres://app:url-secret@db:5432/app", "DATABASE_URL=postgres://app:****@db:5432/app"),
    ("aws_key: AKIAABCDEFGHIJKLMNOP", "aws_key: ****"),
    ("secretName: temporal-tls", "secretName: temporal-tls"),
    ("password: ${DB_PASSWORD}", "password: ${DB_PASSWORD}"),
    ('TOKEN_URL = "https://auth.example.com/token"', 'TOKEN_URL = "https://auth.example.com/token"'),
    ("f(password=settings.DB_PASSWORD)", "f(password=settings.DB_PASSWORD)"),
]


@pytest.mark.parametrize(("line", "shown"), SECRET_LINES)
def test_credential_values_are_masked_in_shown_lines(line: str, shown: str) -> None:
    assert mask_line(line) == shown


def test_kubernetes_env_values_and_pem_blocks_are_masked_with_their_context() -> None:
    lines = ["        - name: DB_PASSWORD", '          value: "k8s-secret"', "        - name: MODE",
             "          value: fast", "key: |", "  -----BEGIN PRIVATE KEY-----", "  MIIEvQIBADANBg",
             "  -----END PRIVATE KEY-----"]
    masked = mask_lines(lines, 1, len(lines))
    assert masked[1] == '          value: "****"' and masked[3] == "          value: fast"
    assert masked[6] == "****"


COMPOSE = """\
services:
  shipping-worker:
    build: .
    command: python -m shipping.main
    environment:
      POSTGRES_PASSWORD: "pg-Frame-Secret-1"
      TEMPORAL_API_KEY: "tc-Frame-Secret-2"
    stop_grace_period: 30s
"""
SHIPPING = """\
from datetime import timedelta
from temporalio.worker import Worker

async def main(client):
    worker = Worker(client, task_queue="ship", workflows=[], graceful_shutdown_timeout=timedelta(minutes=2))
    await worker.run()
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_code_frame_near_compose_secrets_shows_no_secret(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    (tmp_path / "shipping").mkdir()
    (tmp_path / "shipping" / "main.py").write_text(SHIPPING, encoding="utf-8")
    result = _lint(tmp_path, fmt)
    text = result.stdout.decode("utf-8")
    assert "TPR602" in text
    assert "pg-Frame-Secret-1" not in text and "tc-Frame-Secret-2" not in text
    if fmt == "console":
        # TPR412 reports both literals, so a frame over their lines (TPR602's) is withheld as theirs is.
        assert "TPR412" in text and text.count("(source not shown: it contains a credential)") == 3


def test_a_sparse_huge_worker_is_reported_without_being_read(tmp_path: Path) -> None:
    worker = tmp_path / "worker.py"
    with worker.open("wb") as handle:
        handle.write(b"from temporalio.worker import Worker\n")
        handle.truncate(6 << 30)  # 6 GB that take no disk
    code = ("import resource, subprocess, sys\n"
            "done = subprocess.run([sys.executable, '-m', 'tprlint', '.', '-f', 'console'], capture_output=True,"
            " timeout=120)\n"
            "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.stdout.write(done.stdout.decode())\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=180, check=False, env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)})
    returncode, max_rss_kib = (int(part) for part in result.stdout.split("\n", 1)[0].split())
    assert returncode == 0
    assert "larger than 8 MiB" in result.stdout
    assert max_rss_kib < 500 * 1024
