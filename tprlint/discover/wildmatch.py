"""Matching ``.gitignore`` lines the way git does, in bounded time.

The walk matches most lines with one combined regex built by pathspec. Some lines go here instead (see
``walk._needs_wildmatch``): a pattern with many stars (``a*a*a*a*a*a*a*a*a*a*a*a*b`` becomes twelve
``[^/]*`` in a row, and Python's ``re`` needs minutes to decide that a file named sixty ``a``s does not
match), and the lines whose regex answers differently from git or does not compile: character classes
(``[c-a]``, ``[[:digit:]]``), escapes, a closing ``**/``. Here a pattern is matched one segment at a time
with the greedy star algorithm (it never revisits more than the last star, so a segment costs at most
pattern * name steps), and ``**`` across segments by a table over (pattern segment, path segment).
The tests compare every answer with ``git check-ignore``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

from tprlint.records import frozen

# Up to this many `*` the regex's backtracking is bounded by name length squared: keep the fast regex.
MAX_REGEX_STARS = 2

class _Star:
    pass


STAR = _Star()


@frozen
class WildPattern:
    """One ``.gitignore`` line, parsed: ``include`` False for a ``!`` negation."""

    include: bool
    anchored: bool  # has a slash before its end: matched from the .gitignore's folder
    dir_only: bool  # ends with a slash: matches folders (and so everything under them)
    segments: tuple[str, ...]

    def matches(self, relative: str) -> bool:
        """``relative``: a path from the .gitignore's folder, with ``/`` at its end for a folder."""
        is_dir = relative.endswith("/")
        parts = tuple(part for part in relative.split("/") if part)
        if not parts:
            return False
        if not self.anchored and len(self.segments) == 1:
            # The common line (`*.py[cod]`): a name matched at any depth; a folder's name also ignores
            # what is under it. The same answer as the general walk below, without its table.
            named = parts if is_dir or not self.dir_only else parts[:-1]
            return any(_name_matches(self.segments[0], part) for part in named)
        pattern = self.segments if self.anchored else ("**", *self.segments)
        for end in range(1, len(parts) + 1):
            # `folder/**` matches the folder itself too when it is given as a folder (as pathspec and git do).
            # The whole path, or a folder above it (a file under an ignored folder is ignored too).
            whole_or_folder = end < len(parts) or is_dir or not self.dir_only
            if whole_or_folder and _segments_match(pattern, parts[:end], end < len(parts) or is_dir,
                                                   self.dir_only):
                return True
        return False


def parse(line: str) -> WildPattern | None:
    """A ``.gitignore`` line as git reads it, or None for blanks and comments."""
    text = line.rstrip("\n").rstrip("\r")
    # Trailing blanks are dropped unless escaped with a backslash.
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]
    if not text or text.startswith("#"):
        return None
    include = True
    if text.startswith("!"):
        include, text = False, text[1:]
    # `\!` and `\#` at the start need nothing here: the matcher reads any escaped character as itself.
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    segments = tuple(part for part in text.split("/") if part)
    if not segments:
        return None
    return WildPattern(include, anchored, dir_only, segments)


def star_count(line: str) -> int:
    return line.count("*")


def _segments_match(pattern: tuple[str, ...], parts: tuple[str, ...], folder: bool, dir_only: bool) -> bool:
    @cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(parts)
        if pattern[i] == "**":
            if i == len(pattern) - 1:
                # `folder/**`: everything inside, and the folder itself named as one; `folder/**/` only
                # the folders inside (as git answers).
                return j < len(parts) or (folder and not dir_only)
            return match(i + 1, j) or (j < len(parts) and match(i, j + 1))
        return j < len(parts) and segment_matches(pattern[i], parts[j]) and match(i + 1, j + 1)

    result = match(0, 0)
    match.cache_clear()
    return result


@lru_cache(maxsize=4096)
def _name_matches(pattern: str, name: str) -> bool:
    # Folder names repeat on every path under them: each (pattern, name) is decided once.
    return segment_matches(pattern, name)


def segment_matches(pattern: str, name: str) -> bool:
    """fnmatch for one path segment (`*`, `?`, `[...]`, `[!...]`, backslash escapes), in at most
    len(pattern) * len(name) steps."""
    tokens = _tokens(pattern)
    t = n = 0
    star_token = -1
    star_name = 0
    while n < len(name):
        if t < len(tokens) and tokens[t] is not STAR and _accepts(tokens[t], name[n]):
            t += 1
            n += 1
        elif t < len(tokens) and tokens[t] is STAR:
            star_token, star_name = t, n  # remember the star; first try it matching nothing
            t += 1
        elif star_token >= 0:
            star_name += 1  # let the last star take one more character, retry from there
            t, n = star_token + 1, star_name
        else:
            return False
    while t < len(tokens) and tokens[t] is STAR:
        t += 1
    return t == len(tokens)


def _accepts(token: object, char: str) -> bool:
    if isinstance(token, str):
        return token == char
    assert callable(token)
    return bool(token(char))


@lru_cache(maxsize=512)
def _tokens(pattern: str) -> tuple[object, ...]:
    tokens: list[object] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):  # a trailing backslash: git's pattern never matches
                return (_never,)
            tokens.append(pattern[i + 1])
            i += 2
        elif char == "*":
            if not tokens or tokens[-1] is not STAR:  # `**` inside a segment is one star
                tokens.append(STAR)
            i += 1
        elif char == "?":
            tokens.append(_any_char)
            i += 1
        elif char == "[":
            parsed = _bracket(pattern, i)
            if parsed is None:  # unclosed, or an unknown [:class:]: git aborts, nothing matches
                return (_never,)
            test, i = parsed
            tokens.append(test)
        else:
            tokens.append(char)
            i += 1
    return tuple(tokens)


def _any_char(char: str) -> bool:
    return char != "/"


def _never(char: str) -> bool:
    return False


# git's character classes (ASCII, as git's own ctype tables).
_CLASSES: dict[str, Callable[[str], bool]] = {
    "alnum": lambda c: c.isascii() and c.isalnum(),
    "alpha": lambda c: c.isascii() and c.isalpha(),
    "blank": lambda c: c in " \t",
    "cntrl": lambda c: ord(c) < 32 or ord(c) == 127,
    "digit": lambda c: c in "0123456789",
    "graph": lambda c: 32 < ord(c) < 127,
    "lower": lambda c: "a" <= c <= "z",
    "print": lambda c: 32 <= ord(c) < 127,
    "punct": lambda c: 32 < ord(c) < 127 and not c.isalnum(),
    "space": lambda c: c in " \t\n\r",  # git's own isspace: no vertical tab, no form feed
    "upper": lambda c: "A" <= c <= "Z",
    "xdigit": lambda c: c in "0123456789abcdefABCDEF",
}


def _bracket(pattern: str, start: int) -> tuple[Callable[[str], bool], int] | None:
    """``[...]`` from ``start``, read as git's wildmatch reads it: a one-character test and the index after
    ``]``; None when git gives up on the pattern (no closing ``]``, an unknown ``[:class:]``).

    A first ``]`` is a member; ``x-y`` is a range when the ``-`` follows a member and does not end the
    set (its low end is also a member on its own, so a reversed range still matches it); after a range
    or a class a ``-`` is a plain member."""
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    tests: list[Callable[[str], bool]] = []
    members: list[tuple[str, str]] = []
    previous = ""
    first = True
    while first or (i < len(pattern) and pattern[i] != "]"):
        first = False
        if i >= len(pattern):
            return None
        char = pattern[i]
        if char == "\\":
            escaped = _unescaped(pattern, i)
            if escaped is None:
                return None
            i, char = escaped, pattern[escaped]
            members.append((char, char))
        elif char == "-" and previous and i + 1 < len(pattern) and pattern[i + 1] != "]":
            high = _unescaped(pattern, i + 1)
            if high is None:
                return None
            members.append((previous, pattern[high]))
            i, char = high, ""
        elif char == "[" and pattern.startswith(":", i + 1):
            close = pattern.find("]", i + 2)
            if close == -1:
                return None
            name = pattern[i + 2:close]
            if not name.endswith(":"):  # no `:]`: the `[` is a plain member
                members.append(("[", "["))
            else:
                if name[:-1] not in _CLASSES:
                    return None
                tests.append(_CLASSES[name[:-1]])
                i = close
                char = ""
        else:
            members.append((char, char))
        previous = char
        i += 1
    if i >= len(pattern):
        return None
    ranges = tuple(members)
    classes = tuple(tests)

    def test(char: str) -> bool:
        inside = any(low <= char <= high for low, high in ranges) or any(member(char) for member in classes)
        return char != "/" and inside != negate

    return test, i + 1


def _unescaped(pattern: str, i: int) -> int | None:
    """Where the character at ``i`` is, past the backslash that escapes it; None when the pattern ends
    first (git gives up on such a pattern)."""
    if pattern[i] == "\\":
        i += 1
    return i if i < len(pattern) else None

