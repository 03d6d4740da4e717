from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKER_")

    temporal_address: str = "localhost:7233"
    task_queue: str = "orders"
    shutdown_timeout: int = 600
    drain: timedelta = Field(default=timedelta(minutes=2), validation_alias="DRAIN_SECONDS")


settings = Settings()
