"""`python -m tempo_cli`."""

from tempo_cli.cli.entry import main

main()
