"""Hiding credentials wherever tprlint shows or stores text from the scanned tree.

A linter's output ends up in CI logs, pull-request annotations and SARIF uploads, all far more widely
readable than the repository's secrets should be. Whatever a finding is about, a line that tprlint
shows (a code frame, a SARIF snippet) and a text it stores (a cache entry, Helm's error message) has
the values of credentials replaced by ``****``. Masking a value that was not a secret costs a little
context in a code frame; printing one that was costs a rotated key, so this errs on the side of masking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MASK = "****"

# A key names a credential when one of these words is in it...
_SECRET_WORDS = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-.]?key|apikey|private[_\-.]?key|access[_\-.]?key"
    r"|credential|auth[_\-.]?key|signing[_\-.]?key|encryption[_\-.]?key|client[_\-.]?key|dsn",
    re.IGNORECASE,
)
# ...unless it names where the credential lives, or something about it, rather than the credential.
_NOT_A_VALUE = re.compile(
    r"(?:name|names|ref|keyref|file|path|dir|url|uri|env|id|type|kind|enabled|length|ttl|expiry|expires"
    r"|secretname|mount|source|provider|header|endpoint|policy|count|size|timeout)$",
    re.IGNORECASE,
)
# `key: value`, `key = value`, `KEY=value`, `"key": "value"`, `--key=value`, `ENV KEY value` forms.
_ASSIGNMENT = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<close>["']?)(?P<sep>\s*[:=]\s*|\s+(?=["']))"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s,;)}\]#]+)"""
)
# `- name: DB_PASSWORD` followed by `value: ...` (Kubernetes env lists).
_ENV_NAME = re.compile(r"""^\s*-?\s*name\s*:\s*["']?(?P<name>[^"'\s#]+)""")
_ENV_VALUE = re.compile(r"""^(?P<head>\s*-?\s*value\s*:\s*)(?P<value>.+?)\s*$""")
# Values that are references to a secret, not the secret itself.
_REFERENCE = re.compile(r"""^["']?(?:\$\{|\$\(|\{\{|%\(|<[^>]*>["']?$|\*+["']?$)""")
# Credentials recognisable by their shape wherever they appear.
_KNOWN_FORMATS = re.compile(
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|(?:sk|rk)_live_[A-Za-z0-9]{16,}"  # Stripe secret keys
    r"|sk-[A-Za-z0-9_\-]{20,}"  # OpenAI-style keys
    r"|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"  # JWTs (Temporal Cloud API keys)
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s\"']+:)(?P<password>[^@/\s\"']+)(?=@)", re.I)
_CALL = re.compile(r"[(\[]")
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]")
# Dockerfile `ENV NAME value` (the legacy form without `=`).
_DOCKER_ENV = re.compile(r"^(?P<head>\s*(?:ENV|ARG)\s+(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s+)(?P<value>\S.*)$", re.I)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def is_secret_key(name: str) -> bool:
    """Does a key or variable name say that its value is a credential?"""
    if not _SECRET_WORDS.search(name):
        return False
    return not _NOT_A_VALUE.search(name.replace("-", "").replace("_", "").replace(".", ""))


def _mask_value(value: str) -> str:
    if not value or _REFERENCE.match(value):
        return value
    if value[0] in "\"'":
        quote = value[0]
        closed = len(value) > 1 and value.endswith(quote)
        inner = value[1:-1] if closed else value[1:]
        if not inner or _REFERENCE.match(inner):
            return value
        return quote + MASK + (quote if closed else "")
    return MASK


def _mask_assignment(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    value, sep = match.group("value"), match.group("sep")
    in_code = "=" in sep or bool(match.group("close"))  # `key = x` or `"key": x`, not YAML's `key: x`
    if value[0] not in "\"'" and ((sep.startswith((" ", "\t")) and "=" in sep) or _CALL.search(value)
                                  or (in_code and _ATTRIBUTE.match(value))):
        return match.group(0)  # `password = settings.DB_PASSWORD`: code names the secret, it does not hold it
    head = match.group(0)[: match.start("value") - match.start(0)]
    return head + _mask_value(match.group("value"))


def mask_line(line: str, previous: str = "") -> str:
    """``line`` with credential values replaced by ``****``. ``previous`` is the line above it, for the
    two-line Kubernetes form (``- name: DB_PASSWORD`` then ``value: ...``)."""
    key = _PRIVATE_KEY.search(line)
    if key:
        return line[: key.end()] + MASK
    docker = _DOCKER_ENV.match(line)
    if docker and "=" not in docker.group("key") and is_secret_key(docker.group("key")):
        line = docker.group("head") + _mask_value(docker.group("value"))
    masked = _ASSIGNMENT.sub(_mask_assignment, line)
    if previous:
        name = _ENV_NAME.match(previous)
        value = _ENV_VALUE.match(masked)
        if name and value and is_secret_key(name.group("name")):
            masked = value.group("head") + _mask_value(value.group("value"))
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, masked)
    if mentions_mysql_client(masked):
        masked = mask_mysql_password(masked)
    masked = _OPTION_VALUE.sub(_mask_option, masked)
    return _KNOWN_FORMATS.sub(MASK, masked)


def mask_lines(lines: Sequence[str], first: int, last: int) -> list[str]:
    """Lines ``first..last`` (1-based, inclusive) of ``lines``, masked. A line inside a PEM private key
    block is masked whole."""
    shown: list[str] = []
    in_key = _inside_private_key(lines, first)
    for number in range(first, last + 1):
        line = lines[number - 1]
        if "PRIVATE KEY-----" in line:
            in_key = "BEGIN" in line
            shown.append(line)
            continue
        previous = lines[number - 2] if number >= 2 else ""
        shown.append(MASK if in_key and line.strip() else mask_line(line, previous))
    return shown


def _inside_private_key(lines: Sequence[str], before: int) -> bool:
    for number in range(before - 1, max(0, before - 200), -1):
        line = lines[number - 1]
        if "PRIVATE KEY-----" in line:
            return "BEGIN" in line
    return False


def mask_known_values(text: str, values: Iterable[str], min_length: int = 4) -> str:
    """``text`` with each of ``values`` (secrets known by value, e.g. from Helm values files) masked,
    and then with anything that looks like a credential masked as in ``mask_line``."""
    for value in sorted({v for v in values if len(v) >= min_length}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return "\n".join(mask_line(line) for line in text.split("\n"))


# `--db-password VALUE` and `"--db-password", "VALUE"` (a flag, then its value as the next word).
_OPTION_VALUE = re.compile(
    r"""(?P<head>(?P<q>["']?)--?(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)(?P=q)(?:\s*,\s*|\s+))(?P<value>"[^"]*"|'[^']*'|[^\s,\]]+)"""
)


def _mask_option(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("name")) or match.group("value").startswith("-"):
        return match.group(0)
    return match.group("head") + _mask_value(match.group("value"))


# MySQL clients take the password glued to `-p` (`mysqldump -u root -pS3cret db`); `-p` alone prompts, and in
# other tools (pg_dump, ssh) `-p` is a port: masked only on a line that names a MySQL client.
_MYSQL_CLIENTS = ("mysql", "mysqldump", "mysqladmin", "mysqlpump", "mysqlimport", "mysqlcheck", "mysqlshow",
                  "mysqlsh", "mariadb", "mariadb-dump", "mariadb-admin", "mydumper", "myloader")
_MYSQL_NAMED = re.compile(r"(?:^|[\s/'\"])(?:" + "|".join(sorted(_MYSQL_CLIENTS, key=len, reverse=True)) +
                          r")(?=[\s'\"]|$)")
_MYSQL_PASSWORD = re.compile(r"""(?P<head>(?:^|[\s'"=])-p)(?P<value>(?:"[^"]*"|'[^']*'|[^\s'";|&])+)""")


def mentions_mysql_client(text: str) -> bool:
    """Whether ``text`` (a command line, or one word of it) names a MySQL or MariaDB client program."""
    return bool(_MYSQL_NAMED.search(text))


def mask_mysql_password(text: str) -> str:
    """``text`` with the password glued to a MySQL client's `-p` masked (`-p****`); `-p$DB_PASS` is kept."""
    return _MYSQL_PASSWORD.sub(lambda m: m.group(0) if m.group("value").startswith("$") else
                               m.group("head") + _mask_value(m.group("value")), text)


def scrub(value: str, name: str = "") -> str:
    """``value`` as facts may keep it (facts are cached on disk): the whole value masked when ``name``
    says it is a credential, else every credential inside it (URL passwords, tokens of known formats,
    `password=...` pairs, `--password VALUE` options) masked. References (`${X}`, `$(X)`) are kept."""
    if name and is_secret_key(name):
        return _mask_value(value)
    return mask_line(value) if value else value


def scrub_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """A command's words with credentials masked, including the word after a `--password` flag."""
    scrubbed: list[str] = []
    for index, word in enumerate(argv):
        previous = argv[index - 1] if index else ""
        flag = previous.lstrip("-")
        if previous.startswith("-") and "=" not in previous and is_secret_key(flag) and not word.startswith("-"):
            scrubbed.append(_mask_value(word))
        else:
            scrubbed.append(scrub(word))
    return tuple(scrubbed)
