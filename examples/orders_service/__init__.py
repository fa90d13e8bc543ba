"""An orders service built on serpens ports: the example a new user reads first.

Layout (one concern per module, read in this order):

- :mod:`~orders_service.models`: the ``Order`` table (SQLAlchemy on ``serpens.database.Base``).
- :mod:`~orders_service.pricing`: the pricing service client (``HttpClient`` port) and the
  cached product catalog (``AsyncCache`` port).
- :mod:`~orders_service.messaging`: order-created events (``Publisher`` port) and
  fulfilment requests (``AsyncQueue`` port).
- :mod:`~orders_service.service`: the use cases; it sees only ports.
- :mod:`~orders_service.app`: the FastAPI app; :mod:`~orders_service.consumer`: the Lambda
  SQS consumer that fulfils orders.
- :mod:`~orders_service.settings` and :mod:`~orders_service.container`: the composition
  root, the one place that picks in-memory fakes or production adapters.
- :mod:`~orders_service.upstream`: a stand-in pricing service to run against locally.
"""
