"""Values behind settings objects: a pydantic ``BaseSettings`` field (its default, overridden by the
environment variable ``env_prefix`` + its name that the workload sets), a dataclass default, and an
intermediate config object (``WorkerConfig(timeout=settings.X)`` → ``cfg.timeout``)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_cli

SHAPE = Path(__file__).parent / "data" / "python_shapes" / "pydantic_settings_worker"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "orders"
    shutil.copytree(SHAPE, project)
    return project


def _headline(project: Path) -> tuple[list[str], str]:
    result = run_cli(".", "-f", "json", "--no-cache", "--select", "TPR601,TPR602", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    messages = [str(f["message"]) for f in json.loads(result.stdout)["findings"] if f["rule"] == "TPR601"]
    console = run_cli(".", "--no-cache", "--select", "TPR601,TPR602", cwd=project).stdout
    return messages, console


def _set_env(project: Path, value: str | None, name: str = "WORKER_SHUTDOWN_TIMEOUT") -> None:
    manifest = project / "deploy" / "worker.yaml"
    text = manifest.read_text()
    line = '            - {name: WORKER_SHUTDOWN_TIMEOUT, value: "900"}\n'
    assert line in text
    if value is None:
        text = text.replace("          env:\n" + line, "")
    else:
        text = text.replace(line, f'            - {{name: {name}, value: "{value}"}}\n')
    manifest.write_text(text)


def test_the_environment_of_the_workload_overrides_the_settings_default(tmp_path: Path) -> None:
    [message], _ = _headline(_project(tmp_path))
    assert "drains for up to 900 s" in message and "WORKER_SHUTDOWN_TIMEOUT=900" in message


def test_without_the_variable_the_fields_default_applies(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _set_env(project, None)
    [message], _ = _headline(project)
    assert "drains for up to 600 s" in message


def test_a_lower_value_from_the_environment_fits_the_grace_period(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _set_env(project, "120")
    messages, console = _headline(project)
    assert messages == [] and "not checked" not in console


def test_environment_names_are_matched_without_case_unless_the_settings_say_so(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _set_env(project, "120", name="worker_shutdown_timeout")
    assert _headline(project)[0] == []
    config = project / "app" / "config.py"
    config.write_text(config.read_text().replace('env_prefix="WORKER_"', 'env_prefix="WORKER_", case_sensitive=True'))
    [message], _ = _headline(project)
    assert "drains for up to 600 s" in message  # `worker_shutdown_timeout` is not WORKER_shutdown_timeout


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param("""
            from pydantic import BaseSettings

            class Settings(BaseSettings):
                shutdown_timeout: int = 600

                class Config:
                    env_prefix = "WORKER_"

            settings = Settings()
        """, "900 s", id="pydantic-v1-config-class"),
        pytest.param("""
            from dataclasses import dataclass

            @dataclass(frozen=True)
            class Settings:
                shutdown_timeout: int = 600
                temporal_address: str = "localhost:7233"
                task_queue: str = "orders"

            settings = Settings()
        """, "600 s", id="dataclass-defaults-not-read-from-the-environment"),
        pytest.param("""
            from pydantic import Field
            from pydantic_settings import BaseSettings

            class Base(BaseSettings):
                model_config = {"env_prefix": "WORKER_"}

            class Settings(Base):
                shutdown_timeout: int = Field(600, description="seconds")

            settings = Settings()
        """, "900 s", id="inherited-prefix-and-field-call"),
    ],
)
def test_settings_written_other_ways(tmp_path: Path, config: str, expected: str) -> None:
    project = _project(tmp_path)
    (project / "app" / "config.py").write_text(textwrap.dedent(config))
    [message], _ = _headline(project)
    assert f"drains for up to {expected}" in message


def test_settings_from_a_factory_tprlint_cannot_follow_are_said_not_checked(tmp_path: Path) -> None:
    project = _project(tmp_path)
    config = project / "app" / "config.py"
    config.write_text(config.read_text().replace("settings = Settings()", "settings = load_settings()"))
    messages, console = _headline(project)
    assert messages == []
    assert "TPR601: not checked" in console and "settings.shutdown_timeout" in console
