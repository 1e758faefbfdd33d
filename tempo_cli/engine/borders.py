"""Letterbox and pillarbox bars: found in the anchors, kept as they are in every frame made from them.

A network warps the picture into the black bars around it where the motion points out of the frame (a tilt in a
letterboxed film): the bars of made frames lit up by up to 72 levels between two frames and up to 225 two steps
ahead. Rows and columns at the edges that are dark and flat in every anchor, up to a line that is picture in every
anchor, are bars; made frames take them from an anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DARKEST_BAR = 32  # the brightest level (8-bit) a bar may have in any channel: bars are black, not a flat sky
FLAT = 8  # the most any bar pixel may differ from any other, across anchors and channels (8-bit levels)
UNEVEN = 1 / 8  # how much the bars on two sides of the picture may differ, as a share of the larger, beyond 2 lines


@dataclass(frozen=True)
class Borders:
    """Rows of bars at the top and bottom, columns at the left and right of a frame."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))


def _leading(flags: np.ndarray) -> int:
    """How many of `flags` are true from the start before the first false one."""
    false = np.flatnonzero(~flags)
    return int(false[0]) if false.size else len(flags)


def _is_bar(brightest: np.ndarray, darkest: np.ndarray, scale: int) -> np.ndarray:
    """Whether lines with these extremes (over pixels and channels) are dark and flat enough for bars."""
    return (brightest <= DARKEST_BAR * scale) & (brightest.astype(np.int32) - darkest <= FLAT * scale)


def _bars_at_both_ends(brightest: np.ndarray, darkest: np.ndarray, scale: int) -> tuple[int, int]:
    """The bar lines at the start and at the end of the lines whose extremes per anchor are [N, L].

    A bar's inner edge holds still: the first line inside it is picture in every anchor; and bars come in pairs of
    about the same size. Dark picture content at one edge (line art on black, a dark stage) is neither.
    """
    per_anchor = _is_bar(brightest, darkest, scale)
    everywhere = np.asarray(per_anchor.all(axis=0))
    counts = []
    for flags, inside in ((everywhere, per_anchor), (everywhere[::-1], per_anchor[:, ::-1])):
        count = _leading(flags)
        counts.append(count if count < len(flags) and not inside[:, count].any() else 0)
    start, end = counts
    if abs(start - end) > max(start, end) * UNEVEN + 2:
        return 0, 0  # bars frame a picture on both sides, about evenly; dark content lies at one
    return start, end


def find_borders(anchors: Sequence[np.ndarray]) -> Borders:
    """The bars every one of `anchors` (RGB, uint8 or uint16, one size) has; none where the whole frame is dark."""
    stack = np.stack(anchors)
    n, h, w, c = stack.shape
    scale = 257 if stack.dtype == np.uint16 else 1
    edges = (stack[:, 0], stack[:, -1], stack[:, :, 0], stack[:, :, -1])
    if not any(_is_bar(edge.max(), edge.min(), scale) for edge in edges):
        return Borders()  # most frames: no edge is a bar, and the rest need not be looked at
    lines = stack.reshape(n, h, w * c)  # reductions along contiguous memory, not over a strided axis
    top, bottom = _bars_at_both_ends(lines.max(axis=2), lines.min(axis=2), scale)
    by_column = lines.max(axis=1).reshape(n, w, c).max(axis=2), lines.min(axis=1).reshape(n, w, c).min(axis=2)
    left, right = _bars_at_both_ends(*by_column, scale)
    return Borders(top, bottom, left, right)


def keep_borders(frame: np.ndarray, source: np.ndarray, borders: Borders) -> np.ndarray:
    """`frame` with the bars of `borders` taken from `source` (a new array; `frame` is left as it is)."""
    out = frame.copy()
    h, w = frame.shape[:2]
    for rows, cols in (
        (slice(0, borders.top), slice(None)),
        (slice(h - borders.bottom, h), slice(None)),
        (slice(None), slice(0, borders.left)),
        (slice(None), slice(w - borders.right, w)),
    ):
        out[rows, cols] = source[rows, cols]
    return out
