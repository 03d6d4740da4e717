"""`billing-worker`: the invoice workflows and their activities, two task queues in one process."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from platform_kit.lifecycle import run_until_terminated
from platform_kit.temporal import connect, make_worker, worker_options

from billing.activities import BillingActivities, render_invoice_pdf
from billing.workflows import InvoiceWorkflow


async def serve() -> None:
    client = await connect()
    activities = BillingActivities(ledger_url="http://ledger.internal")
    workflows = make_worker(client, workflows=[InvoiceWorkflow], **worker_options("billing"))
    rendering = make_worker(
        client,
        activities=[activities.post_invoice, render_invoice_pdf],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        **worker_options("billing-activities"),
    )
    await run_until_terminated(workflows, rendering)


def main() -> None:
    asyncio.run(serve())
