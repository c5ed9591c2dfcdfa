"""Reference implementation: an entity-level SimPy simulation of the same model.

Used to check the vectorized engine (agreement tests) and to measure its
speed against a plain simulation (``atlarge bench``). Imports ``scenario/``
and ``model/`` for parameters only, never the engine's sampling code.
"""

from atlarge.reference.des import ReferenceRun, run_reference

__all__ = ["ReferenceRun", "run_reference"]
