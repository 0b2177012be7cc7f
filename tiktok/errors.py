"""One error type for a request that cannot be honoured, and the one place it becomes a response.

Services raise `Refused("Write something first.")` (or with another HTTP status); views let it
propagate and `RefusedMiddleware` answers with the message as plain text. A view that shows the
message inside a form catches it instead."""

from django.http import HttpResponse


class Refused(Exception):
    """Something a person asked for that cannot be done; `message` is shown to them as is."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def refused_response(exc: Refused) -> HttpResponse:
    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


class RefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Refused):
            return refused_response(exception)
        return None
