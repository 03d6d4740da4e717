import asyncio
import os
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from shipping.activities import book_carrier
from shipping.workflows import ShipOrder


async def main() -> None:
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address="0.0.0.0:9000")))
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], namespace="shipping", runtime=runtime)
    worker = Worker(
        client,
        task_queue="shipping",
        workflows=[ShipOrder],
        activities=[book_carrier],
        graceful_shutdown_timeout=timedelta(minutes=5),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
