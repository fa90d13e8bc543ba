"""The orders HTTP API (FastAPI).

Run it with ``uvicorn orders_service.app:app``; the settings are read when the app
starts (its lifespan), never at import, and the lifespan opens the composition root.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders_service.container import Memory, open_container
from orders_service.service import OrderService
from orders_service.settings import Settings
from serpens.errors import (
    BackendError,
    ConflictError,
    InProgressError,
    KeyReusedError,
    NotFoundError,
    ValidationError,
)
from serpens.idempotency import idempotent
from serpens.ports import IdempotencyStore

__all__ = ["IDEMPOTENCY_LEASE", "IDEMPOTENCY_TTL", "app", "create_app"]

IDEMPOTENCY_TTL = 24 * 3600.0
"""Seconds a ``POST /orders`` with an ``Idempotency-Key`` is answered again from its result."""
IDEMPOTENCY_LEASE = 60.0
"""Seconds a ``POST /orders`` may run before a retry of its key may run it again."""


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
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
PlaceOnce = Callable[[str, OrderService, NewOrder], Awaitable[dict[str, object]]]


async def _place(service: OrderService, new: NewOrder) -> dict[str, object]:
    """Place *new*; the answer of ``POST /orders``."""
    placed = await service.place(
        customer=new.customer, sku=new.sku, quantity=new.quantity, pay_now=new.pay_now
    )
    return {
        "order": placed.order.to_dict(),
        "price_cached": placed.price_cached,
        "event_id": placed.event_id,
        "fulfilment_id": placed.fulfilment_id,
    }


def _place_once(store: IdempotencyStore) -> PlaceOnce:
    """:func:`_place` once per ``Idempotency-Key``: a retry gets the first answer."""

    # The three take the same arguments (the key function and the fingerprint read theirs).
    def key_of(key: str, service: OrderService, new: NewOrder) -> str:  # noqa: ARG001
        return key

    def payload_of(key: str, service: OrderService, new: NewOrder) -> object:  # noqa: ARG001
        return new.model_dump()  # the same key with another order is refused (422)

    @idempotent(
        store, key=key_of, fingerprint=payload_of, lease=IDEMPOTENCY_LEASE, ttl=IDEMPOTENCY_TTL
    )
    async def place(key: str, service: OrderService, new: NewOrder) -> dict[str, object]:  # noqa: ARG001
        return await _place(service, new)

    return place


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
            app.state.place_once = _place_once(container.idempotency)
            yield

    app = FastAPI(title="orders", lifespan=lifespan)
    _add_error_handlers(app)

    @app.post("/orders", status_code=201)
    async def place_order(
        new: NewOrder, service: Service, request: Request, idempotency_key: IdempotencyKey = None
    ) -> dict[str, object]:
        """Place an order; with an ``Idempotency-Key`` a retry answers as the first call did."""
        if idempotency_key is None:
            return await _place(service, new)
        place_once: PlaceOnce = request.app.state.place_once
        return await place_once(idempotency_key, service, new)

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

    @app.exception_handler(ConflictError)
    async def conflict(_request: Request, exc: ConflictError) -> JSONResponse:
        headers = {}
        if isinstance(exc, InProgressError):  # the same key's first call is still running
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return JSONResponse({"error": str(exc)}, status_code=409, headers=headers)

    @app.exception_handler(KeyReusedError)
    async def key_reused(_request: Request, exc: KeyReusedError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(BackendError)
    async def unavailable(_request: Request, exc: BackendError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)


app = create_app()
