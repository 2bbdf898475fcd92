"""Identifiers that look random but are unique by construction: a keyed bijection over a counter."""

import hashlib


class IdMint:
    """Maps 0, 1, 2, ... to distinct `bits`-wide integers, different for every seed and id kind.

    Multiplying by an odd constant, adding a key and xor-shifting are each invertible modulo 2**bits, so
    two counters never share an id: no set of issued ids has to be kept to stay unique at 10M events.
    """

    def __init__(self, seed: int, kind: str, bits: int = 128):
        digest = hashlib.blake2b(f"{seed}:{kind}".encode(), digest_size=32).digest()
        self._mask = (1 << bits) - 1
        self._key = int.from_bytes(digest[:16], "big") & self._mask
        self._odd_1 = (int.from_bytes(digest[16:24], "big") << 64 | 0x9E3779B97F4A7C15) & self._mask | 1
        self._odd_2 = (int.from_bytes(digest[24:32], "big") << 64 | 0xD6E8FEB86659FD93) & self._mask | 1
        self._half = bits // 2
        self._width = bits // 4

    def number(self, n: int) -> int:
        x = (n * self._odd_1 + self._key) & self._mask
        x ^= x >> self._half
        x = (x * self._odd_2) & self._mask
        return x ^ (x >> (self._half + 3))

    def hex(self, n: int) -> str:
        return f"{self.number(n):0{self._width}x}"

    def uuid(self, n: int) -> str:
        """UUID-shaped text of a 128-bit mint (no version bits: these are not RFC 4122 UUIDs)."""
        h = f"{self.number(n):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
