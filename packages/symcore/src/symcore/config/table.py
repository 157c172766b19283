"""The flags table of the README, generated from a :class:`Config`."""

from __future__ import annotations

from symcore.config.core import Config


def markdown_table(config: Config) -> str:
    """A Markdown table of all declared flags (``python -m symcore flags --markdown``)."""
    lines = ["| flag | default | allowed | description |", "|---|---|---|---|"]
    for info in config.describe():
        default = f"_{info.default}_" if info.computed_default else f"`{info.default}`"
        note = "" if info.mutable else " Read at import only."
        lines.append(f"| `{info.name}` | {default} | {info.allowed} | {info.doc}{note} |")
    return "\n".join(lines) + "\n"
