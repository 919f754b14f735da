"""Exception classes raised by the library; only the CLI turns them into messages."""


class MeasuresError(Exception):
    """Base class for every error this package raises on purpose."""


class InputError(MeasuresError):
    """An input file or value cannot be read or used; the message names it and why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class LabelDataError(MeasuresError):
    """The label schema or the labelled sentences are invalid."""


class ModelError(MeasuresError):
    """A model directory is missing, corrupt, untrusted or from an incompatible version."""
