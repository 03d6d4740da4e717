from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from shipping.workflows import ShipOrder


async def test_replay() -> None:
    history = WorkflowHistory.from_json("ship", Path("histories/ship.json").read_text())
    await Replayer(workflows=[ShipOrder]).replay_workflow(history)
