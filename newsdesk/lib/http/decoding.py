"""Incremental gzip / deflate / brotli decoding with a cap on the decoded size."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, Protocol

import brotli
from urllib3.exceptions import (
    ProtocolError,
)

from newsdesk.lib.http.constants import _DECODE_PIECE
from newsdesk.lib.http.errors import _Failure


class _TooLarge(Exception):
    pass


class _Sink:
    """Collects decoded bytes and stops the moment they exceed the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        if len(self.buffer) + len(data) > self.cap:
            raise _TooLarge
        self.buffer += data


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _ZlibDecoder:
    """zlib/gzip/raw deflate, never producing more than one piece at a time."""

    def __init__(self, wbits: int | None) -> None:
        # wbits None: "deflate", zlib-wrapped by the RFC, raw in practice; sniffed.
        self._wbits = wbits
        self._head = b""
        self._obj: Any = zlib.decompressobj(wbits) if wbits is not None else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            cmf, flg = data[0], data[1]
            zlib_wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        yield from self._drain(data)

    def _drain(self, data: bytes) -> Iterator[bytes]:
        try:
            while True:
                out = self._obj.decompress(data, _DECODE_PIECE)
                if out:
                    yield out
                if self._obj.eof:
                    data = self._next_member()
                    if not data:
                        return
                    continue
                data = self._obj.unconsumed_tail
                # A full piece may leave output pending inside zlib: ask again.
                if not data and len(out) < _DECODE_PIECE:
                    return
        except zlib.error as exc:
            raise ProtocolError(f"undecodable compressed body: {exc}") from None

    def _next_member(self) -> bytes:
        # Concatenated gzip members are legal; anything else after the end is junk.
        rest: bytes = self._obj.unused_data
        if self._wbits == 16 + zlib.MAX_WBITS and rest[:2] == b"\x1f\x8b":
            self._obj = zlib.decompressobj(self._wbits)
            return rest
        return b""

    def finish(self) -> Iterator[bytes]:
        if self._head:
            raise ProtocolError("truncated compressed body")
        return iter(())


class _BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._obj.process(data, output_buffer_limit=_DECODE_PIECE)
            while True:
                if out:
                    yield out
                # Output was cut at the limit: pull the rest with empty input.
                if self._obj.can_accept_more_data() or self._obj.is_finished():
                    return
                out = self._obj.process(b"", output_buffer_limit=_DECODE_PIECE)
        except brotli.error as exc:
            raise ProtocolError(f"undecodable brotli body: {exc}") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _decoders(content_encoding: str | None) -> list[_Decoder]:
    """Decoders in the order to apply them (the reverse of how they were applied)."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    chain: list[_Decoder] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            chain.append(_ZlibDecoder(16 + zlib.MAX_WBITS))
        elif name == "deflate":
            chain.append(_ZlibDecoder(None))
        elif name == "br":
            chain.append(_BrotliDecoder())
        elif name != "identity":
            raise _Failure(f"unsupported content-encoding {name!r}", "protocol")
    if len(chain) > 3:
        raise _Failure("too many content-encodings", "protocol")
    return chain or [_Identity()]


def _pipe(chain: list[_Decoder], data: bytes, index: int = 0) -> Iterator[bytes]:
    for piece in chain[index].feed(data):
        if index + 1 == len(chain):
            yield piece
        else:
            yield from _pipe(chain, piece, index + 1)


def _pipe_finish(chain: list[_Decoder], index: int = 0) -> Iterator[bytes]:
    for piece in chain[index].finish():
        if index + 1 == len(chain):
            yield piece
        else:
            yield from _pipe(chain, piece, index + 1)
    if index + 1 < len(chain):
        yield from _pipe_finish(chain, index + 1)
