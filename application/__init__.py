"""Liasse's application layer: the services every entry point calls, and the one root that
wires them.

Between the libraries (`dossiers`, `documents`, `signing`, `connectors`) and the entry points
(the `liasse` CLI and demo, `flows`, `portal`):

- `settings`: the `LIASSE_*` settings of the whole product;
- `services`: the composition root (`Services`, `build_services`): database, archive, blobs,
  mailer, company profile, signing PKI and seal, Chorus Pro and VIES clients, clock;
- `invoicing.posting`: the one way to post an invoice (issue through the gates, render once,
  seal, check, archive, route); `invoicing.issuing` the gates; `invoicing.facturx_mapping`
  the domain <-> Factur-X translation;
- `vies_checks`: VIES where the business needs it (a customer's number, the invoice gate);
- `signing_sessions`: a ready `SigningService` on the root, with an explicit SMS backend;
- `schema`: every model of every layer (`all_models`) and the Alembic migrations.

Nothing here imports an entry point; import-linter keeps it so (`.importlinter`).
"""
