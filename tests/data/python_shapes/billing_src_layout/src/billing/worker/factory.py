from temporalio.client import Client
from temporalio.worker import Worker

from billing.activities import charge_invoice, send_receipt


def build_worker(client: Client, **overrides) -> Worker:
    """Our defaults for every billing worker; callers pass the task queue and any overrides."""
    return Worker(
        client,
        activities=[charge_invoice, send_receipt],
        max_concurrent_activities=50,
        **overrides,
    )
