"""The live probe (``tprlint probe``, ``tprlint PATHS --probe``): read-only looks at a running Temporal
server and Kubernetes cluster.

The probe only observes: ``temporal_probe`` and ``kubernetes_probe`` fill a ``LiveSnapshot`` (plain
dataclasses, ``snapshot``), and the live rules (``tprlint.rules.live_temporal``, ``live_kubernetes``) judge
it as pure functions, like every other rule. A recorded snapshot (``--record``, and the ``live`` of a rule
example) is judged the same way without a network. ``temporalio`` and ``kubernetes`` (the ``live`` extra)
are imported only when a probe runs.
"""

# The live rules' ids: TPR7xx judge the Temporal server, TPR8xx the Kubernetes cluster.
LIVE_RULE_PREFIXES = ("TPR7", "TPR8")


def is_live_rule(rule_id: str) -> bool:
    return rule_id.startswith(LIVE_RULE_PREFIXES)
