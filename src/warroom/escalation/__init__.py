"""Escalation: a policy frozen into each incident, stepped by durable timers."""
