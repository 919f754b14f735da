"""Train the bundled model from labels/: the same as `measures train` (run from the repository root)."""

import sys

from classifier.cli import app

if __name__ == "__main__":
    app(["train", *sys.argv[1:]], prog_name="train.py")
