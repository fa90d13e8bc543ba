import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serpens.http_client import close_client, get_client, init_client


async def price(request: Request) -> JSONResponse:
    return JSONResponse({"sku": request.path_params["sku"], "cents": 1250})


upstream_app = Starlette(routes=[Route("/prices/{sku}", price)])


async def main() -> None:
    await init_client(transport=httpx.ASGITransport(upstream_app), base_url="http://upstream")
    try:
        response = await get_client().get("/prices/abc")  # code under test uses the shared client
        assert response.json() == {"sku": "abc", "cents": 1250}
    finally:
        await close_client()


asyncio.run(main())
