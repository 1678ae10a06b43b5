"""Writes of the ambassadors app, one module per concern: connected accounts, shares, the publishing engine."""
