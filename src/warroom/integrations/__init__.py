"""Integrations: named alert sources with a format and a secret key."""
