"""Tasks of publishing (filled in by the publishing work)."""
