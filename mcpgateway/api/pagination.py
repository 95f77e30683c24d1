"""Every list of the API is paged the same way: ?page=1&page_size=50 -> {"items": [...], "count": N}."""

from collections.abc import Callable

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Bounded so an absurd page number is a 422, not an offset no database can take.
MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, **kwargs) -> None:
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)


class Completed:
    """A queryset whose page, once sliced, is completed in bulk by `complete(rows)` (say, with the
    names of the rows' credentials): a constant number of queries per page, not one per row."""

    def __init__(self, queryset, complete: Callable[[list], list]) -> None:
        self.queryset = queryset
        self.complete = complete

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> list:
        return self.complete(list(self.queryset[index]))
