"""Bundled real sample engines (data only; see PROVENANCE.md)."""
