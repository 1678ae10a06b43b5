"""The ambassadors app's tasks, one module per concern; Celery's autodiscovery imports this package."""

from ambassadors.tasks import channels, connections, digests, metrics, notifications, publishing

__all__ = ["channels", "connections", "digests", "metrics", "notifications", "publishing"]
