from temporalio import activity


@activity.defn
async def reserve_stock(order_id: str) -> None:
    activity.logger.info("reserving stock for %s", order_id)
