"""``python -m symcore info``: versions, plugins, backends, devices, compiler, BLAS, flags."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pluggy

from symcore import plugins
from symcore.config import config
from symcore.plugins.manager import dist_version
from symcore.plugins.records import PluginRecord


def _plugin_lines(record: PluginRecord, info: dict[str, str]) -> list[str]:
    label = "core" if record.builtin else f"{record.dist} {record.version}".strip()
    head = f"  {record.name} ({label}): {record.status}"
    if not record.ok:
        return [f"{head}: {record.error}"]
    lines = [head]
    backends = {b.name: b for b in plugins.registered_backends()}
    for name in record.backends:
        b = backends[name]
        lines.append(
            f"    backend {name}: devices {', '.join(b.devices)}; priority {b.priority}"
            + (f"; {b.description}" if b.description else "")
        )
    if record.ops:
        lines.append(f"    ops: {', '.join(record.ops)}")
    if record.types:
        lines.append(f"    types: {', '.join(record.types)}")
    rewrites = {r.name: r for r in plugins.registered_rewrites()}
    for name in record.rewrites:
        r = rewrites[name]
        lines.append(
            f"    rewrite {name}: phase {r.phase} (position {r.position:g}); "
            f"tags {', '.join(r.tags) or 'none'}"
        )
    if record.flags:
        lines.append(f"    flags: {', '.join(record.flags)}")
    if not record.registered():
        lines.append("    registers nothing yet")
    lines.extend(f"    {key}: {value}" for key, value in info.items())
    return lines


def format_info() -> str:
    """The full ``symcore info`` report."""
    plugins.load_plugins()
    infos = plugins.plugin_info()
    core = infos.pop("symcore", {})
    out = [
        f"symcore {dist_version('symcore')}",
        f"python {platform.python_version()} ({sys.executable})",
        f"numpy {np.__version__}",
        f"pluggy {pluggy.__version__}",
        "",
        f"plugins (entry point group {plugins.ENTRY_POINT_GROUP!r}):",
    ]
    for record in plugins.list_plugins():
        out.extend(_plugin_lines(record, {} if record.builtin else infos.get(record.name, {})))
    out += ["", "devices:"]
    for backend in plugins.registered_backends():
        out.append(
            f"  {', '.join(backend.devices)} -> backend {backend.name} "
            f"(priority {backend.priority})"
        )
    try:
        current = plugins.get_backend_for_device().name
    except plugins.BackendNotFoundError as exc:
        current = f"none: {exc}"
    out.append(f"  device={config.device!r} linker={config.linker!r} -> {current}")
    out += ["", f"compiler: {core.get('compiler', '?')}", f"BLAS: {core.get('BLAS', '?')}", ""]
    changed = config.changed_flags()
    out.append("active flags (not at default):" if changed else "active flags: all at default")
    out.extend(f"  {name} = {value!r} (from {source})" for name, (value, source) in changed.items())
    return "\n".join(out)
