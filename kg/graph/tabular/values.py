"""Stand-in of the cell value parsers (replaced by branch h17-read at merge): the interface only.
Each parser raises ValueError with a Msg as its only argument."""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from kg.i18n import Msg

_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")


def normalise_text(value: object) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value)).strip()


def parse_date(value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    s = normalise_text(value)
    m = _DMY.match(s)
    try:
        if m:
            d, mo, y = (int(g) for g in m.groups())
            return datetime.date(y + 2000 if y < 100 else y, mo, d)
        return datetime.date.fromisoformat(s)
    except ValueError:
        raise ValueError(Msg(f"„{s}“ ist kein gültiges Datum", f"“{s}” is not a valid date")) from None


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(Msg("keine Zahl", "not a number"))
    if isinstance(value, int | float):
        return Decimal(str(value))
    s = normalise_text(value).replace(".", "").replace(",", ".") if "," in str(value) else normalise_text(value)
    try:
        return Decimal(s)
    except InvalidOperation:
        raise ValueError(Msg(f"„{s}“ ist keine Zahl", f"“{s}” is not a number")) from None


def parse_integer(value: object) -> int:
    d = parse_decimal(value)
    if d != d.to_integral_value():
        raise ValueError(Msg(f"„{value}“ ist keine ganze Zahl", f"“{value}” is not a whole number"))
    return int(d)


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    s = normalise_text(value).lower()
    if s in ("ja", "yes", "wahr", "true", "1", "x"):
        return True
    if s in ("nein", "no", "falsch", "false", "0", ""):
        return False
    raise ValueError(Msg(f"„{s}“ ist weder ja noch nein", f"“{s}” is neither yes nor no"))


def split_multi(value: object) -> list[str]:
    return [p.strip() for p in re.split(r"[;|\n]", normalise_text(value)) if p.strip()]
