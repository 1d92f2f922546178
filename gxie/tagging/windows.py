"""Overlapping windows over a long text, and which window each character takes its prediction from.

Pure functions on lengths. A text of ``length`` characters is cut into windows of ``window`` characters
that start every ``stride`` characters; the last window is aligned to the end of the text, so every window
but a short text's only one is full. Where windows overlap, a character takes its prediction from the
window in which it is farthest from an edge (it saw the most context on both sides there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Characters ``[start, end)`` go into the model; ``[keep_start, keep_end)`` take its predictions."""

    start: int
    end: int
    keep_start: int
    keep_end: int


LOCAL_INFERENCE_WINDOW = 2048  # inference window of a model whose every layer attends locally


def inference_windows(layer_types: Sequence[str], local_attention: int, window: int, stride: int) -> tuple[int, int]:
    """The ``(window, stride)`` inference runs in: the training ``window``/``stride``, except for a model
    whose every layer attends within ``local_attention`` characters (``|i - j| <= local_attention // 2``).
    Such a model sees at most ``reach = layers * local_attention // 2`` characters on either side, so
    windows of ``LOCAL_INFERENCE_WINDOW`` overlapping by ``2 * reach`` give every character the prediction
    it gets from the whole text, with less text run twice than short windows.

    >>> inference_windows(["sliding_attention"] * 2, 128, 512, 384)
    (2048, 1792)
    >>> inference_windows(["full_attention", "sliding_attention"], 64, 512, 384)
    (512, 384)
    """
    if not layer_types or any(t != "sliding_attention" for t in layer_types):
        return window, stride
    reach = len(layer_types) * (local_attention // 2)
    if 2 * reach >= LOCAL_INFERENCE_WINDOW // 2:
        return window, stride
    return LOCAL_INFERENCE_WINDOW, LOCAL_INFERENCE_WINDOW - 2 * reach


def check_window(window: int, stride: int) -> None:
    """Raise ValueError unless ``0 < stride <= window``."""
    if window < 1:
        raise ValueError(f"window must be at least 1 character, got {window}")
    if not 0 < stride <= window:
        raise ValueError(f"stride must be between 1 and the window ({window}), got {stride}")


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start offsets of the windows covering ``length`` characters: ``[0, stride, 2*stride, ...]`` and a
    last one at ``length - window``. Example: ``window_starts(1000, 512, 384) == [0, 384, 488]``."""
    check_window(window, stride)
    if length <= 0:
        return []
    if length <= window:
        return [0]
    return [*range(0, length - window, stride), length - window]


def plan_windows(length: int, window: int, stride: int) -> list[Window]:
    """The windows of :func:`window_starts` with the characters each one keeps; the kept ranges partition
    ``[0, length)`` in order. In an overlap, a character goes to the window where it is farther from an
    edge (the earlier window on a tie)."""
    starts = window_starts(length, window, stride)
    ends = [min(s + window, length) for s in starts]
    windows: list[Window] = []
    keep_start = 0
    for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
        # char i stays in window k while (end - 1 - i) >= (i - next_start): i <= (end - 1 + next_start) / 2
        keep_end = (end + starts[k + 1] + 1) // 2 if k + 1 < len(starts) else length
        windows.append(Window(start, end, keep_start, keep_end))
        keep_start = keep_end
    return windows


def training_starts(length: int, window: int, shift: int) -> list[int]:
    """Starts of back-to-back training windows on a grid shifted left by ``shift`` (``0 <= shift <
    window``), clipped to the text so every window is full; a random ``shift`` per epoch shows the model
    different window edges. Example: ``training_starts(1000, 400, 100) == [0, 300, 600]``."""
    check_window(window, window)
    if not 0 <= shift < window:
        raise ValueError(f"shift must be in [0, {window}), got {shift}")
    if length <= 0:
        return []
    if length <= window:
        return [0]
    last = length - window
    return sorted({min(max(s, 0), last) for s in range(-shift, length, window)})
