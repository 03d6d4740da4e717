from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from payments.activities import capture


@workflow.defn
class CapturePayment:
    @workflow.run
    async def run(self, payment_id: str) -> str:
        if workflow.patched("capture-v2"):
            payment_id = payment_id.strip()
        return await workflow.execute_activity(
            capture, payment_id, start_to_close_timeout=timedelta(seconds=30))
