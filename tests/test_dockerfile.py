from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tprlint.facts.dockerfile import DockerfileFacts, parse_dockerfile
from tprlint.model import Location

PATH = "services/orders/Dockerfile"

MULTI_STAGE = """\
# syntax=docker/dockerfile:1.7
ARG PYTHON=3.12
FROM --platform=$BUILDPLATFORM python:${PYTHON}-slim AS build
RUN pip wheel -w /wheels .
CMD ["python", "-m", "build_only"]

FROM python:3.12-slim
COPY --from=build /wheels /wheels
ENTRYPOINT ["tini", "--"]
CMD ["python", "-m", "orders.worker"]
"""


def parse(text: str) -> DockerfileFacts:
    return parse_dockerfile(text, PATH)


def at(line: int, column: int = 1) -> Location:
    return Location(PATH, line, column)


def test_multi_stage_uses_the_last_stage() -> None:
    facts = parse(MULTI_STAGE)
    assert facts.path == PATH
    assert facts.stages == ["python:${PYTHON}-slim", "python:3.12-slim"]
    assert facts.entrypoint == ("tini", "--")
    assert facts.cmd == ("python", "-m", "orders.worker")
    assert (facts.entrypoint_shell_form, facts.cmd_shell_form) == (False, False)
    assert facts.entrypoint_location == at(9)
    assert facts.cmd_location == at(10)


def test_from_resets_command_of_earlier_stage() -> None:
    facts = parse('FROM a AS one\nCMD ["x"]\nENTRYPOINT ["y"]\nFROM b\nRUN true\n')
    assert (facts.entrypoint, facts.cmd, facts.cmd_location, facts.entrypoint_location) == (None, None, None, None)


def test_stage_built_from_an_earlier_stage_inherits_its_config() -> None:
    text = 'FROM python:3.12 AS base\nENV A=1\nCMD ["python", "-m", "app"]\nFROM base AS final\nENV B=2\n'
    facts = parse(text)
    assert facts.cmd == ("python", "-m", "app")
    assert facts.cmd_location == at(3)
    assert facts.env == {"A": "1", "B": "2"}


def test_later_instructions_override_earlier_ones() -> None:
    facts = parse('FROM a\nCMD ["one"]\nCMD ["two"]\nENTRYPOINT ["e1"]\nENTRYPOINT ["e2"]\n')
    assert (facts.cmd, facts.entrypoint) == (("two",), ("e2",))
    assert (facts.cmd_location, facts.entrypoint_location) == (at(3), at(5))


def test_entrypoint_clears_an_inherited_cmd_but_not_one_set_in_the_stage() -> None:
    inherited = parse('FROM a AS base\nCMD ["python", "x.py"]\nFROM base\nENTRYPOINT ["tini", "--"]\n')
    assert inherited.cmd is None and inherited.cmd_location is None
    same_stage = parse('FROM a\nCMD ["python", "x.py"]\nENTRYPOINT ["tini", "--"]\n')
    assert same_stage.cmd == ("python", "x.py")


def test_shell_form_is_stored_as_sh_dash_c() -> None:
    facts = parse("FROM a\nENTRYPOINT exec python -m orders.worker\nCMD --verbose\n")
    assert facts.entrypoint == ("/bin/sh", "-c", "exec python -m orders.worker")
    assert facts.cmd == ("/bin/sh", "-c", "--verbose")
    assert (facts.entrypoint_shell_form, facts.cmd_shell_form) == (True, True)


def test_shell_instruction_changes_the_shell_form_interpreter() -> None:
    facts = parse('FROM a\nSHELL ["/bin/bash", "-lc"]\nCMD python -m w\n')
    assert facts.cmd == ("/bin/bash", "-lc", "python -m w")


@pytest.mark.parametrize(
    ("instruction", "expected_cmd", "shell_form"),
    [
        ('CMD ["python", "-m", "x"]', ("python", "-m", "x"), False),
        ('cmd [ "python" , "-u" ]', ("python", "-u"), False),
        ("CMD []", (), False),
        ("CMD ['python', 'x.py']", ("/bin/sh", "-c", "['python', 'x.py']"), True),  # not JSON: shell form
        ("CMD [1, 2]", ("/bin/sh", "-c", "[1, 2]"), True),
        ('CMD ["python"', ("/bin/sh", "-c", '["python"'), True),
        ("Cmd python app.py", ("/bin/sh", "-c", "python app.py"), True),
    ],
)
def test_exec_and_shell_forms(instruction: str, expected_cmd: tuple[str, ...], shell_form: bool) -> None:
    facts = parse(f"FROM a\n{instruction}\n")
    assert facts.cmd == expected_cmd
    assert facts.cmd_shell_form is shell_form


def test_line_continuations_and_comments_inside_them() -> None:
    text = """\
FROM a
# a comment
  ENTRYPOINT ["python", \\
# interleaved comment
    "-m", \\

    "orders.worker"]
CMD python -m x \\
    --flag
"""
    facts = parse(text)
    assert facts.entrypoint == ("python", "-m", "orders.worker")
    assert facts.entrypoint_location == at(3, 3)
    assert facts.cmd is not None and facts.cmd[2].split() == ["python", "-m", "x", "--flag"]
    assert facts.cmd_location == at(8)


def test_escape_directive_switches_to_backtick() -> None:
    text = '# escape=`\nFROM mcr.microsoft.com/windows\nCMD ["python", `\n  "C:\\\\app\\\\w.py"]\n'
    facts = parse(text)
    assert facts.cmd == ("python", "C:\\app\\w.py")


def test_directive_lookalike_after_an_instruction_is_a_comment() -> None:
    text = 'FROM a\n# escape=`\nCMD ["python", \\\n "x.py"]\n'
    assert parse(text).cmd == ("python", "x.py")


def test_heredoc_bodies_are_not_instructions() -> None:
    text = 'FROM a\nRUN <<EOF\nCMD ["not", "this"]\nEOF\n'
    text += 'RUN cat <<-"PY" > /x.py\n\tENTRYPOINT nope\n\tPY\nCMD ["real"]\n'
    facts = parse(text)
    assert facts.cmd == ("real",)
    assert facts.entrypoint is None
    assert facts.cmd_location == at(8)


def test_env_both_forms_and_workdir() -> None:
    text = 'FROM a\nENV A=1 B="two words" C=\nENV LEGACY a value with spaces\n'
    text += "env D 4\nWORKDIR /app\nWORKDIR src/../pkg\n"
    facts = parse(text)
    assert facts.env == {"A": "1", "B": "two words", "C": "", "LEGACY": "a value with spaces", "D": "4"}
    assert facts.workdir == "/app/pkg"


def test_onbuild_commands_do_not_apply_to_this_image() -> None:
    assert parse('FROM a\nONBUILD CMD ["x"]\n').cmd is None


def test_crlf_line_endings() -> None:
    facts = parse('FROM a\r\nCMD ["python", \\\r\n  "x.py"]\r\n')
    assert facts.cmd == ("python", "x.py")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "FROM", "CMD", "CMD [", "ENTRYPOINT \\", "FROM a\nENV", "FROM a\nENV =x", "\x00\xff", "RUN <<EOF\n"],
)
def test_bad_input_never_raises(text: str) -> None:
    facts = parse(text)
    assert isinstance(facts.stages, list)


_LINES = st.sampled_from(
    ["FROM a AS b", "FROM b", "CMD", 'CMD ["x"', "CMD [\"y\"]", "ENTRYPOINT z \\", "# c", "", "SHELL [1]", "ENV",
     "ENV A", "WORKDIR", "RUN <<E", "E", "# escape=`", "`", "\\", "onbuild", "ARG X=1"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_LINES, max_size=12).map("\n".join)))
def test_arbitrary_text_never_raises(text: str) -> None:
    facts = parse(text)
    for argv in (facts.cmd, facts.entrypoint):
        assert argv is None or all(isinstance(word, str) for word in argv)


# -- which Dockerfile builds an image ------------------------------------------------------------

ROOT = parse_dockerfile('FROM python:3.12\nCMD ["python", "-m", "shop.worker"]\n', "demo-shop/Dockerfile")
NAMED = parse_dockerfile('FROM python:3.12\nCMD ["python", "-m", "reports"]\n', "services/reports-worker/Dockerfile")


@pytest.mark.parametrize(
    ("image", "dockerfiles", "deployed", "expected"),
    [
        # The Dockerfile's folder names the image: linked, whatever else is deployed.
        ("ghcr.io/acme/reports-worker:1.0", [ROOT, NAMED], ["ghcr.io/demo-shop/shop:1"], NAMED),
        # The folder is one of the image's path parts, and only one image name falls back to it.
        ("ghcr.io/demo-shop/shop:0.3.0", [ROOT], ["ghcr.io/demo-shop/shop:0.3.0", "nginx:1.27"], ROOT),
        # Two image names fall back to the same Dockerfile: no evidence which one it builds.
        ("ghcr.io/demo-shop/shop:0.3.0", [ROOT], ["ghcr.io/demo-shop/shop:0.3.0", "ghcr.io/demo-shop/reports:2"],
         None),
        # ... unless the other one has a Dockerfile of its own.
        ("ghcr.io/demo-shop/shop:0.3.0", [ROOT, parse_dockerfile("FROM x\n", "reports/Dockerfile")],
         ["ghcr.io/demo-shop/reports:2"], ROOT),
        # Being the only Dockerfile is not enough.
        ("nginx:1.27", [ROOT], [], None),
    ],
    ids=["named", "folder", "folder-ambiguous", "folder-other-named", "unrelated"],
)
def test_dockerfile_for_image(image: str, dockerfiles: list[DockerfileFacts], deployed: list[str],
                              expected: DockerfileFacts | None) -> None:
    from tprlint.link.workloads import dockerfile_for_image

    assert dockerfile_for_image(image, dockerfiles, deployed) is expected


# Where this reader once differed from BuildKit (measured against the `dockerfile` package, which wraps
# BuildKit's parser): each case is the BuildKit reading.


def test_an_escaped_escape_at_the_end_of_a_line_is_no_continuation() -> None:
    facts = parse('FROM a\nRUN echo C:\\\\\nCMD ["real"]\n')  # `RUN echo C:\\` ends there
    assert facts.cmd == ("real",)
    assert facts.cmd_location == at(3)
    # A line of the escape alone, inside a continuation, continues it.
    assert parse('FROM a\nCMD python -m x \\\n\\\n  --flag\n').cmd == ("/bin/sh", "-c", "python -m x   --flag")


@pytest.mark.parametrize("opening,closing", [
    ("<<END-OF-SCRIPT", "END-OF-SCRIPT"), ("<<setup.sh", "setup.sh"), ('<<"E F"', "E F"), ("3<<EOF", "EOF"),
    ("<<$MARK", "$MARK"),
])
def test_heredoc_names_are_the_rest_of_the_word(opening: str, closing: str) -> None:
    facts = parse(f'FROM a\nRUN cat {opening}\nCMD ["not", "this"]\n{closing}\nCMD ["real"]\n')
    assert facts.cmd == ("real",)
    assert facts.cmd_location == at(5)


@pytest.mark.parametrize("run", ['RUN echo "<<EOF"', "RUN echo '<<EOF'", "RUN echo $((1<<2))", "RUN echo a<<EOF",
                                 'RUN ["sh", "-c", "cat <<EOF"]'])
def test_double_angle_brackets_that_open_no_heredoc(run: str) -> None:
    facts = parse(f'FROM a\n{run}\nCMD ["real"]\n')
    assert facts.cmd == ("real",)


def test_two_heredocs_are_read_one_after_the_other() -> None:
    facts = parse('FROM a\nCOPY <<one <<-two /etc/\nCMD ["no"]\none\n\tCMD ["no"]\n\ttwo\nCMD ["real"]\n')
    assert (facts.cmd, facts.cmd_location) == (("real",), at(7))


def test_directives_after_a_byte_order_mark() -> None:
    assert parse('\ufeff# escape=`\nFROM a\nCMD ["python", `\n  "C:\\\\w.py"]\n').cmd == ("python", "C:\\w.py")


# (Dockerfile, the instructions BuildKit reads: keyword, first line, arguments with blanks collapsed and
# heredoc bodies left out), recorded with the `dockerfile` package 3.4.0.
_BUILDKIT_CASES = [
    ('FROM x\nRUN echo a\\\\\nCMD ["c"]\n',
     [("FROM", 1, "x"), ("RUN", 2, "echo a\\\\"), ("CMD", 3, '["c"]')]),
    ('FROM x\nRUN a \\   \n  b\nCMD ["c"]\n', [("FROM", 1, "x"), ("RUN", 2, "a b"), ("CMD", 4, '["c"]')]),
    ('FROM x\nRUN a \\\n    # note\n\n  b\nCMD ["c"]\n', [("FROM", 1, "x"), ("RUN", 2, "a b"), ("CMD", 6, '["c"]')]),
    ('# escape=`\nFROM x\nRUN dir c:\\\nRUN a `\n  b\nCMD ["c"]\n',
     [("FROM", 2, "x"), ("RUN", 3, "dir c:\\"), ("RUN", 4, "a b"), ("CMD", 6, '["c"]')]),
    ('\n# escape=`\nFROM x\nRUN a `\nCMD ["b"]\n', [("FROM", 3, "x"), ("RUN", 4, "a `"), ("CMD", 5, '["b"]')]),
    ('FROM x\nRUN <<-EOF\n\techo a\n\tEOF\nCOPY <<a <<"b c" /d/\n1\na\n2\nb c\nCMD ["c"]\n',
     [("FROM", 1, "x"), ("RUN", 2, "<<-EOF"), ("COPY", 5, '<<a <<"b c" /d/'), ("CMD", 10, '["c"]')]),
    ('FROM x\nRUN set -e; \\\n  cat <<EOF > /f\nhello\nEOF\nRUN echo "<<EOF" $((1<<2))\nCMD ["c"]\n',
     [("FROM", 1, "x"), ("RUN", 2, "set -e; cat <<EOF > /f"), ("RUN", 6, 'echo "<<EOF" $((1<<2))'),
      ("CMD", 7, '["c"]')]),
    ('FROM x\nCMD ["python", \\\n  "-m", "app"]\n', [("FROM", 1, "x"), ("CMD", 2, '["python", "-m", "app"]')]),
]


@pytest.mark.parametrize("text,expected", _BUILDKIT_CASES)
def test_instructions_are_those_buildkit_reads(text: str, expected: list[tuple[str, int, str]]) -> None:
    from tprlint.facts.dockerfile import _instructions

    assert [(i.keyword, i.line, " ".join(i.args.split())) for i in _instructions(text)] == expected
    try:  # an optional check of the recording: BuildKit's own parser, when the `dockerfile` package is there
        import dockerfile  # type: ignore[import-not-found]
    except ImportError:
        return
    read = []
    for command in dockerfile.parse_string(text):
        first = command.original.split("\n")[0] if command.heredocs else command.original
        words = first.split(None, 1)
        read.append((command.cmd.upper(), command.start_line, " ".join(words[1].split()) if len(words) > 1 else ""))
    assert read == expected
