"""The ambassadors app's tasks, one module per concern; Celery's autodiscovery imports this package."""

from ambassadors.tasks import channels, connections, metrics, notifications, publishing

__all__ = ["channels", "connections", "metrics", "notifications", "publishing"]
