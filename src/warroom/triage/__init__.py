"""Triage: which kind of incident an alert is, the floor on its severity, the responses it asks for."""
