"""The rewrite engine: node and graph rewriters, patterns, equilibrium, the rewrite database.

Public API (stable; import everything from ``symcore.rewriting``)
==================================================================

Node rewriters (look at one Apply node, propose replacements)
-------------------------------------------------------------
``@node_rewriter(tracks, inplace=False)``
    Decorates ``fn(fgraph, node)``. ``tracks`` is a list of Op classes (match by
    ``isinstance``) and/or Op instances (match by ``==``), or ``None`` for every node.
    ``fn`` returns ``None``/``False`` (no change), a list of replacement variables (one per
    ``node.outputs``; an entry ``None`` keeps that output) or a dict ``{old_var: new_var}``.
    ``inplace=True`` means the rewriter creates Ops with a ``destroy_map``: a
    ``DestroyHandler`` is attached before it runs. The result is a ``NodeRewriter`` whose
    ``__name__``/``name`` is the function's name. Replacements that fail validation
    (e.g. the DestroyHandler refuses them) are rolled back silently; an exception raised
    by ``fn`` follows ``config.on_opt_error``: ``"warn"`` (one warning per rewrite and op,
    node skipped), ``"raise"``, ``"ignore"``. Each replacement keeps the user's stack
    trace: new nodes get ``tag.trace`` of the node they replace (``copy_stack_trace``).

``NodeRewriter``: base class (``tracks()``, ``transform(fgraph, node)``,
    ``add_requirements(fgraph)``).
``SequentialNodeRewriter(*rewriters)``: tries each rewriter on a node, first one wins.
``PatternNodeRewriter(in_pattern, out_pattern, allow_multiple_clients=False, name=None)``
    Patterns are tuples ``(head, *args)``. In ``in_pattern`` a head is an Op instance
    (matched by ``==``), an Op class (``isinstance``), or any callable that builds a node
    (e.g. a function ``log(x)``: it is probed on placeholders of the node's input types and
    matched by the op it builds). Leaves are strings (pattern variables; a repeated name
    must bind the same variable), numbers/arrays (match constants of that value, seeing
    through broadcastable dims), nested tuples, or ``{"pattern": leaf_or_tuple,
    "constraint": fn(var) -> bool}``. In ``out_pattern`` heads are called with the built
    arguments (Op instances or functions) and leaves are pattern variables or constants.
    Example: ``PatternNodeRewriter((log, (add, 1, "x")), (log1p, "x"))``.
    Intermediate matched nodes must have one client unless ``allow_multiple_clients``.

Graph rewriters (rewrite a whole FunctionGraph)
-----------------------------------------------
``GraphRewriter``: base; implement ``apply(fgraph)``; call ``rewrite(fgraph)`` (attaches
    the requirements — ``ReplaceValidate`` — then applies). ``@graph_rewriter`` turns
    ``fn(fgraph)`` into one.
``SequentialGraphRewriter(*rewriters)``: runs graph rewriters in order.
``WalkingGraphRewriter(node_rewriter, order="in_to_out"|"out_to_in", ignore_newtrees=False)``
    One walk over the nodes (new nodes are visited too unless ``ignore_newtrees``).
``in2out(*node_rewriters, **kw)`` / ``out2in(...)``: shortcuts building the walker.
``EquilibriumGraphRewriter(rewriters, max_use_ratio=None, final_rewriters=(), ...)``
    Applies node rewriters (and graph rewriters each round) until nothing changes. Uses a
    worklist of changed nodes (no full re-walk per change) and a max-use safeguard: a
    rewriter applied more than ``max_use_ratio * n_nodes`` times stops the loop with a
    ``RewriteWarning``.
``MergeOptimizer`` (alias ``MergeRewriter``) / ``MergeFeature``: common-subexpression
    elimination (equal op and identical inputs; equal constants by signature).
``DestroyHandler``: feature checking in-place Ops (``destroy_map``/``view_map``): refuses
    to destroy constants, graph inputs (unless in ``fgraph.mutable_inputs``, a set the
    compiler may set for ``In(mutable=True)``/updated shared values), graph outputs, or a
    value another node still needs after the destroyer; adds orderings so the destroyer
    runs last. ``fgraph.destroy_handler`` is the attached instance;
    ``fgraph.destroy_handler.destroyable(fgraph, var)`` is a cheap pre-check for inplace
    rewriters.
``copy_stack_trace(from_var, to_var)``: copy user traces to new variables/nodes.
``constant_folding``: node rewriter computing nodes whose inputs are all constants
    (respects ``op.do_constant_folding(fgraph, node)``); registered by the engine in
    canonicalize/specialize with the tags ``fast_run``, ``fast_compile``, ``constant_folding``.

Database (``symcore.rewriting.db``)
-----------------------------------
``RewriteDatabase.register(name, rewriter, *tags, **kw)``, ``db[name]``, ``db.query(q)``.
``RewriteDatabaseQuery(include, require=(), exclude=(), subquery=None)`` with
``.including(*tags) .excluding(*tags) .requiring(*tags)``: selects the rewriters having
any ``include`` tag (a rewriter's name is also a tag), all ``require`` tags and no
``exclude`` tag; sub-databases are queried recursively.
``SequenceDB`` (``register(..., position=float)``, runs in position order),
``EquilibriumDB`` (``register(..., final_rewriter=False)``: one EquilibriumGraphRewriter),
``LocalGroupDB`` (node rewriters tried in turn), ``TopoDB`` (a walk over a group).

The global database ``rewrite_db`` (alias ``optdb``) has these phases, each a sub-database
you can register into (``rewrite_db["canonicalize"].register(...)``):

=====================  ========  ==================  =================================
name                   position  kind                tags
=====================  ========  ==================  =================================
merge1                 0         MergeOptimizer      fast_run fast_compile merge
useless                0.6       TopoDB(LocalGroup)  fast_run fast_compile
canonicalize           1         EquilibriumDB       fast_run fast_compile
stabilize              1.5       EquilibriumDB       fast_run  (empty in the core)
blas                   1.7       SequenceDB          fast_run
specialize             2         EquilibriumDB       fast_run
uncanonicalize         3         EquilibriumDB       fast_run
merge2                 48.5      MergeOptimizer      fast_run merge
elemwise_fusion        49        SequenceDB          fast_run fusion
add_destroy_handler    49.5      attaches DH         fast_run inplace
(inplace rewrites)     50..75    direct entries      fast_run inplace
merge3                 100       MergeOptimizer      fast_run fast_compile merge
=====================  ========  ==================  =================================

Registration helpers (``symcore.rewriting.register``; re-exported here), usable bare as a
decorator, with extra tags, or with ``name=``::

    @register_canonicalize
    @node_rewriter([Elemwise])
    def local_mul_one(fgraph, node): ...

    @register_specialize("fast_compile", name="my_name")
    @node_rewriter([Elemwise])
    def ...

``register_canonicalize`` (tags fast_run fast_compile), ``register_stabilize`` /
``register_specialize`` / ``register_uncanonicalize`` (fast_run), ``register_useless``
(the ``useless`` group, run in its own walk and inside canonicalize; fast_run
fast_compile), ``register_inplace(rw, *tags, position=60, name=None)`` (graph rewriter
or node rewriter — wrapped in ``in2out`` — at ``position`` in 50..75, tags fast_run
inplace), ``register_fusion(rw, *tags, position=1, name=None)`` (into ``elemwise_fusion``),
``register_blas(rw, *tags, position=..., name=None)`` (into ``blas``).

Plugins register through ``symcore.plugins`` (``registry.add_rewrite(name, rw, *tags,
phase=.. or position=..)``); the database reads those records the first time it is
queried: a record with ``phase`` canonicalize/stabilize/specialize goes into that
EquilibriumDB, ``blas``/``fusion`` into those SequenceDBs, one with only a position
becomes its own entry at that position. The tensor rewrites of the core live in
``symcore.tensor.rewriting`` and are imported the first time the database is queried.

Modes (``symcore.compile.mode``)
--------------------------------
``Mode(linker=None, optimizer="default")``: ``linker`` is an object with
``make_thunk(fgraph)``, or ``"py"`` (reference linker), ``"auto"``/``None`` (the backend
registered for ``config.device``, honouring ``config.linker``) or a backend name;
``optimizer`` is a ``RewriteDatabaseQuery``, a ``GraphRewriter``, a name
(``"fast_run"``, ``"fast_compile"``, ``"merge"``, ``None``) or ``"default"``
(``config.optimizer``). ``mode.optimizer`` is the GraphRewriter to run
(``mode.optimizer.rewrite(fgraph)``), ``mode.linker`` the linker object.
A linker may declare ``required_rewrites`` / ``incompatible_rewrites`` (tag tuples): the
mode's query includes / excludes them. A linker that can run single nodes may define
``make_node_thunk(node, fgraph) -> thunk(list_of_input_values) -> list_of_outputs``;
DebugMode compares those thunks to ``perform``, NanGuardMode and profiling time them.
``mode.raw_optimizer`` / ``mode.raw_linker`` are the unwrapped objects (``mode.optimizer``
and ``mode.linker`` wrap them to record times in ``fgraph.profile`` when profiling).

Shapes (``symcore.tensor.rewriting.shape``)
-------------------------------------------
``ShapeFeature`` (attach with ``attach_shape_feature(fgraph)``, or give a node rewriter
``requirements=[attach_shape_feature]``): ``fgraph.shape_feature.shape_of[var]`` is a tuple
of int64 scalar variables from each Op's ``infer_shape`` (graph inputs: ``Shape_i``,
constant 1 for broadcastable dims, constants for static sizes); ``same_shape(x, y)``.
``local_shape_to_shape_i`` / ``local_shape_i_lift`` (canonicalize + specialize, tag
``shape``) make ``x.shape`` of intermediates a graph on the inputs' shapes.

Output tags honoured by DebugMode / NanGuardMode (Theano's convention): an Op whose output
is uninitialised memory (``AllocEmpty``) sets ``out.tag.values_eq_approx`` (always true)
and ``out.tag.nan_guard_mode_check = False`` in ``make_node``.
"""

from symcore.rewriting.basic import (
    GraphRewriter,
    NodeRewriter,
    NoRewrite,
    RewriteWarning,
    SequentialGraphRewriter,
    SequentialNodeRewriter,
    copy_stack_trace,
    graph_rewriter,
    node_rewriter,
)
from symcore.rewriting.db import (
    EquilibriumDB,
    LocalGroupDB,
    RewriteDatabase,
    RewriteDatabaseQuery,
    SequenceDB,
    TopoDB,
    optdb,
    rewrite_db,
)
from symcore.rewriting.destroyhandler import DestroyHandler, attach_destroy_handler
from symcore.rewriting.folding import constant_folding
from symcore.rewriting.merge import MergeFeature, MergeOptimizer, MergeRewriter
from symcore.rewriting.pattern import PatternNodeRewriter
from symcore.rewriting.register import (
    register_blas,
    register_canonicalize,
    register_fusion,
    register_inplace,
    register_specialize,
    register_stabilize,
    register_uncanonicalize,
    register_useless,
)
from symcore.rewriting.walking import (
    EquilibriumGraphRewriter,
    WalkingGraphRewriter,
    in2out,
    out2in,
)

__all__ = [
    "DestroyHandler",
    "EquilibriumDB",
    "EquilibriumGraphRewriter",
    "GraphRewriter",
    "LocalGroupDB",
    "MergeFeature",
    "MergeOptimizer",
    "MergeRewriter",
    "NoRewrite",
    "NodeRewriter",
    "PatternNodeRewriter",
    "RewriteDatabase",
    "RewriteDatabaseQuery",
    "RewriteWarning",
    "SequenceDB",
    "SequentialGraphRewriter",
    "SequentialNodeRewriter",
    "TopoDB",
    "WalkingGraphRewriter",
    "attach_destroy_handler",
    "constant_folding",
    "copy_stack_trace",
    "graph_rewriter",
    "in2out",
    "node_rewriter",
    "optdb",
    "out2in",
    "register_blas",
    "register_canonicalize",
    "register_fusion",
    "register_inplace",
    "register_specialize",
    "register_stabilize",
    "register_uncanonicalize",
    "register_useless",
    "rewrite_db",
]
