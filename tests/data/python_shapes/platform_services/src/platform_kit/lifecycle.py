"""Turn SIGTERM into an orderly shutdown of every worker of the process."""

import asyncio
import signal

from temporalio.worker import Worker


async def run_until_terminated(*workers: Worker) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runs = [asyncio.create_task(worker.run()) for worker in workers]
    await stop.wait()
    await asyncio.gather(*(worker.shutdown() for worker in workers))
    await asyncio.gather(*runs)
