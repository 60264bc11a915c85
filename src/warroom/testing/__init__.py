"""Helpers shared by the test suite and `make test` (no test runner imports here)."""
