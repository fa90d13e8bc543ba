import asyncio

from serpens.cache import acached, cached, clear_acache, clear_cache
from serpens.fakes import InMemoryCache

calls: list[str] = []


@cached("secrets_manager", 900)
def get_secret(secret_id: str, *, version: str = "AWSCURRENT") -> str:
    calls.append(secret_id)
    return f"value-of-{secret_id}@{version}"


assert get_secret("db", version="v1") == get_secret(version="v1", secret_id="db")
assert calls == ["db"]  # keyword order does not change the key
clear_cache("secrets_manager")


class ProductRepo:
    def __init__(self, session: str) -> None:
        self.session = session

    @acached("products", ttl_seconds=600)
    async def get_by_slug(self, slug: str) -> dict[str, str]:
        calls.append(slug)
        await asyncio.sleep(0.01)
        return {"slug": slug, "loaded_by": self.session}


async def main() -> None:
    # Concurrent misses run the query once; instances share entries (self is not in the key).
    results = await asyncio.gather(*(ProductRepo(f"s{n}").get_by_slug("shoe") for n in range(5)))
    assert all(r == {"slug": "shoe", "loaded_by": "s0"} for r in results)
    assert calls.count("shoe") == 1
    clear_acache("products")  # one bucket
    clear_acache()  # everything


asyncio.run(main())

# The fake of the Cache port: JSON semantics like Redis, and a clock you control.
now = [0.0]
fake = InMemoryCache(clock=lambda: now[0])
fake.set("user:42", {"name": "Ana", "roles": ("admin",)}, ttl=60)
assert fake.get("user:42") == {"name": "Ana", "roles": ["admin"]}  # tuples come back as lists
now[0] = 60.0
assert fake.get("user:42") is None  # expired exactly at set time + ttl
print("ok")
