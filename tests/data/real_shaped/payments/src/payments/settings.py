from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "payments"
    shutdown_seconds: int = Field(default=120, description="how long in-flight activities may finish")


settings = Settings()
