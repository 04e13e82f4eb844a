"""The HTTP parser's one exception type."""


class HTTPParseError(ValueError):
    """Bytes that are not the HTTP element expected; ``weird`` is Zeek's name for it."""

    def __init__(self, weird: str, addl: str | None = None):
        super().__init__(weird if addl is None else f"{weird}: {addl}")
        self.weird = weird
        self.addl = addl
        self.version: tuple[int, int] | None = None     # a version already read before the line was rejected
