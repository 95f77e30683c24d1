"""What every router shares: errors, ids, a person's reference, the answer to a revocation."""

from typing import Annotated

from ninja import Field, Path, Schema

# Row ids are 64-bit (BigAutoField): a larger number is refused (422) before any query.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words a person can act on.")


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldError]


def responses(ok, *codes: int, status: int = 200) -> dict:
    """An operation's answers: `ok` for `status`, and the errors it can give (401, 403 and 422 always:
    authentication, the api scope or admin role, and the request's parameters)."""
    answers = {status: ok, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
    answers.update({code: ErrorOut for code in codes})
    return answers


class PersonRef(Schema):
    id: int
    username: str


class RevokedOut(Schema):
    detail: str
    clients_stopped: int = Field(description="Session and connection rows closed with the credential.")
