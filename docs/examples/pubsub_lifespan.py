"""FastAPI: one AsyncPublisher per process, created and closed by the lifespan."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from google.cloud import pubsub_v1

from serpens.pubsub import AsyncPublisher
from serpens.testing import serve_asgi
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator

ORDERS_TOPIC = "projects/my-project/topics/orders"  # e.g. from Terraform as MY_TOPIC


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.publisher = AsyncPublisher()
    yield
    await app.state.publisher.aclose()  # flush without blocking the loop


app = FastAPI(lifespan=lifespan)


@app.post("/orders/{order_id}")
async def create_order(order_id: int) -> dict[str, str]:
    message_id = await app.state.publisher.publish(ORDERS_TOPIC, {"order_id": order_id})
    return {"message_id": message_id}


if __name__ == "__main__":
    with InProcessPubSubEmulator() as host:
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        pubsub_v1.PublisherClient().create_topic(name=ORDERS_TOPIC)
        with serve_asgi(app) as base_url:  # uvicorn on 127.0.0.1, lifespan included
            response = httpx.post(f"{base_url}/orders/7")
        assert response.status_code == 200
        assert response.json()["message_id"]
