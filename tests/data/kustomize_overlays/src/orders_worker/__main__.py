import asyncio
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from orders_worker.workflows import OrderWorkflow


async def main() -> None:
    client = await Client.connect("temporal-frontend.temporal:7233", namespace="orders")
    worker = Worker(
        client,
        task_queue="orders",
        workflows=[OrderWorkflow],
        graceful_shutdown_timeout=timedelta(minutes=10),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
