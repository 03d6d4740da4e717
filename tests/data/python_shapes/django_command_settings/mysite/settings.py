import os
from datetime import timedelta

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only")
INSTALLED_APPS = ["django.contrib.contenttypes", "orders"]
TEMPORAL_ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
TEMPORAL_NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")

TEMPORAL_WORKER_OPTIONS = {
    "task_queue": "orders",
    "max_concurrent_activities": 20,
    "graceful_shutdown_timeout": timedelta(minutes=3),
}
