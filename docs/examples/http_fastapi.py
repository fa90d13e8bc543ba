"""A FastAPI service sharing one httpx.AsyncClient through serpens.http_client."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from httpx import AsyncClient

from serpens.http_client import close_client, get_client, init_client


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await init_client(headers={"User-Agent": "my-service/1.0"})  # timeout: HTTP_CLIENT_TIMEOUT
    yield
    await close_client()


app = FastAPI(lifespan=lifespan)


@app.get("/proxy")
async def proxy(client: Annotated[AsyncClient, Depends(get_client)]) -> Any:
    upstream = os.environ.get("UPSTREAM_URL", "https://example.com")
    response = await client.get(f"{upstream}/echo", params={"from": "proxy"})
    response.raise_for_status()
    return response.json()
