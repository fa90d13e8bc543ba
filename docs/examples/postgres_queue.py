from serpens.database import bind
from serpens_sqlalchemy import PostgresQueue

engine = bind()  # DATABASE_URL, e.g. postgres://app@db/app; or sqlalchemy.create_engine(...)
jobs = PostgresQueue(engine, "jobs", visibility_timeout=60)
jobs.create_table()  # idempotent; run it at deploy time
jobs.send('{"job": 1}')
(job,) = jobs.receive()
assert (job.body, job.receive_count) == ('{"job": 1}', 1)
jobs.ack(job)
