from temporalio import activity


@activity.defn
async def book_carrier(order_id: str) -> str:
    return f"booked:{order_id}"
