"""A stand-in for the pricing service, to run the orders service without the real one.

``examples/run.py`` serves it on 127.0.0.1 with uvicorn; the in-memory wiring serves
it in-process through ``serpens.fakes.InMemoryHttpClient``. Either way the orders
service talks to it over the ``HttpClient`` port, exactly as to the real one.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from orders_service.pricing import Product

__all__ = ["PRODUCTS", "create_pricing_app"]

PRODUCTS: Mapping[str, Product] = {
    "tea": Product("tea", "Green tea, 100 g", 450),
    "kettle": Product("kettle", "Kettle, 1.7 l", 3490),
    "mug": Product("mug", "Stoneware mug", 1200),
}


def create_pricing_app(products: Mapping[str, Product] = PRODUCTS) -> FastAPI:
    """A pricing service answering ``GET /products/{sku}``.

    ``app.state.lookups`` lists the SKUs asked for, in order, so a caller can see how
    often the cache in front of it was missed.
    """
    app = FastAPI(title="pricing (local stand-in)")
    app.state.lookups = []

    @app.get("/products/{sku}")
    async def product(sku: str) -> JSONResponse:
        app.state.lookups.append(sku)
        found = products.get(sku)
        if found is None:
            return JSONResponse({"error": f"unknown sku {sku!r}"}, status_code=404)
        return JSONResponse(found.to_json())

    return app
