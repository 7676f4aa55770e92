"""`python -m osint`: the same as the `osint` command."""

from osint.cli import main

main()
