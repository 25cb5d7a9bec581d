"""Declaring units (申报单位): enterprises and park authorities, their registration and their accounts."""
