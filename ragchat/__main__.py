"""`python -m ragchat ...` is the `ragchat` command (e.g. `python -m ragchat serve --port 8000`)."""

from ragchat.cli import main

if __name__ == "__main__":
    main(prog_name="ragchat")
