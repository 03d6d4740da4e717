"""`manage.py payments_worker`: the settlement worker, run by the payments Deployment."""

import asyncio
from datetime import timedelta

from django.core.management.base import BaseCommand
from platform_kit.temporal import connect
from temporalio.worker import Worker

from payments.activities import settle_batch


class Command(BaseCommand):
    help = "Run the payments Temporal worker"

    def handle(self, *args, **options):
        asyncio.run(self.serve())

    async def serve(self) -> None:
        client = await connect()
        worker = Worker(
            client,
            task_queue="payments",
            activities=[settle_batch],
            graceful_shutdown_timeout=timedelta(minutes=5),
        )
        await worker.run()
