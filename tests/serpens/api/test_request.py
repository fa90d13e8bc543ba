from __future__ import annotations

import copy
import pickle

import pytest

from serpens import api
from tests.serpens.api.events import ORIGIN, alb_event, http_event, rest_event

ALL_SOURCES = [
    pytest.param(rest_event, "rest", id="rest-v1"),
    pytest.param(http_event, "http", id="http-v2"),
    pytest.param(alb_event, "alb", id="alb"),
]


class TestAttrDict:
    def test_keys_are_attributes_and_nested_dicts_too(self) -> None:
        data = api.AttrDict({"user": {"id": 1, "roles": [{"name": "admin"}]}})
        assert data.user.id == 1
        assert data.user.roles[0].name == "admin"
        assert data["user"]["id"] == 1

    @pytest.mark.parametrize(
        "read",
        [
            pytest.param(lambda d: d["b"], id="item"),
            pytest.param(lambda d: d.b, id="attribute"),
            pytest.param(lambda d: d.nested["b"], id="nested-item"),
            pytest.param(lambda d: api.Headers(d).b, id="headers-attribute"),
            pytest.param(lambda d: api.Headers(d)["B"], id="headers-item"),
        ],
    )
    def test_a_missing_key_is_both_a_key_error_and_an_attribute_error(self, read) -> None:
        data = api.AttrDict({"a": 1, "nested": {}})
        with pytest.raises(KeyError) as info:
            read(data)
        assert isinstance(info.value, AttributeError)  # serpens 2.9: a plain object
        assert getattr(data, "b", None) is None
        assert not hasattr(data, "b")

    def test_vars_gives_a_plain_dict_of_the_items(self) -> None:
        data = api.AttrDict({"a": 1, "user": {"id": 2}})
        assert vars(data) == data.__dict__ == {"a": 1, "user": {"id": 2}}
        assert type(vars(data)) is dict
        assert vars(data.user) == {"id": 2}

    def test_attribute_assignment_and_deletion_change_the_items(self) -> None:
        data = api.AttrDict({"a": 1})
        data.extra = 2
        assert data == {"a": 1, "extra": 2}
        del data.a
        assert data == {"extra": 2}
        with pytest.raises(AttributeError):
            del data.a
        with pytest.raises(KeyError):
            del data["a"]

    def test_equals_a_dict_iterates_and_keeps_dict_methods(self) -> None:
        data = api.AttrDict({"get": "value", "items": "5", "a": 1})
        assert data == {"get": "value", "items": "5", "a": 1}
        assert list(data) == ["get", "items", "a"]
        assert data.get("a") == 1
        assert data["get"] == "value"
        assert data["items"] == "5"  # a key named like a dict method: item access only
        assert callable(data.items)

    def test_copies_and_pickles_stay_attr_dicts(self) -> None:
        data = api.AttrDict({"user": {"id": 2}})
        for twin in (copy.copy(data), copy.deepcopy(data), pickle.loads(pickle.dumps(data))):
            assert type(twin) is api.AttrDict
            assert twin.user.id == 2

    def test_headers_are_case_insensitive(self) -> None:
        headers = api.Headers({"Content-Type": "application/json", "X-Api-Key": "k"})
        assert headers["content-type"] == headers["CONTENT-TYPE"] == "application/json"
        assert headers.get("x-API-key") == "k"
        assert headers.x_api_key == "k"
        assert "Content-type" in headers
        assert headers.get("missing", "d") == "d"
        with pytest.raises(KeyError):
            headers["missing"]

    @pytest.mark.parametrize(
        "write",
        [
            pytest.param(lambda h: h.__setitem__("X-Trace", "1"), id="setitem"),
            pytest.param(lambda h: h.setdefault("X-Trace", "1"), id="setdefault"),
            pytest.param(lambda h: h.update({"X-Trace": "1"}), id="update-mapping"),
            pytest.param(lambda h: h.update([("X-Trace", "1")]), id="update-pairs"),
            pytest.param(lambda h: h.update(X_TRACE="1"), id="update-keywords"),
            pytest.param(lambda h: h.__ior__({"X-TRACE": "1"}), id="ior"),
            pytest.param(lambda h: setattr(h, "x_trace", "1"), id="attribute"),
            pytest.param(lambda h: setattr(h, "X_Trace", "1"), id="attribute-mixed-case"),
        ],
    )
    def test_every_header_write_is_case_insensitive(self, write) -> None:
        headers = api.Headers({"Content-Type": "application/json"})
        write(headers)
        (key,) = set(headers) - {"Content-Type"}  # the name as written (attributes: hyphens)
        assert key.lower() in {"x-trace", "x_trace"}  # the keyword form keeps "_"
        assert dict(headers) == {"Content-Type": "application/json", key: "1"}
        assert headers[key.upper()] == headers.get(key.title()) == headers[key.lower()] == "1"
        assert key.upper() in headers
        assert headers.x_trace == "1"
        write(headers)  # a second write keeps the first name
        assert dict(headers) == {"Content-Type": "application/json", key: "1"}

    def test_header_removal_is_case_insensitive(self) -> None:
        headers = api.Headers({"X-Trace": "1", "X-Span": "2", "Content-Type": "text/plain"})
        del headers["X-TRACE"]
        assert headers.pop("X-Span") == "2"
        assert headers.pop("X-Span", None) is None
        del headers.content_type
        assert headers == {}
        with pytest.raises(KeyError):
            del headers["X-Trace"]
        with pytest.raises(AttributeError):
            del headers.x_trace

    def test_header_attribute_assignment_replaces_the_existing_header(self) -> None:
        headers = api.Headers({"Content-Type": "application/json"})
        headers.content_type = "text/plain"
        headers["CONTENT-TYPE"] = "text/csv"
        assert headers == {"Content-Type": "text/csv"}  # the name as first given


class TestRequest:
    @pytest.mark.parametrize(("build", "source"), ALL_SOURCES)
    def test_every_source_exposes_the_same_request(self, build, source) -> None:
        request = api.Request(build())
        assert request.source == source
        assert request.method == "POST"
        assert request.raw_path == "/users/42"
        assert request.body == {"name": "Mike", "age": 18}
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers.origin == ORIGIN
        assert request.query.q == "a b"
        assert request.multi_headers["x-api-key"] == ["k1"]

    @pytest.mark.parametrize(
        ("event", "expected"),
        [
            pytest.param(rest_event(), "2", id="rest-v1"),
            pytest.param(http_event(), "1,2", id="http-v2"),
            pytest.param(alb_event(), "2", id="alb"),
            pytest.param(alb_event(multi_value=True), "2", id="alb-multi-value"),
        ],
    )
    def test_a_repeated_query_parameter_is_the_integrations_own_value(
        self, event, expected
    ) -> None:
        """``?page=1&page=2``: HTTP APIs join the values with commas, REST and ALB send the
        last one; ``query`` gives what the integration sent, as serpens 2.9 did."""
        assert api.Request(event).query.page == expected

    def test_http_api_query_without_query_string_parameters_joins_like_api_gateway(
        self,
    ) -> None:
        event = {**http_event(raw_query="tag=a&tag=b&q=x+y"), "queryStringParameters": None}
        assert api.Request(event).query == {"tag": "a,b", "q": "x y"}

    @pytest.mark.parametrize(
        "event",
        [
            pytest.param(rest_event(), id="rest-v1"),
            pytest.param(http_event(), id="http-v2"),
            pytest.param(alb_event(multi_value=True), id="alb-multi-value"),
        ],
    )
    def test_repeated_query_parameters_keep_every_value(self, event) -> None:
        assert api.Request(event).multi_query.page == ["1", "2"]

    @pytest.mark.parametrize(("build", "source"), ALL_SOURCES)
    def test_base64_bodies_are_decoded(self, build, source) -> None:
        request = api.Request(build(body='{"ok": true}', base64_body=True))
        assert request.body == {"ok": True}

    @pytest.mark.parametrize(("build", "source"), ALL_SOURCES)
    def test_binary_base64_bodies_stay_bytes(self, build, source) -> None:
        payload = bytes(range(256))
        request = api.Request(build(body=payload, headers={}, base64_body=True))
        assert request.body == payload

    def test_alb_multi_value_mode_is_decoded(self) -> None:
        request = api.Request(alb_event(multi_value=True))
        assert request.headers["content-type"] == "application/json"
        assert request.query.q == "a b"
        assert request.multi_query.page == ["1", "2"]

    def test_rest_path_identity_and_authorizer_are_attr_dicts(self) -> None:
        request = api.Request(rest_event())
        assert request.path.user_id == "42"
        assert request.identity.sourceIp == "203.0.113.7"
        assert request.authorizer.claims.sub == "user-1"
        assert request.request_id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def test_http_api_identity_and_jwt_authorizer(self) -> None:
        request = api.Request(http_event())
        assert request.path.user_id == "42"
        assert request.identity.sourceIp == "203.0.113.7"
        assert request.identity.userAgent == "curl/8.0"
        assert request.authorizer.jwt.claims.sub == "user-1"

    def test_missing_parts_are_empty(self) -> None:
        request = api.Request({"httpMethod": "GET"})
        assert request.path == {}
        assert request.query == {}
        assert request.headers == {}
        assert request.identity == {}
        assert request.authorizer == {}
        assert request.body == ""

    def test_non_json_text_body_without_json_content_type_stays_text(self) -> None:
        request = api.Request(
            rest_event(body="plain words", headers={"Content-Type": "text/plain"})
        )
        assert request.body == "plain words"

    def test_json_body_with_text_content_type_is_still_parsed(self) -> None:
        request = api.Request(rest_event(body='{"a": 1}', headers={"Content-Type": "text/plain"}))
        assert request.body == {"a": 1}

    def test_malformed_json_with_json_content_type_is_a_400(self) -> None:
        request = api.Request(rest_event(body="{not json"))
        with pytest.raises(api.HTTPError) as info:
            _ = request.body
        assert info.value.status == 400

    def test_json_nested_too_deeply_is_a_400(self) -> None:
        request = api.Request(rest_event(body="[" * 100_000 + "]" * 100_000))
        with pytest.raises(api.HTTPError) as info:
            _ = request.body
        assert (info.value.status, info.value.message) == (400, "JSON body nested too deeply")

    def test_direct_invocation_with_a_dict_body(self) -> None:
        request = api.Request({"body": {"name": "Mike"}})
        assert request.body == {"name": "Mike"}

    def test_request_id_falls_back_to_the_lambda_context(self) -> None:
        class Context:
            aws_request_id = "lambda-req-1"

        assert api.Request({}, Context()).request_id == "lambda-req-1"
