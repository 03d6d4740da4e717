"""tprlint: a production-readiness linter for Temporal deployments."""

__version__ = "0.1.0"
