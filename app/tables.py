"""The look of every DataTable in the dashboard, declared once."""

from __future__ import annotations

from typing import Any

HEADER_STYLE = {"fontWeight": "bold", "backgroundColor": "#f3f4f6"}


def table_style(max_width: str | None = None) -> dict[str, Any]:
    """``style_cell`` / ``style_header`` keyword arguments for a DataTable (wrapping cells when ``max_width``)."""
    cell: dict[str, Any] = {"textAlign": "left", "fontSize": "13px", "padding": "4px 8px"}
    if max_width is not None:
        cell.update({"maxWidth": max_width, "whiteSpace": "normal", "height": "auto"})
    return {"style_cell": cell, "style_header": HEADER_STYLE}
