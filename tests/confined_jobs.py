"""Jobs for the confined child that stand for amplifiers the guards do not know: plain Python, no guard
in the way. They live in a module of their own so that the helper process can import them by name."""


def allocate_without_guards(size: int) -> int:
    return len(b"x" * size)


def spin_without_guards(n: int) -> int:
    return sum(range(n))  # one C call, long
