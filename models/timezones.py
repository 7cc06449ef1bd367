"""China time: the zone the contract writes timestamps in and §2 reads received dates in."""

from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
