from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tprlint.facts import yaml_docs
from tprlint.facts.yaml_docs import YamlDoc, YamlError, is_probably_binary, load_yaml_documents

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-worker
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: worker
          image: registry/orders:1.2
          args: ["-m", "orders.worker"]
        -   name: sidecar
            image: envoy
"""

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.fixture(params=["default", "pure-python"], autouse=True)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run every test with libyaml (when present) and with PyYAML's pure-Python safe loader."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_docs, "_LOADER", yaml.SafeLoader)
    yield request.param


def exact(doc: YamlDoc, *path: str | int) -> tuple[int, int]:
    """The recorded position of exactly ``path`` (KeyError if absent, unlike ``loc``)."""
    return doc.positions[path]


def test_positions_are_exact_for_keys_and_list_items() -> None:
    (doc,) = load_yaml_documents(MANIFEST, "k8s/worker.yaml")
    containers = ("spec", "template", "spec", "containers")
    assert exact(doc, "kind") == (2, 1)
    assert exact(doc, "metadata", "name") == (4, 3)
    assert exact(doc, "spec", "replicas") == (6, 3)
    assert exact(doc, *containers) == (9, 7)
    assert exact(doc, *containers, 0) == (10, 11)  # the item starts at its first key
    assert exact(doc, *containers, 0, "image") == (11, 11)
    assert exact(doc, *containers, 0, "args", 1) == (12, 24)
    assert exact(doc, *containers, 1) == (13, 13)
    assert exact(doc, *containers, 1, "image") == (14, 13)


def test_data_is_plain_python() -> None:
    (doc,) = load_yaml_documents(MANIFEST, "k8s/worker.yaml")
    assert isinstance(doc.data, dict)
    assert doc.data["spec"]["replicas"] == 2
    assert doc.data["spec"]["template"]["spec"]["containers"][0]["args"] == ["-m", "orders.worker"]


def test_loc_uses_deepest_known_prefix_then_document_start() -> None:
    (doc,) = load_yaml_documents("---\n# c\nkind: Pod\nspec:\n  containers: []\n", "p.yaml")
    assert doc.loc("spec", "containers") == (5, 3)
    assert doc.loc("spec", "containers", 0, "image") == (5, 3)
    assert doc.loc("nope", "deeper") == (3, 1)
    doc.positions.clear()
    assert doc.loc("spec") == (doc.start_line, 1) == (3, 1)


def test_multiple_documents_keep_index_and_start_line_and_skip_empty_ones() -> None:
    text = "a: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n---\n- x\n"
    docs = load_yaml_documents(text, "multi.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}, ["x"]]
    assert [d.index for d in docs] == [0, 3, 4]
    assert [d.start_line for d in docs] == [1, 6, 9]
    assert docs[1].positions[("b",)] == (6, 1)


def test_scalars_are_typed_by_the_safe_resolver() -> None:
    text = "i: 30\nh: 0x1f\nf: 1.5\nb: true\nn: ~\ns: '30'\nt: 2001-12-14\n"
    text += "tagged: !!str 7\ncustom: !Ref x\nbad: !!int abc\n"
    (doc,) = load_yaml_documents(text, "s.yaml")
    assert doc.data == {
        "i": 30,
        "h": 31,
        "f": 1.5,
        "b": True,
        "n": None,
        "s": "30",
        "t": "2001-12-14",  # timestamps stay text
        "tagged": "7",
        "custom": "x",  # application tags are never constructed
        "bad": "abc",
    }


def test_python_tags_are_plain_data_never_objects() -> None:
    (doc,) = load_yaml_documents("x: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")
    assert doc.data == {"x": ["echo hi"]}


def test_duplicate_keys_last_wins() -> None:
    (doc,) = load_yaml_documents("a: 1\nb: 2\na: 3\n", "d.yaml")
    assert doc.data == {"a": 3, "b": 2}
    assert doc.positions[("a",)] == (3, 1)


def test_merge_keys_explicit_wins_and_positions_follow_the_winner() -> None:
    text = "base: &b\n  x: 1\n  y: {deep: 1}\nother:\n  <<: *b\n  y: 2\n"
    (doc,) = load_yaml_documents(text, "m.yaml")
    assert doc.data["other"] == {"x": 1, "y": 2}  # type: ignore[index]
    assert doc.positions[("other", "x")] == (2, 3)  # from the anchor
    assert doc.positions[("other", "y")] == (6, 3)
    assert ("other", "y", "deep") not in doc.positions


def test_billion_laughs_fails_after_touching_each_distinct_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import tprlint.facts.yaml_docs as yaml_docs

    visits: list[object] = []
    real_children = yaml_docs._children

    def counted(node: object) -> list[object]:
        visits.append(node)
        return real_children(node)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml_docs, "_children", counted)
    with pytest.raises(YamlError, match="nodes"):
        load_yaml_documents(BILLION_LAUGHS, "bomb.yaml")
    # The expanded document has a billion nodes; the guard's walk visits the ~100 written ones, once each.
    assert 0 < len(visits) == len({id(node) for node in visits}) < 200


def test_node_budget_counts_alias_revisits() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a, *a, *a]\n"
    assert load_yaml_documents(text, "ok.yaml", max_nodes=100)
    with pytest.raises(YamlError):
        load_yaml_documents(text, "small.yaml", max_nodes=25)


def test_node_budget_is_per_document_so_a_bundle_of_small_documents_loads() -> None:
    text = "---\n".join("[1, 2, 3]\n" for _ in range(10))  # 4 nodes each, 40 in all
    assert len(load_yaml_documents(text, "many.yaml", max_nodes=30)) == 10


def test_a_document_over_its_budget_is_skipped_and_the_others_are_kept() -> None:
    bomb = "a: &a [1, 2, 3, 4, 5]\nb: [*a, *a, *a, *a, *a]\n"  # 1 + 2 + 6 + 2 + 1 + 5 * 6 nodes, expanded
    text = "x: 1\n---\n" + bomb + "---\ny: 2\n"
    skipped: list[YamlError] = []
    docs = load_yaml_documents(text, "mixed.yaml", max_nodes=25, skipped=skipped)
    assert [doc.data for doc in docs] == [{"x": 1}, {"y": 2}]
    assert len(skipped) == 1 and "more than 25 nodes" in str(skipped[0]) and skipped[0].line == 4  # `b:`


def test_the_whole_file_is_still_bounded_by_nodes_counted() -> None:
    from tprlint.facts.yaml_docs import FILE_NODES_FACTOR

    # Each document fits its budget of 10 nodes; together they pass the file's budget of 10 x factor.
    text = "---\n".join("[1, 2, 3, 4, 5, 6, 7, 8]\n" for _ in range(FILE_NODES_FACTOR * 2))
    with pytest.raises(YamlError):
        load_yaml_documents(text, "many.yaml", max_nodes=10, skipped=[])


def test_recursive_alias_is_rejected() -> None:
    with pytest.raises(YamlError):
        load_yaml_documents("a: &a [*a]\n", "cycle.yaml")


@pytest.mark.parametrize(
    "text",
    ["[" * 250 + "]" * 250, "".join(" " * i + "k:\n" for i in range(250)) + " " * 250 + "v\n"],
    ids=["flow", "block"],
)
def test_deep_nesting_is_rejected(text: str) -> None:
    with pytest.raises(YamlError, match="nesting"):
        load_yaml_documents(text, "deep.yaml")


def test_nesting_just_under_the_limit_is_fine() -> None:
    (doc,) = load_yaml_documents("[" * 150 + "]" * 150, "ok.yaml")
    assert isinstance(doc.data, list)


def test_anchor_reused_deeper_than_the_limit_is_rejected() -> None:
    # Each piece is shallow, but expanding the alias places it below the depth limit.
    inner = "[" * 120 + "]" * 120
    text = f"a: &a {inner}\nb: {'[' * 100}*a{']' * 100}\n"
    with pytest.raises(YamlError, match="nesting"):
        load_yaml_documents(text, "deep-alias.yaml")


def test_tab_indentation_reports_its_line() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_documents("kind: Pod\nspec:\n\tcontainers: []\n", "tabs.yaml")
    assert info.value.line == 3
    assert info.value.path == "tabs.yaml"


def test_bad_indentation_reports_its_line() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_documents("a: 1\nb:\n  c: 2\n d: 3\n", "indent.yaml")
    assert info.value.line == 4


def test_error_in_a_later_document_reports_its_line() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_documents("a: 1\n---\nb: [1, 2\n", "later.yaml")
    assert info.value.line >= 3


def test_control_characters_report_line_and_column() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_documents("a: 1\nb: x\x07\n", "ctl.yaml")
    assert (info.value.line, info.value.column) == (2, 5)


def test_non_text_input_is_rejected() -> None:
    with pytest.raises(YamlError, match="not text"):
        load_yaml_documents(b"a: 1", "bytes.yaml")  # type: ignore[arg-type]


def test_yaml_error_is_a_value_error_and_pickles() -> None:
    error = YamlError("boom", 3, 4, "x.yaml")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.line, copy.column, copy.path, str(copy)) == ("boom", 3, 4, "x.yaml", "boom")


def test_is_probably_binary() -> None:
    assert is_probably_binary(b"abc\x00def")
    assert not is_probably_binary(b"kind: Pod\n" * 1000)
    assert not is_probably_binary(b"a" * 9000 + b"\x00")  # only the first 8 KiB are sniffed


_FUZZ_TOKENS = [*"ab:-[]{},&*!|>'\"#\n\t ?<.0", "- ", ": ", "&x ", "*x", "<<: ", "---\n", "  "]


# The autouse loader fixture is function-scoped on purpose: both loaders see every example.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_FUZZ_TOKENS), max_size=60).map("".join))
def test_arbitrary_text_either_loads_or_raises_yaml_error(text: str) -> None:
    try:
        docs = load_yaml_documents(text, "fuzz.yaml")
    except YamlError as error:
        assert error.line >= 1 and error.column >= 1
        return
    for doc in docs:
        assert doc.data is not None
        assert all(line >= 1 and column >= 1 for line, column in doc.positions.values())


def test_skipped_documents_count_exactly_against_the_file_budget() -> None:
    """19 documents over their budget are skipped, and a 20th that fits the file's remaining budget
    (100 x 20 nodes, less the 19 x 101 counted before each was refused) is still read."""
    big = "[" + ", ".join(["x"] * 150) + "]"
    fits = "[" + ", ".join(["y"] * 80) + "]"
    skipped: list[YamlError] = []
    docs = load_yaml_documents("\n---\n".join([big] * 19 + [fits]), "f.yaml", max_nodes=100, skipped=skipped)
    assert len(skipped) == 19 and [len(doc.data) for doc in docs] == [80]  # type: ignore[arg-type]


def test_a_node_within_the_budget_but_too_deep_is_refused_for_its_depth() -> None:
    with pytest.raises(YamlError, match="nesting deeper than 1 levels"):
        load_yaml_documents("- [x]", "f.yaml", max_nodes=3, max_depth=1)
