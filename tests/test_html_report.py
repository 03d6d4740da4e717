"""The ``html`` format: one self-contained page with the checklist report, checked as a file, against
hostile input, for its size on a huge run, and in a real headless browser (Chromium)."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, run_cli
from tprlint.catalog import load_catalog
from tprlint.checklist.attest import Attestation
from tprlint.checklist.catalog import Checklist, Item, load_checklists
from tprlint.checklist.status import ChecklistReport, ChecklistResult, ItemResult, Status
from tprlint.model import Finding, Location, RelatedLocation, Severity
from tprlint.report import ReportContext, load_reporter
from tprlint.report.html_format import REDACTED, SHOWN_PER_ITEM

HOSTILE = "<script>alert(1)</script></details>"
BROWSER_TIMEOUT = 60
INLINE = frozenset({"a", "b", "code", "em", "span", "strong"})


class Page(HTMLParser):
    """What a page is made of: every tag with its attributes, the CSS, and the text a reader sees."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.css: list[str] = []
        self.scripts: list[str] = []
        self._text: list[str] = []
        self._inside: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._inside.append(tag)
        elif tag not in INLINE:
            self._text.append(" ")  # a block starts on its own line; inline tags do not break words

    def handle_endtag(self, tag: str) -> None:
        if self._inside and tag == self._inside[-1]:
            self._inside.pop()
        elif tag not in INLINE:
            self._text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._inside:
            (self.css if self._inside[-1] == "style" else self.scripts).append(data)
        else:
            self._text.append(data)

    @property
    def text(self) -> str:
        """The page's text with its whitespace collapsed, as a reader sees it."""
        return " ".join("".join(self._text).split())

    def items(self, status: str) -> list[str]:
        """Ids of the items shown with a status (the `st-<slug>` class of their block)."""
        return [str(attrs["id"]).removeprefix("item-") for tag, attrs in self.tags
                if tag == "article" and attrs.get("id") and f"st-{status}" in (attrs.get("class") or "").split()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo repository's HTML report, and the JSON report of the same run to compare it with."""
    out = tmp_path_factory.mktemp("demo-report")
    cache = tmp_path_factory.mktemp("demo-cache")  # module-scoped: the per-test cache folder is not set yet
    result = run_cli("fixtures/demo-shop", "-f", f"html:{out}/report.html", "-f", f"json:{out}/report.json",
                     cwd=REPO, env={"TPRLINT_CACHE_DIR": str(cache)})
    assert result.returncode == 1, result.stderr  # the demo has findings that gate
    document: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return out / "report.html", document["checklist"]


def failing_items(checklist: dict[str, Any]) -> dict[str, int]:
    """Failing item id -> its number of findings, from the JSON report."""
    return {item["id"]: len(item["findings"]) for section in checklist["checklists"] for item in section["items"]
            if item["status"] == "fail"}


# --- the file ---------------------------------------------------------------------------------


def test_demo_report_is_self_contained(demo: tuple[Path, dict[str, Any]]) -> None:
    page_text = demo[0].read_text(encoding="utf-8")
    page = Page(page_text)
    loading = [(tag, attrs) for tag, attrs in page.tags
               if tag in ("link", "img", "iframe", "object", "embed", "video", "audio", "source", "base")
               or {"src", "srcset", "data", "poster", "background"} & attrs.keys()]
    assert loading == []
    # Links are for the reader to follow (rule documentation, sections of the page), never loaded.
    hrefs = [(tag, attrs["href"]) for tag, attrs in page.tags if "href" in attrs]
    assert hrefs and all(tag == "a" for tag, _ in hrefs)
    assert all(str(href).startswith(("#", "https://github.com/tprlint/")) for _, href in hrefs)
    assert not re.search(r"url\s*\(|@import|@font-face", "".join(page.css), re.IGNORECASE)
    assert "<script src" not in page_text.lower() and not re.search(r"<link\b", page_text, re.IGNORECASE)
    assert len(page.scripts) == 1 and "http" not in page.scripts[0]  # the one inline script: open on print
    # And the page forbids every fetch, should anything slip through.
    (policy,) = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in str(policy)


def test_demo_report_shows_every_checklist_and_the_items_that_fail(demo: tuple[Path, dict[str, Any]]) -> None:
    page = Page(demo[0].read_text(encoding="utf-8"))
    for checklist in load_checklists():
        assert checklist.title in page.text
    failing = failing_items(demo[1])
    assert "shutdown.timeout" in failing  # the demo's best-known failure, so the comparison is not empty
    assert sorted(page.items("fail")) == sorted(failing)
    for item_id, count in failing.items():
        assert f"{item_id}" in page.text
        assert f"{count} finding{'s' if count != 1 else ''}" in page.text


def test_demo_report_shows_each_checklist_compliance(demo: tuple[Path, dict[str, Any]]) -> None:
    text = Page(demo[0].read_text(encoding="utf-8")).text
    for section in demo[1]["summary"]["checklists"]:
        figure = "—" if section["compliance"] is None else f"{section['compliance']:.0%}"
        assert f"{section['title']} section" in text
        assert re.search(rf"{re.escape(section['title'])} section \S+ {re.escape(figure)} compliance", text)
    assert "pass or are attested" in text  # says what the figure counts


def test_compliance_status_words_and_reasons() -> None:
    passing = Item("t.pass", "Passes", ("static",), ("TPR101",), checklist="t")
    failing = Item("t.fail", "Fails", ("static",), ("TPR102",), checklist="t")
    attested = Item("t.attest", "Runbooks exist", ("attest",), checklist="t")
    absent = Item("t.na", "Not here", ("static",), ("TPR103",), checklist="t")
    elsewhere = Item("u.na", "Not here either", ("static",), ("TPR103",), checklist="u")
    results = (
        ChecklistResult(Checklist("t", "Tiny checklist", "9.9", (passing, failing, attested, absent)), (
            ItemResult(passing, Status.PASS, "", rules=("TPR101",), applied=2),
            ItemResult(failing, Status.FAIL, "", rules=("TPR102",), applied=1),
            ItemResult(attested, Status.ATTESTED, "attested by docs/runbooks/ (3 files)",
                       attestation=Attestation("t.attest", ("docs/runbooks/",), True, "docs/runbooks/ (3 files)")),
            ItemResult(absent, Status.NA, "nothing in the scan that TPR103 applies to"),
        )),
        ChecklistResult(Checklist("u", "Empty checklist", "9.10", (elsewhere,)), (
            ItemResult(elsewhere, Status.NA, "nothing in the scan that TPR103 applies to"),)),
    )
    ctx = ReportContext(rules=load_catalog(), version="9.8.7", files_scanned=4, color=False,
                        checklist=ChecklistReport(results, 0, results[0].counts + results[1].counts))
    text = Page(load_reporter("html")([], ctx)).text
    assert "tprlint 9.8.7 · 4 files scanned" in text
    assert "Tiny checklist section 9.9 67% compliance 2 of 3 items that apply pass or are attested" in text
    assert "Empty checklist section 9.10 — compliance no item applies" in text
    assert "✓ pass t.pass Passes Rules TPR101" in text  # a plain pass needs no reason
    assert "✗ fail t.fail Fails Rules TPR102" in text
    assert "✓ attested t.attest Runbooks exist Attested by docs/runbooks/ (3 files)" in text
    assert "- n/a t.na Not here Why nothing in the scan that TPR103 applies to" in text
    assert "Incomplete evidence" not in text  # every part of the tree was analysed


# --- hostile input ----------------------------------------------------------------------------


def test_hostile_paths_messages_and_source_are_escaped(tmp_path: Path) -> None:
    evil = f"src/{HOSTILE}.py"  # its slashes make folders: `src/<script>alert(1)<`, `script><`, `details>.py`
    (tmp_path / evil).parent.mkdir(parents=True)
    (tmp_path / evil).write_text(f"x = 1\ny = '{HOSTILE}'\nz = 3\n", encoding="utf-8")
    findings = [
        Finding("TPR101", Severity.ERROR, f"message {HOSTILE}", Location(evil, 2, 5, 2, 20),
                related=(RelatedLocation(Location(evil, 1), f"related {HOSTILE}"),)),
        Finding("TPR001", Severity.WARNING, f"cannot parse {HOSTILE}", Location(f"other{HOSTILE}.yaml", 1)),
    ]
    ctx = ReportContext(rules=load_catalog(), version=HOSTILE, files_scanned=2, color=False, base_dir=tmp_path)
    output = load_reporter("html")(findings, ctx)
    page = Page(output)
    assert "<script>alert" not in output
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]  # only the page's own script
    assert output.count("<details") == output.count("</details>")  # no section closed early
    # What the reader sees is the hostile text itself, as text: the message, the path, the source line.
    assert f"message {HOSTILE}" in page.text
    assert f"related {HOSTILE}" in page.text
    assert f"{evil}:2" in page.text
    assert f"y = '{HOSTILE}'" in page.text
    assert f"cannot parse {HOSTILE}" in page.text  # under "Other findings": TPR001 is behind no item
    assert "Incomplete evidence: 1 part of the tree could not be analysed" in page.text


def test_a_credential_finding_shows_no_source(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("a: 1\napiKey: not-shown-value\nb: 2\n", encoding="utf-8")
    findings = [Finding("TPR301", Severity.ERROR, "an API key in a values file", Location("values.yaml", 2),
                        redact_source=True)]
    ctx = ReportContext(rules=load_catalog(), version="0", files_scanned=1, color=False, base_dir=tmp_path)
    output = load_reporter("html")(findings, ctx)
    assert "an API key in a values file" in output
    assert REDACTED in output
    assert "not-shown-value" not in output and "a: 1" not in output


# --- size -------------------------------------------------------------------------------------


def test_ten_thousand_findings_stay_a_small_file(tmp_path: Path) -> None:
    lines = 10_000
    (tmp_path / "big.py").write_text("".join(f"value_{n} = compute({n}, 'x' * 40)  # line {n}\n"
                                             for n in range(lines)), encoding="utf-8")
    rules = sorted({rule for checklist in load_checklists() for item in checklist.items for rule in item.rules})
    rules.append("TPR001")
    findings = [Finding(rules[n % len(rules)], Severity.WARNING, f"finding number {n} " + "m" * 120,
                        Location("big.py", n + 1)) for n in range(lines)]
    ctx = ReportContext(rules=load_catalog(), version="0", files_scanned=1, color=False, base_dir=tmp_path)
    output = load_reporter("html")(findings, ctx)
    size = len(output.encode("utf-8"))
    assert size < 1_500_000, size  # 0.6 MB measured; without the cap it is 11 MB
    shown = output.count('<div class="finding">')
    blocks = output.count('<details class="findings"')
    assert 0 < shown <= SHOWN_PER_ITEM * blocks
    assert re.search(r"… and [\d,]+ more findings not shown", output)


# --- a real browser ---------------------------------------------------------------------------


@pytest.fixture
def chromium(tmp_path: Path) -> list[str]:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium is not installed (.ci/run installs it)")
        pytest.skip("Chromium is not installed (chromium or chromium-browser on PATH)")
    return [found, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
            "--no-first-run", "--hide-scrollbars"]


def browse(command: list[str]) -> subprocess.CompletedProcess[str]:
    # Chromium writes noise to stderr (dbus, GPU); only the exit code and stdout count.
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_chromium_shows_the_checklists_and_the_failing_items(
        chromium: list[str], demo: tuple[Path, dict[str, Any]]) -> None:
    dom = browse([*chromium, "--dump-dom", demo[0].as_uri()]).stdout
    text = Page(dom).text
    for checklist in load_checklists():
        assert checklist.title in text
    failing = failing_items(demo[1])
    assert failing
    for item_id in failing:
        assert f"✗ fail {item_id}" in text  # the status word next to the item, not only a colour


def test_chromium_renders_a_page_that_is_not_blank(
        chromium: list[str], demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    browse([*chromium, f"--screenshot={shot}", "--window-size=1200,2000", demo[0].as_uri()])
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 2000)
    colours = set(pixels)
    assert len(colours) > 200, len(colours)  # text, badges, code frames: anti-aliasing makes many shades
    background = Counter(pixels).most_common(1)[0][1]
    assert len(pixels) - background > len(pixels) // 10  # a tenth of the page is not background
    # The stylesheet applied: the red of fail (#cf222e) and the purple of needs attestation (#8250df) are there.
    for red, green, blue in ((0xcf, 0x22, 0x2e), (0x82, 0x50, 0xdf)):
        assert any(abs(r - red) < 12 and abs(g - green) < 12 and abs(b - blue) < 12 for r, g, b in colours)


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, bytearray()
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            compressed += body
    raw = zlib.decompress(bytes(compressed))
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + left) & 0xFF
            elif method == 2:
                line[i] = (line[i] + up) & 0xFF
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + near[2]) & 0xFF
        pixels.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels))
        previous = line
    return width, height, pixels
