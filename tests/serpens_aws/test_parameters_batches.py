"""``SSMParameterStore.get_parameters`` asks for ten names per request, each name once.

``GetParameters`` takes at most ten names: 25 names are three requests (10, 10, 5), in
the order given, on moto's server; botocore's ``provide-client-params`` event shows each request's
names (the store's own client, nothing replaced).
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3

from serpens_aws import SSMParameterStore


def test_25_names_are_three_requests_of_at_most_ten_names_each(moto_endpoint: str) -> None:
    prefix = f"/batches/{uuid.uuid4().hex}"
    names = [f"{prefix}/p{i:02d}" for i in range(25)]
    setup = boto3.client("ssm", endpoint_url=moto_endpoint)
    try:
        for name in names[::2]:  # every other name exists
            setup.put_parameter(Name=name, Value=name[-3:], Type="String", Overwrite=True)
    finally:
        setup.close()
    asked: list[list[str]] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        asked.append(list(params["Names"]))

    store = SSMParameterStore(endpoint_url=moto_endpoint)
    store.client.meta.events.register("provide-client-params.ssm.GetParameters", note)
    try:
        found = store.get_parameters(names)
    finally:
        store.client.close()
    assert found == {name: name[-3:] for name in names[::2]}
    assert asked == [names[:10], names[10:20], names[20:]]
