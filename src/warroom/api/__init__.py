"""The HTTP edge: app factory, dependencies and error mapping. Domains own their routes."""
