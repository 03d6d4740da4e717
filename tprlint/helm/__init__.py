"""Helm charts: found among the scanned files, rendered with real Helm, and mapped back to the
chart's templates and values files. Importing this package loads no Helm library.

- ``discover``: which folders are charts, their dependencies, the values files that apply.
- ``values``: a chart's merged values with the position of every key (``merged_values``).
- ``render``: ``helm template`` or the ``helm-python-sdk`` library, in a child process; cache keys.
- ``sources``: rendered fields → template lines and the ``.Values`` keys behind them.
- ``stage``: the pipeline stage (facts of rendered objects, TPR002).
- ``variants``: charts whose defaults fail, rendered with their chart-testing ``ci/`` values files.
"""
