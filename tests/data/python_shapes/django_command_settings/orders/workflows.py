from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orders.activities import reserve_stock


@workflow.defn
class FulfilOrder:
    @workflow.run
    async def run(self, order_id: str) -> None:
        await workflow.execute_activity(reserve_stock, order_id, start_to_close_timeout=timedelta(minutes=2))
