"""Secrets masked in httpx's own request log.

httpx logs every request at INFO on the ``httpx`` logger, URL included:
``HTTP Request: GET http://svc:S3CRET@host/ok?token=TKN123 "HTTP/1.1 200 OK"``. A filter
on that logger rewrites the URL arguments through :func:`serpens.errors.mask_url`
(``http://svc:***@host/ok?token=***``) before any handler formats the record. It is
installed once, when serpens builds or wraps a client, and then masks the log lines of
every httpx client in the process; httpx's behaviour is otherwise unchanged. A logger
below INFO never builds the record, so the filter costs nothing then.
"""

from __future__ import annotations

import logging

import httpx

from serpens.errors import mask_url

__all__ = ["mask_request_logs"]

_HTTPX_LOGGER = "httpx"


class _MaskURLs(logging.Filter):
    """Replace each URL argument of an ``httpx`` log record by its masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        return True


def _masked(arg: object) -> object:
    if isinstance(arg, httpx.URL):
        # most URLs hold neither userinfo nor a query: nothing to hide, no regex to run
        return mask_url(str(arg)) if arg.userinfo or arg.query else arg
    if isinstance(arg, str) and "://" in arg:
        return mask_url(arg)
    return arg


_FILTER = _MaskURLs()


def mask_request_logs() -> None:
    """Mask passwords and secret query values in the ``httpx`` logger's records.

    Idempotent: the filter is added to the logger once (``Logger.addFilter`` keeps one
    copy), and again only if something removed it.
    """
    logging.getLogger(_HTTPX_LOGGER).addFilter(_FILTER)
