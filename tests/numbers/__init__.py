"""Tests of the numbers area: wire, sandbox, bad input, routing config, provisioning."""
