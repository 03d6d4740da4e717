from temporalio import activity


@activity.defn
async def charge_invoice(invoice_id: str) -> str:
    activity.heartbeat()
    return f"charged {invoice_id}"


@activity.defn
async def send_receipt(invoice_id: str) -> None:
    activity.logger.info("receipt for %s", invoice_id)
