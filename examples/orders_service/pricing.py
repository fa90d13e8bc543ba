"""Products and their prices: the pricing service client and the cached catalog."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import quote

from serpens.errors import NotFoundError, SerializationError
from serpens.ports import AsyncCache, HttpClient, JSONValue

__all__ = ["Catalog", "Lookup", "PricingClient", "Product"]

_NOT_FOUND = 404


@dataclass(frozen=True, slots=True)
class Product:
    """A product as the pricing service describes it."""

    sku: str
    name: str
    unit_price_cents: int

    @classmethod
    def from_json(cls, data: JSONValue) -> Product:
        """Build a product from its JSON form; anything else is a ``SerializationError``."""
        if not isinstance(data, dict):
            raise SerializationError(f"a product is a JSON object, got {type(data).__name__}")
        sku, name, price = data.get("sku"), data.get("name"), data.get("unit_price_cents")
        if not isinstance(sku, str) or not isinstance(name, str) or not isinstance(price, int):
            raise SerializationError("a product needs a str sku and name, an int unit_price_cents")
        return cls(sku=sku, name=name, unit_price_cents=price)

    def to_json(self) -> dict[str, JSONValue]:
        """The JSON form, as cached and as the API returns it."""
        return dict(asdict(self))


class PricingClient:
    """Reads products from the pricing service over any ``HttpClient``.

    Args:
        http: the HTTP client port (httpx in production, the in-memory fake in unit tests).
        base_url: where the pricing service listens, e.g. ``http://pricing.internal``.
    """

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    async def product(self, sku: str) -> Product:
        """Return the product *sku*; ``NotFoundError`` when the pricing service has none.

        Raises:
            NotFoundError: the pricing service does not know *sku*.
            HTTPStatusError: any other non-2xx answer.
            BackendUnavailableError: the pricing service cannot be reached.
        """
        response = await self._http.get(f"{self._base_url}/products/{quote(sku, safe='')}")
        if response.status_code == _NOT_FOUND:
            raise NotFoundError(f"product sku={sku!r}")
        response.raise_for_status()
        return Product.from_json(response.json())


@dataclass(frozen=True, slots=True)
class Lookup:
    """A catalog answer and whether it came from the cache."""

    product: Product
    cached: bool


class Catalog:
    """Product lookups through a cache in front of the pricing service.

    Args:
        pricing: the pricing service client.
        cache: the cache port (Redis in production, in memory in unit tests).
        ttl: seconds a product stays cached.
    """

    def __init__(self, pricing: PricingClient, cache: AsyncCache, *, ttl: float = 300.0) -> None:
        self._pricing = pricing
        self._cache = cache
        self._ttl = ttl

    async def lookup(self, sku: str) -> Lookup:
        """Return product *sku*, asking the pricing service only on a cache miss."""
        fetched = False

        async def fetch() -> JSONValue:
            nonlocal fetched
            fetched = True
            return (await self._pricing.product(sku)).to_json()

        value = await self._cache.get_or_set(f"product:{sku}", fetch, ttl=self._ttl)
        return Lookup(Product.from_json(value), cached=not fetched)
