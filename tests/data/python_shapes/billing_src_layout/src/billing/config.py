"""Deployment knobs. Every value can be overridden from the environment."""

import os
from datetime import timedelta

TEMPORAL_ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "temporal-frontend:7233")
TASK_QUEUE = os.getenv("BILLING_TASK_QUEUE", "billing")
LONGEST_ACTIVITY_SECONDS = 240
SHUTDOWN_GRACE = timedelta(seconds=int(os.environ.get("BILLING_DRAIN_SECONDS", LONGEST_ACTIVITY_SECONDS + 60)))
