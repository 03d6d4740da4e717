"""The cache: where it lives, that it only ever holds data, and that anything odd in it is a miss.

A cache file is foreign input (restored from CI storage, committed to a repository, planted in a
shared folder). Whatever it holds, a run must give the findings of a cold run, and must not run code,
hang, or write or delete anything outside tprlint's own folder.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from conftest import FIXTURES, run_cli

from tprlint.cache_store import MARKER, project_folder_name

WORKER = "import temporalio\nx = (\n"  # the smallest tree with a finding: TPR001 at w.py:2


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    copy = tmp_path / "demo-shop"
    shutil.copytree(FIXTURES / "demo-shop", copy)
    return copy


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "w.py").write_text(WORKER)
    return root


def _project(cache_dir: Path, root: Path) -> Path:
    return cache_dir / project_folder_name(root.resolve())


def _listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (not following symlinks) with its content or link target."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_file():
                found[key] = path.read_bytes()
            else:
                found[key] = "dir"
    return found


def _code_running_pickle(marker: Path) -> bytes:
    """The issue's payload: protocol-4 dotted names that pass a "tprlint.* only" filter and reach
    os.system through tprlint.cache's own import of os. Running it creates ``marker``."""
    def text(value: str) -> bytes:
        raw = value.encode()
        return b"\x8c" + bytes([len(raw)]) + raw  # SHORT_BINUNICODE

    return (b"\x80\x04" + text("tprlint.cache") + text("os.system") + b"\x93"  # STACK_GLOBAL
            + text(f"touch {marker}") + b"\x85" + b"R" + b".")  # TUPLE1, REDUCE, STOP


def test_the_crafted_pickle_of_the_issue_really_runs_code(tmp_path: Path) -> None:
    # The payload the next test plants is live: a plain unpickler runs it.
    marker = tmp_path / "ran"
    subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=_code_running_pickle(marker), env={**os.environ}, check=True, timeout=60)
    assert marker.exists()


def test_a_cache_file_holding_a_code_running_pickle_runs_nothing(
        tree: Path, tmp_path: Path, _own_cache_dir: Path) -> None:
    marker = tmp_path / "pwned"
    payload = _code_running_pickle(marker)
    # Committed in the tree, where tprlint used to keep its cache...
    committed = tree / ".tprlint_cache"
    committed.mkdir()
    for name in ("last-run.pickle", "facts-0.1.0-0123456789ab.pickle", "last-run.json"):
        (committed / name).write_bytes(payload)
    cold = run_cli(".", "-f", "github", cwd=tree)
    assert not marker.exists()
    # ...and in the cache folder itself, under every name tprlint reads, behind a valid replay header.
    project = _project(_own_cache_dir, tree)
    result_file = project / "last-run.json"
    header = result_file.read_bytes().split(b"\n", 1)[0]
    result_file.write_bytes(header + b"\n" + payload)
    for facts_file in project.glob("facts-*.json"):
        facts_file.write_bytes(payload)
    again = run_cli(".", "-f", "github", cwd=tree)
    result_file.write_bytes(payload)
    last = run_cli(".", "-f", "github", cwd=tree)
    assert not marker.exists()
    assert cold.stdout == again.stdout == last.stdout and "TPR001" in cold.stdout
    assert again.returncode == last.returncode == cold.returncode and "Traceback" not in again.stderr + last.stderr


def _read_facts(path: Path) -> tuple[dict[str, object], list[list[object]]]:
    """A facts cache file: its header line (format, types, keys) and its value lines."""
    header, *lines = path.read_bytes().split(b"\n")
    return json.loads(header), [json.loads(line) for line in lines]


def _write_facts(path: Path, header: object, values: list[list[object]]) -> None:
    path.write_bytes(b"\n".join([json.dumps(header).encode(), *(json.dumps(v).encode() for v in values)]))


def _ints_to_text(value: object) -> object:
    """The same JSON with every number turned into text: right shape, wrong types throughout."""
    if isinstance(value, list):
        return [_ints_to_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _ints_to_text(v) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def test_a_cache_with_wrong_types_gives_the_findings_of_a_cold_run(demo: Path, _own_cache_dir: Path) -> None:
    cold = run_cli(".", "-f", "json", "--no-cache", cwd=demo)
    run_cli(".", "-f", "json", cwd=demo)
    project = _project(_own_cache_dir, demo)
    # The replayed result: its key is this run's, every number in it is text.
    result_file = project / "last-run.json"
    header, body = result_file.read_bytes().split(b"\n", 1)
    result_file.write_bytes(header + b"\n" + json.dumps(_ints_to_text(json.loads(body))).encode())
    assert run_cli(".", "-f", "json", cwd=demo).stdout == cold.stdout
    # The facts: only the stored values are wrong (the outline is right), and nothing is replayed.
    (facts_file,) = project.glob("facts-*.json")
    header, values = _read_facts(facts_file)
    _write_facts(facts_file, header, [[kind, _ints_to_text(value)] for kind, value in values])
    result_file.unlink()
    result = run_cli(".", "-f", "json", cwd=demo)
    assert result.stdout == cold.stdout and result.returncode == cold.returncode == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["last-run.json", "facts"])
def test_a_fifo_in_place_of_a_cache_file_does_not_hang_the_run(tree: Path, _own_cache_dir: Path, name: str) -> None:
    cold = run_cli(".", "-f", "concise", cwd=tree)  # creates the folder and learns the facts file's name
    project = _project(_own_cache_dir, tree)
    (target,) = project.glob("facts-*.json") if name == "facts" else [project / name]
    target.unlink()
    (project / "last-run.json").unlink(missing_ok=True)  # the facts file is read only when nothing is replayed
    os.mkfifo(target)
    result = run_cli(".", "-f", "concise", cwd=tree)  # a blocking open of the FIFO would hang until the timeout
    assert result.stdout == cold.stdout and "TPR001" in result.stdout


def test_a_symlinked_cache_folder_is_refused_and_its_target_left_alone(tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "facts-0.0.9-0123456789ab.json").write_text("an older cache's name: tprlint once deleted these")
    (target / "notes.txt").write_text("mine")
    before = _listing(target)
    link = tmp_path / "cache-link"
    link.symlink_to(target)
    result = run_cli(".", "-f", "concise", "--cache-dir", str(link), cwd=tree)
    assert "running without a cache" in result.stderr and "symlink" in result.stderr
    assert result.stderr.count("\n") == 1 and "TPR001" in result.stdout
    assert _listing(target) == before


def test_a_symlinked_project_folder_is_refused_and_its_target_left_alone(
        tree: Path, tmp_path: Path, _own_cache_dir: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / MARKER).write_text("Signature: 8a477f597d28d172789f06886806bc55\n")  # even a marked one
    (target / "last-run.json").write_text("not tprlint's")
    before = _listing(target)
    _project(_own_cache_dir, tree).symlink_to(target)
    result = run_cli(".", "-f", "concise", cwd=tree)
    assert "running without a cache" in result.stderr and "TPR001" in result.stdout
    assert _listing(target) == before


def test_a_committed_cache_folder_symlink_is_never_followed(tree: Path, tmp_path: Path) -> None:
    # The issue: a committed `.tprlint_cache` symlink made tprlint write `.gitignore` and pickles in
    # its target and delete a file there.
    target = tmp_path / "victim"
    target.mkdir()
    (target / "facts-0.0.9-0123456789ab.pickle").write_text("precious")
    before = _listing(target)
    (tree / ".tprlint_cache").symlink_to(target)
    result = run_cli(".", "-f", "concise", cwd=tree)
    assert "TPR001" in result.stdout
    assert _listing(target) == before


def test_a_cache_folder_owned_by_another_user_is_refused(tree: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    os.chown(foreign, 4242, 4242)  # the tests run as root (here and in CI)
    result = run_cli(".", "-f", "concise", "--cache-dir", str(foreign), cwd=tree)
    assert "running without a cache" in result.stderr and "another user" in result.stderr
    assert "TPR001" in result.stdout
    assert list(foreign.iterdir()) == []


def test_a_project_folder_tprlint_did_not_create_is_refused(tree: Path, _own_cache_dir: Path) -> None:
    project = _project(_own_cache_dir, tree)
    project.mkdir()
    (project / "last-run.json").write_text("someone else's file")
    result = run_cli(".", "-f", "concise", cwd=tree)
    assert "running without a cache" in result.stderr and MARKER in result.stderr
    assert (project / "last-run.json").read_text() == "someone else's file"
    assert sorted(p.name for p in project.iterdir()) == ["last-run.json"]


def test_by_default_the_cache_is_outside_the_scanned_tree(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TPRLINT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    before = _listing(tree)
    first = run_cli(".", "-f", "concise", cwd=tree)
    second = run_cli(".", "-f", "concise", cwd=tree)
    assert _listing(tree) == before  # no file created in the scanned tree
    home_cache = tmp_path / "home" / ".cache" / "tprlint"
    if sys.platform == "darwin":
        home_cache = tmp_path / "home" / "Library" / "Caches" / "tprlint"
    project = _project(home_cache, tree)
    assert {p.name for p in project.iterdir()} >= {MARKER, "last-run.json"}
    assert oct(project.stat().st_mode & 0o777) == oct(0o700)
    assert first.stdout == second.stdout and "TPR001" in first.stdout
    # XDG_CACHE_HOME moves it.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    run_cli(".", "-f", "concise", cwd=tree)
    assert (_project(tmp_path / "xdg" / "tprlint", tree) / "last-run.json").is_file()


def test_cache_dir_option_wins_over_the_environment_variable(tree: Path, tmp_path: Path) -> None:
    from_env, from_option = tmp_path / "env-cache", tmp_path / "option-cache"
    env = {"TPRLINT_CACHE_DIR": str(from_env)}
    run_cli(".", "-f", "concise", cwd=tree, env=env)
    assert (_project(from_env, tree) / "last-run.json").is_file()
    run_cli(".", "-f", "concise", "--cache-dir", str(from_option), cwd=tree, env=env)
    assert (_project(from_option, tree) / "last-run.json").is_file()
    assert len(list(from_env.iterdir())) == 1  # the option's run wrote nothing there


def test_cache_is_written_reused_and_bypassed(demo: Path, _own_cache_dir: Path) -> None:
    run_cli(".", "-f", "concise", "--no-cache", cwd=demo)
    assert list(_own_cache_dir.iterdir()) == []
    project = _project(_own_cache_dir, demo)
    cold = run_cli(".", "-f", "concise", cwd=demo)
    (facts_file,) = project.glob("facts-*.json")
    assert (project / "last-run.json").is_file()
    stale = project / "facts-0.0.9-0123456789ab.json"  # an older tprlint's cache, in tprlint's folder
    stale.write_bytes(b"old")
    warm = run_cli(".", "-f", "concise", cwd=demo)
    assert cold.stdout == warm.stdout and cold.returncode == warm.returncode == 1
    # Changing a file is seen: it changes the file's size and modification time, and its facts are
    # re-extracted (content-hash keys).
    worker = demo / "orders" / "worker.py"
    source = worker.read_text()
    source = source.replace("activities=[reserve_stock, send_confirmation],",
                            "activities=[reserve_stock, send_confirmation], graceful_shutdown_timeout=DRAIN,")
    source = source.replace("import os\n", "import os\nfrom datetime import timedelta\nDRAIN = timedelta(seconds=9)\n")
    worker.write_text(source)
    assert "TPR101" not in run_cli(".", "-f", "concise", cwd=demo).stdout
    assert not stale.exists() and facts_file.exists()


def test_a_cache_restored_onto_a_fresh_checkout_keeps_one_copy_of_each_file(tree: Path, _own_cache_dir: Path) -> None:
    first = run_cli(".", "-f", "concise", cwd=tree)
    (facts_file,) = _project(_own_cache_dir, tree).glob("facts-*.json")
    before, before_values = _read_facts(facts_file)
    os.utime(tree / "w.py", (2_000_000_000, 2_000_000_000))  # as a fresh clone or a cache restore does
    again = run_cli(".", "-f", "concise", cwd=tree)
    after, after_values = _read_facts(facts_file)
    assert again.stdout == first.stdout
    # Found by content, stored under its new stamp: the same single value, not a second copy.
    assert len(after["keys"]) == len(before["keys"]) == 2  # type: ignore[arg-type]
    assert after_values == before_values and len(after_values) == 1
    assert after["keys"] != before["keys"]


# -- the files, one by one ---------------------------------------------------------------------------

def _scanned(tree: Path) -> list[object]:
    from tprlint.config import Config
    from tprlint.discover.walk import find_candidates
    from tprlint.scan import Scanner

    scanner = Scanner(None, 1)
    scanner.start(find_candidates([tree], (), exclude_root=Config(root=tree).root))
    return list(scanner.results())


def test_every_fact_of_the_demo_round_trips_through_the_codec(demo: Path) -> None:
    from tprlint.cache_codec import decode_as, encode_as
    from tprlint.scan import ScannedFile

    files = _scanned(demo)
    assert len(files) > 10
    for file in files:
        assert decode_as(ScannedFile, json.loads(json.dumps(encode_as(ScannedFile, file)))) == file


def test_facts_cache_entries_that_do_not_match_their_type_are_misses(tree: Path, tmp_path: Path) -> None:
    from tprlint.cache import FactsCache
    from tprlint.cache_codec import encode_as
    from tprlint.model import Location

    (scanned,) = _scanned(tree)
    cache = FactsCache(tmp_path)
    cache.put("k", scanned)
    cache.put("loc", Location("a.py", 3))
    cache.save()
    header, values = _read_facts(cache.file)
    written = cache.file.read_bytes()

    def reloaded(outline: object, lines: list[list[object]]) -> FactsCache:
        _write_facts(cache.file, outline, lines)
        fresh = FactsCache(tmp_path)
        fresh.load()
        return fresh

    assert reloaded(header, values).get("k", type(scanned)) == scanned
    assert reloaded(header, values).get("loc", Location) == Location("a.py", 3)
    assert reloaded(header, values).get("loc", type(scanned)) is None  # a value of another type
    index = header["keys"]["loc"]  # type: ignore[index]
    variants = {
        "wrong type": ["a.py", "3", 1, None, None],
        "missing field": ["a.py", 3, 1, None],
        "extra field": ["a.py", 3, 1, None, None, 0],
        "bool for int": ["a.py", True, 1, None, None],
    }
    for why, encoded in variants.items():
        lines = json.loads(json.dumps(values))
        lines[index][1] = encoded
        assert reloaded(header, lines).get("loc", Location) is None, why
        assert reloaded(header, lines).get("k", type(scanned)) == scanned, why  # the other entries still load
    assert encode_as(Location, Location("a.py", 3)) == ["a.py", 3, 1, None, None]
    for outline in ({**header, "format": "tprlint-facts/1"}, {**header, "extra": 1}, [header],
                    {**header, "keys": {"k": 7}}, {**header, "types": [["x"]]}):
        assert reloaded(outline, values).get("k", type(scanned)) is None
    # Truncated: in the last value's line, that value is a miss; in the header, the whole file is.
    cache.file.write_bytes(written[:-5])
    fresh = FactsCache(tmp_path)
    fresh.load()
    assert fresh.get("k" if index else "loc", type(scanned) if index else Location) is not None
    assert fresh.get("loc" if index else "k", Location if index else type(scanned)) is None
    cache.file.write_bytes(written[:20])
    fresh = FactsCache(tmp_path)
    fresh.load()
    assert fresh.empty


def test_an_oversized_cache_file_is_not_read(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.cache
    from tprlint.cache import FactsCache

    (scanned,) = _scanned(tree)
    cache = FactsCache(tmp_path)
    cache.put("k", scanned)
    cache.save()
    size = cache.file.stat().st_size
    monkeypatch.setattr(tprlint.cache, "MAX_FACTS_BYTES", size - 1)
    fresh = FactsCache(tmp_path)
    fresh.load()
    assert fresh.get("k", type(scanned)) is None
    monkeypatch.setattr(tprlint.cache, "MAX_FACTS_BYTES", size)
    fresh.load()
    assert fresh.get("k", type(scanned)) == scanned


def test_the_replay_key_is_compared_before_the_result_is_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.result_cache
    from tprlint.result_cache import ResultCache, RunResult

    results = ResultCache(tmp_path)
    results.store("key-1", RunResult([], 3, ("TPR001",)))
    replayed = results.replay("key-1")
    assert replayed is not None and replayed.replayed and replayed.files_scanned == 3

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the result was parsed for another key")

    monkeypatch.setattr(tprlint.result_cache.json, "loads", refuse)
    assert results.replay("key-2") is None


def test_no_tprlint_module_imports_pickle() -> None:
    # A grep, so that a later change cannot bring an unpickler back unseen.
    package = Path(__file__).resolve().parents[1] / "tprlint"
    offenders = [p.name for p in package.rglob("*.py") for line in p.read_text().splitlines()
                 if line.strip().startswith(("import pickle", "from pickle"))]
    assert offenders == []



# -- the codec on its own ------------------------------------------------------------------------------

class _Colour(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass(frozen=True)
class _Leaf:
    name: str
    size: float = 0.0


@dataclasses.dataclass
class _Node:
    """One field of every kind the cached facts use."""

    colour: _Colour
    choice: _Leaf | int | str | None
    children: tuple[_Node, ...]
    words: frozenset[bytes]
    by_path: dict[tuple[str | int, ...], _Leaf]
    labels: dict[str, str]
    raw: dict[str, object]
    pair: tuple[str, int]
    maybe: str | None = None


NODE = _Node(_Colour.BLUE, _Leaf("x", 2), (_Node(_Colour.RED, 3, (), frozenset(), {}, {}, {}, ("b", 2)),),
             frozenset({b"caf\xe9", b"os"}), {("a", 0): _Leaf("y")}, {"app": "w"}, {"k": [1, {"n": None}]},
             ("a", 1), "m")


def test_the_codec_round_trips_every_kind_of_field() -> None:
    from tprlint.cache_codec import decode_as, encode_as

    assert decode_as(_Node, json.loads(json.dumps(encode_as(_Node, NODE)))) == NODE


@pytest.mark.parametrize(("field", "bad"), [
    ("colour", 3), ("colour", True), ("colour", "BLUE"),  # not a member's value (True == 1 is not 1)
    ("choice", [9, "x"]), ("choice", [1, "x"]), ("choice", "x"),  # tag out of range, wrong member, untagged
    ("children", {}), ("children", [[1]]),
    ("words", ["\u20ac"]), ("words", [1]),  # bytes are latin-1 text
    ("by_path", {"a": []}), ("by_path", [[["a"], ["y", 0.0], 1]]),
    ("labels", {"app": 1}), ("labels", []),
    ("pair", ["a"]), ("pair", ["a", "1"]), ("pair", ["a", 1.5]),
    ("maybe", 1), ("maybe", False),
])
def test_the_codec_refuses_a_value_of_the_wrong_type(field: str, bad: object) -> None:
    from tprlint.cache_codec import CodecError, decode_as, encode_as

    stored = json.loads(json.dumps(encode_as(_Node, NODE)))
    stored[[f.name for f in dataclasses.fields(_Node)].index(field)] = bad
    with pytest.raises(CodecError):
        decode_as(_Node, stored)


def test_the_codec_does_not_store_what_it_could_not_load() -> None:
    from tprlint.cache_codec import CodecError, encode_as

    for broken in (dataclasses.replace(NODE, raw={1: "int key"}), dataclasses.replace(NODE, raw={"k": {1, 2}}),
                   dataclasses.replace(NODE, children=[NODE]), dataclasses.replace(NODE, maybe=b"x")):
        with pytest.raises(CodecError):
            encode_as(_Node, broken)


def test_temporary_files_left_by_a_killed_run_are_cleaned_up_later(tree: Path, _own_cache_dir: Path) -> None:
    assert run_cli(".", cwd=tree).returncode == 0
    project = _project(_own_cache_dir, tree)
    abandoned, fresh = project / ".tmp-abandoned1", project / ".tmp-writing2"
    abandoned.write_bytes(b"half a file")
    fresh.write_bytes(b"another run is writing this")
    os.utime(abandoned, (1_000_000_000, 1_000_000_000))
    (tree / "w.py").write_text(WORKER + "\n")  # a change, so the facts cache is written again
    assert run_cli(".", cwd=tree).returncode == 0
    assert not abandoned.exists() and fresh.exists()


def test_the_codecs_read_field_types_as_get_type_hints_does() -> None:
    """The codecs evaluate annotations themselves (each text compiled once): for every type the cache
    stores, the same types as ``typing.get_type_hints``, and the same schema digest as before."""
    import typing

    from tprlint import cache_codec
    from tprlint.helm.stage import ChartOutcome
    from tprlint.result_cache import RunResult
    from tprlint.scan import ScannedFile

    for root in (ScannedFile, ChartOutcome, RunResult):
        cache_codec.schema_of(root)
    stored = list(cache_codec._builder.dataclass_schemas)
    assert len(stored) > 100
    for cls in stored:
        assert cache_codec._field_types(cls) == typing.get_type_hints(cls), cls


def test_a_quoted_name_inside_a_type_is_left_to_get_type_hints() -> None:
    from tprlint import cache_codec

    @dataclasses.dataclass
    class Outer:
        items: list[int]
        mode: Literal["a", "b"]

    Outer.__annotations__["items"] = "list['int']"  # a quoted name inside the annotation's text
    assert cache_codec._field_types(Outer) == {"items": list[int], "mode": Literal["a", "b"]}


@dataclasses.dataclass(frozen=True)
class _NotStorable:
    value: complex  # no codec: the cache cannot store it


@dataclasses.dataclass(frozen=True)
class _HoldsNotStorable:
    held: _NotStorable


def test_a_type_the_cache_cannot_store_fails_the_same_way_every_time() -> None:
    # The codecs of every type share one builder: a failed build leaves nothing half-built behind.
    from tprlint.cache_codec import schema_of

    for root in (_NotStorable, _HoldsNotStorable, _NotStorable, _HoldsNotStorable):
        with pytest.raises(TypeError, match="cannot store"):
            schema_of(root)


def test_the_code_that_builds_cached_facts_is_part_of_the_cache_s_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from tprlint import cache

    seen: list[str] = []
    monkeypatch.setattr(cache, "stat_lines", lambda paths: seen.extend(str(p) for p in paths) or [])
    cache._extractor_fingerprint()
    names = {p.replace(os.sep, "/").split("/tprlint/", 1)[-1] for p in seen}
    # What the facts, the charts and the module traits of following imports are made by.
    assert {"scan.py", "follow_imports.py", "facts/extract.py", "helm/render.py", "discover/imports.py"} <= names
