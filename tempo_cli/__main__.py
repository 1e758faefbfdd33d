"""`python -m tempo_cli`."""

from tempo_cli.cli.app import main

main()
