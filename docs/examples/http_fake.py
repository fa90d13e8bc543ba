"""Type against the HttpClient port; test with the in-memory fake, no sockets."""

import asyncio

from serpens.errors import HTTPStatusError
from serpens.fakes import InMemoryHttpClient, InMemoryResponse, RecordedRequest
from serpens.ports import HttpClient


async def customer_name(client: HttpClient, customer_id: int) -> str:
    response = await client.get(f"https://crm.example/customers/{customer_id}")
    response.raise_for_status()
    return str(response.json()["name"])


def crm(request: RecordedRequest) -> InMemoryResponse:
    if request.path == "/customers/1":
        return InMemoryResponse(200, json={"id": 1, "name": "Ana"})
    return InMemoryResponse(404, json={"error": "not found"})


async def main() -> None:
    client = InMemoryHttpClient(crm, base_url="https://crm.example")
    assert await customer_name(client, 1) == "Ana"
    response = await client.get("/customers/2")
    assert response.status_code == 404
    try:
        response.raise_for_status()
    except HTTPStatusError as exc:
        print(exc)  # HTTP 404 from https://crm.example/customers/2
    assert [r.path for r in client.requests] == ["/customers/1", "/customers/2"]
    print("ok")


asyncio.run(main())
