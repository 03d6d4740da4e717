"""The `.gitignore` matchers answer what git answers.

Each pattern is written to a real repository's `.gitignore` and every path is asked of `git check-ignore`
in one call; `WildPattern.matches` must agree on each. The table covers what git's wildmatch knows:
character classes (ranges, negation with `!` or `^`, `]` first, escapes, unclosed `[`), `?`, escaped
stars, anchoring, `**` at the start, middle and end, folder-only patterns, negation and blank or comment
lines.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tprlint.discover.walk import _IgnoreFile
from tprlint.discover.wildmatch import MAX_REGEX_STARS, parse, segment_matches, star_count

PATTERNS = [
    # stars, the reason this module exists
    "a*a*a*b", "*x*y*z*", "**/d*e*f*/", "docs/**/*a*b*.py", "/top*a*b*", "!k*e*e*p.py", "q*\\**r*",
    "*.py", "*", "a**b", "*a", "a*",
    # one character and classes
    "?", "??", "a?c", "[abc]x", "[!abc]x", "[^abc]x", "[a-c]x", "[!a-c]x", "[c-a]x", "[a-]x", "[-a]x",
    "[]]x", "[]a]x", "[!]]x", "[\\]]x", "[\\a-c]x", "[a\\-c]x", "[abc", "x[", "[a-c", "[ab]*[cd]",
    "*[0-9]", "[[:digit:]]x", "[[:alpha:]]x", "[![:alpha:]x]", "[[:digit:]-z]x", "[a-c-e]x", "[[:]x]", "[[:bogus:]]x",
    "[[:digit:]", "[[:upper:][:punct:]]x", "[[:space:]]x", "[a\\", "[a-\\]]x", "[a-\\", "x[a-\\", "[*]x",
    "[?]x", "a[.]py",
    # escapes, blanks and comments
    "\\*x", "\\?x", "\\[ab]x", "\\#hash", "\\!bang", "#comment", "trail   ", "trail\\ ", "a\\",
    # anchoring and folders
    "/x", "x/", "/x/", "a/x", "a/*/x", "a/**/x", "**/x", "**/a/x", "a/**", "a/**/", "**", "x/**/y/**/z",
    "*/x", "/*.py", "sub/", "**/sub/*.py",
]
PATHS = [
    "x", "ax", "bx", "cx", "dx", "-x", "]x", "\\x", "*x", "?x", "[x", "[abx", ".x", "xx",
    "axayb", "aab", "ab", "axb", "a", "b", "ba", "abc", "abd", "acd", "a.py", "a.pyc", "m.py", "keep.py",
    "kaeaeap.py", "xyz", "zxy", "xaybzc", "q*r", "qxr", "qr", "x[", "[abc", "[a-c",
    "#hash", "#comment", "!bang", "trail", "trail ", "a\\", "x9", "9", "9x", "ex", "zx", "Ax", " x", "[:x", "Zx",
    "x/", "a/x", "a/x/", "a/b/x", "a/b/c/x", "b/a/x", "a/", "a/b", "a/b/", "sub/", "sub/x", "sub/a.py",
    "deep/sub/a.py", "sub/d1e2f3/", "d1e2f3", "docs/a/b/xaqb.py", "docs/xab.py", "topab", "sub/topab",
    "x/y/z", "x/q/y/r/z", "x/y/", "u/v/x",
]


def _git_ignores(root: Path, paths: list[str]) -> set[str]:
    # Bytes, not text: text mode would read a carriage return in a path as a line end.
    result = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", "--stdin", "-z"],
                            input="\0".join(paths).encode() + b"\0", capture_output=True, check=False)
    assert result.returncode in (0, 1), result.stderr  # 1: nothing ignored
    return set(filter(None, result.stdout.decode().split("\0")))


@pytest.mark.skipif(shutil.which("git") is None, reason="git answers what git ignores")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_matches_what_git_ignores(tmp_path: Path, pattern: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    negated = pattern.startswith("!")
    (tmp_path / ".gitignore").write_text(("*\n" if negated else "") + pattern + "\n", encoding="utf-8")
    ignored = _git_ignores(tmp_path, PATHS)
    wild = parse(pattern)
    if wild is None:  # a blank or comment line: git ignores nothing for it
        assert ignored == set(), pattern
        return
    disagree = [path for path in PATHS if wild.matches(path) is not ((path in ignored) != negated)]
    assert disagree == [], pattern


@pytest.mark.skipif(shutil.which("git") is None, reason="git answers what git ignores")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_walk_ignores_what_git_ignores_whichever_matcher_takes_the_line(tmp_path: Path, pattern: str) -> None:
    # The walk sends plain lines to one combined regex and the rest to wildmatch (`_needs_wildmatch`).
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    lines = (["*"] if pattern.startswith("!") else []) + [pattern]
    (tmp_path / ".gitignore").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ignored = _git_ignores(tmp_path, PATHS)
    rules = _IgnoreFile(lines)
    assert [path for path in PATHS if rules.matches(path) is not (path in ignored)] == [], pattern


CLASSES = ["alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
           "xdigit"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git answers what git ignores")
@pytest.mark.parametrize("name", CLASSES)
def test_each_character_class_holds_the_characters_git_puts_in_it(tmp_path: Path, name: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(f"x[[:{name}:]]y\n", encoding="utf-8")
    paths = [f"x{chr(code)}y" for code in range(1, 128) if chr(code) != "/"]
    ignored = _git_ignores(tmp_path, paths)
    wild = parse(f"x[[:{name}:]]y")
    assert wild is not None
    assert [path for path in paths if wild.matches(path) is not (path in ignored)] == [], name


def test_blank_comment_and_bare_slash_lines_are_no_patterns() -> None:
    for line in ["", "   ", "\n", "\r\n", "# a comment", "#", "/", "//", "!/"]:
        assert parse(line) is None, repr(line)


def test_a_parsed_line_says_negation_anchoring_and_folder_only() -> None:
    assert parse("!build/") == parse("!build/\r\n")
    parsed = parse("!build/")
    assert parsed is not None
    assert (parsed.include, parsed.anchored, parsed.dir_only, parsed.segments) == (False, False, True, ("build",))
    parsed = parse("/docs//*.md")
    assert parsed is not None
    assert (parsed.include, parsed.anchored, parsed.dir_only, parsed.segments) == (True, True, False,
                                                                                    ("docs", "*.md"))


def test_an_empty_path_matches_nothing() -> None:
    for pattern in ["*", "**", "a/**"]:
        wild = parse(pattern)
        assert wild is not None
        assert not wild.matches("") and not wild.matches("/"), pattern


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("a*b", "ab", True), ("a*b", "axxb", True), ("a*b", "axxbx", False), ("a*b*", "abab", True),
    ("*", "", True), ("?", "", False), ("a", "", False), ("", "", True), ("", "a", False),
    ("a*a*a*b", "aaaaaaaab", True), ("a*a*a*b", "aaaaaaaa", False), ("*ab", "aab", True),
    ("[a-c]", "b", True), ("[a-c]", "d", False), ("[!a-c]", "d", True), ("[!a-c]", "/", False),
    ("?", "/", False), ("[/]", "/", False), ("[!x]", "/", False), ("\\", "\\", False), ("a\\", "a", False),
    ("[a-c]*[x-z]", "bmmy", True), ("[a-c]*[x-z]", "bmmw", False),
])
def test_one_segment(pattern: str, name: str, expected: bool) -> None:
    assert segment_matches(pattern, name) is expected


def test_the_regex_keeps_patterns_with_few_stars() -> None:
    # The cut-over: at MAX_REGEX_STARS a pattern still goes to the regex, one more and it comes here.
    assert MAX_REGEX_STARS == 2
    assert star_count("a*b*c") == 2 and star_count("a*b*c*d") == 3 and star_count("abc") == 0
