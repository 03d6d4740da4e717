"""Which findings ``--fix`` can probably fix: a cheap text check, for the console's "[*]" marker.

It looks at the rule, the message and the source line the finding points at, and imports nothing beyond
``re``: a normal run must not load libcst. The fixers (``tprlint.fix.apply``) make the final decision and
may still decline (a name bound to something else, a `time.sleep` outside an `async def`).
"""

from __future__ import annotations

import re

from tprlint.model import Finding

SAFE_RULES = frozenset({"TPR210", "TPR601", "TPR602"})
UNSAFE_RULES = frozenset({"TPR101"})

GRACE_WANTED = re.compile(r"Set terminationGracePeriodSeconds to at least (\d+)\.")
STOP_WANTED = re.compile(r"Set `stop_grace_period: (\d+)s` on the service\.")
# `terminationGracePeriodSeconds: 300  # comment`: a plain integer (not a template value, not quoted).
GRACE_LINE = re.compile(r"^[ \t]*terminationGracePeriodSeconds[ \t]*:[ \t]*(?P<value>\d+)[ \t]*(?:#.*)?$")
# `stop_grace_period: 10s`, quoted or not.
STOP_LINE = re.compile(r"""^[ \t]*stop_grace_period[ \t]*:[ \t]*(?P<value>"[^"#]*"|'[^'#]*'|[^\s#'"]+)"""
                       r"""[ \t]*(?:#.*)?$""")
# A block mapping key with nothing after it but a comment: `spec:`, `  shipping-worker:`.
KEY_LINE = re.compile(r"""^(?P<indent>[ ]*)(?P<key>[A-Za-z0-9_.-]+|"[^"]*"|'[^']*')[ \t]*:[ \t]*(?:#.*)?$""")

# TPR210 messages start with the call's short name; these have a `workflow.` replacement.
# Methods of `random.Random` (what `workflow.random()` returns) that the module-level functions mirror; not
# `seed`, `getstate`, `setstate`, which would reseed the workflow's deterministic generator.
RANDOM_METHODS = (
    "random", "randint", "randrange", "randbytes", "getrandbits", "choice", "choices", "shuffle", "sample",
    "uniform", "triangular", "gauss", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
    "gammavariate", "betavariate", "paretovariate", "weibullvariate", "binomialvariate",
)
_CALLS = re.compile(r"`(datetime\.(?:now|utcnow)|time\.time|time\.sleep|uuid\.uuid4|random\.(?:"
                    + "|".join(RANDOM_METHODS) + r"))\(\)`")


# The call chain of a TPR210 message: "(OrderWorkflow.run → is_overdue → datetime.now)".
_CHAIN = re.compile(r"\(([^()]*→[^()]*)\)")


def in_workflow_itself(finding: Finding) -> bool:
    """Whether a TPR210 call sits in the workflow's own code, not in a helper it calls. A helper may be
    shared with code that runs outside any workflow (an API computing the same deadline), where
    `workflow.now()` raises: rewriting it there is an unsafe fix."""
    chain = _CHAIN.search(finding.message)
    return chain is not None and chain.group(1).count("→") == 1


def is_safe_fix(finding: Finding) -> bool:
    return finding.rule_id in SAFE_RULES and (finding.rule_id != "TPR210" or in_workflow_itself(finding))


def is_fixable(finding: Finding, line: str, unsafe: bool = False) -> bool:
    """Can ``--fix`` (with ``unsafe``: ``--fix --unsafe-fixes``) probably fix ``finding``, whose location's
    line is ``line``?"""
    if finding.is_suppressed:
        return False
    rule = finding.rule_id
    if rule == "TPR210":
        if not (unsafe or in_workflow_itself(finding)):
            return False
        named = _CALLS.match(finding.message)
        # The call's last name is at the column: `datetime.now(`, `datetime.datetime.now(`, `now(`.
        at = line[max(0, finding.location.column - 1):]
        return named is not None and re.match(rf"[\w.]*\b{named.group(1).rsplit('.', 1)[1]}\(", at) is not None
    if rule == "TPR601":
        return GRACE_WANTED.search(finding.message) is not None and (
            GRACE_LINE.match(line) is not None or _is_key(line, "spec"))
    if rule == "TPR602":
        return STOP_WANTED.search(finding.message) is not None and (
            STOP_LINE.match(line) is not None or _is_key(line, None))
    if rule == "TPR101" and unsafe:
        return "sets no graceful_shutdown_timeout" in finding.message and "Worker(" in line
    return False


def _is_key(line: str, key: str | None) -> bool:
    match = KEY_LINE.match(line)
    return match is not None and (key is None or match.group("key") == key)
