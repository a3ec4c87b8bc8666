"""The data files shipped in ``corpus/data/`` (word lists, the abbreviation table)."""

from __future__ import annotations

from importlib import resources


def packaged_text(name: str) -> str:
    """The text of ``corpus/data/<name>``, read from the installed package."""
    return resources.files("corpus").joinpath("data", name).read_text(encoding="utf-8")


def content_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines that are neither blank nor "#" comments."""
    return [(n, line.rstrip("\r\n")) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
