"""serpens adapters for AWS (boto3); importing it without `serpens[aws]` names the extra."""

from serpens._extras import require

require("boto3", "aws")

# ruff: noqa: E402 - the imports below come after the extra check
from serpens_aws._document import DynamoDBDocumentStore
from serpens_aws._not_found import ParameterNotFoundError, SecretNotFoundError
from serpens_aws._parameters import SecretsManagerStore, SSMParameterStore
from serpens_aws._queue import AsyncSQSQueue, SQSQueue, sqs_message_attributes

__all__ = [
    "AsyncSQSQueue",
    "DynamoDBDocumentStore",
    "ParameterNotFoundError",
    "SQSQueue",
    "SSMParameterStore",
    "SecretNotFoundError",
    "SecretsManagerStore",
    "sqs_message_attributes",
]
