import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand
from temporalio.client import Client
from temporalio.worker import Worker

from orders.activities import reserve_stock
from orders.workflows import FulfilOrder


class Command(BaseCommand):
    help = "Run the Temporal worker for the orders app"

    def add_arguments(self, parser):
        parser.add_argument("--task-queue", default="orders")

    def handle(self, *args, **options):
        asyncio.run(self._serve(options["task_queue"]))

    async def _serve(self, task_queue: str) -> None:
        client = await Client.connect(settings.TEMPORAL_ADDRESS, namespace=settings.TEMPORAL_NAMESPACE)
        worker = Worker(  # TPR101 here
            client,
            task_queue=task_queue,
            workflows=[FulfilOrder],
            activities=[reserve_stock],
        )
        self.stdout.write(f"worker polling {task_queue}")
        await worker.run()
