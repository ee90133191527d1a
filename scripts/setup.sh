#!/usr/bin/env bash
# One-command set-up: a virtual environment in .venv with the pinned dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.lock
echo "Set up. Run the bot with: .venv/bin/python bot.py   (README, 'Running the bot')"
