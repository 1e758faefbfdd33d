"""Training data sources: synthetic layered sequences, video clips, frame-sequence layouts."""
