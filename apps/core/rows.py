"""Light records for hot read paths: selected columns without a model instance."""


class Row:
    """A record of the columns named in a subclass's `__slots__`, in that order.

    Building a model instance costs several times reading its row; a page that
    judges thousands of rows (a dashboard's probe results) reads them as these.
    """

    __slots__ = ()

    def __init__(self, *values) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id
