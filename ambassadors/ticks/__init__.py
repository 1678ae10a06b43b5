"""Cross-tenant beat ticks of the ambassadors app: each lists (id, organization_id) pairs under scopes_disabled()
and nothing else; the work runs in per-organisation tasks."""
