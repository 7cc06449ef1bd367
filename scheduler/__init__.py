"""jointinspect.scheduler"""
