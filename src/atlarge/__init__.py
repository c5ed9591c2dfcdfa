"""atlarge: an open, reproducible simulator of large-scale immigration enforcement operations.

Aggregate counts only, per field office and day. The public API mirrors the
command line::

    import atlarge
    sc = atlarge.load_scenario("scenarios/operation-at-large.toml",
                               set={"target.arrests_per_day": 2000})
    res = atlarge.simulate(sc, reps=500, seed=1)
    res.summary()      # the dict written to summary.json
    res.to_frame()     # tidy DataFrame: rep, office ("national"), day, measures
    res.report("out/") # the HTML report, summary.json and timeseries.parquet
"""

from atlarge._version import __version__
from atlarge.scenario import load_scenario

__all__ = ["Simulation", "__version__", "load_scenario", "simulate"]


def __getattr__(name: str):
    # Import the model lazily: loading and validating scenarios stays light.
    if name in ("simulate", "Simulation"):
        from atlarge import simulation

        return getattr(simulation, name)
    raise AttributeError(name)
