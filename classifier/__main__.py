"""`python -m classifier` runs the `measures` command line."""

from .cli import main

main()
