"""Customer files moving through circuits: the state machine, decisions and attachments.

Layers, from pure to persistent:
- `states` (vocabulary: file/step states, `Actor`, `StepRun`, `FileView`) and `commands`
  (what can be asked: `Approve`, `Reject`, `Revoke`, `Delegate`, `RequestDocument`, ...;
  what the machine answers: `RunAutomatic`, `AwaitHuman`, `AwaitCustomer`, `Finished`);
- `state_machine`: pure rules (`start`, `decide`, `next_action`), with `guards`;
- `models` (tables `customer_files`, `file_steps`, `file_documents`) and `mapping`;
- `service`: start a file and apply commands in the caller's transaction, with optimistic
  locking and an audit event per change; `queries`: `plan_next` (the flow's question "what
  now?"), inboxes, SLA sweeps; `attachments` + `documents`: content-checked uploads kept in
  the content-addressed `dossiers.blobs.BlobStore`.
"""
