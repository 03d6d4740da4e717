from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shipping.activities import book_carrier


@workflow.defn
class ShipOrder:
    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("carrier-v2"):
            return await workflow.execute_activity(
                book_carrier, order_id, start_to_close_timeout=timedelta(minutes=2)
            )
        return order_id
