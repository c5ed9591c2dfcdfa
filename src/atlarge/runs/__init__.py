"""Running replications and keeping their results: output folders, tidy tables.

Never imports ``report/``, ``api/`` or the CLI.
"""

from atlarge.runs.outdir import (
    check_out_dir,
    default_out_dir,
    write_out_dir,
    write_out_dir_or_elsewhere,
)
from atlarge.runs.timeseries import national_table, timeseries_table

__all__ = [
    "check_out_dir",
    "default_out_dir",
    "national_table",
    "timeseries_table",
    "write_out_dir",
    "write_out_dir_or_elsewhere",
]
