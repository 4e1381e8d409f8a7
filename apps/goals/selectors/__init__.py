"""Reads of the goals app, one module per part, re-exported here."""
