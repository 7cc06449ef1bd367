"""JointInspect: joint, credit- and risk-based inspection planning for a district.

The code lives in the top-level folders `models/`, `risk/`, `data/`, `scheduler/` and
`cli/`; installed they are the subpackages `jointinspect.models` and so on.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jointinspect")
except PackageNotFoundError:  # running from a tree that was never installed
    __version__ = "0+unknown"
