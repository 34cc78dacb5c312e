"""Tests of the porting area: wire, sandbox, bad input."""
