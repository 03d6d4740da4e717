"""Settings from the environment (pydantic-settings), shared by every service."""

from pydantic_settings import BaseSettings


class TemporalSettings(BaseSettings):
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    drain_seconds: int = 180


settings = TemporalSettings()
