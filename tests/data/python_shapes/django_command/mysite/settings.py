import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only")
INSTALLED_APPS = ["django.contrib.contenttypes", "orders"]
TEMPORAL_ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
TEMPORAL_NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")
