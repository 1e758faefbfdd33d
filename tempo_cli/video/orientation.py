"""How a video is meant to be shown: its display matrix as a quarter turn and mirroring of the image array."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# FFmpeg's display matrix for "show the frame as it is coded" (16.16 fixed point, the last entry 2.30).
IDENTITY_MATRIX = (1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30)


@dataclass(frozen=True)
class QuarterTurn:
    """Rows and columns swapped (`transpose`), then the columns and the rows each reversed or not."""

    transpose: bool
    reverse_columns: bool
    reverse_rows: bool

    def apply(self, image: np.ndarray) -> np.ndarray:
        """`image` (H, W, ...) turned: a new contiguous array."""
        if self.transpose:
            image = image.swapaxes(0, 1)
        if self.reverse_columns:
            image = image[:, ::-1]
        if self.reverse_rows:
            image = image[::-1]
        return np.ascontiguousarray(image)


def quarter_turn(matrix: Sequence[int] | None) -> QuarterTurn | None:
    """The turn a player gives frames under the display `matrix`, or None for no matrix (frames are shown as stored)
    and where it is not a multiple of 90 degrees.

    The matrix maps a coded pixel (x, y), taken from the image centre with y down, to the displayed one at
    (m0 x + m3 y, m1 x + m4 y); this matches ffmpeg's autorotation for every quarter turn, mirrored or not.
    """
    if matrix is None:
        return None
    a, b, c, d = (int(np.sign(matrix[i])) for i in (0, 1, 3, 4))
    if a == d == 0 and b and c:
        return QuarterTurn(transpose=True, reverse_columns=c < 0, reverse_rows=b < 0)
    if b == c == 0 and a and d:
        return QuarterTurn(transpose=False, reverse_columns=a < 0, reverse_rows=d < 0)
    return None
