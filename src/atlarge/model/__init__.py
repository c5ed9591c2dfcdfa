"""The enforcement pipeline: workforce, pools, processing, detention, transport, costs, regime.

Imports ``scenario/`` and ``engine/`` only.
"""

from atlarge.model.output import COST_STAGES, ModelOutput

__all__ = ["COST_STAGES", "ModelOutput"]
