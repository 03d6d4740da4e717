from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from billing.activities import BillingActivities, render_invoice_pdf
    from billing.calendar import days_overdue, due_date

ACTIVITY_OPTIONS = {"start_to_close_timeout": timedelta(minutes=2), "heartbeat_timeout": timedelta(seconds=20)}


@workflow.defn
class InvoiceWorkflow:
    @workflow.run
    async def run(self, invoice_id: str, issued: date) -> str:
        workflow.logger.info("invoice %s due %s", invoice_id, due_date(issued))
        await workflow.execute_activity(render_invoice_pdf, invoice_id, start_to_close_timeout=timedelta(seconds=30))
        if workflow.patched("post-before-reminder"):
            await workflow.execute_activity_method(BillingActivities.post_invoice, invoice_id, **ACTIVITY_OPTIONS)
        if days_overdue(issued) > 0:
            await workflow.sleep(timedelta(days=1))
        return invoice_id
