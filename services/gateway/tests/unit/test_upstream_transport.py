"""The gateway's upstream requests go over aiohttp: what the rest of the gateway sees is still httpx's, its
answers and its failures (the 503 naming the service, compose's `unavailable` rest on httpx.HTTPError)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from gateway.adapters.upstream import AiohttpTransport
from gateway.main import NoCookies

ANSWER = (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nSet-Cookie: session=alice; Path=/\r\n"
          b"Content-Length: 11\r\n\r\n{\"id\": \"x\"}")


@asynccontextmanager
async def service(answer: Callable[[bytes], bytes | None]) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A service on a free port: each request (head and body) is kept; `answer` gives the bytes sent back, or
    None to close the connection without answering."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                           if line.startswith(b"content-length:")), 0)
            seen.append(head + await reader.readexactly(length))
            out = answer(seen[-1])
            if out is None:
                break
            writer.write(out)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen


def client(timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=AiohttpTransport(keepalive_seconds=1), timeout=timeout, cookies=NoCookies())


async def test_a_request_and_its_answer_travel_whole_and_no_cookie_goes_back():
    async with service(lambda _: ANSWER) as (url, seen), client() as http:
        r = await http.post(f"{url}/repair-orders", params={"store": "s 1"}, json={"vin": "V1"},
                            headers={"authorization": "Bearer t", "traceparent": "00-ab-cd-01"})
        again = await http.get(f"{url}/repair-orders/x")
    assert (r.status_code, r.reason_phrase, r.json(), r.headers["content-type"]) == (
        201, "Created", {"id": "x"}, "application/json")
    assert again.status_code == 201
    first = seen[0].decode().lower()
    assert first.startswith("post /repair-orders?store=s+1 http/1.1")
    assert "authorization: bearer t" in first and "traceparent: 00-ab-cd-01" in first
    assert first.endswith('{"vin":"v1"}')
    assert "cookie" not in seen[1].decode().lower().replace("set-cookie", "")  # alice's cookie stays home


async def test_a_refused_connection_is_httpx_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/vehicles")


async def test_a_service_that_does_not_answer_in_time_is_httpx_read_timeout():
    async with service(lambda _: b"") as (url, _), client(timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{url}/vehicles")


async def test_a_connection_closed_without_an_answer_is_an_httpx_error():
    async with service(lambda _: None) as (url, _), client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(f"{url}/vehicles")
