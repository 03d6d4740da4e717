"""Durations ("5m", "1h30m", "250ms") and Kubernetes quantities ("256Mi", "500m", "1.5Gi").

Written as small hand parsers with anchored, linear regular expressions: the values come from a
configuration and from scanned manifests, so anything unexpected is "not understood" (None), never an
exception and never a guess.
"""

from __future__ import annotations

import math
import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d|w)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
# A Kubernetes quantity: a decimal number with an optional exponent or suffix (binary Ki..Ei, decimal
# m, k, M, G, T, P, E). `m` means thousandths (CPU millicores; also valid, if odd, for memory).
_QUANTITY = re.compile(r"([+]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?")
_SUFFIXES = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60,
}
_MAX_TEXT = 64  # no real duration or quantity is longer


def parse_duration(text: str) -> float | None:
    """Seconds of "10s", "5m", "1h30m", "3d", "250ms" (Go's and Temporal's notation, plus d and w);
    None when it is not such a duration."""
    text = text.strip()
    if not text or len(text) > _MAX_TEXT:
        return None
    total, end = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != end:
            return None
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        end = match.end()
    return total if end == len(text) and math.isfinite(total) else None


def parse_quantity(text: str | int | float) -> float | None:
    """The value of a Kubernetes quantity ("256Mi" → 268435456, "500m" → 0.5, "2" → 2); None when it
    is not one (a template left unrendered, a typo, a negative size)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        try:
            given = float(text)
        except OverflowError:  # an int beyond any float
            return None
        return given if math.isfinite(given) and given >= 0 else None
    text = text.strip()
    if not text or len(text) > _MAX_TEXT:
        return None
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return None
    digits, exponent, suffix = match.groups()
    # float() of the whole text when it has an exponent: "1e999" is infinity there, not an OverflowError.
    value = float(digits + exponent) if exponent else float(digits) * _SUFFIXES[suffix or ""]
    return value if math.isfinite(value) else None


def show_bytes(value: float) -> str:
    """Bytes in the largest binary unit that keeps a number of at least 1 ("25Gi", "1.5Ti")."""
    for suffix, size in (("Ei", 2.0**60), ("Pi", 2.0**50), ("Ti", 2.0**40), ("Gi", 2.0**30), ("Mi", 2.0**20),
                         ("Ki", 2.0**10)):
        if value >= size:
            return f"{show_number(value / size)}{suffix}"
    return f"{show_number(value)}B"


def show_cores(value: float) -> str:
    return f"{show_number(value)} core{'' if value == 1 else 's'}" if value >= 1 else f"{round(value * 1000)}m CPU"


def show_seconds(seconds: float) -> str:
    """A duration the way the profile writes it: "10s", "5m", "1h30m", "3d"."""
    if seconds < 1:
        return f"{show_number(seconds * 1000)}ms"
    parts = []
    rest = seconds
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if rest >= size:
            count = math.floor(rest / size)
            parts.append(f"{count}{unit}")
            rest -= count * size
    if rest > 0.0005 or not parts:
        parts.append(f"{show_number(rest)}s")
    return "".join(parts)


def show_number(value: float) -> str:
    """At most three significant decimals, no trailing zeros: 500, 0.1, 25.6, 1234.5."""
    if value == math.floor(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    text = f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}".rstrip("0").rstrip(".")
    return text
