"""Start real servers from a script or a test, use them, and stop them."""

import psycopg2
import redis

from serpens.testing import start_postgres, start_redis

with start_postgres() as postgres, start_redis() as cache:
    print(f"postgres from tier {postgres.tier}, redis from tier {cache.tier}")

    connection = psycopg2.connect(postgres.url)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT 40 + 2")
        assert cursor.fetchone() == (42,)
    connection.close()

    client = redis.Redis.from_url(cache.url)
    assert client.ping()
    client.close()
# both servers are stopped and their files removed here
