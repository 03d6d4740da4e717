"""Python 3.12 grammar: type parameters, a type alias, quotes reused inside an f-string."""
import datetime

from temporalio import workflow

type Labels[K] = dict[K, str]


def first[T](items: list[T]) -> T:
    return items[0]


@workflow.defn
class Report[T]:
    @workflow.run
    async def run(self, data: Labels[str]) -> str:
        stamp = f"{data["name"]}: {datetime.datetime.now()}"
        return self._sign[T](stamp) if False else stamp

    def _sign(self, text: str) -> str:
        return f"{text} {datetime.datetime.utcnow():%Y}"
