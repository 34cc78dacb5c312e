"""A faithful, fault-injectable emulator of the Simwood API v3, for tests and demos.

Needs the `[sandbox]` extra (starlette, uvicorn, python-multipart).

```python
from simwood_async.sandbox import ManualClock, Sandbox

sandbox = Sandbox(seed=1, clock=ManualClock(), report_delay=2.0)
async with sandbox.client() as client:
    balance = await client.accounts.prepay_balance()
    rows = await client.reports.voice_cdr_day(date=day)  # 2 s of sandbox time, at once
```

On a `ManualClock`, clients wait in the sandbox's `VirtualTime` (`sandbox.virtual_time`).

Or over loopback HTTP: `async with sandbox.serve() as base_url: ...`, or from a shell:
`python -m simwood_async.sandbox --port 8080 --json`.
"""

from __future__ import annotations

from simwood_async.sandbox._app import SandboxApp
from simwood_async.sandbox._clock import Clock, ManualClock, RealClock, ScaledClock
from simwood_async.sandbox._core import CDR_WINDOW_DAYS, ReportDelay
from simwood_async.sandbox._faults import FAULT_KINDS, Fault, FaultKind, Faults
from simwood_async.sandbox._inprocess import InProcessTransport
from simwood_async.sandbox._numbers_state import AvailableEntry, NumberInventory
from simwood_async.sandbox._sandbox import IN_PROCESS_BASE_URL, Sandbox
from simwood_async.sandbox._state import EXPIRY_SECONDS, CallbackRecord, ReportLog
from simwood_async.sandbox._stats import RequestKey, Stats
from simwood_async.sandbox._virtual import VirtualTime
from simwood_async.sandbox._wire import WIRE_FORMS

__all__ = [
    "CDR_WINDOW_DAYS",
    "EXPIRY_SECONDS",
    "FAULT_KINDS",
    "IN_PROCESS_BASE_URL",
    "WIRE_FORMS",
    "AvailableEntry",
    "CallbackRecord",
    "Clock",
    "Fault",
    "FaultKind",
    "Faults",
    "InProcessTransport",
    "ManualClock",
    "NumberInventory",
    "RealClock",
    "ReportDelay",
    "ReportLog",
    "RequestKey",
    "Sandbox",
    "SandboxApp",
    "ScaledClock",
    "Stats",
    "VirtualTime",
]
