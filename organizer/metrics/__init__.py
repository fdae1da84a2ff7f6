"""Analytics: metrics snapshots of published posts, from the user, the networks' CSV exports and public APIs.

`model` holds the snapshot and its arithmetic (interactions, engagement rate, the snapshot at an age),
`store` reads and writes snapshots in plain SQL (SQLite and PostgreSQL alike). Importers (CSV) and fetchers
(Mastodon, Bluesky) produce `Reading`s and hand them to `store.record`, which writes all or nothing.
"""
