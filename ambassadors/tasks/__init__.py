"""The ambassadors app's tasks, one module per concern; Celery's autodiscovery imports this package."""

from ambassadors.tasks import connections, metrics, notifications, publishing

__all__ = ["connections", "metrics", "notifications", "publishing"]
