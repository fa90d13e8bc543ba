import asyncio
import json

from serpens import api

# Cold start: objects bound to an event loop on first use (httpx.AsyncClient,
# redis.asyncio clients, async SQLAlchemy engines, asyncio primitives) live at module level.
cache_lock = asyncio.Lock()
cache: dict[str, int] = {}


@api.async_handler
async def count_visits(request: api.Request):
    async with cache_lock:
        await asyncio.sleep(0)  # stands in for an awaited client call
        page = request.path.page
        cache[page] = cache.get(page, 0) + 1
        return {"page": page, "visits": cache[page]}


# count_visits is a plain function to the Lambda runtime: it is called, not awaited,
# and every warm invocation runs on the same event loop as the first one.
event = {"version": "2.0", "rawPath": "/pages/home", "pathParameters": {"page": "home"}}
first = count_visits(event, None)
second = count_visits(event, None)
assert json.loads(first["body"]) == {"page": "home", "visits": 1}
assert json.loads(second["body"]) == {"page": "home", "visits": 2}


# Inside a running event loop (an async test, an ASGI bridge) the call is awaited, as in
# serpens 2.9, and runs on that loop; .invoke() is the same coroutine, precisely typed.
async def main() -> None:
    response = await count_visits(event, None)  # type: ignore[misc]
    assert json.loads(response["body"])["visits"] == 3
    typed = await count_visits.invoke(event, None)
    assert json.loads(typed["body"])["visits"] == 4


asyncio.run(main())
