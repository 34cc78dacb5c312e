"""The Redis side of `RedisReportStore`: its Lua scripts, its client, small conversions.

Each script is one atomic step (see `_redis.py` for the keys). Replies are read undecoded.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

import coredis

from simwood_async.exceptions import ConfigurationError

__all__ = [
    "ACQUIRE",
    "CLAIM",
    "FREE",
    "POSTED",
    "RENEW",
    "REQUEST",
    "SETTLE",
    "STATE",
    "client_from_url",
    "location",
    "ms",
    "text",
]

# KEYS: claim, counter. ARGV: owner, lease ms, counter keep ms, channel, hash.
CLAIM: Final = """
local current = redis.call('GET', KEYS[1])
local previous = nil
if current then
  local space = string.find(current, ' ', 1, true)
  previous = string.sub(current, 1, space - 1)
  local holder = string.sub(current, space + 1)
  if holder ~= ARGV[1] then return {0, tonumber(previous), holder} end
end
local generation = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], generation .. ' ' .. ARGV[1], 'PX', ARGV[2])
if previous then redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. previous) end
return {1, generation, ARGV[1]}
"""
# KEYS: claim, outcome, the hash's request pointer. ARGV: "generation owner", channel,
# message, outcome ms, status, detail, body, whether there is a body. An outcome ends the
# shared request record that led to this hash (the next request POSTs afresh, as in one
# process); a release keeps it.
SETTLE: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'status', ARGV[5], 'detail', ARGV[6])
if ARGV[8] == '1' then redis.call('HSET', KEYS[2], 'body', ARGV[7]) end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[5] ~= 'released' then
  local pointer = redis.call('GET', KEYS[3])
  local record = pointer and redis.call('GET', pointer)
  if record then  -- ended: keep its version (so re-requests count on), drop its hash
    local space = string.find(record, ' ', 1, true)
    redis.call('SET', pointer, string.sub(record, 1, space), 'KEEPTTL')
  end
  if pointer then redis.call('DEL', KEYS[3]) end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
"""
# KEYS: claims. ARGV: for each, "generation owner" and the new expiry in ms.
RENEW: Final = """
local kept = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[2 * i - 1] then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    kept[i] = 1
  else
    kept[i] = 0
  end
end
return kept
"""
# KEYS: claim, outcome. ARGV: generation. {1, status, detail, body}, {2} pending or {0} ended.
STATE: Final = """
local outcome = redis.call('HMGET', KEYS[2], 'status', 'detail', 'body')
if outcome[1] then return {1, outcome[1], outcome[2], outcome[3]} end
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then return {2} end
return {0}
"""

# KEYS: the request's record ("<version> <hash>", the hash empty once it ended), its lock.
# ARGV: owner, the version the caller found wanting, lock ms. {1, version, hash}: use it;
# {2, version, holder}: someone posts, wait; {0, version, owner}: the caller holds the lock.
REQUEST: Final = """
local version = 0
local record = redis.call('GET', KEYS[1])
if record then
  local space = string.find(record, ' ', 1, true)
  version = tonumber(string.sub(record, 1, space - 1))
  local hash = string.sub(record, space + 1)
  if hash ~= '' and version > tonumber(ARGV[2]) then return {1, version, hash} end
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {2, version, holder} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return {0, version, ARGV[1]}
"""
# KEYS: record, lock, the hash's request pointer. ARGV: owner, hash ('' to give the lock up
# without one), record ms, channel, message. Returns the record's new version (0: given up).
POSTED: Final = """
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
local version = 0
if ARGV[2] ~= '' then
  local record = redis.call('GET', KEYS[1])
  if record then
    version = tonumber(string.sub(record, 1, string.find(record, ' ', 1, true) - 1))
  end
  version = version + 1
  redis.call('SET', KEYS[1], version .. ' ' .. ARGV[2], 'PX', ARGV[3])
  redis.call('SET', KEYS[3], KEYS[1], 'PX', ARGV[3])
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return version
"""
# KEYS: the fleet's slots. ARGV: token, lease ms. The index of the slot taken, or -1.
ACQUIRE: Final = """
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then return i - 1 end
end
return -1
"""
# KEYS: a slot. ARGV: token, channel, message. Frees the slot if it is still the token's.
FREE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
"""


def location(url: str) -> str:
    """`url` without its credentials or query (which may carry a password)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{parts.path}"


def ms(seconds: float) -> int:
    """Seconds as whole milliseconds for `PX`/`PEXPIRE`, at least 1."""
    return max(int(seconds * 1000), 1)


def text(value: Any) -> str:
    """A reply as text (replies are read undecoded)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def client_from_url(url: str, timeout: float) -> tuple[coredis.Redis[bytes], str]:
    """A (not yet opened) client for `url`, and how to name the server in logs.

    Raises:
        ConfigurationError: Not a redis://, rediss:// or unix:// URL, or a malformed one.
    """
    shown = location(url)
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(f"a Redis URL is redis://, rediss:// or unix://, not {shown}")
    if not (parts.path if parts.scheme == "unix" else parts.hostname):
        raise ConfigurationError(f"the Redis URL {shown} names no host or socket")
    try:
        client = coredis.Redis.from_url(url, connect_timeout=timeout, stream_timeout=timeout)
    except ValueError as err:
        raise ConfigurationError(f"bad Redis URL {shown}: {err}") from None
    return client, shown
