"""The platform's Temporal toolkit: every service builds its workers through these helpers."""

from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from platform_kit.settings import settings

_RUNTIME = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="0.0.0.0:9464")))


async def connect() -> Client:
    return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace, runtime=_RUNTIME)


def worker_options(task_queue: str) -> dict[str, Any]:
    """Options every worker of the platform shares; services add their own on top."""
    return {
        "task_queue": task_queue,
        "graceful_shutdown_timeout": timedelta(seconds=settings.drain_seconds),
        "max_concurrent_activities": 20,
    }


def make_worker(client: Client, **options: Any) -> Worker:
    return Worker(client, **options)
