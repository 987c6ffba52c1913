"""Runs of line numbers (`3,10-12`): how a load records where a file's blank lines are."""

from __future__ import annotations


def add_to_runs(runs: list[list[int]], line: int) -> None:
    """Append a line number (ascending) to [first, last] runs."""
    if runs and runs[-1][1] == line - 1:
        runs[-1][1] = line
    else:
        runs.append([line, line])


def format_runs(runs: list[list[int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def parse_runs(text: str) -> list[list[int]]:
    runs = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        runs.append([int(first), int(last or first)])
    return runs
