"""An in-process Google Pub/Sub emulator: a gRPC server on 127.0.0.1 speaking ``google.pubsub.v1``.

It serves the real Publisher and Subscriber services (create/get/delete topic, publish,
create/get/delete subscription, pull, streaming pull, acknowledge, modify ack deadline)
with the message types shipped in google-cloud-pubsub, so the real client talks to it
over a real wire when ``PUBSUB_EMULATOR_HOST`` points at it::

    with InProcessPubSubEmulator() as host:
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        ...  # google.cloud.pubsub_v1 clients created now use the emulator

Unlike gcloud's Java emulator it needs only the ``gcp`` extra. State lives in memory and
survives :meth:`~InProcessPubSubEmulator.stop` / :meth:`~InProcessPubSubEmulator.start`
on the same port, which lets tests take the broker away and bring it back.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace, TracebackType
from typing import Any

from serpens._extras import require
from serpens.testing._pubsub_state import Broker, BrokerError

require("google.pubsub_v1", "gcp")

import grpc  # noqa: E402 - after the extra check so a missing SDK names serpens[gcp]
from google.protobuf import empty_pb2  # noqa: E402
from google.pubsub_v1 import types as gapic  # noqa: E402

__all__ = ["InProcessPubSubEmulator"]

_PB = SimpleNamespace(
    PubsubMessage=gapic.PubsubMessage.pb(),
    ReceivedMessage=gapic.ReceivedMessage.pb(),
)
# gRPC's default 4 MiB receive limit would refuse publishes Pub/Sub accepts (10 MB per
# request, serpens._rules.publisher.MAX_REQUEST_BYTES); the service answers requests up to
# 10 MiB, so accept that much plus framing, and send pulls of any size as Pub/Sub does.
_GRPC_OPTIONS = [
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", 10 * 1024 * 1024 + 64 * 1024),
    ("grpc.max_send_message_length", -1),
]
_STREAM_POLL = 0.2  # seconds between checks of a streaming pull for stop or new leases
_MAX_PULL_WAIT = 30.0  # a pull without deadline waits at most this long for a message


def _pb(proto_plus: Any) -> Any:
    return proto_plus.pb()


class _Servicer:
    """The RPC bodies; each returns a raw protobuf response or aborts with a status."""

    def __init__(self, broker: Broker, stopping: threading.Event) -> None:
        self.broker = broker
        self.stopping = stopping

    @staticmethod
    def _guard(context: grpc.ServicerContext, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except BrokerError as exc:
            context.abort(getattr(grpc.StatusCode, exc.code), exc.message)

    # Publisher ----------------------------------------------------------------------
    def create_topic(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._guard(context, lambda: self.broker.create_topic(request))

    def get_topic(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._guard(context, lambda: self.broker.get_topic(request.topic))

    def delete_topic(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._guard(context, lambda: self.broker.delete_topic(request.topic))
        return empty_pb2.Empty()

    def publish(self, request: Any, context: grpc.ServicerContext) -> Any:
        ids = self._guard(context, lambda: self.broker.publish(request.topic, request.messages))
        return _pb(gapic.PublishResponse)(message_ids=ids)

    # Subscriber ---------------------------------------------------------------------
    def create_subscription(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._guard(context, lambda: self.broker.create_subscription(request))

    def get_subscription(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._guard(context, lambda: self.broker.get_subscription(request.subscription))

    def delete_subscription(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._guard(context, lambda: self.broker.delete_subscription(request.subscription))
        return empty_pb2.Empty()

    def acknowledge(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._guard(context, lambda: self.broker.acknowledge(request.subscription, request.ack_ids))
        return empty_pb2.Empty()

    def modify_ack_deadline(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._guard(
            context,
            lambda: self.broker.modify_ack_deadline(
                request.subscription, request.ack_ids, request.ack_deadline_seconds
            ),
        )
        return empty_pb2.Empty()

    def pull(self, request: Any, context: grpc.ServicerContext) -> Any:
        if request.max_messages <= 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "No max_messages specified")
        remaining = context.time_remaining()
        wait = _MAX_PULL_WAIT if remaining is None else min(_MAX_PULL_WAIT, remaining - 0.05)

        def take() -> Any:
            with self.broker.changed:
                self.broker.check_subscription(request.subscription)
                taken = self.broker.take(request.subscription, request.max_messages)
                if taken or request.return_immediately or wait <= 0:
                    return taken
                box: list[Any] = []

                def ready() -> bool:  # runs under the lock: leases what became deliverable
                    box[:] = self.broker.take(request.subscription, request.max_messages)
                    return bool(box) or self.stopping.is_set()

                self.broker.changed.wait_for(ready, timeout=wait)
                return box

        received = self._guard(context, take)
        return _pb(gapic.PullResponse)(received_messages=received)

    def streaming_pull(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        first = next(requests, None)
        if first is None:
            return
        name = first.subscription
        deadline = self._guard(context, lambda: self.broker.check_subscription(name))
        lease = first.stream_ack_deadline_seconds or deadline
        limit = first.max_outstanding_messages or 1000
        closed = threading.Event()
        self._guard(context, lambda: self._apply(name, first))
        delivered: set[str] = set()  # ack ids sent on this stream, for flow control

        def read() -> None:
            try:
                for request in requests:
                    self._apply(name, request)
            except (grpc.RpcError, BrokerError, ValueError):
                pass  # the client went away or sent an ack id we do not know
            finally:
                closed.set()
                with self.broker.changed:
                    self.broker.changed.notify_all()

        threading.Thread(target=read, name="pubsub-emulator-acks", daemon=True).start()
        response = _pb(gapic.StreamingPullResponse)
        while context.is_active() and not closed.is_set() and not self.stopping.is_set():
            with self.broker.changed:
                try:
                    delivered &= self.broker.leased(name)
                    room = limit - len(delivered)
                    received = self.broker.take(name, room, lease) if room > 0 else []
                except BrokerError as exc:
                    context.abort(getattr(grpc.StatusCode, exc.code), exc.message)
                if not received:
                    self.broker.changed.wait(_STREAM_POLL)
                    continue
                delivered.update(r.ack_id for r in received)
            yield response(received_messages=received)

    def _apply(self, name: str, request: Any) -> None:
        if request.ack_ids:
            self.broker.acknowledge(name, request.ack_ids)
        for ack_id, seconds in zip(
            request.modify_deadline_ack_ids, request.modify_deadline_seconds, strict=False
        ):
            self.broker.modify_ack_deadline(name, [ack_id], seconds)


def _handlers(servicer: _Servicer) -> list[grpc.GenericRpcHandler]:
    def unary(method: Callable[..., Any], request: Any, response: Any) -> Any:
        return grpc.unary_unary_rpc_method_handler(
            method,
            request_deserializer=_pb(request).FromString,
            response_serializer=_pb(response).SerializeToString,
        )

    empty = SimpleNamespace(pb=lambda: empty_pb2.Empty)
    publisher = {
        "CreateTopic": unary(servicer.create_topic, gapic.Topic, gapic.Topic),
        "GetTopic": unary(servicer.get_topic, gapic.GetTopicRequest, gapic.Topic),
        "DeleteTopic": unary(servicer.delete_topic, gapic.DeleteTopicRequest, empty),
        "Publish": unary(servicer.publish, gapic.PublishRequest, gapic.PublishResponse),
    }
    subscriber = {
        "CreateSubscription": unary(
            servicer.create_subscription, gapic.Subscription, gapic.Subscription
        ),
        "GetSubscription": unary(
            servicer.get_subscription, gapic.GetSubscriptionRequest, gapic.Subscription
        ),
        "DeleteSubscription": unary(
            servicer.delete_subscription, gapic.DeleteSubscriptionRequest, empty
        ),
        "Pull": unary(servicer.pull, gapic.PullRequest, gapic.PullResponse),
        "Acknowledge": unary(servicer.acknowledge, gapic.AcknowledgeRequest, empty),
        "ModifyAckDeadline": unary(
            servicer.modify_ack_deadline, gapic.ModifyAckDeadlineRequest, empty
        ),
        "StreamingPull": grpc.stream_stream_rpc_method_handler(
            servicer.streaming_pull,
            request_deserializer=_pb(gapic.StreamingPullRequest).FromString,
            response_serializer=_pb(gapic.StreamingPullResponse).SerializeToString,
        ),
    }
    return [
        grpc.method_handlers_generic_handler("google.pubsub.v1.Publisher", publisher),
        grpc.method_handlers_generic_handler("google.pubsub.v1.Subscriber", subscriber),
    ]


class InProcessPubSubEmulator:
    """A Pub/Sub emulator served from this process on ``host:port`` (port 0: a free one).

    :meth:`start` returns ``"127.0.0.1:PORT"`` for ``PUBSUB_EMULATOR_HOST``; :meth:`stop`
    shuts the server down but keeps topics, subscriptions and messages, and a later
    :meth:`start` serves them again on the same port. Also a context manager.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_workers: int = 16) -> None:
        self._host = host
        self._port = port
        self._max_workers = max_workers
        self._broker = Broker(_PB)
        self._server: grpc.Server | None = None
        self._stopping = threading.Event()

    @property
    def host(self) -> str:
        """``host:port`` to put in ``PUBSUB_EMULATOR_HOST`` (the port is known after start)."""
        return f"{self._host}:{self._port}"

    @property
    def running(self) -> bool:
        """Whether the server is accepting calls."""
        return self._server is not None

    def start(self) -> str:
        """Serve on the configured address and return ``host:port``; a no-op when running."""
        if self._server is not None:
            return self.host
        self._stopping.clear()
        server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix="pubsub-emulator"
            ),
            handlers=_handlers(_Servicer(self._broker, self._stopping)),
            options=_GRPC_OPTIONS,
        )
        port = server.add_insecure_port(f"{self._host}:{self._port}")
        if port == 0:
            raise OSError(f"cannot listen on {self._host}:{self._port}")
        server.start()
        self._port = port
        self._server = server
        return self.host

    def stop(self, grace: float | None = None) -> None:
        """Stop serving (open calls are cancelled after *grace* seconds); state is kept."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        with self._broker.changed:
            self._broker.changed.notify_all()
        server.stop(grace).wait()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"InProcessPubSubEmulator({self.host!r}, {state})"
