"""Features: one package each, loaded by walking this folder (see bot.py)."""
