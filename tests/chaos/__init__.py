"""The chaos suite: every fault at once, with figures (`nox -s chaos`)."""
