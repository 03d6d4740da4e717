import asyncio
import os
import signal

from notifications.service import NotificationService

_stop = asyncio.Event()


def _on_sigterm(signum, frame) -> None:
    _stop.set()


async def main() -> None:
    service = NotificationService(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    await service.start()
    await _stop.wait()
    await service.stop()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    asyncio.run(main())
