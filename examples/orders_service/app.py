"""The orders HTTP API (FastAPI).

Run it with ``uvicorn orders_service.app:app``; the settings are read when the app
starts (its lifespan), never at import, and the lifespan opens the composition root.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders_service.container import Memory, open_container
from orders_service.service import OrderService
from orders_service.settings import Settings
from serpens.errors import BackendError, NotFoundError, ValidationError

__all__ = ["app", "create_app"]


class NewOrder(BaseModel):
    """The body of ``POST /orders``."""

    customer: str
    sku: str
    quantity: int = 1
    pay_now: bool = True


def _service(request: Request) -> OrderService:
    service: OrderService = request.app.state.container.service
    return service


Service = Annotated[OrderService, Depends(_service)]


def create_app(settings: Settings | None = None, *, memory: Memory | None = None) -> FastAPI:
    """Build the API; *settings* default to ``Settings.from_env()`` at startup.

    Args:
        settings: the configuration; read from the environment when the app starts.
        memory: fakes to share with a test (only with ``adapters="memory"``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_container(settings or Settings.from_env(), memory=memory) as container:
            app.state.container = container
            yield

    app = FastAPI(title="orders", lifespan=lifespan)
    _add_error_handlers(app)

    @app.post("/orders", status_code=201)
    async def place_order(new: NewOrder, service: Service) -> dict[str, object]:
        placed = await service.place(
            customer=new.customer, sku=new.sku, quantity=new.quantity, pay_now=new.pay_now
        )
        return {
            "order": placed.order.to_dict(),
            "price_cached": placed.price_cached,
            "event_id": placed.event_id,
            "fulfilment_id": placed.fulfilment_id,
        }

    @app.get("/orders/{order_id}")
    async def get_order(order_id: int, service: Service) -> dict[str, object]:
        return (await service.get(order_id)).to_dict()

    @app.post("/orders/{order_id}/payment")
    async def pay_order(order_id: int, service: Service) -> dict[str, object]:
        return (await service.pay(order_id)).to_dict()

    @app.get("/products/{sku}")
    async def get_product(sku: str, service: Service) -> dict[str, object]:
        lookup = await service.catalog.lookup(sku)
        return {"product": lookup.product.to_json(), "cached": lookup.cached}

    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Map serpens errors to HTTP answers; their messages never carry secrets."""

    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=404)

    @app.exception_handler(ValidationError)
    async def invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        fields = [{"field": e.path, "message": e.message} for e in exc.errors]
        return JSONResponse({"error": str(exc), "fields": fields}, status_code=422)

    @app.exception_handler(BackendError)
    async def unavailable(_request: Request, exc: BackendError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)


app = create_app()
