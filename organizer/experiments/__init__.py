"""Organic experiments: one variable (posting time, emoji count, hook, format…) tested across arms A, B (C…) of
real posts, each post read once at a fixed age (its engagement rate, else its interactions). `stats` holds the
pure statistics (summaries, the test chosen for the data, a bootstrap confidence interval, Holm's correction
and the one-sentence verdict); `service` keeps experiments, their arms and posts in the database.
"""
