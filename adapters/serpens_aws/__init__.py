"""serpens adapters for AWS (boto3); importing it without `serpens[aws]` names the extra.

- :class:`DynamoDBDocumentStore`: the ``DocumentStore`` port over DynamoDB tables (a
  missing table is a :class:`TableNotFoundError`, also botocore's ``ClientError``).
- :class:`DynamoDBIdempotencyStore`: the ``IdempotencyStore`` port, one conditional
  write per call in one DynamoDB table.
- :class:`SQSQueue` / :class:`AsyncSQSQueue`: the ``Queue`` / ``AsyncQueue`` ports over
  Amazon SQS (:func:`sqs_message_attributes` builds their message attributes).
- :class:`SSMParameterStore` / :class:`SecretsManagerStore`: the ``ParameterStore`` /
  ``SecretStore`` ports (:class:`ParameterNotFoundError` / :class:`SecretNotFoundError`
  are also botocore's ``ClientError``).
"""

from serpens._extras import require

require("boto3", "aws")

# ruff: noqa: E402 - the imports below come after the extra check
from serpens_aws._document import DynamoDBDocumentStore
from serpens_aws._idempotency import DynamoDBIdempotencyStore
from serpens_aws._not_found import (
    ParameterNotFoundError,
    SecretNotFoundError,
    TableNotFoundError,
)
from serpens_aws._parameters import SecretsManagerStore, SSMParameterStore
from serpens_aws._queue import AsyncSQSQueue, SQSQueue, sqs_message_attributes

__all__ = [
    "AsyncSQSQueue",
    "DynamoDBDocumentStore",
    "DynamoDBIdempotencyStore",
    "ParameterNotFoundError",
    "SQSQueue",
    "SSMParameterStore",
    "SecretNotFoundError",
    "SecretsManagerStore",
    "TableNotFoundError",
    "sqs_message_attributes",
]
