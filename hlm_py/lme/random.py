"""``random=``: the levels of nlme's ``reStruct`` from what ``lme`` accepts.

Mirrors nlme's ``reStruct()`` on a formula, a pd object or a named list:
the grouping factors (outer to inner), each level's random-effects formula
and its pd class. Strings are read by the formula parser, so backquoted names
may hold any character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hlm_py.errors import HlmError
from hlm_py.formula.deparse import deparse, operator_precedence
from hlm_py.formula.parser import Call, Name, Node, parse
from hlm_py.formula.terms import terms as formula_terms
from hlm_py.lme.pdmat import PD_CLASS_NAMES, PdClass, pdLogChol

__all__ = ["RandomLevel", "parse_random", "deparse_random", "random_variables"]


@dataclass
class RandomLevel:
    """One level of the random-effects structure (nlme's reStruct component).

    name     the grouping factor's name (``"Block"``)
    formula  the random-effects formula of the level (``"~ 1"``, ``"~ age"``)
    pd       the pd class of ``Psi`` (``pdLogChol`` when not given)
    """

    name: str
    formula: str
    pd: PdClass





def _split_bar(text: str, level: str | None = None) -> tuple[str, list[str] | None]:
    """Split ``"~ x | g1/g2"`` into ``("~ x", ["g1", "g2"])`` at the top-level
    ``|`` (``None`` for no grouping), read by the formula parser, so
    backquoted names may hold any character. ``level``: the dict key the
    text is given for (messages only)."""
    t = text.strip()
    node = parse(t)
    if not (isinstance(node, Call) and node.fn == "~"):  # "x | g" is "~ x | g"
        t = "~ " + t
        node = parse(t)
    rhs = node.args[-1][1]  # type: ignore[union-attr]
    _refuse_pd_text(rhs, level)
    if isinstance(rhs, Call) and rhs.fn == "|" and len(rhs.args) == 2:
        return t[:rhs.pos].strip(), _group_names(rhs.args[1][1], t[rhs.pos + 1:].strip())
    return t, None


def _group_names(node: Node, text: str) -> list[str]:
    """The grouping factors of ``g1/g2/...`` (outer to inner), as column names."""
    parts = _group_nodes(node)
    if not all(isinstance(p, Name) for p in parts):
        raise HlmError(f"invalid formula for groups: '{text}'")
    return [p.name for p in parts]  # type: ignore[union-attr]


def _refuse_pd_text(node: Node, level: str | None) -> None:
    """A pd class written inside the text (``"pdDiag(~ age)"``): say what to write."""
    if not (isinstance(node, Call) and operator_precedence(node) is None and node.fn != "("
            and any(isinstance(v, Call) and v.fn == "~" for _, v in node.args)):
        return
    known = ", ".join(PD_CLASS_NAMES)
    if node.fn not in PD_CLASS_NAMES:
        raise HlmError(f"'{node.fn}' is not a known pd class: the pd classes are {known} "
                       f"(pd objects such as hlm.pdDiag(\"~ x\"), not text)")
    form = next(v for _, v in node.args if isinstance(v, Call) and v.fn == "~")
    inner = form.args[-1][1]
    groups = None
    if isinstance(inner, Call) and inner.fn == "|" and len(inner.args) == 2:
        groups = [deparse(g) for g in _group_nodes(inner.args[1][1])]
        inner = inner.args[0][1]
    lhs = "~ " + deparse(inner)
    names = groups or ([level] if level is not None else ["g"])
    spelling = "{" + ", ".join(f'"{g}": hlm.{node.fn}("{lhs}")' for g in names) + "}"
    msg = (f"random= holds the pd class {node.fn} as text, '{deparse(node)}': "
           f"a pd class is an object")
    if groups:
        msg += (f", and nlme's {node.fn} formula takes no grouping factor: write "
                f"random={spelling} (nlme's list({', '.join(f'{g} = {node.fn}(~{deparse(inner)})' for g in groups)}))")
    elif level is not None:
        msg += f": write random={spelling}"
    else:
        msg += f": write random={spelling} with your grouping factor for g"
    raise HlmError(msg)


def _group_nodes(node: Node) -> list[Node]:
    """The operands of ``g1/g2/...``, outer to inner."""
    parts: list[Node] = []
    while isinstance(node, Call) and node.fn == "/" and len(node.args) == 2:
        parts.append(node.args[1][1])
        node = node.args[0][1]
    return [node] + parts[::-1]


def _one_sided(text: str) -> str:
    t = text.strip()
    if not t.startswith("~"):
        t = "~ " + t
    return t


def _grouped_data_groups(data: pd.DataFrame) -> list[str] | None:
    form = data.attrs.get("groupedData") or data.attrs.get("groups")
    if not form:
        return None
    _, groups = _split_bar(str(form))
    if groups is None:  # "~ Subject" or "Subject"
        t = _one_sided(str(form))
        groups = _group_names(parse(t).args[-1][1], t)  # type: ignore[union-attr]
    return groups


def parse_random(random: Any, data: pd.DataFrame) -> list[RandomLevel]:
    """The levels (outer to inner) of an lme ``random`` argument.

    Accepts ``"~ x | g"``, ``"~ 1 | a/b"``, a pd object (``pdDiag("~ x | g")``,
    or ``pdDiag("~ x")`` with the grouping from ``data.attrs["groupedData"]``),
    and a dict grouping name -> formula string or pd object, outer to inner.
    """
    if random is None:
        raise HlmError(
            "'random' is missing: give the random effects as \"~ 1 | g\" "
            "(a groupedData default is not supported)"
        )
    if isinstance(random, str) or isinstance(random, PdClass):
        pd_obj = random if isinstance(random, PdClass) else pdLogChol()
        text = random.formula if isinstance(random, PdClass) else random
        if text is None:
            raise HlmError(f"{pd_obj.name}() needs a formula, e.g. {pd_obj.name}(\"~ x | g\")")
        lhs, groups = _split_bar(text)
        if groups is None:
            groups = _grouped_data_groups(data)
            if not groups:
                raise HlmError(
                    f"the random-effects formula '{text}' has no grouping factor: "
                    "write it as '~ x | g'"
                )
        form = _one_sided(lhs)
        return [RandomLevel(g, form, pd_obj.with_formula(form)) for g in groups]
    if isinstance(random, dict):
        if not random:
            raise HlmError("'random' is an empty list")
        levels = []
        for name, spec in random.items():
            if isinstance(spec, PdClass):
                if spec.formula is None:
                    raise HlmError(f"{spec.name}() for level '{name}' needs a formula")
                form = _one_sided(_split_bar(spec.formula, str(name))[0])
                levels.append(RandomLevel(str(name), form, spec.with_formula(form)))
            elif isinstance(spec, str):
                form = _one_sided(_split_bar(spec, str(name))[0])
                levels.append(RandomLevel(str(name), form, pdLogChol(form)))
            else:
                raise HlmError(f"invalid random-effects specification for level '{name}': {spec!r}")
        return levels
    raise HlmError(f"invalid 'random' argument: {random!r}")



def deparse_random(random: Any) -> str:
    """The ``random`` argument as nlme's printed call shows it."""
    if isinstance(random, str):
        return random.strip()
    if isinstance(random, PdClass):
        return f"{random.name}({random.formula})"
    if isinstance(random, dict):
        parts = [f"{deparse(Name(str(k)))} = "
                 f"{deparse_random(v) if not isinstance(v, str) else v.strip()}"
                 for k, v in random.items()]
        return "list(" + ", ".join(parts) + ")"
    return repr(random)


def random_variables(formula: str, columns: list[str]) -> list[str]:
    """The random formula's variables as R expressions (backquoted names)."""
    return list(formula_terms(formula, columns).variables)
