"""The tools endpoints: no authentication needed."""

from __future__ import annotations

from simwood_async.tools._api import ToolsApi
from simwood_async.tools._models import MyIp, ServerTime

__all__ = ["MyIp", "ServerTime", "ToolsApi"]
