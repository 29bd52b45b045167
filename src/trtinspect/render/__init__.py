"""Rendering: every result object (report, lint findings, diff, check) into text, json, markdown, html, sarif,
junit or annotations, and the plotly figures shared by the web app and HTML reports.

Nothing below this package prints or draws; nothing here computes an analysis. See docs/architecture.md.
"""
