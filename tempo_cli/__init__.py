"""tempo: frame interpolation and extrapolation for video."""

__version__ = "0.1.0"
