"""serpens: ports, in-memory fakes, production adapters and contract suites for services.

Importing ``serpens`` (or ``serpens.ports``/``serpens.errors``) needs no SDK; each
toolkit module imports its SDK lazily and names the extra to install when missing.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
