"""An httpx transport on aiohttp's connection pool, for the CrowdTwist client.

httpx stays the client's API (requests, responses, timeouts, streaming); only the wire is
aiohttp's. httpcore's pool walks every pooled connection on each request (a readability
``select`` per idle one), so its cost grows with the pool; aiohttp's connector hands out an
idle connection per host from a queue, whatever its size. aiohttp is already here (Bolt, the
server), so this adds no dependency.

aiohttp's failures are raised as the httpx exceptions httpcore raises for the same event, so
callers' retry rules and typed errors hold whichever transport is under them:

* connection refused, DNS failure (``ClientConnectorError``) → ``ConnectError``;
* connect timeout (``ConnectionTimeoutError``) → ``ConnectTimeout``;
* read timeout (``SocketTimeoutError``, ``TimeoutError``) → ``ReadTimeout``;
* hung up before or while answering (``ServerDisconnectedError``), body cut short
  (``ClientPayloadError``), garbled HTTP → ``RemoteProtocolError``;
* reset, broken pipe (``ClientOSError``, ``OSError``) → ``ReadError``;
* anything else from aiohttp → ``TransportError``.

Content-Encoding is left to httpx (aiohttp does not decompress), so a bad gzip body is still
httpx's ``DecodingError``.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import aiohttp
import httpx
from yarl import URL

__all__ = ["AiohttpTransport"]

_CHUNK = 64 * 1024


def _mapped(exc: BaseException) -> httpx.TransportError | None:
    """The httpx exception httpcore would raise for ``exc``; None if it is not a wire failure."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError
        | aiohttp.ClientPayloadError
        | aiohttp.ClientResponseError
        | aiohttp.http_exceptions.HttpProcessingError,
    ):
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientOSError | aiohttp.ClientConnectionError | OSError):
        return httpx.ReadError(message)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientError):
        return httpx.TransportError(message)
    return None


class _Body(httpx.AsyncByteStream):
    """An aiohttp response body as httpx's stream; closing it frees the connection."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._response.content.iter_chunked(_CHUNK).__aiter__()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:  # CancelledError is a BaseException: it passes through
                mapped = _mapped(exc)
                if mapped is None:
                    raise
                raise mapped from exc
            yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read whole; closed otherwise.
        self._response.release()


@functools.lru_cache(maxsize=16)  # a client sends the same timeouts on every request
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """httpx's pool / connect / read timeouts as aiohttp's (it has no write timeout)."""
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one ``aiohttp.ClientSession`` (made on first use).

    ``max_connections`` bounds the pool; ``keepalive_seconds`` is how long an idle connection
    is kept. Redirects, cookies and decompression stay httpx's business.
    """

    def __init__(self, *, max_connections: int = 100, keepalive_seconds: float = 15.0) -> None:
        self._max_connections = max_connections
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise httpx.TransportError("the transport is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, keepalive_timeout=self._keepalive
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            # aiohttp silently resends an idempotent request once when a connection drops;
            # the client paces, counts and bounds its own retries, so turn that off (as
            # aiohttp's own test client does). Without the attribute there is nothing to do.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` as it is (the URL is not re-quoted); stream the body back."""
        session = self._open()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                data=body or None,
                allow_redirects=False,
                compress=None,
                timeout=_client_timeout(
                    timeout.get("pool"), timeout.get("connect"), timeout.get("read")
                ),
            )
        except Exception as exc:  # plain except clauses, not a contextmanager per request
            mapped = _mapped(exc)  # and per chunk (0.8 % of the CPU per lookup in the profile)
            if mapped is None:
                raise
            raise mapped from exc
        extensions: dict[str, object] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        """Close the pool; later requests fail as a closed transport."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None
