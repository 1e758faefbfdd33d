"""The engine: which output frames are copies and which are synthesized, and running the synthesizer."""
