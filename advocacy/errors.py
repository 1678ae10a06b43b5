class ServiceError(Exception):
    """A business rule refused an action. ``message`` is translated and safe to show to the user."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
