"""The gateway's upstream requests sent over aiohttp, behind httpx's API.

The rest of the gateway (the pass-through, compose, the boards) and its tests speak httpx: tests swap in
`httpx.ASGITransport` or `MockTransport`. Only the wire is aiohttp's: httpx's own transport (httpcore) cost
750-1,200 us of client CPU per GET against a small service where this one costs about half
(docs/performance.md, benchmark 5), and the gateway's three backend GETs of a composed read were 43-49% of its
busy samples.

aiohttp's failures come back as httpx's, so the gateway's 503 naming the service and compose's `unavailable`
keep working: a refused connection is `httpx.ConnectError`, a read that times out `httpx.ReadTimeout`, a
pooled connection the service closed `httpx.RemoteProtocolError`, as httpx's own transport says them.
"""

from __future__ import annotations

import aiohttp
import httpx

# Most specific first: the first match names the failure.
_FAILURES: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # connecting, or waiting for a pooled connection
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a malformed answer
    (aiohttp.ClientOSError, httpx.NetworkError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.TransportError),
)


def as_httpx(error: BaseException, request: httpx.Request) -> httpx.TransportError | None:
    """httpx's name for one of aiohttp's failures (None: not a failure of the request)."""
    for theirs, ours in _FAILURES:
        if isinstance(error, theirs):
            return ours(str(error) or type(error).__name__, request=request)
    return None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One `aiohttp.ClientSession` for every request. Its pool drops a connection idle for
    `keepalive_seconds` (keep it below the services' own keep-alive: reusing a connection the service just
    closed fails the request). No cookie jar (the client serves every caller), no redirects followed, no
    decompression here (httpx decodes by Content-Encoding, as with its own transport), the body read whole."""

    def __init__(self, keepalive_seconds: float, max_connections: int = 100) -> None:
        self._keepalive = keepalive_seconds
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made at the first request: aiohttp binds its session to the running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._keepalive)
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                                  auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        t = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(total=None, connect=t.get("pool"), sock_connect=t.get("connect"),
                                        sock_read=t.get("read"))
        body = await request.aread()
        try:
            async with self._open().request(
                    request.method, str(request.url), headers=request.headers.multi_items(), data=body or None,
                    allow_redirects=False, timeout=timeout) as answer:
                content = await answer.read()
        except (TimeoutError, aiohttp.ClientError) as e:
            raise as_httpx(e, request) or e from e
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": (answer.reason or "").encode()}
        return httpx.Response(answer.status, headers=answer.raw_headers, stream=httpx.ByteStream(content),
                              request=request, extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
