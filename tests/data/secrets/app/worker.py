from temporalio.client import Client
from temporalio.worker import Worker

API_KEY = "SEC-pyconst-19-abcdefgh"
DB_URL = "postgres://u:SEC-pyurl-20@db.prod/x"

async def main():
    client = await Client.connect("prod.tmprl.cloud:7233", api_key="SEC-pykw-21-xyzxyzxyz", namespace="p")
    worker = Worker(client, task_queue="q", workflows=[])
    await worker.run()
