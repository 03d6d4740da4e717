from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from payments.workflows import CapturePayment


async def test_replay() -> None:
    history = WorkflowHistory.from_json("capture", Path("histories/capture.json").read_text())
    await Replayer(workflows=[CapturePayment]).replay_workflow(history)
