"""Every differentiable Op of the core has a gradient that ``verify_grad`` accepts.

Each area lists its differentiable functions in ``tests/gradient/op_catalogue_<area>.py``::

    CASES = [
        (name, fn_building_output_from_symbolic_inputs, [input numpy arrays]),
        # optional 4th element: a dict of verify_grad keywords (abs_tol, rel_tol, eps,
        # n_tests) and/or "covers": [OpClass, ...] for Ops that do not appear in the
        # case's forward graph (for instance an Op only built by another Op's gradient)
        ...
    ]

``test_catalogue_case`` runs ``verify_grad`` on every case.
``test_every_differentiable_op_is_covered`` walks the Op classes defined in
``symcore.tensor`` and ``symcore.scalar`` (all submodules) and fails for a differentiable
class without ``grad``/``L_op`` or without a catalogue case whose graph contains it (Ops
nested in Elemwise/CAReduce ``scalar_op`` and in Composite graphs count).

What counts as differentiable: an Op class, unless it sets the class attribute
``differentiable = False`` (argmax, comparisons, shapes, random draws...), or every
module-level instance of it gives only non-float outputs for float inputs (a scalar op
refusing float inputs counts as such). Base classes that other Op classes derive from
are checked through their subclasses, unless they have module-level instances of their own.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import zlib
from pathlib import Path

import numpy as np
import pytest
import symcore
from symcore.gradient import verify_grad
from symcore.graph.basic import Variable, ancestors
from symcore.graph.op import Op
from symcore.tensor.type import TensorType

HERE = Path(__file__).resolve().parent
CORE_PACKAGES = ("symcore.tensor", "symcore.scalar")


# ---------------------------------------------------------------------------------------
# Loading the catalogues
# ---------------------------------------------------------------------------------------


def _load_catalogues():
    """``[(area, case_or_None, error_or_None)]`` for every ``op_catalogue_*.py`` file."""
    found = []
    for path in sorted(HERE.glob("op_catalogue_*.py")):
        area = path.stem[len("op_catalogue_") :]
        try:
            spec = importlib.util.spec_from_file_location(f"symcore_op_catalogue_{area}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            cases = list(module.CASES)
        except Exception as exc:  # reported as a failing case, not a collection error
            found.append((area, None, f"{type(exc).__name__}: {exc}"))
            continue
        for case in cases:
            found.append((area, case, None))
    return found


CATALOGUE = _load_catalogues()


def _case_id(entry) -> str:
    area, case, error = entry
    if error is not None:
        return f"{area}::<import error>"
    return f"{area}::{case[0]}"


def _unpack(case):
    if len(case) == 3:
        name, build, pt = case
        extra = {}
    elif len(case) == 4:
        name, build, pt, extra = case
        extra = dict(extra)
    else:
        raise ValueError(
            f"a catalogue case is (name, fn, inputs[, options]); got {len(case)} items"
        )
    return name, build, [np.asarray(p) for p in pt], extra


# ---------------------------------------------------------------------------------------
# verify_grad on every case
# ---------------------------------------------------------------------------------------


def test_there_are_catalogue_cases():
    assert any(case is not None for _, case, _ in CATALOGUE), "no op_catalogue_*.py case found"


@pytest.mark.parametrize("entry", CATALOGUE, ids=[_case_id(e) for e in CATALOGUE])
def test_catalogue_case(entry):
    area, case, error = entry
    assert error is None, f"op_catalogue_{area}.py could not be loaded: {error}"
    name, build, pt, extra = _unpack(case)
    extra.pop("covers", None)
    rng = np.random.default_rng(zlib.crc32(f"{area}:{name}".encode()))
    verify_grad(build, pt, rng=rng, **extra)


# ---------------------------------------------------------------------------------------
# Coverage of the Op classes
# ---------------------------------------------------------------------------------------


def _core_modules():
    mods, errors = [], []
    for pkg_name in CORE_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        mods.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
            try:
                mods.append(importlib.import_module(info.name))
            except Exception as exc:
                errors.append(f"{info.name}: {type(exc).__name__}: {exc}")
    return mods, errors


def _inner_ops(op, seen=None):
    """``op`` and the Ops nested in it (``scalar_op``, Composite-like inner graphs)."""
    seen = set() if seen is None else seen
    if id(op) in seen:
        return
    seen.add(id(op))
    yield op
    inner = getattr(op, "scalar_op", None)
    if isinstance(inner, Op):
        yield from _inner_ops(inner, seen)
    outs = getattr(op, "outputs", None)
    if isinstance(outs, (list, tuple)) and outs and all(isinstance(o, Variable) for o in outs):
        for v in ancestors(list(outs)):
            if v.owner is not None:
                yield from _inner_ops(v.owner.op, seen)


def _ops_in_case(case) -> set[type]:
    name, build, pt, extra = _unpack(case)
    inputs = [
        TensorType(p.dtype, tuple(s == 1 for s in p.shape))(f"in{i}") for i, p in enumerate(pt)
    ]
    outs = build(*inputs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    classes: set[type] = set(extra.get("covers", ()))
    for v in ancestors([o for o in outs if isinstance(o, Variable)]):
        if v.owner is not None:
            for op in _inner_ops(v.owner.op):
                classes.add(type(op))
    return classes


def _float_probe(op) -> bool | None:
    """Whether ``op`` gives a float output for float inputs (None: cannot tell)."""
    nin = getattr(op, "nin", None)
    if not isinstance(nin, int) or nin < 1:
        return None
    from symcore.scalar.op import ScalarOp

    is_scalar = isinstance(op, ScalarOp)
    try:
        if is_scalar:
            from symcore.scalar.type import get_scalar_type

            ins = [get_scalar_type("float64")() for _ in range(nin)]
        else:
            ins = [TensorType("float64", (False,))() for _ in range(nin)]
        node = op.make_node(*ins)
    except Exception:
        # a scalar op refusing float inputs (bitwise ops) has no float output for them;
        # for other Ops the probe may simply have guessed the inputs wrong
        return False if is_scalar else None
    return any(
        str(getattr(o.type, "dtype", "")).startswith(("float", "complex")) for o in node.outputs
    )


def _differentiable_core_op_classes():
    mods, errors = _core_modules()
    classes: dict[type, None] = {}
    probes: dict[type, list[bool]] = {}
    instantiated: set[type] = set()
    for mod in mods:
        for obj in vars(mod).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Op)
                and obj.__module__.startswith(CORE_PACKAGES)
            ):
                classes.setdefault(obj, None)
            elif isinstance(obj, Op):
                for op in _inner_ops(obj):
                    cls = type(op)
                    if cls.__module__.startswith(CORE_PACKAGES):
                        classes.setdefault(cls, None)
                        instantiated.add(cls)
                        probe = _float_probe(op)
                        if probe is not None:
                            probes.setdefault(cls, []).append(probe)
    has_subclass = {base for cls in classes for base in cls.__mro__[1:] if base in classes}
    result = []
    for cls in classes:
        if cls in has_subclass and cls not in instantiated:
            continue  # a base class: its subclasses are checked
        if not getattr(cls, "differentiable", True):
            continue
        if cls in probes and not any(probes[cls]):
            continue  # only non-float outputs for float inputs (comparisons, isnan...)
        result.append(cls)
    return sorted(result, key=lambda c: (c.__module__, c.__name__)), errors


def _has_grad(cls: type) -> bool:
    return (
        getattr(cls, "grad", Op.grad) is not Op.grad or getattr(cls, "L_op", Op.L_op) is not Op.L_op
    )


def test_every_differentiable_op_is_covered():
    classes, import_errors = _differentiable_core_op_classes()
    assert not import_errors, "core modules failed to import:\n" + "\n".join(import_errors)
    covered: set[type] = set()
    build_errors = []
    for area, case, _error in CATALOGUE:
        if case is None:
            continue
        try:
            covered |= _ops_in_case(case)
        except Exception as exc:
            build_errors.append(
                f"op_catalogue_{area}.py case {case[0]!r}: {type(exc).__name__}: {exc}"
            )
    problems = []
    for cls in classes:
        where = f"{cls.__module__}.{cls.__name__}"
        if not _has_grad(cls):
            problems.append(f"{where}: no grad or L_op")
        if cls not in covered:
            problems.append(
                f"{where}: no case in tests/gradient/op_catalogue_*.py builds it (add one, or "
                "set `differentiable = False` on the class if it has no gradient by nature)"
            )
    assert not build_errors, "catalogue cases failed to build:\n" + "\n".join(build_errors)
    assert not problems, (
        f"{len(problems)} differentiable core Op classes are not covered:\n" + "\n".join(problems)
    )


def test_coverage_walk_sees_known_ops():
    """The walk itself works: it finds Elemwise-level scalar ops and honours the marker."""
    classes, _ = _differentiable_core_op_classes()
    names = {c.__name__ for c in classes}
    assert "Elemwise" in names
    assert "Exp" in names
    for cls in classes:
        assert getattr(cls, "differentiable", True)
    assert "LT" not in names  # bool output for float inputs: not differentiable
    assert symcore.gradient.ZeroGrad not in classes  # not a core tensor/scalar module
