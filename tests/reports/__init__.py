"""Tests of the report engine, its receiver and its benchmark scenarios."""
