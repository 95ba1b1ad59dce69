"""Command lines of the actions: argparse, made to return paii's usage code
instead of exiting, and to take free text (titles, notes) as it is."""

from __future__ import annotations

import argparse
import sys

#: Exit code of a bad command line for an action (paii's "usage error").
EXIT_USAGE = 2


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the action can return 2."""

    def error(self, message):
        raise UsageError(message)


def parser(action: str, description: str) -> Parser:
    p = Parser(prog="incident action " + action, description=description, allow_abbrev=False)
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    return p


def split_args(args, value_options=()):
    """``(rest, values)``: what argparse gets, and the values of
    ``value_options`` taken out of its hands.

    The first bare ``--`` (the separator of ``paii run ... -- ARGS``) is
    dropped, so that flags are accepted before and after it; a later one
    is left to argparse. Each of ``value_options`` takes the argument after
    it (or after its ``=``) as its value, whatever it is: ``--title --``,
    ``--note -x`` (argparse refuses both, and before Python 3.12 drops
    ``--`` even from ``--title=--``). The last occurrence wins, as in
    argparse; an option with nothing after it is left to argparse to report.
    """
    rest, values, dropped, i = [], {}, False, 0
    while i < len(args):
        a = args[i]
        name, eq, inline = a.partition("=")
        if a in value_options and i + 1 < len(args):
            values[a] = args[i + 1]
            i += 2
            continue
        if eq and name in value_options:
            values[name] = inline
        elif a == "--" and not dropped:
            dropped = True
        else:
            rest.append(a)
        i += 1
    return rest, values


def parse(p: Parser, args, value_options=()):
    """The parsed options, ``value_options`` included (see
    :func:`split_args`); raises :class:`UsageError`."""
    rest, values = split_args(args, value_options)
    opts = p.parse_args(rest)
    for option, value in values.items():
        setattr(opts, option[2:].replace("-", "_"), value)
    return opts


def usage_error(p: Parser, message: str) -> int:
    sys.stderr.write("incident: %s\n%s" % (message, p.format_usage()))
    return EXIT_USAGE
