import asyncio
import signal
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from payments.activities import capture
from payments.settings import settings
from payments.workflows import CapturePayment


@dataclass(frozen=True)
class WorkerConfig:
    task_queue: str
    drain: timedelta


async def main() -> None:
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="0.0.0.0:9000")))
    client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace, runtime=runtime)
    config = WorkerConfig(task_queue=settings.task_queue, drain=timedelta(seconds=settings.shutdown_seconds))
    worker = Worker(client, task_queue=config.task_queue, workflows=[CapturePayment], activities=[capture],
                    graceful_shutdown_timeout=config.drain)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
