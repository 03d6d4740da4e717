"""``-f markdown``: the checklists as GitHub-flavoured Markdown for a step summary or a pull-request comment:
links to the lines on GitHub, under GitHub's 1 MiB limit whatever the tree, and no markup from the input."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from tests.conftest import FIXTURES, REPO, run_cli, write_tree
from tprlint.catalog import load_catalog
from tprlint.checklist.catalog import all_items, load_checklists
from tprlint.model import Finding, Location, Severity
from tprlint.report import ReportContext, load_reporter
from tprlint.report.markdown_format import Links

DEMO = FIXTURES / "demo-shop"
SHA = "0123456789abcdef0123456789abcdef01234567"
GITHUB = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "owner/repo", "GITHUB_SHA": SHA}
NO_GITHUB = dict.fromkeys(GITHUB, "")  # the tests may run inside GitHub Actions
HREF = re.compile(r'<a href="([^"]*)">')
MIB = 1024 * 1024


def _markdown(tmp_path: Path, *args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> str:
    target = tmp_path / "summary.md"
    result = run_cli(*args, "-f", f"markdown:{target}", cwd=cwd, env=env)
    assert result.returncode in (0, 1), result.stderr
    return target.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    start = text.index(f"<summary><strong>{title}</strong>")
    return text[start:text.index("</details>", start)]


def _item_line(text: str, item_id: str) -> str:
    (line,) = [line for line in text.splitlines() if f"<code>{item_id}</code>" in line]
    return line


# --- the report -------------------------------------------------------------------------------------


def test_each_checklist_is_a_details_section_with_failures_and_reasons_under_their_items(tmp_path: Path) -> None:
    text = _markdown(tmp_path, "fixtures/demo-shop", env=NO_GITHUB)
    assert text.startswith("## tprlint: production checklists\n")
    assert re.search(r"^\*\*\d+ pass · \d+ fail · \d+ unknown · .*\*\* in 60 items · \d+ files scanned$", text,
                     re.MULTILINE)
    summaries = re.findall(r"^<details( open)?>\n<summary><strong>([^<]+)</strong>", text, re.MULTILINE)
    assert [title for _, title in summaries] == [c.title for c in load_checklists()]
    # A checklist with a failing item is unfolded; Post-deployment has none in the demo.
    assert dict((title, opened) for opened, title in summaries)["Worker shutdown"] == " open"
    assert dict((title, opened) for opened, title in summaries)["Post-deployment"] == ""
    shutdown = _section(text, "Worker shutdown")
    assert "compliance 25% · 3 fail · 0 unknown</summary>" in shutdown
    assert "❌ <strong>fail</strong> · <code>shutdown.timeout</code>" in shutdown
    # The failing item's finding sits right under it, with its place and its message.
    timeout = shutdown[shutdown.index("<code>shutdown.timeout</code>"):shutdown.index("<code>shutdown.signals</code>")]
    assert ("<li><code>TPR101</code> <code>fixtures/demo-shop/orders/worker.py:15</code>: "
            "This Worker sets no graceful_shutdown_timeout") in timeout
    assert "✅ <strong>pass</strong> · <code>shutdown.no-kill</code>" in shutdown
    assert "<a href" not in text  # no links outside GitHub Actions


def test_parts_that_could_not_be_analysed_are_a_caveat_and_listed(tmp_path: Path) -> None:
    write_tree(tmp_path / "tree", {"w.py": b"import temporalio\nx = (\n"})
    text = _markdown(tmp_path, ".", env=NO_GITHUB, cwd=tmp_path / "tree")
    assert ("> **Caveat:** 1 part of the tree could not be analysed (TPR000-TPR002): items may lack their "
            "evidence.") in text
    listed = text[text.index("<summary><strong>Not analysed</strong> · 1 part of the tree</summary>"):]
    assert listed[:listed.index("</details>")].count("<li><code>TPR001</code> <code>w.py:2</code>: ") == 1
    clean = _markdown(tmp_path, "fixtures/demo-shop", env=NO_GITHUB)
    assert "Caveat" not in clean and "Not analysed" not in clean


def test_findings_link_to_their_lines_in_the_commit_on_github(tmp_path: Path) -> None:
    text = _markdown(tmp_path, "fixtures/demo-shop", env=GITHUB)
    links = HREF.findall(text)
    assert len(links) >= 20
    prefix = f"https://github.com/owner/repo/blob/{SHA}/"
    for url in links:
        assert url.startswith(prefix), url
        path, line = re.fullmatch(r"(.+)#L(\d+)", url[len(prefix):]).groups()  # type: ignore[union-attr]
        lines = (REPO / path).read_text(encoding="utf-8").splitlines()  # a real file of the checkout
        assert 1 <= int(line) <= len(lines)
    assert (f'<a href="{prefix}fixtures/demo-shop/orders/worker.py#L15">'
            "<code>fixtures/demo-shop/orders/worker.py:15</code></a>") in text


def test_links_from_a_subfolder_carry_its_path_in_the_repository(tmp_path: Path) -> None:
    text = _markdown(tmp_path, ".", env=GITHUB, cwd=DEMO)
    assert f'<a href="https://github.com/owner/repo/blob/{SHA}/fixtures/demo-shop/orders/worker.py#L15">' in text


def test_no_links_when_the_repository_or_the_sha_is_malformed(tmp_path: Path) -> None:
    for bad in ({"GITHUB_REPOSITORY": 'owner/repo"><img src=x>'}, {"GITHUB_REPOSITORY": "owner/.."},
                {"GITHUB_SHA": "HEAD"}, {"GITHUB_SERVER_URL": "javascript:alert(1)//"}):
        text = _markdown(tmp_path, "fixtures/demo-shop", env={**GITHUB, **bad})
        assert "<a href" not in text, bad
        assert "<code>fixtures/demo-shop/orders/worker.py:15</code>" in text


def test_link_paths_are_percent_encoded_and_stay_inside_the_checkout(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    links = Links.from_environment(GITHUB, tmp_path)
    assert links is not None
    blob = f"https://github.com/owner/repo/blob/{SHA}"
    assert links.url("dir/a b#c?d%.py", 3) == f"{blob}/dir/a%20b%23c%3Fd%25.py#L3"
    assert links.url("Zürich/\udcff.py", 1) == f"{blob}/Z%C3%BCrich/%FF.py#L1"  # a name that is not UTF-8
    assert links.url("../outside.py", 1) is None
    assert links.url("/etc/passwd", 1) is None


# --- size -------------------------------------------------------------------------------------------


def _flood(count: int) -> list[Finding]:
    """`count` findings spread over every checked item, each with a long message and a long path; the
    message is mostly `<`, which takes four bytes once escaped."""
    items = [item for item in all_items() if item.rules]
    findings = []
    for index in range(count):
        item = items[index % len(items)]
        anchor = item.anchors[0] if item.anchors else ""
        path = f"deploy/{'very-long-folder-name/' * 12}manifest-{index}.yaml"
        message = f"finding {index}: " + "<é>" * 600
        findings.append(Finding(item.rules[0], Severity.ERROR, message, Location(path, index + 1), anchor=anchor))
    return findings


def test_ten_thousand_findings_stay_under_one_mib_with_every_item_status(tmp_path: Path) -> None:
    findings = _flood(10_000)
    ctx = ReportContext(rules=load_catalog(), version="0.1.0", files_scanned=10_000, color=False, base_dir=tmp_path,
                        rules_run=tuple(sorted({f.rule_id for f in findings})))
    text = load_reporter("markdown")(findings, ctx)
    assert len(text.encode("utf-8")) < MIB
    for item in all_items():
        assert re.search(rf"^<li>\S+ <strong>[a-z /]+</strong> · <code>{re.escape(item.id)}</code> · ", text,
                         re.MULTILINE), item.id
    assert "finding 0: &lt;é&gt;" in text  # the first findings are shown
    note = re.search(r"\*\*Note:\*\* ([\d,]+) findings \(([\d,]+) KiB\) left out to keep this summary under "
                     r"GitHub's 1 MiB limit", text)
    assert note is not None
    shown = len(re.findall(r"^<li><code>TPR\d+</code>", text, re.MULTILINE))
    assert shown > 0
    assert shown + int(note.group(1).replace(",", "")) == 5 * len([i for i in all_items() if i.rules])


def test_a_real_tree_with_many_findings_shows_the_first_under_each_item(tmp_path: Path) -> None:
    deployment = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: worker-{n}}}
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: example/worker:1.0
                  env: [{{name: TEMPORAL_TASK_QUEUE, value: q}}]
        """)
    write_tree(tmp_path / "tree", {f"deploy/w{n}.yaml": deployment.format(n=n).encode() for n in range(40)})
    text = _markdown(tmp_path, ".", env=NO_GITHUB, cwd=tmp_path / "tree")
    readiness = text[text.index("<code>ha.lb-health</code>"):]
    readiness = readiness[:readiness.index("</ul></li>")]
    assert len(re.findall(r"<li><code>TPR40\d</code>", readiness)) == 5
    assert re.search(r"<li>and \d+ more</li>", readiness)
    assert len(text.encode("utf-8")) < MIB


# --- hostile text -----------------------------------------------------------------------------------

HOSTILE = [
    "</details><img src=x onerror=alert(1)>",
    "[click](https://evil.example/x) and <https://evil.example> and www.evil.example",
    "ping @someone and @org/team, see #123 and GH-45 and owner/repo#6, mail me@evil.example",
    "a | b |\n| --- | --- |\n| c | d",
    "**bold** _it_ `code` ~~gone~~ $x^2$ &amp; &lt;b&gt; <!-- comment -->",
    "line one\n\n# heading\n> quote\n- list",
]
HOSTILE_PATH = "x</code><script>alert(1)</script>`|[y](z).py"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile_markdown(tmp_path: Path) -> str:
    # One message per rule, so that each is shown (under every item the rule is evidence for).
    rules = list(dict.fromkeys(item.rules[0] for item in all_items() if item.rules and not item.anchors))
    findings = [Finding(rule, Severity.ERROR, message, Location(HOSTILE_PATH, 1))
                for rule, message in zip(rules[:len(HOSTILE)], HOSTILE, strict=True)]
    ctx = ReportContext(rules=load_catalog(), version="0.1.0", files_scanned=1, color=False, base_dir=tmp_path,
                        rules_run=tuple(rules))
    return load_reporter("markdown")(findings, ctx)


def test_hostile_messages_and_paths_stay_text_in_the_raw_markdown(tmp_path: Path) -> None:
    text = _hostile_markdown(tmp_path)
    assert "<img" not in text and "<script" not in text and "<!--" not in text
    assert "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "x&lt;/code&gt;&lt;script&gt;" in text
    assert "&amp;amp;" in text  # an entity in the input shows as written
    assert "@someone" not in text and "@\u200bsomeone" in text and "#\u200b123" in text and "GH\u200b-45" in text
    assert "https://" not in text.replace('<a href="https://', "") and "www.evil" not in text
    assert text.count("<details") == text.count("</details>")
    # Input never starts a line and never leaves a blank one inside a section: the HTML block holds.
    for section in re.findall(r"^<details.*?^</details>$", text, re.MULTILINE | re.DOTALL):
        assert all(line.startswith("<") for line in section.splitlines())


def test_hostile_text_renders_as_text_with_a_commonmark_renderer(tmp_path: Path) -> None:
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(_hostile_markdown(tmp_path))
    parser = _Tags()
    parser.feed(rendered)
    tags = {tag for tag, _ in parser.tags}
    assert tags <= {"h2", "p", "strong", "details", "summary", "ul", "li", "code", "em", "sub", "blockquote"}, tags
    shown = "".join(parser.text)
    for message in HOSTILE:
        first = message.split("\n")[0].replace("@", "@\u200b").replace("#", "#\u200b")
        first = first.replace("://", ":\u200b//").replace("www", "www\u200b").replace("GH-", "GH\u200b-")
        assert first in shown  # every character is there, as text
    assert "line one\\n\\n#\u200b heading\\n> quote\\n- list" in shown  # line breaks shown escaped
    assert f"{HOSTILE_PATH}:1" in shown
    assert re.search(r"@\w", shown) is None
