"""``python -m artguard`` is the ``artguard`` command."""

from artguard.cli import main

main()
