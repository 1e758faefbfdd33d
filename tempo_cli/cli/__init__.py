"""The `tempo` command line: a thin layer over tempo_cli.api."""
