"""Tests of the test aids: virtual time and the pytest plugin."""
