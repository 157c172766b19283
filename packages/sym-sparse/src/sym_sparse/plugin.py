"""symcore hooks of sym-sparse.

Not implemented yet: the plugin registers no Ops or Types; it only reports that
status to ``python -m symcore info``.
"""

from __future__ import annotations

from symcore.plugins import hookimpl

STATUS = "not implemented yet: registers no Ops or Types"


@hookimpl
def symcore_info() -> dict[str, str]:
    return {"status": STATUS}
