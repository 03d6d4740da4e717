"""Whether a module's text may hold a credential that ``clients.extract_clients`` would report,
decided from its bytes, without parsing it.

Following imports parses the modules of the Temporal code's import closures for which this says yes, so
that TPR302 judges every module the Temporal code imports without parsing the others. It must be a
superset of what the extractor reports - a module it turns down is never judged - and cheap on the
modules it turns down, which are most of them. So it looks for what every credential the extractor
reports has, and for nothing finer:

- a PEM block (``-----BEGIN`` or ``KEY-----``);
- a URL with a user and a password (``://``, then a ``:`` before an ``@`` within a few kilobytes, with
  no blank between them but where implicit concatenation joins two parts of a string);
- a name whose last word ``clients.secret_kind`` accepts (``DB_PASSWORD``, ``temporalApiKey``,
  ``"api/key"``), followed by what may bind a value to it: ``=``, ``+=``, ``:=``, ``in`` (a loop over a
  literal), an annotation (``token: str = ...``), or, after a quoted name, ``:`` (a dict key) or ``,``
  (an environment read's default). Not ``==``, a call, an attribute, a name among others
  (``getattr(token, ...)``), a parameter's bare annotation (``token: Any,``) or a class (``class
  Token:``).

Where the value is (this line, the next, after a comment) does not matter. Escapes and look-alike
characters in names, keys and URLs (``"pass\\x77ord"``, fullwidth letters) are not decoded: a
credential written to hide from review is beyond any reading of the text. Every step looks a bounded
distance ahead, and a text with more candidates than ``MAX_LOOKS`` is simply said to qualify: hostile
input costs a linear scan, never a quadratic one.
"""

from __future__ import annotations

import re

MAX_LOOKS = 20_000  # names looked at before the module is parsed anyway
MAX_URL_LOOKS = 2_000  # `://` looked at before the module is parsed anyway
_URL_WINDOW = 4096  # a user and password longer than this (a JWT as the password) are not looked for

# A name's last word: what `secret_kind` decides on. Not followed by an ASCII letter or digit, which
# would start another word (`TOKEN_URL`, `apiKeyValue`); separators and non-ASCII may follow (`API_KEY_`).
# Searched in the lower-cased text (same offsets): first a cheap search for the words' stems, then, at
# each, the whole word - and for `key` and `cert` the word before it, which must qualify them
# (`SECRET_KEY`, `API__KEY`, `"Secret Key"`, `client_cert`), separated by what a name or a key may hold,
# not by what ends one (`client_secret=KEY`).
_STEMS = re.compile(rb"key|cert|pass|pwd|secret|token|cred")
_WORD = {
    b"pass": re.compile(rb"pass(?:word|wd|phrase)(?![a-z0-9])"),
    b"pwd": re.compile(rb"pwd(?![a-z0-9])"),
    b"secret": re.compile(rb"secret(?![a-z0-9])"),
    b"token": re.compile(rb"token(?![a-z0-9])"),
    b"cred": re.compile(rb"credentials?(?![a-z0-9])"),
    b"key": re.compile(rb"key(?![a-z0-9])"),
    b"cert": re.compile(rb"cert(?:ificate)?(?![a-z0-9])"),
}
_SEPARATORS = rb"""[^a-z0-9\n=(){}\[\],'"]{0,16}"""
_QUALIFIER = {
    b"key": re.compile(rb"(?:api|private|secret|access|signing|encryption|auth|master)" + _SEPARATORS + rb"\Z"),
    b"cert": re.compile(rb"client" + _SEPARATORS + rb"\Z"),
}
# After the name: the rest of a string key (`"Password:"`, `"token!"`), its closing quotes and bracket,
# blanks (or a backslash continuation), then what follows. Not a comparison (`token != x`, `TOKEN >= y`).
_BINDING = re.compile(
    rb"""(?:[^A-Za-z0-9'"=:,+<>!\[\](){}\s]|[<>!](?=[^=\s])){0,8}(?:[ \t]{1,8}(?=['"]))?"""
    rb"""(?P<quoted>['"]{1,3})?\]?"""
    rb"[ \t\r]{0,80}(?:\\\r?\n[ \t\r]{0,80})?"
    rb"(?:(?P<binds>=(?!=)|\+=|:=)|(?P<loop>in\b)|(?P<comma>,)|(?P<colon>:))"
)
_LITERAL = re.compile(rb"""\s{0,40}(?:default[ \t]{0,20}=[ \t]{0,20})?\(?\s{0,40}[rbuRBU]{0,2}['"]""")
# A value that is certainly no string: a constant or an environment read that ends the expression
# (``os.getenv("K")``: reading the environment is the fix) - not one continued on the next line inside
# brackets (``os.environ.get("K")`` then ``or "..."``). After a dict key, also a list, a dict (its keys
# are judged by names of their own) or a bare name among others (after `=`, a name may be resolved to
# the literal it holds).
_ENV_KEY = rb"""\s{0,20}['"][^'"\n]{0,160}['"]\s{0,20}"""
_ENDS = (rb"(?=[ \t]{0,20}(?:#[^\n]{0,400})?(?:[,)\]};]|\Z"
         rb"|\r?\n(?![ \t]{0,80}(?:or\b|and\b|if\b|else\b|[-+%*/.\[(|&@<>=!])))|\r?\n\Z)")
_CONSTANT = (rb"[ \t]{0,20}(?:True|False|None|-?[0-9][\w.]{0,40}"
             rb"|(?:os\.)?(?:getenv|environ\.get)\(" + _ENV_KEY + rb"\)|(?:os\.)?environ\[" + _ENV_KEY + rb"\])"
             + _ENDS)
_NO_STRING = re.compile(_CONSTANT)
_NO_STRING_FOR_A_KEY = re.compile(_CONSTANT + rb"|[ \t]{0,20}(?:[\[{]|[A-Za-z_][\w.]{0,80}[ \t]{0,20}[,})\]])")
# After a bare name's `:`: an annotation (`token: str = ...`), unless it is a bare type before `,` or `)`
# (a parameter without a default, `token: Any,`); or a quote (`"Password:": ...`).
_ANNOTATION = re.compile(rb"""[ \t]{0,20}(?:['"]|[A-Za-z_])""")
_BARE_NAME = re.compile(rb"[ \t]{0,20}[A-Za-z_][\w.]{0,80}(?:\[[^\[\]\n]{0,80}\])?[ \t]{0,20}[,)]")
# Quotes and the blanks between two parts of an implicitly concatenated string.
_JOINS = re.compile(rb"""['"]\s*['"]""")


def may_hold_a_credential(data: bytes) -> bool:
    """Whether ``data`` (a Python module's text) may hold a credential ``extract_clients`` reports."""
    if b"-----BEGIN" in data or b"KEY-----" in data or _url_with_password(data):
        return True
    lowered = data.lower()
    for looks, stem in enumerate(_STEMS.finditer(lowered)):
        if looks >= MAX_LOOKS:
            return True
        end = _secret_name_end(lowered, stem.start(), stem.group())
        if end:
            found = _BINDING.match(data, end)
            if found is not None and _binds(data, found):
                return True
    return False


def _secret_name_end(lowered: bytes, start: int, stem: bytes) -> int:
    """Where the secret name whose last word starts at ``start`` ends; 0 when it is none."""
    word = _WORD[stem].match(lowered, start)
    if word is None:
        return 0
    qualifier = _QUALIFIER.get(stem)
    if qualifier is not None and qualifier.search(lowered, max(0, start - 32), start) is None:
        return 0  # `cache_key`, `server_root_ca_cert`: a key or certificate of nothing secret
    return word.end()


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
    """`scheme://user:password@host` in a literal, maybe split by implicit concatenation: a `:` then an
    `@` after `://`, with no blank between them but where one part of a string ends and the next begins."""
    start, looks = data.find(b"://"), 0
    while start >= 0:
        looks += 1
        if looks > MAX_URL_LOOKS:
            return True
        at = data.find(b"@", start + 3, start + 3 + _URL_WINDOW)
        if at > 0:
            userinfo = _JOINS.sub(b"", data[start + 3:at])
            if b":" in userinfo and not any(blank in userinfo for blank in (b" ", b"\t", b"\n", b"\r")):
                return True
        start = data.find(b"://", start + 3)
    return False
