"""The production checklists and their report: after suppression, every checklist item gets a status
from the findings of the rules behind it, what those rules applied to, what they could not decide, and
what configuration attests.

- ``catalog``: the checklists as data (``checklists/*.toml``), item by item;
- ``subjects``: what each rule applies to, counted in the linked project (a rule that met nothing gives
  no evidence: its item is n/a, not pass);
- ``attest``: ``[tool.tprlint.attest]`` paths, checked to exist and hold something;
- ``status``: the status of each item and the report the outputs render.
"""
