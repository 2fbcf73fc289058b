"""Customers (seed 002): types, states, addresses, accounting fields, actions and reminders."""
