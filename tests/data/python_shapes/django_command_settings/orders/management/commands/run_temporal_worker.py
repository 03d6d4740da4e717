import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand
from temporalio.client import Client
from temporalio.worker import Worker

from orders.activities import reserve_stock
from orders.workflows import FulfilOrder


class Command(BaseCommand):
    help = "Run the Temporal worker; its options come from settings.TEMPORAL_WORKER_OPTIONS"

    def handle(self, *args, **options):
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        client = await Client.connect(settings.TEMPORAL_ADDRESS)
        worker = Worker(
            client,
            workflows=[FulfilOrder],
            activities=[reserve_stock],
            **settings.TEMPORAL_WORKER_OPTIONS,
        )
        await worker.run()
