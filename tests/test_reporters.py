"""Reporters: every output format, rendered from hand-built findings over a tiny repository."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tprlint.model import Finding, Location, RelatedLocation, RuleMeta, Severity
from tprlint.report import FORMATS, ReportContext, load_reporter
from tprlint.report.fingerprint import fingerprints

# The OASIS SARIF 2.1.0 schema, published for reuse: a copy travels with the tests.
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
SECRET = "tmprl-SECRET-4f9c2e"

FILES = {
    "k8s/worker.yaml": (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: order-worker\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      terminationGracePeriodSeconds: 30\n"
        "      containers:\n"
        "        - name: worker\n"
    ),
    "k8s/secret.yaml": (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "stringData:\n"
        f"  TEMPORAL_API_KEY: {SECRET}\n"
    ),
    "worker/main.py": (
        "import asyncio\n"
        "\n"
        "async def main() -> None:\n"
        "    worker = Worker(client, task_queue='orders')\n"
        "    await worker.run()\n"
    ),
}

RULES = {
    "TPR101": RuleMeta(
        id="TPR101",
        name="grace-period-shorter-than-drain",
        severity=Severity.ERROR,
        checklist="shutdown.timeout",
        summary="The pod grace period must outlast the worker's graceful shutdown timeout.",
        rationale="Kubernetes sends SIGKILL when the grace period ends, cutting activities off.",
        fix="Raise terminationGracePeriodSeconds above graceful_shutdown_timeout.",
        references=("https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/",),
    ),
    "TPR205": RuleMeta(
        id="TPR205",
        name="worker-without-identity",
        severity=Severity.WARNING,
        checklist="observability.identity",
        summary="Give workers an identity that names the pod.",
    ),
    "TPR301": RuleMeta(
        id="TPR301",
        name="api-key-in-manifest",
        severity=Severity.ERROR,
        checklist="security.secrets",
        summary="Keep Temporal API keys out of manifests.",
    ),
    "TPR900": RuleMeta(
        id="TPR900", name="never-fires", severity=Severity.NOTE, checklist="misc", summary="Unused."
    ),
}

TRICKY_MESSAGE = "replicas: 1, want 2\nsee docs\r100% sure"


def make_findings() -> list[Finding]:
    findings = [
        Finding(
            "TPR101",
            Severity.ERROR,
            "terminationGracePeriodSeconds (30 s) is shorter than graceful_shutdown_timeout (300 s)",
            Location("k8s/worker.yaml", 8, 7, 8, 40),
            related=(
                RelatedLocation(Location("worker/main.py", 4, 14), "graceful_shutdown_timeout set here"),
            ),
            anchor="Deployment/default/order-worker",
        ),
        Finding(
            "TPR301",
            Severity.ERROR,
            "a Temporal API key is stored in plain text",
            Location("k8s/secret.yaml", 4, 21, 4, 21 + len(SECRET)),
            redact_source=True,
        ),
        Finding("TPR205", Severity.WARNING, TRICKY_MESSAGE, Location("worker/main.py", 4, 14)),
        Finding(
            "TPR205",
            Severity.NOTE,
            "suppressed for a reason",
            Location("worker/main.py", 5, 5),
            suppressed_by="# tprlint: ignore[TPR205] single-replica dev deployment",
        ),
    ]
    return sorted(findings, key=Finding.sort_key)


def write_repo(root: Path, prefix: str = "") -> None:
    for path, text in FILES.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(prefix + text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_repo(tmp_path)
    return tmp_path


def make_ctx(root: Path, *, color: bool = False, rules_run: tuple[str, ...] = ()) -> ReportContext:
    return ReportContext(
        rules=RULES, version="0.1.0", files_scanned=3, color=color, base_dir=root, rules_run=rules_run
    )


def render(name: str, findings: list[Finding], ctx: ReportContext) -> str:
    return load_reporter(name)(findings, ctx)


def sarif_log(root: Path, findings: list[Finding] | None = None, **kwargs: Any) -> dict[str, Any]:
    text = render("sarif", make_findings() if findings is None else findings, make_ctx(root, **kwargs))
    assert text.endswith("}\n")
    document: dict[str, Any] = json.loads(text)
    return document


# --- SARIF ------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(repo: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    log = sarif_log(repo, rules_run=("TPR101", "TPR205", "TPR301", "TPR900"))
    errors = [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")


def test_sarif_writes_level_on_every_result_even_the_schema_default(repo: Path) -> None:
    results = sarif_log(repo)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "error", "warning", "note"]


def test_sarif_rules_cover_rules_run_and_results_index_them(repo: Path) -> None:
    run = sarif_log(repo, rules_run=("TPR900", "TPR101"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    # rules_run order first; rules that fired without being listed are appended so every
    # result still has a descriptor to point at.
    assert [rule["id"] for rule in rules] == ["TPR900", "TPR101", "TPR205", "TPR301"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    tpr101 = rules[1]
    assert tpr101["name"] == "grace-period-shorter-than-drain"
    assert tpr101["shortDescription"]["text"] == RULES["TPR101"].summary
    assert tpr101["fullDescription"]["text"] == RULES["TPR101"].rationale
    assert RULES["TPR101"].fix in tpr101["help"]["text"]
    assert RULES["TPR101"].references[0] in tpr101["help"]["markdown"]
    assert tpr101["helpUri"] == RULES["TPR101"].help_uri
    assert tpr101["defaultConfiguration"]["level"] == "error"
    assert rules[0]["defaultConfiguration"]["level"] == "note"
    assert tpr101["properties"]["checklist"] == "shutdown.timeout"
    assert "temporal" in tpr101["properties"]["tags"]


def test_sarif_rules_default_to_the_rules_that_fired(repo: Path) -> None:
    rules = sarif_log(repo)["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["TPR101", "TPR205", "TPR301"]


def test_sarif_locations_are_srcroot_relative(repo: Path) -> None:
    run = sarif_log(repo)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["tool"]["driver"]["name"] == "tprlint"
    assert run["tool"]["driver"]["version"] == "0.1.0"
    physical = run["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "k8s/secret.yaml", "uriBaseId": "%SRCROOT%"}
    worker = run["results"][1]["locations"][0]["physicalLocation"]
    assert worker["region"] == {
        "startLine": 8,
        "startColumn": 7,
        "endLine": 8,
        "endColumn": 40,
        "snippet": {"text": "      terminationGracePeriodSeconds: 30"},
    }


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir" / "wörker#1.yaml").write_text("kind: Deployment\n", encoding="utf-8")
    finding = Finding("TPR101", Severity.ERROR, "m", Location("my dir/wörker#1.yaml", 1, 1))
    result = sarif_log(tmp_path, [finding])["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20dir/w%C3%B6rker%231.yaml"


def test_sarif_related_locations_are_linked_from_the_message(repo: Path) -> None:
    result = sarif_log(repo)["runs"][0]["results"][1]
    assert result["ruleId"] == "TPR101"
    (related,) = result["relatedLocations"]
    assert related["id"] == 1
    assert related["message"]["text"] == "graceful_shutdown_timeout set here"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "worker/main.py"
    assert related["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 14}
    assert result["message"]["text"].endswith("(related: [worker/main.py:4](1))")


def test_sarif_keeps_suppressed_results_with_a_suppression(repo: Path) -> None:
    results = sarif_log(repo)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "# tprlint: ignore[TPR205] single-replica dev deployment"}
    ]


def test_sarif_marks_configuration_suppressions_external(repo: Path) -> None:
    finding = replace(make_findings()[0], suppressed_by="config: per-file-ignores k8s/*")
    (result,) = sarif_log(repo, [finding])["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "external"


def test_sarif_has_partial_fingerprints_and_no_snippet_for_secrets(repo: Path) -> None:
    results = sarif_log(repo)["runs"][0]["results"]
    secret_result = results[0]
    assert secret_result["ruleId"] == "TPR301"
    assert "snippet" not in secret_result["locations"][0]["physicalLocation"]["region"]
    prints = [r["partialFingerprints"]["tprlint/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    assert all(len(fp) == 32 and int(fp, 16) >= 0 for fp in prints)


def test_sarif_output_is_deterministic(repo: Path) -> None:
    ctx = make_ctx(repo)
    assert render("sarif", make_findings(), ctx) == render("sarif", make_findings(), make_ctx(repo))


# --- fingerprints -----------------------------------------------------------------------------


def shifted(findings: list[Finding], by: int) -> list[Finding]:
    def move(loc: Location) -> Location:
        end_line = None if loc.end_line is None else loc.end_line + by
        return replace(loc, line=loc.line + by, end_line=end_line)

    return [
        replace(
            f,
            location=move(f.location),
            related=tuple(replace(r, location=move(r.location)) for r in f.related),
        )
        for f in findings
    ]


def test_fingerprints_survive_a_blank_line_inserted_above(tmp_path: Path) -> None:
    before_root, after_root = tmp_path / "before", tmp_path / "after"
    write_repo(before_root)
    write_repo(after_root, prefix="\n")
    before = make_findings()
    after = shifted(before, 1)

    json_before = json.loads(render("json", before, make_ctx(before_root)))["findings"]
    json_after = json.loads(render("json", after, make_ctx(after_root)))["findings"]
    assert [f["line"] + 1 for f in json_before] == [f["line"] for f in json_after]
    assert [f["fingerprint"] for f in json_before] == [f["fingerprint"] for f in json_after]

    sarif_before = sarif_log(before_root, before)["runs"][0]["results"]
    sarif_after = sarif_log(after_root, after)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in sarif_before] == [r["partialFingerprints"] for r in sarif_after]
    assert [f["fingerprint"] for f in json_before] == [
        r["partialFingerprints"]["tprlint/v1"] for r in sarif_before
    ]


def test_fingerprint_follows_the_source_line_when_there_is_no_anchor(repo: Path) -> None:
    finding = Finding("TPR205", Severity.WARNING, "m", Location("worker/main.py", 4, 5))
    ctx = make_ctx(repo)
    (original,) = fingerprints([finding], ctx)
    assert len(original) == 32 and int(original, 16) > 0
    # Re-indenting is not a new finding; changing the offending code is.
    (repo / "worker/main.py").write_text(FILES["worker/main.py"].replace("    worker =", "\tworker  ="))
    assert fingerprints([finding], make_ctx(repo)) == [original]
    (repo / "worker/main.py").write_text(FILES["worker/main.py"].replace("'orders'", "'payments'"))
    assert fingerprints([finding], make_ctx(repo)) != [original]


def test_identical_findings_in_one_file_get_distinct_fingerprints(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = Worker()\nx = Worker()\n", encoding="utf-8")
    twins = [Finding("TPR205", Severity.WARNING, "m", Location("a.py", line, 1)) for line in (1, 2)]
    first, second = fingerprints(twins, make_ctx(tmp_path))
    assert first != second


def test_redacted_fingerprint_ignores_the_secret_value(repo: Path) -> None:
    (finding,) = [f for f in make_findings() if f.redact_source]
    (original,) = fingerprints([finding], make_ctx(repo))
    secret_file = repo / "k8s/secret.yaml"
    secret_file.write_text(FILES["k8s/secret.yaml"].replace(SECRET, "rotated-value"), encoding="utf-8")
    assert fingerprints([finding], make_ctx(repo)) == [original]


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("name", FORMATS)
def test_secret_never_appears_in_any_format(repo: Path, name: str, color: bool) -> None:
    # Guard against a vacuous pass: the secret really is on the finding's line.
    (finding,) = [f for f in make_findings() if f.redact_source]
    lines = (repo / finding.location.path).read_text(encoding="utf-8").splitlines()
    assert SECRET in lines[finding.location.line - 1]
    output = render(name, make_findings(), make_ctx(repo, color=color))
    assert output
    assert SECRET not in output


# --- github -----------------------------------------------------------------------------------


def test_github_commands_are_escaped_exactly(repo: Path) -> None:
    findings = make_findings()
    findings.append(
        Finding("TPR205", Severity.NOTE, "50%", Location("odd, path:x.py", 2, 3, end_column=9))
    )
    lines = render("github", findings, make_ctx(repo)).splitlines()
    assert lines == [
        (
            "::error file=k8s/secret.yaml,line=4,col=21,endLine=4,endColumn=40,"
            "title=TPR301 api-key-in-manifest::a Temporal API key is stored in plain text"
        ),
        (
            "::error file=k8s/worker.yaml,line=8,col=7,endLine=8,endColumn=40,"
            "title=TPR101 grace-period-shorter-than-drain::terminationGracePeriodSeconds (30 s) is "
            "shorter than graceful_shutdown_timeout (300 s)%0Arelated: worker/main.py:4: "
            "graceful_shutdown_timeout set here"
        ),
        (
            "::warning file=worker/main.py,line=4,col=14,title=TPR205 worker-without-identity::"
            "replicas: 1, want 2\\nsee docs\\r100%25 sure"  # the input's own line breaks, shown escaped
        ),
        (
            "::notice file=odd%2C path%3Ax.py,line=2,col=3,endColumn=9,"
            "title=TPR205 worker-without-identity::50%25"
        ),
    ]


def test_github_is_empty_without_findings(repo: Path) -> None:
    assert render("github", [], make_ctx(repo)) == ""


# --- concise ----------------------------------------------------------------------------------


def test_concise_prints_one_line_per_unsuppressed_finding(repo: Path) -> None:
    assert render("concise", make_findings(), make_ctx(repo)) == (
        "k8s/secret.yaml:4:21: TPR301 [error] a Temporal API key is stored in plain text\n"
        "k8s/worker.yaml:8:7: TPR101 [error] terminationGracePeriodSeconds (30 s) is shorter "
        "than graceful_shutdown_timeout (300 s)\n"
        "worker/main.py:4:14: TPR205 [warning] replicas: 1, want 2\\nsee docs\\r100% sure\n"
    )
    assert render("concise", [], make_ctx(repo)) == "All checks passed!\n"


# --- json -------------------------------------------------------------------------------------


def test_json_document_shape(repo: Path) -> None:
    text = render("json", make_findings(), make_ctx(repo))
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert document["version"] == 1
    assert document["tool"] == {"name": "tprlint", "version": "0.1.0"}
    assert document["summary"] == {
        "files": 3,
        "findings": 3,
        "suppressed": 1,
        "by_severity": {"error": 2, "warning": 1, "note": 0},
        "fail_on": "error",
        "not_checked": [],
    }
    findings = document["findings"]
    assert [f["rule"] for f in findings] == ["TPR301", "TPR101", "TPR205", "TPR205"]
    assert set(findings[1]) == {
        "rule", "name", "severity", "checklist", "message", "path", "line", "column",
        "end_line", "end_column", "related", "suppressed", "suppressed_by", "fingerprint", "items", "baseline",
        "in_diff",
    }
    assert findings[1]["items"] == ["shutdown.timeout"]  # TPR101 is evidence against that item
    assert findings[0]["items"] == ["sec.tls"]
    assert set(document) == {"version", "tool", "summary", "findings", "checklist"}
    assert findings[1]["related"] == [
        {"path": "worker/main.py", "line": 4, "column": 14, "message": "graceful_shutdown_timeout set here"}
    ]
    assert findings[1]["checklist"] == "shutdown.timeout"
    assert findings[1]["name"] == "grace-period-shorter-than-drain"
    assert findings[2]["message"] == TRICKY_MESSAGE
    assert findings[2]["end_line"] is None
    assert [f["suppressed"] for f in findings] == [False, False, False, True]
    assert findings[3]["suppressed_by"].startswith("# tprlint: ignore[TPR205]")
    assert findings[0]["suppressed_by"] is None


def test_json_with_no_findings(repo: Path) -> None:
    document = json.loads(render("json", [], make_ctx(repo)))
    assert document["findings"] == []
    assert document["summary"]["by_severity"] == {"error": 0, "warning": 0, "note": 0}


# --- console ----------------------------------------------------------------------------------


def test_console_plain_output_has_frames_and_summary(repo: Path) -> None:
    output = render("console", make_findings(), make_ctx(repo))
    assert "\x1b" not in output
    lines = output.splitlines()
    header = lines.index("k8s/worker.yaml:8:7  TPR101 [error] grace-period-shorter-than-drain")
    assert lines[header + 1 : header + 9] == [
        "  terminationGracePeriodSeconds (30 s) is shorter than graceful_shutdown_timeout (300 s)",
        "    6 │   template:",
        "    7 │     spec:",
        "  > 8 │       terminationGracePeriodSeconds: 30",
        "      │       " + "^" * len("terminationGracePeriodSeconds: 30"),
        "    9 │       containers:",
        "  ↳ worker/main.py:4  graceful_shutdown_timeout set here",
        "  help: The pod grace period must outlast the worker's graceful shutdown timeout.",
    ]
    assert lines[header + 9].strip() == "(tprlint explain TPR101)"
    assert "  (source not shown: it contains a credential)" in lines
    # The suppressed finding is left out but counted.
    assert "suppressed for a reason" not in output
    assert lines[-1] == "Found 2 errors, 1 warning (3 files scanned, 1 suppressed)."
    table = lines[lines.index(next(line for line in lines if line.startswith("Rule"))) :]
    assert any(line.split() == ["TPR205", "worker-without-identity", "warning", "1"] for line in table)
    assert all(line == line.rstrip() for line in lines)


def test_console_underlines_the_token_when_no_end_is_known(repo: Path) -> None:
    finding = Finding("TPR205", Severity.WARNING, "m", Location("worker/main.py", 4, 14))
    lines = render("console", [finding], make_ctx(repo)).splitlines()
    target = lines.index("  > 4 │     worker = Worker(client, task_queue='orders')")
    assert lines[target + 1] == "      │              ^^^^^^"


def test_console_uses_colour_only_when_asked(repo: Path) -> None:
    assert "\x1b[" in render("console", make_findings(), make_ctx(repo, color=True))


def test_console_when_everything_passes(repo: Path) -> None:
    assert render("console", [], make_ctx(repo)) == "All checks passed! (3 files scanned)\n"
    only_suppressed = [f for f in make_findings() if f.is_suppressed]
    assert render("console", only_suppressed, make_ctx(repo)).splitlines()[-1] == (
        "All checks passed! (3 files scanned, 1 suppressed)"
    )


def test_console_neutralises_escape_sequences_from_scanned_files(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("kind: Pod  # \x1b]0;pwned\x07\x1b[2J\n", encoding="utf-8")
    finding = Finding("TPR205", Severity.WARNING, "m\x1b[31m", Location("evil.yaml", 1, 1))
    output = render("console", [finding], make_ctx(tmp_path, color=False))
    assert "\x1b" not in output
    assert "kind: Pod" in output
