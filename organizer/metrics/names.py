"""The counts a metrics snapshot may hold, named once (stdlib only: the CLI's grammar reads them too)."""

# In the order reports show them; each is None where a network does not give it.
METRICS = ("impressions", "likes", "reposts", "replies", "quotes", "bookmarks", "link_clicks", "saves", "follows")
