"""Classical motion estimation shared by the `flow` synthesizer and TEMPO's motion prior."""

from tempo_cli.motion.dis import dis_flow, dis_flow_pair, dis_flows, to_gray_u8
from tempo_cli.motion.velocity import offsets_to_anchor, pair_velocity
from tempo_cli.motion.warp import warp_image

__all__ = ["dis_flow", "dis_flow_pair", "dis_flows", "offsets_to_anchor", "pair_velocity", "to_gray_u8", "warp_image"]
