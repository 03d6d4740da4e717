import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from notifications.activities import send_email, send_push

log = logging.getLogger(__name__)
EMAIL_DRAIN = timedelta(minutes=2)


class NotificationService:
    """Owns the client and both workers; main.py starts it and stops it on SIGTERM."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        client = await Client.connect(self.address)
        self.email_worker = Worker(
            client,
            task_queue="notifications-email",
            activities=[send_email],
            graceful_shutdown_timeout=EMAIL_DRAIN,
        )
        # Push sends are quick, so nobody thought about draining them (the SDK default is 0 s):
        # every deploy cancels the in-flight ones.
        self.push_worker = Worker(client, task_queue="notifications-push", activities=[send_push])
        self._tasks = [
            asyncio.create_task(self.email_worker.run()),
            asyncio.create_task(self.push_worker.run()),
        ]
        log.info("notification workers started")

    async def stop(self) -> None:
        await asyncio.gather(self.email_worker.shutdown(), self.push_worker.shutdown())
        await asyncio.gather(*self._tasks, return_exceptions=True)
