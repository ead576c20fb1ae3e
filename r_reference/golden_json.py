"""The golden files' JSON text: deterministic, exact, readable in a diff.

Keys are sorted; objects are indented one space per level; a list of scalars
(a vector, a matrix row) is written on one line. Floats are written by
``repr`` (the shortest text that reads back to the same double: exact);
non-finite floats are not allowed here (the converter has already turned them
into ``"NaN"``/``"Inf"``/``"-Inf"``, and NA into ``null``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _scalar(x: Any) -> str:
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"non-finite float {x!r} in a golden (use the strings)")
        return repr(x)
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)
    raise TypeError(f"{type(x).__name__} is not a JSON scalar")


def _is_scalar(x: Any) -> bool:
    return x is None or isinstance(x, (bool, int, float, str))


def _dump(obj: Any, level: int, out: list[str]) -> None:
    pad = " " * (level + 1)
    if isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        out.append("{\n")
        keys = sorted(obj)
        for i, k in enumerate(keys):
            if not isinstance(k, str):
                raise TypeError("JSON object keys must be strings")
            out.append(pad + json.dumps(k, ensure_ascii=False) + ": ")
            _dump(obj[k], level + 1, out)
            out.append(",\n" if i < len(keys) - 1 else "\n")
        out.append(" " * level + "}")
        return
    if isinstance(obj, (list, tuple)):
        if all(_is_scalar(x) for x in obj):
            out.append("[" + ", ".join(_scalar(x) for x in obj) + "]")
            return
        out.append("[\n")
        for i, x in enumerate(obj):
            out.append(pad)
            _dump(x, level + 1, out)
            out.append(",\n" if i < len(obj) - 1 else "\n")
        out.append(" " * level + "]")
        return
    out.append(_scalar(obj))


def dumps(obj: Any) -> str:
    """The golden text of ``obj`` (ends with a newline)."""
    out: list[str] = []
    _dump(obj, 0, out)
    return "".join(out) + "\n"


def loads(text: str) -> Any:
    return json.loads(text)


def load(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
