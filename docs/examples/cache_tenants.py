import asyncio

from serpens.cache import redis_cached, redis_close, redis_init


class TenantRepo:
    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def __cache_key__(self) -> str:  # what identifies this instance in a Redis key
        return self.tenant_id

    @redis_cached("plans", ttl=600, skip_self=False)  # self stays in the key
    async def plan(self, account: int) -> dict[str, object]:
        return {"tenant": self.tenant_id, "account": account}


async def main() -> None:
    await redis_init()
    try:
        assert await TenantRepo("acme").plan(1) == {"tenant": "acme", "account": 1}
        assert await TenantRepo("globex").plan(1) == {"tenant": "globex", "account": 1}
    finally:
        await redis_close()
    print("ok")


asyncio.run(main())
