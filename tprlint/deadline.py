"""The run's own time limit (``--timeout``): what runs out of time is recorded, never silently dropped.

Each stage asks ``expired()`` before its next piece of work (a file, a chart, a rule) and adds what it
did not do to ``skipped``; the pipeline then reports it and the exit code is 2 (the run is incomplete).
"""

from __future__ import annotations

import time
from dataclasses import field

from tprlint.records import mutable


@mutable
class Deadline:
    seconds: float | None = None  # None: no limit
    started: float = field(default_factory=time.monotonic)
    skipped_files: list[str] = field(default_factory=list)
    skipped_charts: list[str] = field(default_factory=list)
    skipped_rules: list[str] = field(default_factory=list)

    def remaining(self) -> float | None:
        if self.seconds is None:
            return None
        return max(0.0, self.started + self.seconds - time.monotonic())

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    @property
    def hit(self) -> bool:
        return bool(self.skipped_files or self.skipped_charts or self.skipped_rules)

    def summary(self, shown: int = 10) -> str:
        parts: list[str] = []
        for what, items in (("file", self.skipped_files), ("Helm chart", self.skipped_charts),
                            ("rule", self.skipped_rules)):
            if items:
                more = f" and {len(items) - shown} more" if len(items) > shown else ""
                names = ", ".join(sorted(items)[:shown]) + more
                parts.append(f"{len(items)} {what}{'s' if len(items) != 1 else ''} ({names})")
        return (f"The run's time limit (--timeout {self.seconds:g} s) expired before everything was analysed: "
                f"not analysed: {'; '.join(parts)}. Findings about them are missing, so the run is incomplete "
                f"(exit 2). Raise --timeout, or exclude what need not be linted.")
