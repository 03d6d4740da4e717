"""A real Temporal worker for the live probe's tests, run as its own process (``tests/live_temporal.py``).

    python tests/live_worker_main.py --address 127.0.0.1:7233 --queue q1 --queue q2 [--identity ID]
        [--deployment NAME --build-id ID]

It polls each queue for workflows and activities until SIGTERM or SIGINT, then shuts down and exits 0.
A separate process, so stopping it is what a user's deploy does: its pollers stop, nothing in the test's
own process keeps a connection open.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker, WorkerDeploymentConfig


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class Greet:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn
class Fail:
    """Fails the workflow (not the task): it shows in ``ExecutionStatus = 'Failed'`` at once."""

    @workflow.run
    async def run(self, why: str) -> str:
        raise ApplicationError(why, non_retryable=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--queue", action="append", required=True)
    parser.add_argument("--identity", default=None)
    parser.add_argument("--deployment", default="", help="Worker Deployment name (with --build-id): versioned")
    parser.add_argument("--build-id", default="")
    args = parser.parse_args()

    client = await Client.connect(args.address, namespace=args.namespace, identity=args.identity)
    deployment = None
    if args.deployment:
        deployment = WorkerDeploymentConfig(
            version=WorkerDeploymentVersion(deployment_name=args.deployment, build_id=args.build_id),
            use_worker_versioning=True, default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
    workers = [Worker(client, task_queue=queue, workflows=[Greet, Fail], activities=[greet],
                      deployment_config=deployment, graceful_shutdown_timeout=timedelta(seconds=1))
               for queue in args.queue]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runs = [asyncio.create_task(worker.run()) for worker in workers]
    print("worker running", flush=True)
    await stop.wait()
    await asyncio.gather(*(worker.shutdown() for worker in workers))
    await asyncio.gather(*runs, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
