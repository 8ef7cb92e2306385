"""Deterministic demo data: plain Python values, no database code."""
