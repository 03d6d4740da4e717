"""python -m billing.worker"""

import asyncio
import logging

from temporalio.client import Client

from billing import config
from billing.lifecycle import shutdown_event
from billing.worker.factory import build_worker


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    client = await Client.connect(config.TEMPORAL_ADDRESS)
    stop = shutdown_event()
    invoices = build_worker(client, task_queue=config.TASK_QUEUE, graceful_shutdown_timeout=config.SHUTDOWN_GRACE)
    receipts = build_worker(client, task_queue=f"{config.TASK_QUEUE}-receipts")  # TPR101 here
    async with invoices, receipts:
        await stop.wait()


asyncio.run(main())
