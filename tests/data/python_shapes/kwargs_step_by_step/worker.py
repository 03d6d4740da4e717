import asyncio
import os
import signal
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker, WorkerDeploymentConfig
from temporalio.common import WorkerDeploymentVersion


@workflow.defn
class Orders:
    @workflow.run
    async def run(self) -> None:
        return None


async def main() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    kwargs = {"task_queue": "orders", "workflows": [Orders]}
    kwargs["graceful_shutdown_timeout"] = timedelta(minutes=10)
    if os.environ.get("BUILD_ID"):
        kwargs["deployment_config"] = WorkerDeploymentConfig(
            version=WorkerDeploymentVersion("orders", os.environ["BUILD_ID"]), use_worker_versioning=True)
    worker = Worker(client, **kwargs)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
