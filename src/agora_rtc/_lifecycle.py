"""Context-manager behaviour shared by the objects that must be released."""


class ReleasedOnExit:
    """``with obj:`` calls ``obj.release()`` on exit (exceptions propagate)."""

    def release(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False
