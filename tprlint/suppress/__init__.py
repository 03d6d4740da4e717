"""Suppressions: inline comments, Kubernetes annotations and configuration."""
