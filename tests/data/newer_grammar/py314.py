"""Python 3.14 grammar: `except` without parentheses, template strings."""
import uuid

from temporalio import workflow


@workflow.defn
class Tagger:
    @workflow.run
    async def run(self, name: str) -> str:
        try:
            label = t"{name}-{uuid.uuid4()}"
        except ValueError, TypeError:
            label = None
        return str(label)
