"""Whether a module's text may hold a credential that ``clients.extract_clients`` would report,
decided from its bytes, without parsing it.

Following imports parses the modules of the Temporal code's import closures for which this says yes, so
that TPR302 judges every module the Temporal code imports without parsing the others. It must be a
superset of what the extractor reports - a module it turns down is never judged - and cheap on the
modules it turns down, which are most of them. So it looks for what every credential the extractor
reports has, and for nothing finer:

- a PEM block (``-----BEGIN``);
- a URL with a user and a password (``://``, then a ``:`` before an ``@`` within a few hundred bytes,
  whatever lies between: implicit concatenation splits URLs anywhere);
- a name whose last word ``clients.secret_kind`` accepts (``DB_PASSWORD``, ``temporalApiKey``,
  ``"api/key"``), followed by what may bind a value to it: ``=``, ``+=``, ``:=``, ``in`` (a loop over a
  literal), an annotation (``token: str = ...``), or, after a quoted name, ``:`` (a dict key) or ``,``
  (an environment read's default). Not ``==``, a call, an attribute, a name among others
  (``getattr(token, ...)``), a parameter's bare annotation (``token: Any,``) or a class (``class
  Token:``).

Where the value is (this line, the next, after a comment) does not matter. Every step looks a bounded
distance ahead, and a text with more candidates than ``MAX_LOOKS`` is simply said to qualify: hostile
input costs a linear scan, never a quadratic one.
"""

from __future__ import annotations

import re

MAX_LOOKS = 20_000  # candidates looked at before the module is parsed anyway
_URL_WINDOW = 300

# A name's last word: what `secret_kind` decides on. Not followed by an ASCII letter or digit, which
# would start another word (`TOKEN_URL`, `apiKeyValue`); separators and non-ASCII may follow (`API_KEY_`).
_SECRET_NAME = re.compile(
    rb"(?i)(?:password|passwd|pwd|passphrase|secret|token|apikey|credentials?"
    rb"|(?:api|private|secret|access|signing|encryption|auth|master)[^a-z0-9\n]{0,3}key"
    rb"|client[^a-z0-9\n]{0,3}cert(?:ificate)?)(?![a-z0-9])"
)
# After the name: the rest of a string key (`"Password:"`, `"token!"`), its closing quotes and bracket,
# blanks, then what follows.
_BINDING = re.compile(
    rb"""[^A-Za-z0-9'"=:,+\[\](){}\n]{0,8}(?P<quoted>['"]{1,3})?\]?[ \t\r]{0,20}"""
    rb"(?:(?P<binds>=(?!=)|\+=|:=)|(?P<loop>in\b)|(?P<comma>,)|(?P<colon>:))"
)
_LITERAL = re.compile(rb"""\s{0,40}(?:default[ \t]{0,20}=[ \t]{0,20})?[rbuRBU]{0,2}['"]""")
# A value that is certainly no string: a constant or an environment read alone (``os.getenv("K")``:
# reading the environment is the fix), a list, a dict (its keys are judged by names of their own). After
# a dict key, a bare name among others too (a name after `=` may be resolved to the literal it holds).
_ENV_KEY = rb"""\s{0,20}['"][^'"\n]{0,160}['"]\s{0,20}"""
_CONSTANT = (rb"[ \t]{0,20}(?:(?:True|False|None|-?[0-9][\w.]{0,40}"
             rb"|(?:os\.)?(?:getenv|environ\.get)\(" + _ENV_KEY + rb"\)|(?:os\.)?environ\[" + _ENV_KEY + rb"\])"
             rb"(?=[ \t]{0,20}(?:[#,)\]};\r\n]|\Z))|[\[{])")
_NO_STRING = re.compile(_CONSTANT)
_NO_STRING_FOR_A_KEY = re.compile(_CONSTANT + rb"|[ \t]{0,20}[A-Za-z_][\w.]{0,80}[ \t]{0,20}[,})\]]")
# After a bare name's `:`: an annotation (`token: str = ...`), unless it is a bare type before `,` or `)`
# (a parameter without a default, `token: Any,`); or a quote (`"Password:": ...`).
_ANNOTATION = re.compile(rb"""[ \t]{0,20}(?:['"]|[A-Za-z_])""")
_BARE_NAME = re.compile(rb"[ \t]{0,20}[A-Za-z_][\w.]{0,80}(?:\[[^\]\n]{0,80}\])?[ \t]{0,20}[,)]")


def may_hold_a_credential(data: bytes) -> bool:
    """Whether ``data`` (a Python module's text) may hold a credential ``extract_clients`` reports."""
    if b"-----BEGIN" in data or _url_with_password(data):
        return True
    for looks, name in enumerate(_SECRET_NAME.finditer(data)):
        if looks >= MAX_LOOKS:
            return True
        found = _BINDING.match(data, name.end())
        if found is not None and _binds(data, found):
            return True
    return False


def _binds(data: bytes, found: re.Match[bytes]) -> bool:
    """Whether what follows a name may bind a literal to it: an assignment or keyword, a loop over a
    literal, a dict key (quoted, then `:` and anything but a constant, list, dict or bare name), an
    environment read's name (quoted, then `,` and a literal default), an annotation with a default. Not
    a parameter's bare annotation, a name among others, a class."""
    after = found.end()
    if found["binds"] is not None:
        return _NO_STRING.match(data, after) is None  # not `TOKEN_TTL = 300`
    if found["loop"] is not None:
        return _LITERAL.match(data, after) is not None  # `for token in "..."`
    if found["quoted"] is not None:
        if found["comma"] is not None:
            return _LITERAL.match(data, after) is not None  # `getenv("API_TOKEN", "...")`
        return _NO_STRING_FOR_A_KEY.match(data, after) is None  # `"password": ...`
    if found["comma"] is not None:
        return False  # `getattr(token, "kind")`, `import merge_token, split_token`
    return _ANNOTATION.match(data, after) is not None and _BARE_NAME.match(data, after) is None


def _url_with_password(data: bytes) -> bool:
    start, looks = data.find(b"://"), 0
    while start >= 0:
        looks += 1
        if looks > MAX_LOOKS:
            return True
        window = data[start + 3:start + 3 + _URL_WINDOW]
        at = window.find(b"@")
        if at > 0 and b":" in window[:at]:
            return True
        start = data.find(b"://", start + 3)
    return False
