"""Amounts: integer millionths (micros) inside, decimal text from people, JSON numbers out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS = 1_000_000
#: The largest amount accepted from outside (a billion units): sums stay far from 2^63.
MAX_AMOUNT_MICROS = 10**9 * MICROS


def parse_amount(text: str, *, allow_zero: bool = False) -> int:
    """`"12.5"` -> 12_500_000. Raises ValueError saying what is wrong: not a number, negative,
    more than six decimals, or above the maximum."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (write it like 25 or 12.50)") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount (write it like 25 or 12.50)")
    micros = value * MICROS
    if micros != micros.to_integral_value():
        raise ValueError(f"{text!r} has more than 6 decimals")
    if micros < 0 or (micros == 0 and not allow_zero):
        raise ValueError(f"{text!r} must be {'0 or more' if allow_zero else 'more than 0'}")
    if micros > MAX_AMOUNT_MICROS:
        raise ValueError(f"{text!r} is above the largest amount, {MAX_AMOUNT_MICROS // MICROS}")
    return int(micros)


def number(micros: int) -> float:
    """For JSON (like a task's `cost`)."""
    return micros / MICROS


def text(micros: int) -> str:
    """For people: `12.5`, `0.000001`, `-3`."""
    written = format(Decimal(micros) / MICROS, "f")
    return written.rstrip("0").rstrip(".") if "." in written else written
