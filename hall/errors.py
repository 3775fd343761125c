"""What can go wrong in the hall's rules, each with a message in the reader's language and the
HTTP status an API answers with."""
from flask_babel import lazy_gettext as _l


class HallError(Exception):
    status = 409
    message = _l("That cannot be done now.")

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class NotFound(HallError):
    status = 404
    message = _l("Not found.")


class Invalid(HallError):
    status = 422
    message = _l("Please check what you entered.")


class FieldsInvalid(Invalid):
    """Several fields of a form may be wrong at once: errors maps a field name to its message."""

    def __init__(self, errors: dict, message=None):
        self.errors = errors
        super().__init__(message or _l("Please correct the marked fields. Nothing was saved."))


class ServiceRetired(NotFound):
    """A retired service takes no new ticket or booking; its old ones keep its name."""
    message = _l("This service is no longer offered here. Please ask at the front desk.")


class HallClosed(HallError):
    message = _l("The hall is closed now. Please come back during opening hours.")


class ServicePaused(HallError):
    message = _l("This service is paused for now. Please ask at the front desk.")


class WrongState(HallError):
    message = _l("This ticket has already moved on; the list has been refreshed.")


class AlreadyRated(HallError):
    message = _l("This visit has already been rated. Thank you!")


class Forbidden(HallError):
    status = 403
    message = _l("You may not open this.")
