"""Value types shared by models, the converter and the sandbox."""

from __future__ import annotations

import datetime as dt
from typing import Final, NewType
from zoneinfo import ZoneInfo

__all__ = ["GMT", "UK", "UkDateTime", "UtcDateTime"]

#: The zone of CDR and summary query times (the docs say GMT).
GMT: Final = dt.timezone.utc
#: The zone of in-progress call data (the docs say UK local time).
UK: Final = ZoneInfo("Europe/London")

#: An aware `datetime` in UTC/GMT, decoded from the API's naive `YYYY-MM-DD hh:mm:ss`.
UtcDateTime = NewType("UtcDateTime", dt.datetime)
#: An aware `datetime` in UK local time (Europe/London), decoded from a naive wire string.
UkDateTime = NewType("UkDateTime", dt.datetime)
