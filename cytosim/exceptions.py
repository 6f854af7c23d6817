"""The exceptions cytosim raises.

One shallow hierarchy: every error derives from :class:`CytosimError` and from the
built-in exception a caller would naturally catch (``ValueError`` for bad input,
``RuntimeError`` for numerical failures, ``OSError`` for storage, ``ImportError`` for a
missing optional dependency).
"""

from __future__ import annotations

__all__ = [
    "CytosimError",
    "MissingDependencyError",
    "ModelError",
    "ParameterError",
    "SolverError",
    "StorageError",
]


class CytosimError(Exception):
    """Base class of every error raised by cytosim."""


class ModelError(CytosimError, ValueError):
    """A network, model file or graph is malformed (unknown kind, node, name or bad value)."""


class UntestableCondition(ModelError):
    """A conditional dose's condition reads NaN or inf at its dose time."""


class ParameterError(CytosimError, ValueError):
    """A parameter or initial value given to a simulation or sweep is unknown or invalid."""


class SolverError(CytosimError, RuntimeError):
    """An integration failed; the message gives the time reached and the offending states."""

    def __init__(self, message: str, *, t: float | None = None,
                 states: dict[str, float] | None = None):
        super().__init__(message)
        self.t = t
        self.states = dict(states or {})


class StorageError(CytosimError, OSError):
    """A result store cannot be read, written or resumed."""


class MissingDependencyError(CytosimError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""
