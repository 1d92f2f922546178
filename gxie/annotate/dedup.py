"""Near-duplicate reports, so the same report is not labelled twice (a PDF and an HTML copy, a re-post).

MinHash over character shingles: a text is reduced to its set of ``SHINGLE``-character substrings
(whitespace removed first, so line breaks and spacing do not matter); each shingle is hashed once
(blake2b, 32 bits) and ``PERMUTATIONS`` universal hash functions ``(a·x + b) mod (2^61 − 1)`` keep their
minimum. The share of equal minima estimates the Jaccard similarity of two shingle sets. Locality-
sensitive hashing (``BANDS`` bands of the signature) finds the candidate pairs without comparing every
pair; a candidate counts as a near-duplicate when its estimated similarity reaches the threshold.

Example::

    >>> index = MinHashIndex()
    >>> index.add("a.txt", signature("一、总体情况\\n本机关2023年共收到申请120件。" * 20))
    >>> index.nearest(signature("一、总体情况 本机关2023年共收到申请120件。" * 20))
    ('a.txt', 1.0)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

SHINGLE = 5  # characters per shingle
PERMUTATIONS = 128  # hash functions in a signature
BANDS = 32  # LSH bands (of PERMUTATIONS // BANDS rows): pairs above ~0.5 similarity meet in a band
THRESHOLD = 0.8  # estimated Jaccard similarity from which two reports count as the same report
SEED = 20240611
_PRIME = (1 << 61) - 1
_SPACE = re.compile(r"\s+")
_rng = np.random.default_rng(SEED)
_A = _rng.integers(1, 1 << 29, size=PERMUTATIONS, dtype=np.uint64)  # a·x < 2^61 for 32-bit x
_B = _rng.integers(0, _PRIME, size=PERMUTATIONS, dtype=np.uint64)


def shingles(text: str, k: int = SHINGLE) -> np.ndarray:
    """32-bit hashes of the distinct ``k``-character shingles of ``text`` (whitespace removed, case folded)."""
    squeezed = _SPACE.sub("", text).casefold()
    grams = {squeezed[i : i + k] for i in range(max(1, len(squeezed) - k + 1))} if squeezed else set()
    values = [int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "big") for g in grams]
    return np.array(sorted(values), dtype=np.uint64)


def signature(text: str) -> np.ndarray:
    """The MinHash signature of ``text`` (``PERMUTATIONS`` values; all-max for an empty text)."""
    hashes = shingles(text)
    if hashes.size == 0:
        return np.full(PERMUTATIONS, _PRIME, dtype=np.uint64)
    mixed = (hashes[:, None] * _A[None, :] + _B[None, :]) % np.uint64(_PRIME)
    return np.asarray(mixed.min(axis=0), dtype=np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal minima, 4 places)."""
    return round(float(np.mean(a == b)), 4)


@dataclass
class MinHashIndex:
    """Signatures by key, with LSH buckets to find near-duplicates quickly."""

    threshold: float = THRESHOLD
    signatures: dict[str, np.ndarray] = field(default_factory=dict)
    _buckets: dict[tuple[int, bytes], list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {self.threshold!r}")

    def add(self, key: str, sig: np.ndarray) -> None:
        """Index ``sig`` under ``key``."""
        self.signatures[key] = sig
        for band in _bands(sig):
            self._buckets.setdefault(band, []).append(key)

    def nearest(self, sig: np.ndarray) -> tuple[str, float] | None:
        """The indexed key most similar to ``sig`` at or above the threshold (ties: the first added)."""
        seen = {k for band in _bands(sig) for k in self._buckets.get(band, ())}
        order = {k: i for i, k in enumerate(self.signatures)}
        scored = [(similarity(sig, self.signatures[k]), -order[k], k) for k in seen]
        best = max(scored, default=None)
        if best is None or best[0] < self.threshold:
            return None
        return best[2], best[0]


def _bands(sig: np.ndarray) -> list[tuple[int, bytes]]:
    rows = len(sig) // BANDS
    return [(b, sig[b * rows : (b + 1) * rows].tobytes()) for b in range(BANDS)]
