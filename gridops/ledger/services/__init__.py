"""Writes of the ledger, one module per job.

- `log`: appending leaves to the Merkle log and signing tree heads (the log itself);
- `notary`: notarising a document's SHA-256 (group-committed by `gridops.ledger.sequencer`);
- `identity`: attesting that an account belongs to the holder of a resident ID;
- `vendors`: registering and changing food vendors, each change certified by an entry;
- `corrections`: community corrections (supervision and check-ins judged by geofence and curfew).

The four record kinds append through `log`; `log` knows none of them and nothing imports it back,
so the sequencer (which batches appends) and the services form no cycle. Callers import the
module that does the job (`from gridops.ledger.services import log`); this package re-exports
nothing, so each name has one import path.
"""
