"""Reading what a scan step function returns: outputs, updates and an ``until`` condition.

As in Theano the step may return its outputs alone (a variable or a list), the updates
alone (a dict or a list of ``(shared, expression)`` pairs), or a tuple combining outputs,
updates and ``until(condition)`` in any order.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from symcore.graph.basic import Variable
from symcore.scan.utils import until

__all__ = ["split_step_return"]


def _is_pair(x: Any) -> bool:
    return (
        isinstance(x, (list, tuple)) and len(x) == 2 and getattr(x[0], "_is_shared_variable", False)
    )


def _is_update_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(_is_pair(e) for e in x)


def _is_output(x: Any) -> bool:
    if isinstance(x, (until, dict)):
        return False
    if isinstance(x, (list, tuple)):
        return False
    return True


def _updates_of(x: Any) -> OrderedDict:
    from symcore.tensor.basic import as_tensor_variable

    items = list(x.items()) if isinstance(x, dict) else list(x)
    out: OrderedDict = OrderedDict()
    for k, v in items:
        if not getattr(k, "_is_shared_variable", False):
            raise TypeError(
                f"scan: the step function returned an update of {k!r}, which is not "
                "a shared variable"
            )
        if not isinstance(v, Variable):
            v = k.type.filter_variable(as_tensor_variable(v))
        if k in out and out[k] is not v:
            raise ValueError(f"scan: the step function updates {k} twice")
        out[k] = v
    return out


def split_step_return(raw: Any) -> tuple[list[Any], OrderedDict, Variable | None]:
    """``(outputs, updates, condition)`` from the value returned by a step function."""
    if isinstance(raw, until):
        return [], OrderedDict(), raw.condition
    if isinstance(raw, dict):
        return [], _updates_of(raw), None
    if not isinstance(raw, (list, tuple)):
        return ([] if raw is None else [raw]), OrderedDict(), None
    if _is_update_list(raw):
        return [], _updates_of(raw), None
    if all(_is_output(e) for e in raw):
        return [e for e in raw], OrderedDict(), None
    outputs: list[Any] = []
    updates: OrderedDict = OrderedDict()
    condition = None
    seen_outputs = False
    for e in raw:
        if isinstance(e, until):
            if condition is not None:
                raise ValueError("scan: the step function returned two until conditions")
            condition = e.condition
        elif isinstance(e, dict) or _is_update_list(e):
            for k, v in _updates_of(e).items():
                if k in updates:
                    raise ValueError(f"scan: the step function updates {k} twice")
                updates[k] = v
        elif isinstance(e, (list, tuple)):
            if seen_outputs:
                raise ValueError("scan: the step function returned two groups of outputs")
            outputs.extend(e)
            seen_outputs = True
        elif e is None:
            seen_outputs = True
        else:
            outputs.append(e)
    return outputs, updates, condition
