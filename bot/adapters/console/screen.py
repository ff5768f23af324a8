"""What a person sees in their terminal: the conversation, and a prompt that stays last.

A private message or a post can arrive while the prompt waits for a line; it is printed on a
line of its own and the prompt is drawn again under it, so the next line typed still follows a
prompt."""

from __future__ import annotations

from typing import TextIO


class Screen:
    def __init__(self, stdout: TextIO, *, interactive: bool) -> None:
        self._stdout = stdout
        self.interactive = interactive
        self._prompt: str | None = None

    def show(self, text: str) -> None:
        waiting = self._prompt
        if waiting is not None:
            self._stdout.write("\n")  # off the prompt's line
        self._stdout.write(text + "\n")
        if self.interactive:
            self._stdout.write("\n")
        if waiting is not None:
            self._stdout.write(waiting)
        self._stdout.flush()

    def prompt(self, text: str) -> None:
        if not self.interactive:
            return
        self._prompt = text
        self._stdout.write(text)
        self._stdout.flush()

    def typed(self) -> None:
        """A line was typed: the prompt it answered is gone from the screen's last line."""
        self._prompt = None
