"""Missing secrets, parameters and tables as both serpens and botocore errors, as 2.9 raised.

serpens 2.9's ``secrets_manager.get``, ``parameters.get`` and ``BaseDocument`` (which
called boto3's DynamoDB ``Table`` directly) let botocore's ``ClientError`` through, so
services wrote ``except ClientError as e:`` and read
``e.response["Error"]["Code"]``. These classes are :class:`~serpens.errors.NotFoundError`
subclasses that are also ``ClientError``, carrying AWS's answer (or, when the store
never asked AWS, the answer its ``GetSecretValue``/``GetParameter`` would have given),
so both ``except`` clauses catch them. Messages name the secret, parameter or table,
never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from botocore.exceptions import ClientError

from serpens.errors import NotFoundError

__all__ = [
    "AWSNotFoundError",
    "ParameterNotFoundError",
    "SecretNotFoundError",
    "TableNotFoundError",
]


class AWSNotFoundError(NotFoundError, ClientError):
    """A :class:`~serpens.errors.NotFoundError` that is also botocore's ``ClientError``.

    ``response`` and ``operation_name`` are botocore's (``response["Error"]["Code"]``);
    ``str()`` is the serpens message.
    """

    CODE: ClassVar[str] = ""
    OPERATION: ClassVar[str] = ""
    AWS_MESSAGE: ClassVar[str] = ""

    def __init__(
        self, message: str, error_response: Mapping[str, Any], operation_name: str
    ) -> None:
        ClientError.__init__(self, dict(error_response), operation_name)  # type: ignore[arg-type]
        self.message = message

    @classmethod
    def answer(cls, message: str) -> Self:
        """The error for a name the store did not find, with the answer AWS gives for it."""
        response = {
            "Error": {"Code": cls.CODE, "Message": cls.AWS_MESSAGE},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return cls(message, response, cls.OPERATION)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.message, self.response, self.operation_name)


class SecretNotFoundError(AWSNotFoundError):
    """A secret that does not exist: ``ResourceNotFoundException`` of ``GetSecretValue``."""

    CODE = "ResourceNotFoundException"
    OPERATION = "GetSecretValue"
    AWS_MESSAGE = "Secrets Manager can't find the specified secret."


class ParameterNotFoundError(AWSNotFoundError):
    """A parameter that does not exist: ``ParameterNotFound`` of ``GetParameter``."""

    CODE = "ParameterNotFound"
    OPERATION = "GetParameter"


class TableNotFoundError(AWSNotFoundError):
    """A DynamoDB table that does not exist: ``ResourceNotFoundException``.

    serpens 2.9's ``BaseDocument.save()``/``get_by_key()`` raised botocore's
    ``ClientError`` with this code (from ``PutItem``/``GetItem``); the store's answer now
    comes from the request that found the table missing (often ``DescribeTable``).
    """

    CODE = "ResourceNotFoundException"
    OPERATION = "DescribeTable"
    AWS_MESSAGE = "Requested resource not found"
