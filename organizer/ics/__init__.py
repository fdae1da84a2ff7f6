"""Calendars: RFC 5545 export (files and a live feed) and import of meeting calendars as busy time.

Everything here uses `icalendar` (both directions) and `recurring-ical-events` (expansion); both are
imported only by the commands that need them, never on the quick-add path.
"""
