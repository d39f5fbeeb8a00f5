"""Exit statuses, and the one place where a command's failures become them.

=====  =========================================================================================
0      done
1      the command could not do its job (a stack that does not start, an invalid policy, a bank,
       gallery, review-service or account error, stale schemas, an image that could not be scanned)
2      bad usage: click's own errors (unknown option, missing argument), an unreadable input file
       for ``watermark`` and ``verify``, a bad ``--window`` or ``--payload``
3      the command ran and found nothing: no end yet, no spans, nothing recorded, no watermark,
       not published here
=====  =========================================================================================
"""

from __future__ import annotations

from typing import Any

import click

OK, FAILED, USAGE, NOT_FOUND = 0, 1, 2, 3


class CommandFailed(Exception):
    """The command could not do its job; the message, if any, says why (exit status 1)."""


class NothingFound(Exception):
    """The command printed its answer, and the answer is that nothing was found (exit status 3)."""


# (command under `modstream`, exception class as module.QualName, exit status); the first match wins.
# The command is a prefix of words ("bank" covers "bank add"); "" covers every command. An exception that
# matches no rule is a bug and ends with its traceback (exit status 1).
EXIT_RULES: tuple[tuple[str, str, int], ...] = (
    ("", "streams.cli.exits.NothingFound", NOT_FOUND),
    ("", "streams.cli.exits.CommandFailed", FAILED),
    ("", "streams.processes.StackError", FAILED),
    ("", "streams.policy.loader.PolicyError", FAILED),
    ("", "streams.reviewing.client.ReviewApiError", FAILED),
    ("", "streams.store.accounts.AuthError", FAILED),
    ("", "streams.store.tenants.TenantError", FAILED),
    ("", "modstream_models.protected.BankError", FAILED),
    ("", "streams.galleries.GalleryError", FAILED),
    ("bank", "builtins.ValueError", FAILED),  # an unreadable image file
    ("gallery", "builtins.ValueError", FAILED),
    ("watermark", "builtins.ValueError", USAGE),  # an unreadable image or weights file
    ("verify", "builtins.OSError", USAGE),  # an unreadable image file
)


def _covers(scope: str, command: str) -> bool:
    return not scope or command == scope or command.startswith(f"{scope} ")


def exit_status(exc: BaseException, command: str) -> int | None:
    """The exit status for ``exc`` raised by ``command`` (e.g. ``"bank add"``); None if it is not a domain error."""
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__}
    for scope, name, status in EXIT_RULES:
        if name in names and _covers(scope, command):
            return status
    return None


def describe(exc: BaseException) -> str:
    """The error message: an ``OSError`` as ``file: reason``, anything else as its text."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


def _command_of(ctx: click.Context) -> str:
    """The words after ``modstream`` of the command that ``ctx``'s group is running, e.g. ``"bank add"``."""
    names = [ctx.invoked_subcommand or ""]
    while ctx.parent is not None:
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(filter(None, names))


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or OK
    click.echo(exc.code, err=True)
    return FAILED


class ModstreamGroup(click.Group):
    """A command group whose commands' failures end with the exit status that ``EXIT_RULES`` gives them,
    printed as ``modstream COMMAND: message`` on standard error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            command = _command_of(ctx)
            status = exit_status(exc, command)
            if status is None:
                raise
            if message := describe(exc):
                click.echo(f"{ctx.find_root().info_name} {command}: {message}", err=True)
            raise click.exceptions.Exit(status) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each command's whole short help (click cuts it at about 45 characters)."""
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        rows = [(name, command.get_short_help_str(limit=200)) for name, command in commands if command]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        """Runs the command line (``sys.argv``, or the list of arguments given) and returns the exit status
        instead of exiting, as ``main(argv)`` always did: ``sys.exit(main())`` is the console script."""
        kwargs.setdefault("prog_name", "modstream")
        try:
            self.main(*args, **kwargs)
        except SystemExit as exc:
            return _exit_code(exc)
        return OK
