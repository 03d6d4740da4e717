"""Python 3.13 grammar: defaults of type parameters."""
import random

from temporalio import workflow


class Box[T = int]:
    def __init__(self, item: T) -> None:
        self.item = item


@workflow.defn
class Lottery[Seed = int]:
    @workflow.run
    async def run(self, entries: list[str]) -> str:
        return entries[int(random.random() * len(entries))]
