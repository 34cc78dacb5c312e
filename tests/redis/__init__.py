"""Tests of the Redis report store, against a real redis-server."""
