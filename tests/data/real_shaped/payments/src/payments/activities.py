from temporalio import activity


@activity.defn
async def capture(payment_id: str) -> str:
    activity.heartbeat()
    return payment_id
