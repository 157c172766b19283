"""symcore hooks of sym-backend-c.

Not implemented yet: the plugin registers no backend; it only reports that
status to ``python -m symcore info``.
"""

from __future__ import annotations

from symcore.plugins import hookimpl

STATUS = "not implemented yet: registers no backend"


@hookimpl
def symcore_info() -> dict[str, str]:
    return {"status": STATUS}
