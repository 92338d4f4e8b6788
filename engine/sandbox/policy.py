"""The compiler policy for scripts and expressions: RestrictedPython's, plus rewrites that let
engine/sandbox/limits.py check sizes before one C call allocates or compares without bound, and
refusals of what could outlive a stopped run (``finally``, bare ``except``)."""

from __future__ import annotations

import ast
import re
from typing import Any

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.transformer import copy_locations

from engine.sandbox.limits import MAX_FORMAT_WIDTH

_ESCAPING_EXCEPTIONS = {"BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}

_GUARDED_OPS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}


class LimitingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: guarded operators and f-strings; no ``finally``, no bare
    ``except`` (either could outlive a stopped run)."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()), args=[ast.Constant(symbol), node.left, node.right],
                        keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is not None:
            if any(not isinstance(part, ast.Constant) for part in spec.values):
                self.error(node, "nested replacement fields in an f-string format are not allowed")
            for part in spec.values:
                for number in re.findall(r"\d+", str(getattr(part, "value", ""))):
                    if int(number) > MAX_FORMAT_WIDTH:
                        self.error(node, f"format widths above {MAX_FORMAT_WIDTH:,} are not allowed")
        call = ast.Call(func=ast.Name("_formatted_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(call, node.value)
        node.value = call
        return node

    # Containers built from shared parts (``a = [a, a]`` twenty times) stay small in memory but
    # grow exponentially when compared, hashed or printed, each of which is one C call no tracer
    # can stop. Every container a script builds, and every operand it compares, is measured
    # (shared parts counted each time) against the size limit first.
    def _sized(self, node: Any) -> Any:
        call = ast.Call(func=ast.Name("_sized_", ast.Load()), args=[node], keywords=[])
        copy_locations(call, node)
        return call

    def visit_List(self, node: ast.List) -> Any:
        node = super().visit_List(node)
        return self._sized(node) if isinstance(node.ctx, ast.Load) else node

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        node = super().visit_Tuple(node)
        return self._sized(node) if isinstance(node.ctx, ast.Load) else node

    def visit_Set(self, node: ast.Set) -> Any:
        return self._sized(super().visit_Set(node))

    def visit_Dict(self, node: ast.Dict) -> Any:
        return self._sized(super().visit_Dict(node))

    def visit_ListComp(self, node: ast.ListComp) -> Any:
        return self._sized(super().visit_ListComp(node))

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        return self._sized(super().visit_SetComp(node))

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        return self._sized(super().visit_DictComp(node))

    def visit_Compare(self, node: ast.Compare) -> Any:
        node = super().visit_Compare(node)
        node.left = self._sized(node.left)
        node.comparators = [self._sized(c) for c in node.comparators]
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        if node.finalbody:
            self.error(node, "'finally' is not allowed in scripts")
        return self.node_contents_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        caught = node.type
        names = [caught] if isinstance(caught, ast.Name) else getattr(caught, "elts", [])
        if caught is None:
            self.error(node, "a bare 'except:' is not allowed; name the exceptions to catch")
        elif any(isinstance(n, ast.Name) and n.id in _ESCAPING_EXCEPTIONS for n in names):
            self.error(node, "catching BaseException, SystemExit, KeyboardInterrupt or GeneratorExit is not allowed")
        return super().visit_ExceptHandler(node)


def escaping_exceptions() -> set[str]:
    """Names of exceptions a script may neither see nor catch."""
    return set(_ESCAPING_EXCEPTIONS)
