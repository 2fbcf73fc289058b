"""The portal's routers: sign-in and account (`auth`), staff pages (`pages`), JSON API (`api`).
Every route declares its area with `portal.access.require` (the route table test checks it)."""
