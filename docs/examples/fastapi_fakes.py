import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import ports
from serpens.fakes import AsyncInMemoryRepository
from serpens.fastapi import install_exception_handlers
from serpens_sqlalchemy import AsyncRepository


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)


# --- the application: routes depend on the port, one dependency builds the adapter
app = FastAPI()
install_exception_handlers(app)


async def users_repository(request: Request) -> AsyncIterator[ports.AsyncRepository[User]]:
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        yield AsyncRepository(session, User)
        await session.commit()


Users = Annotated[ports.AsyncRepository[User], Depends(users_repository)]


@app.post("/users", status_code=201)
async def create_user(email: str, users: Users) -> dict[str, int]:
    user = await users.add(User(email=email))
    return {"id": user.id}


# --- a unit test: the fake replaces the adapter; no database, no engine, no lifespan
async def test_a_second_signup_with_the_same_email_is_a_409() -> None:
    users = AsyncInMemoryRepository(User)  # unique constraints come from the metadata
    app.dependency_overrides[users_repository] = lambda: users
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            first = await client.post("/users", params={"email": "ana@example.com"})
            assert (first.status_code, first.json()) == (201, {"id": 1})
            duplicate = await client.post("/users", params={"email": "ana@example.com"})
            assert (duplicate.status_code, duplicate.json()) == (409, {"detail": "Conflict"})
        assert await users.count() == 1
    finally:
        app.dependency_overrides.clear()


if __name__ == "__main__":
    asyncio.run(test_a_second_signup_with_the_same_email_is_a_409())
