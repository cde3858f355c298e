"""`python -m bot` serves the bot, like `dexter run`."""

from bot.cli import main

raise SystemExit(main(["run"]))
