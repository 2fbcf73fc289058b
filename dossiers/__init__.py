"""The domain: customers, customer files, circuits, invoices and the audit trail.

Plain Python over SQLAlchemy: no Prefect, no HTTP, no network. Every other layer calls into it;
it calls none of them.
"""
