"""One router per concern: search, documents, directives (tasks, recurring
shortcomings, similar passages), admin (writes, health, stats)."""
