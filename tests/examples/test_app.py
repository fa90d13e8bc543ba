"""Unit tests of the HTTP API, served in-process on the fakes."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import httpx

from orders_service.app import create_app
from orders_service.container import Memory
from orders_service.settings import Settings
from serpens.idempotency import fingerprint_of


async def test_post_order_returns_it_with_the_messages_it_sent(api: httpx.AsyncClient) -> None:
    response = await api.post("/orders", json={"customer": "ana", "sku": "kettle", "quantity": 2})

    assert response.status_code == 201
    body = response.json()
    assert body["order"] == {
        "id": 1,
        "customer": "ana",
        "sku": "kettle",
        "quantity": 2,
        "unit_price_cents": 3490,
        "total_cents": 6980,
        "status": "paid",
    }
    assert body["price_cached"] is False
    assert body["event_id"]
    assert body["fulfilment_id"]
    assert (await api.get("/orders/1")).json() == body["order"]


async def test_pay_later_then_payment(api: httpx.AsyncClient) -> None:
    new = {"customer": "cleo", "sku": "tea", "quantity": 1, "pay_now": False}
    created = (await api.post("/orders", json=new)).json()["order"]
    assert created["status"] == "awaiting_payment"

    paid = await api.post(f"/orders/{created['id']}/payment")

    assert paid.json()["status"] == "paid"


async def test_product_lookup_reports_cache_hits(api: httpx.AsyncClient, memory: Memory) -> None:
    first = (await api.get("/products/mug")).json()
    second = (await api.get("/products/mug")).json()

    assert (first["cached"], second["cached"]) == (False, True)
    assert (
        first["product"]
        == second["product"]
        == {
            "sku": "mug",
            "name": "Stoneware mug",
            "unit_price_cents": 1200,
        }
    )
    assert memory.pricing_app.state.lookups == ["mug"]


async def test_serpens_errors_become_http_statuses(api: httpx.AsyncClient) -> None:
    missing = await api.get("/orders/99")
    unknown = await api.post("/orders", json={"customer": "a", "sku": "nope"})
    invalid = await api.post("/orders", json={"customer": "", "sku": "tea", "quantity": 0})

    assert (missing.status_code, missing.json()) == (404, {"error": "Order id=99"})
    assert unknown.status_code == 404
    assert invalid.status_code == 422
    assert [f["field"] for f in invalid.json()["fields"]] == ["quantity", "customer"]


async def test_unreachable_pricing_service_is_503(memory: Memory) -> None:
    app = create_app(Settings(pricing_url="http://elsewhere.local"), memory=memory)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            response = await client.post("/orders", json={"customer": "a", "sku": "tea"})

    assert response.status_code == 503


class TestIdempotencyKey:
    """``POST /orders`` with an ``Idempotency-Key``: a client's retry places nothing twice."""

    NEW: ClassVar[dict[str, object]] = {"customer": "ana", "sku": "tea", "quantity": 2}

    async def test_a_retry_gets_the_first_answer_and_places_nothing(
        self, api: httpx.AsyncClient, memory: Memory
    ) -> None:
        headers = {"Idempotency-Key": "checkout-7"}
        first = await api.post("/orders", json=self.NEW, headers=headers)
        retry = await api.post("/orders", json=self.NEW, headers=headers)
        other = await api.post("/orders", json=self.NEW, headers={"Idempotency-Key": "checkout-8"})

        assert (first.status_code, retry.status_code, other.status_code) == (201, 201, 201)
        assert retry.json() == first.json()
        assert (first.json()["order"]["id"], other.json()["order"]["id"]) == (1, 2)
        async with asyncio.timeout(5):
            while len(memory.publisher.published) < 2:  # noqa: ASYNC110 - the relay's task
                await asyncio.sleep(0.01)
        events = {m.attributes["event-id"] for m in memory.publisher.published}
        assert events == {first.json()["event_id"], other.json()["event_id"]}  # one per order
        assert len(memory.queue.pending_bodies()) == 2

    async def test_the_key_with_another_order_is_refused(self, api: httpx.AsyncClient) -> None:
        headers = {"Idempotency-Key": "checkout-7"}
        await api.post("/orders", json=self.NEW, headers=headers)
        changed = await api.post("/orders", json={**self.NEW, "quantity": 3}, headers=headers)

        assert changed.status_code == 422
        assert "'checkout-7'" in changed.json()["error"]
        assert (await api.get("/orders/2")).status_code == 404

    async def test_a_retry_while_the_first_call_runs_is_told_when_to_come_back(
        self, api: httpx.AsyncClient, memory: Memory
    ) -> None:
        payload = fingerprint_of({**self.NEW, "pay_now": True})
        await memory.idempotency.claim("checkout-7", lease=30.0, fingerprint=payload)

        running = await api.post(
            "/orders", json=self.NEW, headers={"Idempotency-Key": "checkout-7"}
        )

        assert running.status_code == 409
        assert running.headers["Retry-After"] == "30"
        assert (await api.get("/orders/1")).status_code == 404

    async def test_a_failed_call_frees_its_key(self, api: httpx.AsyncClient) -> None:
        headers = {"Idempotency-Key": "checkout-7"}
        unknown = await api.post("/orders", json={**self.NEW, "sku": "nope"}, headers=headers)
        placed = await api.post("/orders", json=self.NEW, headers=headers)

        assert (unknown.status_code, placed.status_code) == (404, 201)

    async def test_a_key_past_the_stores_limit_is_named(self, api: httpx.AsyncClient) -> None:
        response = await api.post("/orders", json=self.NEW, headers={"Idempotency-Key": "k" * 2000})

        assert response.status_code == 422
        assert [f["field"] for f in response.json()["fields"]] == ["key"]
        assert (await api.get("/orders/1")).status_code == 404
