"""The enforcement pipeline: workforce, pools, processing, detention, transport, costs, regime.

Imports ``scenario/`` and ``engine/`` only.
"""

from atlarge.model.output import COST_STAGES, ModelOutput, run_model

__all__ = ["COST_STAGES", "ModelOutput", "run_model"]
