"""The ambassadors app's tasks, one module per concern; Celery's autodiscovery imports this package."""

from ambassadors.tasks import connections, digests, metrics, notifications, publishing

__all__ = ["connections", "digests", "metrics", "notifications", "publishing"]
