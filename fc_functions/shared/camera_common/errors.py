"""Errors that become HTTP answers."""


class HttpError(Exception):
    """An answer with a status code and a short, safe message (never a stack trace)."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(message, code="BadRequest"):
    return HttpError(400, code, message)


def unauthorized(message="request signature is missing or wrong", code="Unauthorized"):
    return HttpError(401, code, message)


def forbidden(message="forbidden", code="Forbidden"):
    return HttpError(403, code, message)


def not_found(message="not found", code="NotFound"):
    return HttpError(404, code, message)


def conflict(message, code="Conflict"):
    return HttpError(409, code, message)
