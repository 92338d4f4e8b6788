"""Bounds on what one script or expression run may cost: time, depth, memory, value sizes.

RestrictedPython decides *what* a script may touch; this module bounds *how much*. Three
layers, because no single one is enough in CPython:

* a per-thread trace function (`Watch`) counts calls and lines of the script's own code and
  stops it past a deadline, a call depth, or a growth of the process's resident memory;
* operators and builtins that allocate in one C call (``'x' * 10**9``, ``10**10**10``,
  ``'{:>999999999}'.format(1)``, ``range(10**12)``) are wrapped (`Guards`; the compiler
  rewrites that route scripts through them are in engine/sandbox/policy.py) so the size of
  the result is checked *before* it is allocated;
* the data a script leaves behind is measured before SpiffWorkflow copies or stores it.

These layers stop the usual cases quickly and name the script's line, but they cannot stop a
C call nobody thought of: the guarantee is that every run happens in a sandbox worker process
with an address-space limit that the server kills at the deadline (engine/spiff/script_environment.py says why).

Limits raise `LimitExceeded`, a BaseException, so a script's ``except Exception`` cannot
swallow it (bare ``except:`` and ``finally`` are refused at compile time for the same reason);
the environment turns it into `ScriptLimitExceeded` for SpiffWorkflow to report with the line.
"""

from __future__ import annotations

import math
import operator
import re
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Iterable

# The file name scripts are compiled under; SpiffWorkflow looks for it to report the line.
SCRIPT_FILE = "<string>"
MAX_FORMAT_WIDTH = 10_000


@dataclass(frozen=True)
class Limits:
    """What one run of a script or expression may use."""

    seconds: float = 2.0
    depth: int = 100                 # nested calls of the script's own functions
    size: int = 1_000_000            # elements + characters in one value (shared parts counted each time)
    int_bits: int = 1_000_000        # bits of one integer
    data_bytes: int = 1_000_000      # JSON size of the data a script sets
    memory_bytes: int = 128 * 2**20  # growth of the process's resident memory during the run


DEFAULT_LIMITS = Limits()


class LimitExceeded(BaseException):
    """Raised inside a run that went past a limit; not catchable by `except Exception`."""


class ScriptLimitExceeded(Exception):
    """A script or expression went past a limit (what SpiffWorkflow sees and reports)."""


# -- the tracer ----------------------------------------------------------------------------
def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * 4096
    except (OSError, ValueError, IndexError):
        return 0


class Watch:
    """Traces the running thread while a script runs: deadline, call depth, memory growth.

    Use as a context manager around `exec`/`eval`; the previous trace function (a debugger,
    coverage) is put back afterwards. Only frames of `SCRIPT_FILE` are traced.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, memory: bool = True):
        self.limits, self.memory = limits, memory  # memory: False where nothing can grow (see ScriptRunner)
        self.deadline = 0.0
        self.depth = 0
        self.lines = 0
        self.memory_start = 0
        self._previous: Any = None

    def __enter__(self) -> "Watch":
        self.deadline = time.monotonic() + self.limits.seconds
        self.memory_start = _resident_bytes() if self.memory else 0  # 0: memory is not checked
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def check_time(self) -> None:
        """Raise once the run is past its deadline (also called from guarded C-level loops)."""
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"ran longer than {self.limits.seconds:g} s")

    def _on_call(self, frame: Any, event: str, arg: Any) -> Any:
        if event != "call" or frame.f_code.co_filename != SCRIPT_FILE:
            return None
        self.depth += 1
        if self.depth > self.limits.depth:
            raise LimitExceeded(f"calls nest deeper than {self.limits.depth}")
        self.check_time()
        return self._on_event

    def _on_event(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            self.check_time()
            if self.lines % 256 == 0 and self.memory_start:
                grown = _resident_bytes() - self.memory_start
                if grown > self.limits.memory_bytes:
                    raise LimitExceeded(f"used more than {self.limits.memory_bytes // 2**20} MB")
        elif event == "return":
            self.depth -= 1
        return self._on_event


# -- sizes ---------------------------------------------------------------------------------
def measure(value: Any, budget: int) -> int:
    """Elements and characters in `value`, shared parts counted each time; stops past `budget`."""
    stack, total = [value], 0
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            if total <= budget:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            if total <= budget:
                stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += 1 + item.bit_length() // 64
        else:
            total += 1
        if total > budget:
            return total
    return total


class Guards:
    """The checked operators and builtins one environment hands to its scripts."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, watch: Callable[[], Watch | None] = lambda: None):
        self.limits = limits
        self.watch = watch

    def fits(self, value: Any, what: str = "a value") -> Any:
        if measure(value, self.limits.size) > self.limits.size:
            raise LimitExceeded(f"{what} would hold more than {self.limits.size:,} elements or characters")
        return value

    def _bits(self, bits: float) -> None:
        if bits > self.limits.int_bits:
            raise LimitExceeded(f"a number would have more than {self.limits.int_bits:,} bits")

    def binop(self, op: str, left: Any, right: Any) -> Any:
        """`left op right` for the operators that can allocate without bound in one step."""
        if op in ("*", "*="):
            self._check_repeat(left, right)
            self._check_repeat(right, left)
            if _is_int(left) and _is_int(right):
                self._bits(left.bit_length() + right.bit_length())
        elif op in ("**", "**="):
            if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
                self._bits(right * left.bit_length())
        elif op in ("<<", "<<="):
            if _is_int(left) and _is_int(right) and left:
                self._bits(left.bit_length() + right)
        elif op in ("+", "+="):
            if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, type(left)):
                if len(left) + len(right) > self.limits.size:
                    raise LimitExceeded(f"a value would hold more than {self.limits.size:,} elements or characters")
        elif op in ("%", "%=") and isinstance(left, str):
            _check_percent_template(left)
            self.fits(right, "the formatted values")
        return _OPERATORS[op](left, right)

    def _check_repeat(self, sequence: Any, times: Any) -> None:
        if isinstance(sequence, (str, bytes, bytearray, list, tuple)) and _is_int(times) and times > 0:
            if measure(sequence, self.limits.size) * times > self.limits.size:
                raise LimitExceeded(f"a repeated value would hold more than {self.limits.size:,} elements or characters")

    def formatted(self, value: Any) -> Any:
        """An f-string's value, checked before it is turned into text."""
        return self.fits(value, "an f-string value")

    def range(self, *args: int) -> range:
        span = range(*args)
        if len(span) > self.limits.size:
            raise LimitExceeded(f"range of more than {self.limits.size:,} numbers")
        return span

    def pow(self, base: Any, exponent: Any, modulus: Any = None) -> Any:
        if modulus is None:
            return self.binop("**", base, exponent)
        return pow(base, exponent, modulus)

    def text(self, value: Any = "") -> str:
        return str(self.fits(value, "the value"))

    def represent(self, value: Any) -> str:
        return repr(self.fits(value, "the value"))

    def counted(self, iterable: Iterable[Any]) -> Iterable[Any]:
        """Yield from `iterable`, checking the deadline now and then (for C loops like sum())."""
        watch = self.watch()
        for index, item in enumerate(iterable):
            if watch is not None and index % 1024 == 0:
                watch.check_time()
            yield item

    def sum(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        total = start
        for item in self.counted(iterable):
            total = self.binop("+", total, item)
            if _is_int(total):
                self._bits(total.bit_length())
        return total

    def attribute(self, obj: Any, name: str, getter: Callable[..., Any]) -> Any:
        """Look an attribute up through RestrictedPython's guard; size-checked text methods."""
        value = getter(obj, name)
        if isinstance(obj, (str, bytes)) and name in _TEXT_METHODS:
            return _TEXT_METHODS[name](self, obj, value)
        return value

    def math(self) -> SimpleNamespace:
        """`math` with the integer functions that can run for minutes bounded."""
        safe = {name: getattr(math, name) for name in _MATH_FLOAT}

        def bounded(func: Callable[..., int]) -> Callable[..., int]:
            def call(*args: int) -> int:
                if any(_is_int(a) and a > 20_000 for a in args):
                    raise LimitExceeded(f"math.{func.__name__} of a number above 20,000")
                return func(*args)
            return call

        safe.update(factorial=bounded(math.factorial), comb=bounded(math.comb), perm=bounded(math.perm),
                    prod=lambda values, start=1: _product(self, values, start))
        return SimpleNamespace(**safe)


def _product(guards: Guards, values: Iterable[Any], start: Any) -> Any:
    total = start
    for item in guards.counted(values):
        total = guards.binop("*", total, item)
    return total


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_OPERATORS = {
    "*": operator.mul, "*=": operator.imul, "**": operator.pow, "**=": operator.ipow,
    "<<": operator.lshift, "<<=": operator.ilshift, "+": operator.add, "+=": operator.iadd,
    "%": operator.mod, "%=": operator.imod,
}
_MATH_FLOAT = [
    "pi", "e", "tau", "inf", "nan", "ceil", "floor", "trunc", "fabs", "sqrt", "isqrt", "exp", "log",
    "log10", "log2", "pow", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "hypot", "degrees",
    "radians", "isclose", "isfinite", "isinf", "isnan", "copysign", "fmod", "modf", "gcd", "fsum",
]
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*\}")


def _check_width(width: str | None) -> None:
    if width == "*" or (width and int(width) > MAX_FORMAT_WIDTH):
        raise LimitExceeded(f"format widths above {MAX_FORMAT_WIDTH:,} are not allowed")


def _check_percent_template(template: str) -> None:
    for match in _PERCENT_SPEC.finditer(template):
        _check_width(match.group(1))
        _check_width(match.group(2))


def _check_brace_template(template: str) -> None:
    if re.search(r"\{[^{}]*\{", template.replace("{{", "").replace("}}", "")):
        raise LimitExceeded("nested replacement fields in a format string are not allowed")
    for field in _BRACE_SPEC.findall(template):
        for number in re.findall(r"\d+", field.split(":", 1)[1] if ":" in field else ""):
            _check_width(number)


def _sized(limit_of: Callable[[Any, tuple, dict], int]) -> Callable[[Guards, Any, Any], Any]:
    def wrap(guards: Guards, text: Any, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if limit_of(text, args, kwargs) > guards.limits.size:
                raise LimitExceeded(f"text of more than {guards.limits.size:,} characters")
            return method(*args, **kwargs)
        return call
    return wrap


def _format(guards: Guards, text: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        _check_brace_template(text)
        guards.fits((list(args), kwargs), "the formatted values")
        return method(*args, **kwargs)
    return call


def _join(guards: Guards, text: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(items: Iterable[Any]) -> Any:
        items = list(guards.counted(items))
        if sum(len(i) for i in items if isinstance(i, (str, bytes))) + len(text) * len(items) > guards.limits.size:
            raise LimitExceeded(f"text of more than {guards.limits.size:,} characters")
        return method(items)
    return call


def _replaced_size(text: Any, args: tuple, kwargs: dict) -> int:
    old, new = (list(args) + [None, None])[:2]
    if not isinstance(old, (str, bytes)) or not isinstance(new, (str, bytes)):
        return len(text)
    return len(text) + (text.count(old) if old else len(text) + 1) * max(0, len(new) - len(old))


def _width(text: Any, args: tuple, kwargs: dict) -> int:
    width = args[0] if args else kwargs.get("width", 0)
    return width if _is_int(width) else 0


def _tabs(text: Any, args: tuple, kwargs: dict) -> int:
    size = args[0] if args else kwargs.get("tabsize", 8)
    return len(text) + text.count("\t" if isinstance(text, str) else b"\t") * (size if _is_int(size) else 8)


_TEXT_METHODS = {
    "ljust": _sized(_width), "rjust": _sized(_width), "center": _sized(_width), "zfill": _sized(_width),
    "expandtabs": _sized(_tabs), "replace": _sized(_replaced_size),
    "format": _format, "format_map": _format, "join": _join,
}
