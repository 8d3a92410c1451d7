"""The errors the kit raises for bad input: each carries one short message for the user."""


class KitError(Exception):
    """Bad input the user can fix: the CLI prints the message alone, no traceback."""


class ParamsError(KitError):
    """A params file that cannot be read or does not describe a valid run."""


class DataError(KitError):
    """Input data that does not meet the data contract."""


class EmptySliceError(DataError):
    """The slice and period select no paid orders and no events."""
