from serpens.database.alembic import assert_single_head, stairway


def test_migrations(postgres_url):
    assert_single_head("alembic")
    stairway("alembic", postgres_url)
