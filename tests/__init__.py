"""The test suite of simwood-async."""
