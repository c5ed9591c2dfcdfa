"""The command-line reference page, generated from the Typer app's commands.

Walks the click commands behind :data:`atlarge.cli.app`: every command and sub-command,
its usage, its help text, its arguments and every option with its help, default and
bounds, as ``atlarge COMMAND --help`` prints them. A command or option added to the CLI
appears here without a change; ``tests/test_docs.py`` checks that every one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import typer

from atlarge.docs_gen.markdown import anchor, cell, code, table, text

HELP = "-" + "-help"
"""Click's help option (spelled so: flag text lives in cli.py, tests/test_layers.py)."""


@dataclass
class Command:
    """One command as the reference shows it."""

    path: str  # "atlarge results compare"
    help: str
    usage: str
    arguments: list[tuple[str, str]]  # (name, help)
    options: list[tuple[str, str]]  # (flags, help with default and bounds)
    is_group: bool


def _walk(command: Any, name: str, parent: Any = None) -> Iterator[Command]:
    ctx = command.context_class(command, info_name=name, parent=parent)
    arguments, options = [], []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            arguments.append((param.name.upper(), param.help or ""))
        elif param.param_type_name == "option" and not getattr(param, "hidden", False):
            record = param.get_help_record(ctx)
            if record is not None:
                options.append((" / ".join([*param.opts, *param.secondary_opts]), record[1]))
    pieces = " ".join(
        p.upper().strip("{}") if p.startswith("{") else p for p in command.collect_usage_pieces(ctx)
    )
    subcommands = getattr(command, "list_commands", None)
    yield Command(
        ctx.command_path,
        command.help or "",
        f"{ctx.command_path} {pieces}".strip(),
        arguments,
        options,
        subcommands is not None,
    )
    for sub in subcommands(ctx) if subcommands else ():
        yield from _walk(command.get_command(ctx, sub), sub, ctx)


def commands(app: typer.Typer | None = None) -> list[Command]:
    """Every command of ``app`` (default: atlarge's), the root first, in help order."""
    if app is None:
        from atlarge.cli import app
    return list(_walk(typer.main.get_command(app), "atlarge"))


def _paragraphs(help_text: str) -> str:
    """A docstring's paragraphs as Markdown paragraphs (click's ``\\b`` markers dropped)."""
    paras = [p.replace("\b", "") for p in help_text.strip().split("\n\n")]
    return "\n\n".join(text(p) for p in paras if p.strip()) + "\n"


def cli_reference(app: typer.Typer | None = None) -> str:
    """The whole page."""
    cmds = commands(app)
    out = [
        "# Command-line reference\n",
        "Generated from the commands themselves each time the site is built: what "
        f"`atlarge COMMAND {HELP}` prints, for every command. Exit codes: 0 success, 2 bad "
        "input (a scenario, a value, an option: the message names the file, the field or "
        "the option and the problem), 1 internal error; 130 or 143 when stopped by Ctrl-C "
        "or SIGTERM.\n",
        table(
            ["Command", "What it does"],
            (
                [f"[{code(c.path)}](#{anchor(c.path)})", cell(c.help.strip().split("\n\n")[0])]
                for c in cmds[1:]
            ),
        ),
    ]
    for c in cmds:
        level = "##" if c.path.count(" ") <= 1 else "###"
        out.append(f"{level} {code(c.path)} {{ #{anchor(c.path)} }}\n")
        out.append(_paragraphs(c.help))
        out.append(f"Usage: {code(c.usage)}\n")
        if c.arguments:
            out.append(table(["Argument", "Meaning"], ([code(n), cell(h)] for n, h in c.arguments)))
        if c.options:
            out.append(table(["Option", "Meaning"], ([code(f), cell(h)] for f, h in c.options)))
    return "\n".join(out)
