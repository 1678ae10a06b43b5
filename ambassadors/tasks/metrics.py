"""Tasks of metrics (filled in by the publishing work)."""
