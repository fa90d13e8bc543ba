import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import (
    Base,
    async_bind,
    async_dispose,
    fastapi_async_session,
    get_async_engine,
)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    async_bind()  # at startup, never at import time
    yield
    await async_dispose()


app = FastAPI(lifespan=lifespan)
Db = Annotated[AsyncSession, Depends(fastapi_async_session)]


@app.post("/items")
async def create_item(title: str, db: Db) -> dict[str, int]:
    item = Item(title=title)
    db.add(item)
    await db.flush()  # assigns the id; the dependency commits when the handler returns
    return {"id": item.id}


@app.get("/items/{item_id}")
async def read_item(item_id: int, db: Db) -> dict[str, str]:
    item = (await db.scalars(select(Item).filter_by(id=item_id))).first()
    if item is None:
        raise HTTPException(status_code=404)
    return {"title": item.title}


async def main() -> None:
    os.environ.setdefault("DATABASE_URL", "sqlite:///fastapi.db")
    async with lifespan(app):
        async with get_async_engine().begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            created = (await client.post("/items", params={"title": "lamp"})).json()
            response = await client.get(f"/items/{created['id']}")
            assert response.json() == {"title": "lamp"}
            assert (await client.get("/items/999")).status_code == 404


if __name__ == "__main__":
    asyncio.run(main())
