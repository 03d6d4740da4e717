import time

from temporalio import activity


class BillingActivities:
    def __init__(self, ledger_url: str) -> None:
        self.ledger_url = ledger_url

    @activity.defn
    async def post_invoice(self, invoice_id: str) -> str:
        activity.heartbeat(invoice_id)
        return f"posted:{invoice_id}"


@activity.defn
def render_invoice_pdf(invoice_id: str) -> bytes:
    # CPU-bound rendering runs on the worker's thread pool.
    time.sleep(0.1)
    return invoice_id.encode()
