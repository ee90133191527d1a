#!/usr/bin/env bash
# One-command set-up: a virtual environment in .venv with the pinned dependencies.
#
#   ./scripts/setup.sh             what running and developing need (requirements-dev.lock:
#                                  the bot's dependencies plus pytest, ruff, mypy, pip-tools)
#   ./scripts/setup.sh --runtime   only what the bot needs to run (requirements.lock), for
#                                  a server that runs it as a service
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements-dev.lock
case "${1:-}" in
    "") ;;
    --runtime) lock=requirements.lock ;;
    *)
        echo "usage: $0 [--runtime]   (--runtime: only what the bot needs to run)" >&2
        exit 2
        ;;
esac

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$lock"
echo "Set up from $lock. Run the bot with: .venv/bin/python bot.py   (README, 'Running the bot')"
