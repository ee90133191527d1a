"""Try the bot without Discord: the emulator, a demo community and the real bot,
driven from a prompt or a script (`python bot.py --sandbox`). Tests use the same
community and runner."""
