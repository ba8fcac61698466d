"""``python -m dualdiff`` is the ``dualdiff`` command."""
from .cli import entry

entry()
