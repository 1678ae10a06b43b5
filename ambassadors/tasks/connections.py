"""Tasks of connections (filled in by the publishing work)."""
