"""Log records carry the organisation in scope, so every line can be traced to its tenant."""

import json
import logging
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied

log_organization_id: ContextVar[int | None] = ContextVar("log_organization_id", default=None)
# The name of the API token behind the current API call, for the audit trail (advocacy.services.audit_log).
acting_api_token: ContextVar[str | None] = ContextVar("acting_api_token", default=None)


class OrganizationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "organization_id"):
            record.organization_id = log_organization_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers. Kept to the fields we query on."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "organization_id": getattr(record, "organization_id", None),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class ExpectedRefusalFilter(logging.Filter):
    """A PermissionDenied is the application answering 403 on purpose: its warning keeps the one line (method,
    path, status) and drops the traceback, which says nothing the line does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
