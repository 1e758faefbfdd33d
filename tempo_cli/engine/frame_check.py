"""What the engine takes as a source frame: an (H, W, 3) RGB array of uint8 or uint16, all frames alike."""

from __future__ import annotations

import numpy as np

from tempo_cli.errors import TempoError

FRAME_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


def _describe(image: object) -> str:
    """Shape and dtype of an array, or the type of anything else."""
    if isinstance(image, np.ndarray):
        return f"shape {image.shape}, {image.dtype}"
    return type(image).__name__


def check_frame(image: object, index: int, first: np.ndarray | None) -> np.ndarray:
    """`image` if it is a frame the engine can use and is like `first` (the stream's first frame, if any).

    Raises TempoError naming frame `index` otherwise: float frames, grayscale or RGBA arrays and frames of another
    size or dtype than the first would give wrong frames or fail deep inside a synthesizer.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype not in FRAME_DTYPES:
        raise TempoError(f"frame {index} is {_describe(image)}; expected an (H, W, 3) RGB array of uint8 or uint16")
    if image.size == 0:
        raise TempoError(f"frame {index} is {_describe(image)}: it has no pixels")
    if first is not None and (image.shape, image.dtype) != (first.shape, first.dtype):
        raise TempoError(f"frame {index} is {_describe(image)}, frame 0 {_describe(first)}; all frames must match")
    return image
