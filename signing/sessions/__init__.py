"""Signing sessions: signers in order (or in parallel), invitations, codes, signatures, evidence."""
