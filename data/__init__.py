"""jointinspect.data"""
