"""A client that sends its request headers a line at a time (slowloris) holds a connection and
its memory for as long as it likes: uvicorn sets no limit on the time headers may take. This
HTTP protocol, uvicorn's own with a timer, gives each request `header_timeout_seconds` from its
first byte (or from the connection's opening) to its last header, then answers 408 and closes.
The body's time limit is an ASGI matter (RequestContextMiddleware)."""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings
from app.errors import PROBLEM_JSON, problem

# Written straight to the socket, before any app: the body is the one app.errors builds.
TIMEOUT_BODY = bytes(problem(408, "The request headers did not arrive in time.").body)
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: " + PROBLEM_JSON.encode() + b"\r\n"
    b"content-length: " + str(len(TIMEOUT_BODY)).encode() + b"\r\nconnection: close\r\n\r\n"
    + TIMEOUT_BODY
)


class ClientTimeoutsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout_seconds
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # a later request on a kept-alive connection
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()
