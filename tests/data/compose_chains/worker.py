import asyncio
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker


async def main() -> None:
    client = await Client.connect("temporal:7233")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue="orders", activities=[], graceful_shutdown_timeout=timedelta(seconds=60)):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
