import os

from sqlalchemy import create_engine

from serpens_sqlalchemy import PostgresQueue

engine = create_engine(os.environ["DATABASE_URL"])  # postgresql+psycopg2://app@db/app
jobs = PostgresQueue(engine, "jobs", visibility_timeout=60)
jobs.create_table()  # idempotent; run it at deploy time
jobs.send('{"job": 1}')
(job,) = jobs.receive()
assert (job.body, job.receive_count) == ('{"job": 1}', 1)
jobs.ack(job)
engine.dispose()
