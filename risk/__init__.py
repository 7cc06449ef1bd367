"""jointinspect.risk"""
