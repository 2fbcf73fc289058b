"""SMS one-time codes: issue, keyed hash, check, expire, lock, rate-limit."""
