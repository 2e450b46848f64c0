"""``python -m zoo`` runs the command line (also what ``torchrun -m zoo`` needs)."""

from zoo.cli import main

main()
