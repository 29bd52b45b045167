"""Every table in the dashboard is a dash-ag-grid grid, declared here once (look, sorting, selection)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag

NUMBER_FORMAT = {"function": "params.value == null ? '\u2014' : d3.format(',.4~f')(params.value)"}


def grid(
    grid_id: str,
    columns: Sequence[tuple[str, str]],
    rows: list[dict[str, Any]],
    *,
    numeric: Sequence[str] = (),
    selectable: bool = False,
    page_size: int = 15,
    wide: Sequence[str] = (),
    cell_styles: dict[str, Any] | None = None,
    row_ids: bool = False,
) -> dag.AgGrid:
    """A sortable, filterable grid of ``rows``; ``columns`` = (field, header). Row ids are ``row["id"]`` when
    rows have one. ``selectable``: one row at a time (``selectedRows`` carries it)."""
    defs = []
    for col, header in columns:
        d: dict[str, Any] = {"field": col, "headerName": header, "sortable": True, "filter": True}
        if col in numeric:
            d.update({"type": "numericColumn", "filter": "agNumberColumnFilter", "maxWidth": 130})
        if col in wide:
            d.update({"flex": 3, "wrapText": True, "autoHeight": True, "minWidth": 260})
        else:
            d["flex"] = 1
        if cell_styles and col in cell_styles:
            d["cellStyle"] = cell_styles[col]
        defs.append(d)
    options: dict[str, Any] = {
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "domLayout": "autoHeight",
        "animateRows": False,
        "enableCellTextSelection": True,
    }
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True, "checkboxes": True}
    kwargs: dict[str, Any] = {}
    if row_ids or (rows and "id" in rows[0]):
        kwargs["getRowId"] = "params.data.id"
    return dag.AgGrid(
        id=grid_id,
        columnDefs=defs,
        rowData=rows,
        dashGridOptions=options,
        defaultColDef={"resizable": True},
        style={"width": "100%"},
        selectedRows=[],
        **kwargs,
    )
