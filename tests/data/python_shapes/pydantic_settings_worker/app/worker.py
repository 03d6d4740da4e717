import asyncio
import signal
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from app.config import settings


@dataclass
class WorkerConfig:
    task_queue: str
    timeout: timedelta = timedelta(seconds=30)


async def main() -> None:
    client = await Client.connect(settings.temporal_address)
    cfg = WorkerConfig(task_queue=settings.task_queue, timeout=timedelta(seconds=settings.shutdown_timeout))
    worker = Worker(client, task_queue=cfg.task_queue, workflows=[], activities=[],
                    graceful_shutdown_timeout=cfg.timeout)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
