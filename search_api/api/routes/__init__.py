"""One router per concern: search, documents, directives (tasks, recurring
shortcomings, similar passages), admin (writes, access, audit, health,
stats), session (signing in on the page)."""
