"""Frame synthesizers behind one interface: classical `blend` and `flow`, and the TEMPO network."""

from tempo_cli.synth.base import SynthesisResult, Synthesizer
from tempo_cli.synth.registry import SYNTHESIZER_NAMES, create_synthesizer

__all__ = ["SYNTHESIZER_NAMES", "SynthesisResult", "Synthesizer", "create_synthesizer"]
