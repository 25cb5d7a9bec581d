"""Rounds and their settings, the working-day calendar, statistics and the xlsx reports."""
