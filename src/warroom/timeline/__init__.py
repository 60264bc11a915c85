"""The typed, append-only incident timeline."""
