"""Signed, expiring links that let a page be acknowledged or resolved from the page itself."""
