"""A service still on yoyo: DATABASE_URL is set, its migrations are in ./migrations."""

from pathlib import Path

from serpens import migrations

Path("migrations").mkdir(exist_ok=True)
Path("migrations/0001.create-users.sql").write_text("CREATE TABLE users (id int, name text);\n")
Path("migrations/0001.create-users.rollback.sql").write_text("DROP TABLE users;\n")

assert migrations.pending() == ["0001.create-users"]  # DATABASE_URL, ./migrations
assert migrations.migrate() == ["0001.create-users"]  # returns the ids applied
assert migrations.migrate() == []  # nothing left to apply
assert migrations.rollback(count=1) == ["0001.create-users"]  # undo the last one
# Lambda: Handler: serpens.migrations.migrate_handler (MIGRATIONS_PATH, default "migrations")
assert migrations.migrate_handler({}, None) == {"applied": ["0001.create-users"]}
