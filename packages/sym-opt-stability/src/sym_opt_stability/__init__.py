"""sym-opt-stability: symcore plugin of numerically stable rewrites.

With it installed, ``FAST_RUN`` rewrites naive formulas (``log(1 + x)``,
``1 / (1 + exp(-x))``, ``exp(a) / sum(exp(a))``, ``log(sum(exp(a)))``, the seed's
cross-entropy...) and their gradient graphs into stable forms. The rewrites are registered
through the hooks of :mod:`sym_opt_stability.plugin`, published through the
``symcore.plugins`` entry point group, into the ``stabilize`` phase.

Modules: ``products``/``families``/``stable_products`` (products of exp/sigmoid/softmax/erfc
factors), ``logexp``, ``sigmoid``, ``softmax``, ``crossentropy``, ``erf``, and ``table`` (the
README table; needs SciPy).
"""
