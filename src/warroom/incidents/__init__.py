"""Incidents: lifecycle, severity, roles, reports. The centre every other domain attaches to."""
