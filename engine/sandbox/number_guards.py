"""Bounds checked before the numeric C calls whose cost grows faster than their arguments' size.

A sandbox worker's deadline kill and memory limit contain these anyway (engine/spiff/script_environment.py);
checking first turns the common cases into a quick, line-numbered "limit exceeded" instead of
a killed worker, and keeps the in-process runner (used by the benchmark) honest.

Integers: ``*``, ``**`` and ``<<`` are bounded in engine/sandbox/limits.py; int<->str conversions by
``sys.set_int_max_str_digits`` (set by the worker). Decimals: arithmetic runs in a context whose
exponent stays within 10**±4300 (engine/sandbox/runner.py), so only a Decimal *constructed* from
text can be larger; every path that turns one into an exact int checks it here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Callable

from engine.sandbox.limits import Guards, LimitExceeded

MAX_MODULAR_BITS = 4096    # pow(b, e, m): cost ~ bits(e) * bits(m)**1.6
MAX_ROUND_DIGITS = 4300    # round(n, -d) computes 10**d
MAX_DECIMAL_DIGITS = 4300  # a Decimal's magnitude, in decimal digits (as the int<->str limit)
_DECIMAL_TO_INT = {"as_integer_ratio", "to_integral", "to_integral_value", "to_integral_exact", "quantize"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_decimal(value: Any) -> Any:
    """Refuse a Decimal too large to turn into an int cheaply."""
    if isinstance(value, Decimal) and value.is_finite() and value and abs(value.adjusted()) > MAX_DECIMAL_DIGITS:
        raise LimitExceeded(f"a decimal number beyond 10**{MAX_DECIMAL_DIGITS:,}")
    return value


class ScriptGuards(Guards):
    """`Guards` plus the numeric builtins and methods: pow with a modulus, round, int(),
    int.to_bytes, and the Decimal methods that produce exact integers."""

    def pow(self, base: Any, exponent: Any, modulus: Any = None) -> Any:
        if modulus is None:
            return self.binop("**", base, exponent)
        for value, what in ((exponent, "exponent"), (modulus, "modulus")):
            if _is_int(value) and abs(value).bit_length() > MAX_MODULAR_BITS:
                raise LimitExceeded(f"pow with a modulus: the {what} has more than {MAX_MODULAR_BITS:,} bits")
        return pow(base, exponent, modulus)

    def round(self, number: Any, ndigits: Any = None) -> Any:
        if _is_int(ndigits) and abs(ndigits) > MAX_ROUND_DIGITS:
            raise LimitExceeded(f"round to more than {MAX_ROUND_DIGITS:,} digits")
        check_decimal(number)
        return round(number) if ndigits is None else round(number, ndigits)

    def binop(self, op: str, left: Any, right: Any) -> Any:
        if op in ("%", "%=") and isinstance(left, (str, bytes)):
            for value in right if isinstance(right, tuple) else right.values() if isinstance(right, dict) else [right]:
                check_decimal(value)
        return super().binop(op, left, right)

    def attribute(self, obj: Any, name: str, getter: Callable[..., Any]) -> Any:
        value = super().attribute(obj, name, getter)
        if _is_int(obj) and name == "to_bytes":
            return self._to_bytes(value)
        if isinstance(obj, Decimal) and name in _DECIMAL_TO_INT:
            return _decimal_checked(obj, value)
        return value

    def _to_bytes(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            length = args[0] if args else kwargs.get("length", 1)
            if _is_int(length) and length > self.limits.size:
                raise LimitExceeded(f"to_bytes of more than {self.limits.size:,} bytes")
            return method(*args, **kwargs)
        return call

    def math(self) -> SimpleNamespace:
        safe = super().math()
        for name in ("floor", "ceil", "trunc"):
            setattr(safe, name, _decimal_checked(None, getattr(math, name)))
        return safe


class _IntType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, int)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, int)


class CheckedInt(metaclass=_IntType):
    """The `int` scripts see: int(x) checks a Decimal first, and isinstance(n, int) still works."""

    def __new__(cls, value: Any = 0, *base: Any) -> int:  # type: ignore[misc]
        return int(check_decimal(value), *base)


def _decimal_checked(number: Decimal | None, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        for value in (number, *args):
            check_decimal(value)
        return method(*args, **kwargs)
    return call
