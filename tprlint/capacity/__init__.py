"""Capacity planning from a declared workload profile (issue 14, item 7).

``profile`` reads the ``capacity`` table of the configuration, ``units`` parses its durations and
Kubernetes quantities, ``plan`` combines the profile with what the scan knows (Worker slots, replicas,
pod resources, database storage, retention), ``render`` prints the plan and ``command`` is
``tprlint capacity``. The rules TPR950-TPR953 (``tprlint.rules.capacity``) judge the same plan.
"""
