"""Tests of the sandbox (`simwood_async.sandbox`) and the pytest plugin."""
