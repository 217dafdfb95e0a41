"""HTTP plumbing no domain needs to know about: the middleware (middleware.py), the response
cache (cache.py, fed by app.db's "changes committed" hook), rate limits (ratelimit.py), slow
clients' header timeout (slow_clients.py), pagination (pagination.py), /health (health.py) and
the /docs page (docs_page.py)."""
