from temporalio import activity


@activity.defn
async def send_email(address: str, body: str) -> None:
    activity.logger.info("mail to %s (%d bytes)", address, len(body))


@activity.defn
async def send_push(device: str, body: str) -> None:
    activity.logger.info("push to %s", device)
