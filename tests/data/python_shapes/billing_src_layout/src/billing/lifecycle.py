import asyncio
import logging
import signal

log = logging.getLogger(__name__)


def shutdown_event() -> asyncio.Event:
    """An event set on SIGTERM (Kubernetes) or SIGINT (Ctrl-C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop, stop, sig)
    return stop


def _stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("received %s, draining workers", sig.name)
    stop.set()
