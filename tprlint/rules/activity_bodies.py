"""What an activity's own body does (TPR205, TPR206): a blocking call in an ``async def`` activity, and a
handler that swallows the activity's cancellation. Both are facts of the definition alone; the linking
of calls and workers is in ``tprlint.rules.activities``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tprlint.facts.python.activities import ActivityDefinition
from tprlint.facts.python.activity_hazards import BlockingCall
from tprlint.facts.python.facts import PythonFacts
from tprlint.model import RelatedLocation
from tprlint.rules.context import Hit, Project, is_test_path

# -- TPR205 / TPR206 -------------------------------------------------------------------------------------


def _production_definitions(project: Project) -> Iterator[tuple[PythonFacts, ActivityDefinition]]:
    for module in project.python.modules.values():
        if is_test_path(module.path):
            continue
        for definition in module.activity.definitions:
            yield module, definition


_BETTER = (
    ("time.sleep", "`await asyncio.sleep(...)`"),
    ("requests.", "an async HTTP client (`httpx.AsyncClient`, aiohttp)"),
    ("httpx.", "`httpx.AsyncClient`"),
    ("urllib.", "an async HTTP client (`httpx.AsyncClient`, aiohttp)"),
    ("subprocess.", "`await asyncio.create_subprocess_exec(...)`"),
    ("os.system", "`await asyncio.create_subprocess_shell(...)`"),
    ("redis.", "`redis.asyncio`"),
    ("boto3.", "aioboto3 (or `await asyncio.to_thread(...)`)"),
    ("socket.", "`await asyncio.open_connection(...)`"),
    ("smtplib.", "aiosmtplib"),
    ("connect", "an async driver (asyncpg, psycopg's AsyncConnection, aiomysql, aiosqlite)"),
)


def _better(call: str) -> str:
    name = call.rpartition(" (")[2].rstrip(")") if " (" in call else call
    return next((better for prefix, better in _BETTER if name.startswith(prefix) or prefix in name),
                "`await asyncio.to_thread(...)`")


def _blocking_text(blocking: BlockingCall) -> str:
    name, _, client = blocking.call.rpartition(" (") if " (" in blocking.call else (blocking.call, "", "")
    what = f"`{name}()`" + (f" on a synchronous `{client.rstrip(')')}(...)` client" if client else "")
    if not blocking.via:
        return f"calls {what}"
    chain = "".join(f", which calls `{helper}`" for helper in blocking.via[1:])
    return f"calls `{blocking.via[0]}`{chain}, which calls {what}"


def blocking_call_in_async_activity(project: Project) -> Iterator[Hit]:
    """TPR205: a blocking call inside an ``async def`` activity."""
    for module, definition in _production_definitions(project):
        for blocking in definition.blocking:
            yield Hit(
                blocking.location,
                f"Async activity `{definition.qualname}` {_blocking_text(blocking)}, which blocks the worker's "
                f"event loop: while it runs, no other async activity on this worker makes progress, heartbeats "
                f"are not sent and cancellation is not delivered. Use {_better(blocking.call)}, wrap the call in "
                f"`await asyncio.to_thread(...)`, or make the activity a plain `def` run in the Worker's "
                f"activity_executor.",
                related=(RelatedLocation(definition.location, f"activity {definition.qualname}"),),
                anchor=f"{module.key}:{definition.qualname}:{blocking.call}",
            )


def activity_swallows_cancellation(project: Project) -> Iterator[Hit]:
    """TPR206: an activity that catches its own cancellation and does not re-raise it."""
    for module, definition in _production_definitions(project):
        for swallow in definition.swallows:
            how = "asyncio.CancelledError" if definition.is_async else (
                "temporalio.exceptions.CancelledError (raised into the activity's thread)")
            instead = (" (catching `Exception` instead does not catch asyncio cancellation)"
                       if definition.is_async else "")
            yield Hit(
                swallow.location,
                f"Activity `{definition.qualname}` catches {swallow.caught} and does not re-raise it. Cancellation "
                f"reaches an activity as {how} - when the workflow cancels it, its heartbeat times out, or the "
                f"worker shuts down - and swallowing it keeps the activity running (or reports success): a "
                f"worker shutdown waits for it, past graceful_shutdown_timeout and the pod's grace period. "
                f"Clean up and `raise` in the handler{instead}.",
                related=(RelatedLocation(definition.location, f"activity {definition.qualname}"),),
                anchor=f"{module.key}:{definition.qualname}:{swallow.caught}",
            )


RULES: dict[str, Callable[[Project], Iterator[Hit]]] = {
    "TPR205": blocking_call_in_async_activity,
    "TPR206": activity_swallows_cancellation,
}
