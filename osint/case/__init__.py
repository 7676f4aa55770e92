"""The case file, knowing no feature: the handle, the store, kinds and records, the read side, verify."""

from osint.case.handle import Case, command_line, default_actor, init_case, open_case

__all__ = ["Case", "command_line", "default_actor", "init_case", "open_case"]
