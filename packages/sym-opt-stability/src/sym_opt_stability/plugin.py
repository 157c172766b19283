"""symcore hooks of sym-opt-stability.

Not implemented yet: the plugin registers no rewrites; it only reports that
status to ``python -m symcore info``.
"""

from __future__ import annotations

from symcore.plugins import hookimpl

STATUS = "not implemented yet: registers no rewrites"


@hookimpl
def symcore_info() -> dict[str, str]:
    return {"status": STATUS}
