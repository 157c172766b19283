"""Graph nodes: ``Variable``, ``Constant`` and ``Apply``, and functions that walk graphs.

A graph is a bipartite DAG: each ``Apply`` node applies an ``Op`` to input variables and
owns its output variables (``var.owner``, ``var.index``). Variables with no owner are graph
inputs (free variables, shared variables or constants).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from symcore.graph.utils import Scratchpad, ValidatingScratchpad, user_trace

if TYPE_CHECKING:
    from symcore.graph.op import Op
    from symcore.graph.type import Type

_var_ids = itertools.count()


class Node:
    """Common base of ``Apply`` and ``Variable``."""

    __slots__ = ()


class Apply(Node):
    """The application of ``op`` to ``inputs``, producing ``outputs``.

    Outputs are adopted: their ``owner`` becomes this node and ``index`` their position.
    ``tag.trace`` records where the user built the node (file, line), for error messages.
    """

    def __init__(self, op: Op, inputs: Sequence[Variable], outputs: Sequence[Variable]):
        self.op = op
        self.inputs: list[Variable] = []
        for inp in inputs:
            if not isinstance(inp, Variable):
                raise TypeError(
                    f"{op}: the inputs of an Apply node must be Variables, got {type(inp).__name__}"
                )
            self.inputs.append(inp)
        self.outputs: list[Variable] = []
        for i, out in enumerate(outputs):
            if not isinstance(out, Variable):
                raise TypeError(f"{op}: the outputs of an Apply node must be Variables")
            if out.owner is None:
                out.owner, out.index = self, i
            elif out.owner is not self or out.index != i:
                raise ValueError(f"{op}: output {out} already belongs to another node")
            self.outputs.append(out)
        self.tag = Scratchpad(trace=user_trace(1))

    # -- structure -------------------------------------------------------------------
    def default_output(self) -> Variable:
        """The output returned when the op is called: ``op.default_output`` or the only one."""
        do = getattr(self.op, "default_output", None)
        if do is None:
            if len(self.outputs) == 1:
                return self.outputs[0]
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs and no default_output")
        return self.outputs[do]

    out = property(default_output, doc="alias of default_output()")

    @property
    def nin(self) -> int:
        return len(self.inputs)

    @property
    def nout(self) -> int:
        return len(self.outputs)

    @property
    def params_type(self):
        return getattr(self.op, "params_type", None)

    def run_params(self):
        """Parameters passed to ``perform``: ``op.get_params(node)`` when the op defines it."""
        get = getattr(self.op, "get_params", None)
        return get(self) if get is not None else None

    def clone(self, clone_inner_graph: bool = False) -> Apply:
        """Same op and inputs, fresh outputs (with copied names and tags)."""
        cp = self.__class__(self.op, self.inputs, [o.clone() for o in self.outputs])
        cp.tag = self.tag.copy()
        return cp

    def clone_with_new_inputs(self, inputs: Sequence[Variable], strict: bool = True) -> Apply:
        """A copy of this node applied to ``inputs``.

        With ``strict=True`` the input types must be the same; otherwise the op's
        ``make_node`` is called again, so output types follow the new inputs.
        """
        if len(inputs) != len(self.inputs):
            raise ValueError(f"{self.op}: expected {len(self.inputs)} inputs, got {len(inputs)}")
        remake = False
        new_inputs = list(inputs)
        for i, (cur, new) in enumerate(zip(self.inputs, new_inputs, strict=False)):
            if cur.type != new.type:
                if strict:
                    new_inputs[i] = cur.type.filter_variable(new)
                else:
                    remake = True
        if remake:
            node = self.op.make_node(*new_inputs)
            node.tag = self.tag.copy()
            return node
        node = self.clone()
        node.inputs = new_inputs
        return node

    def get_parents(self) -> list[Variable]:
        return list(self.inputs)

    def __str__(self) -> str:
        return f"{self.op}({', '.join(str(i) for i in self.inputs)})"

    __repr__ = __str__


class Variable(Node):
    """A symbolic value of a given ``type``.

    ``owner`` is the Apply node computing it (None for graph inputs), ``index`` its output
    position, ``name`` an optional user name, ``tag`` a scratchpad (``test_value``, ``trace``).
    """

    __count__ = _var_ids

    def __init__(
        self,
        type: Type,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ):
        from symcore.graph.type import Type as _Type

        if not isinstance(type, _Type):
            raise TypeError(f"Variable expects a Type instance, got {type!r}")
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.auto_name = f"auto_{next(_var_ids)}"
        self.tag = ValidatingScratchpad("test_value", type.filter)

    # -- printing --------------------------------------------------------------------
    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = self.owner.op
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)

    # -- helpers ---------------------------------------------------------------------
    def clone(self, **kwargs: Any) -> Variable:
        """A new ownerless variable of the same type, name and tag."""
        cp = self.__class__(self.type, None, None, kwargs.get("name", self.name))
        cp.tag = self.tag.copy()
        return cp

    def get_parents(self) -> list[Apply]:
        return [self.owner] if self.owner is not None else []

    def get_test_value(self):
        """The ``tag.test_value`` of this variable; raises ``TestValueError`` when missing."""
        from symcore.graph.utils import TestValueError

        if not hasattr(self.tag, "test_value"):
            raise TestValueError(f"{self} has no test value")
        return self.tag.test_value

    def eval(self, inputs_to_values: dict | None = None):
        """Compile (and cache) a function computing this variable and call it."""
        from symcore.compile.function import function

        inputs_to_values = inputs_to_values or {}
        inputs = tuple(sorted(inputs_to_values, key=id))
        cache = self.__dict__.setdefault("_eval_cache", {})
        fn = cache.get(inputs)
        if fn is None:
            fn = cache[inputs] = function(list(inputs), self, on_unused_input="ignore")
        return fn(*[inputs_to_values[i] for i in inputs])

    def __getstate__(self):
        d = self.__dict__.copy()
        d.pop("_eval_cache", None)
        return d


class AtomicVariable(Variable):
    """A variable that is never computed by a node (inputs, constants, shared variables)."""


class Constant(AtomicVariable):
    """A variable with a fixed value ``data``, filtered through its type."""

    def __init__(self, type: Type, data: Any, name: str | None = None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data)

    def signature(self):
        return (self.type, self.type.data_signature(self.data))

    def equals(self, other: Any) -> bool:
        return isinstance(other, Constant) and self.signature() == other.signature()

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        s = str(self.data)
        return s if len(s) <= 20 else s[:10] + "..." + s[-7:]

    def clone(self, **kwargs: Any) -> Constant:
        cp = self.__class__(self.type, self.data, kwargs.get("name", self.name))
        cp.tag = self.tag.copy()
        return cp

    @property
    def value(self):
        return self.data

    owner = property(lambda self: None, lambda self, v: _refuse_owner(v))


def _refuse_owner(v):
    if v is not None:
        raise ValueError("A Constant cannot have an owner")


# ---------------------------------------------------------------------------------------
# Walking graphs
# ---------------------------------------------------------------------------------------


def walk(nodes: Iterable, expand: Callable[[Any], Iterable | None], bfs: bool = True) -> Iterator:
    """Yield nodes reachable from ``nodes`` through ``expand``, each once."""
    queue = deque(nodes)
    seen: set[int] = set()
    pop = queue.popleft if bfs else queue.pop
    while queue:
        n = pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        nxt = expand(n)
        if nxt:
            queue.extend(nxt)


def ancestors(
    graphs: Iterable[Variable], blockers: Iterable[Variable] | None = None
) -> Iterator[Variable]:
    """All variables the ``graphs`` depend on (themselves included), stopping at ``blockers``."""
    blocked = set(blockers) if blockers else set()

    def expand(v: Variable):
        if v.owner is not None and v not in blocked:
            return reversed(v.owner.inputs)
        return None

    return walk(graphs, expand, bfs=False)


def graph_inputs(
    graphs: Iterable[Variable], blockers: Iterable[Variable] | None = None
) -> list[Variable]:
    """The ownerless (or blocked) variables that ``graphs`` depend on, in discovery order."""
    blocked = set(blockers) if blockers else set()
    return [v for v in ancestors(graphs, blocked) if v.owner is None or v in blocked]


inputs = graph_inputs  # Theano's name


def vars_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Variable]:
    """Variables on paths from ``ins`` to ``outs`` (both included)."""
    ins = set(ins)

    def expand(v):
        if v.owner is not None and v not in ins:
            return v.owner.inputs + v.owner.outputs
        return None

    return list(walk(outs, expand))


def applys_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Apply]:
    """Apply nodes on paths from ``ins`` to ``outs``."""
    ins = set(ins)
    nodes: dict[int, Apply] = {}
    for v in ancestors(outs, ins):
        if v.owner is not None and v not in ins:
            nodes[id(v.owner)] = v.owner
    return list(nodes.values())


def orphans_between(ins: Iterable[Variable], outs: Iterable[Variable]) -> list[Variable]:
    """Ownerless variables reachable from ``outs`` that are not in ``ins`` (e.g. constants)."""
    ins_set = set(ins)
    return [v for v in graph_inputs(outs, ins_set) if v not in ins_set]


def io_toposort(
    inputs: Iterable[Variable],
    outputs: Iterable[Variable],
    orderings: dict[Apply, list[Apply]] | None = None,
) -> list[Apply]:
    """Apply nodes between ``inputs`` and ``outputs`` in an order where inputs come first.

    Iterative (no recursion limit); linear in the size of the graph. ``orderings`` maps a
    node to extra nodes that must run before it.
    """
    inputs = set(inputs)
    order: list[Apply] = []
    done: set[int] = set()
    visiting: set[int] = set()
    for out in outputs:
        if out.owner is None or out in inputs or id(out.owner) in done:
            continue
        stack: list[tuple[Apply, bool]] = [(out.owner, False)]
        while stack:
            node, expanded = stack.pop()
            nid = id(node)
            if expanded:
                visiting.discard(nid)
                if nid not in done:
                    done.add(nid)
                    order.append(node)
                continue
            if nid in done:
                continue
            if nid in visiting:
                raise ValueError("The graph contains a cycle")
            visiting.add(nid)
            stack.append((node, True))
            preds = [i.owner for i in node.inputs if i.owner is not None and i not in inputs]
            if orderings and node in orderings:
                preds.extend(orderings[node])
            for p in reversed(preds):
                if id(p) not in done:
                    stack.append((p, False))
    return order


def list_of_nodes(inputs: Iterable[Variable], outputs: Iterable[Variable]) -> list[Apply]:
    return io_toposort(inputs, outputs)


def is_in_ancestors(node: Apply, candidate: Apply) -> bool:
    """True when ``candidate`` is an ancestor node of ``node``."""
    return any(v.owner is candidate for v in ancestors(node.inputs))


def clone_get_equiv(
    inputs: Sequence[Variable],
    outputs: Sequence[Variable],
    copy_inputs: bool = True,
    copy_orphans: bool = True,
    memo: dict | None = None,
) -> dict:
    """Copy the graph between ``inputs`` and ``outputs``; return the old→new mapping."""
    memo = {} if memo is None else memo
    for inp in inputs:
        if inp not in memo:
            memo[inp] = inp.clone() if copy_inputs else inp
    for node in io_toposort(inputs, outputs):
        for inp in node.inputs:
            if inp not in memo:
                memo[inp] = inp.clone() if (copy_orphans and not _is_shared(inp)) else inp
        new_node = node.clone_with_new_inputs([memo[i] for i in node.inputs], strict=False)
        memo[node] = new_node
        for old, new in zip(node.outputs, new_node.outputs, strict=False):
            memo.setdefault(old, new)
    for out in outputs:
        if out not in memo:
            memo[out] = out.clone() if (copy_orphans and not _is_shared(out)) else out
    return memo


def _is_shared(v: Variable) -> bool:
    return getattr(v, "_is_shared_variable", False)


def clone(
    inputs: Sequence[Variable],
    outputs: Sequence[Variable],
    copy_inputs: bool = True,
    copy_orphans: bool = True,
) -> tuple[list[Variable], list[Variable]]:
    """Copy the graph between ``inputs`` and ``outputs``; return the new inputs and outputs."""
    equiv = clone_get_equiv(inputs, outputs, copy_inputs, copy_orphans)
    return [equiv[i] for i in inputs], [equiv[o] for o in outputs]


def clone_replace(
    output,
    replace: dict | Sequence[tuple] | None = None,
    share_inputs: bool = True,
):
    """Copy ``output`` (a variable or a list) with variables in ``replace`` substituted.

    ``share_inputs=True`` keeps the graph inputs (and shared variables) themselves; otherwise
    they are copied too. This is ``symcore.clone`` (Theano's ``theano.clone``).
    """
    if replace is None:
        items: list[tuple] = []
    elif isinstance(replace, dict):
        items = list(replace.items())
    else:
        items = list(replace)
    from symcore.tensor.basic import as_tensor_variable  # noqa: WPS433 - tensor is core

    pairs = []
    for old, new in items:
        if not isinstance(new, Variable):
            new = as_tensor_variable(new)
        if old.type != new.type:
            try:
                new = old.type.filter_variable(new)
            except TypeError:
                pass
        pairs.append((old, new))
    single = isinstance(output, Variable)
    outs = [output] if single else list(output)
    memo: dict = {}
    for old, new in pairs:
        memo[old] = new
    all_inputs = graph_inputs(outs, [old for old, _ in pairs])
    for inp in all_inputs:
        if inp not in memo:
            memo[inp] = (
                inp
                if (share_inputs or _is_shared(inp) or isinstance(inp, Constant))
                else inp.clone()
            )
    equiv = clone_get_equiv(all_inputs, outs, copy_inputs=False, copy_orphans=False, memo=memo)
    new_outs = [equiv[o] for o in outs]
    return new_outs[0] if single else new_outs


def get_var_by_name(graphs: Iterable[Variable], name: str) -> list[Variable]:
    """Variables in ``graphs`` whose name is ``name``."""
    return [v for v in ancestors(graphs) if v.name == name]
