"""jointinspect.web: the page a scanned inspection code opens, and its API (an interface)."""
