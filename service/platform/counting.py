"""Counts that stop: a total over a table that grows without bound is read only up to a cap."""
from sqlalchemy import func, select


def counted_up_to(ids, cap: int):
    """A statement counting the rows of ``ids`` (a select of one column), reading no more than ``cap`` of them."""
    return select(func.count()).select_from(ids.limit(cap).subquery())
