"""Generic vectorized daily stochastic engine.

Knows arrays shaped ``(replications, units, ...)``, capacities, cohort delays
and random draws; it has no notion of what is being simulated. It imports only
NumPy and SciPy.
"""
