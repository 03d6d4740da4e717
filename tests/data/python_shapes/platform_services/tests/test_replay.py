import json
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from billing.workflows import InvoiceWorkflow


async def test_replay() -> None:
    history = json.loads((Path(__file__).parent / "invoice.json").read_text())
    await Replayer(workflows=[InvoiceWorkflow]).replay_workflow(WorkflowHistory.from_json("invoice-1", history))
