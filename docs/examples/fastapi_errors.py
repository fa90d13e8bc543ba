import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.fastapi import install_exception_handlers
from serpens_sqlalchemy import AsyncRepository, configure_sqlite


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.engine = create_async_engine("sqlite+aiosqlite:///users.db")
    configure_sqlite(app.state.engine)
    async with app.state.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield
    await app.state.engine.dispose()


app = FastAPI(lifespan=lifespan)
install_exception_handlers(app)  # the one line: serpens errors -> 404/409/422/503/504


async def users_repository(request: Request) -> AsyncIterator[AsyncRepository[User]]:
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        yield AsyncRepository(session, User)
        await session.commit()


Users = Annotated[AsyncRepository[User], Depends(users_repository)]


@app.post("/users", status_code=201)
async def create_user(email: str, users: Users) -> dict[str, int]:
    user = await users.add(User(email=email))  # a duplicate raises ConflictError
    return {"id": user.id}


@app.get("/users/{user_id}")
async def read_user(user_id: int, users: Users) -> dict[str, str]:
    return {"email": (await users.get_or_raise(user_id)).email}  # NotFoundError if absent


async def main() -> None:
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            created = await client.post("/users", params={"email": "ana@example.com"})
            assert created.status_code == 201
            again = await client.post("/users", params={"email": "ana@example.com"})
            assert (again.status_code, again.json()) == (409, {"detail": "Conflict"})
            missing = await client.get("/users/999")
            assert (missing.status_code, missing.json()) == (404, {"detail": "Not found"})


if __name__ == "__main__":
    asyncio.run(main())
