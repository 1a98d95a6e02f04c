"""Errors a user can meet. Each names the file, the problem and the fix."""
from __future__ import annotations


class DictationError(Exception):
    """Base class: ``str(err)`` is a complete message a secretary or IT person can act on."""

    def __init__(self, problem: str, fix: str, file: str | None = None):
        self.problem = problem
        self.fix = fix
        self.file = file
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{problem}\nWhat to do: {fix}")

    def __reduce__(self):  # raised on a cluster worker, it travels back to the desk whole
        return type(self), (self.problem, self.fix, self.file)


class ModelError(DictationError):
    """A model is missing, corrupt or of the wrong kind."""


class AudioError(DictationError):
    """An input file cannot be used as dictation audio."""


class ConfigError(DictationError):
    """A settings file or value is wrong."""


class TemplateError(DictationError):
    """A letter template cannot be rendered."""
