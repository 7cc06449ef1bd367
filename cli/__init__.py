"""jointinspect.cli"""
