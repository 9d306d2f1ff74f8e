package dev.coffer.server.http;

import dev.coffer.ledger.Ledger;
import dev.coffer.ledger.tlog.VerifiableLog;
import dev.coffer.storage.index.QueryIndex;

/** A ledger the process serves, with its query index and verifiable log: one, or one per partition. */
public record ServedLedger(Ledger ledger, QueryIndex index, VerifiableLog tlog) {}
