package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;

import java.util.Map;

/** One account's mutable state, owned by the writer thread. */
public final class Account {

    final String id;
    final Asset asset;
    final String owner;
    final int flags;
    final Map<String, String> metadata;
    AccountStatus status = AccountStatus.ACTIVE;
    UInt128 debitsPosted = UInt128.ZERO;
    UInt128 creditsPosted = UInt128.ZERO;
    UInt128 debitsPending = UInt128.ZERO;
    UInt128 creditsPending = UInt128.ZERO;
    long nonce;
    /** The writer's batch number in which this account last changed (see LedgerState#changedAccounts). */
    long touchedInBatch = -1;

    Account(String id, Asset asset, String owner, int flags, Map<String, String> metadata) {
        this.id = id;
        this.asset = asset;
        this.owner = owner;
        this.flags = flags;
        this.metadata = metadata;
    }

    boolean allowsNegative() {
        return (flags & AccountView.FLAG_ALLOW_NEGATIVE) != 0;
    }

    /**
     * Whether {@code amount} more can be debited: posted credits cover posted and pending
     * debits plus the amount. Operator accounts may go negative.
     */
    boolean canDebit(UInt128 amount) {
        if (allowsNegative()) return true;
        UInt128 committed = debitsPosted.addOrNull(debitsPending);
        if (committed == null) return false;
        UInt128 needed = committed.addOrNull(amount);
        return needed != null && needed.compareTo(creditsPosted) <= 0;
    }

    boolean isEmpty() {
        return debitsPosted.equals(creditsPosted) && debitsPending.isZero() && creditsPending.isZero();
    }

    AccountView view() {
        return new AccountView(id, asset.code(), owner, status, flags, metadata,
                debitsPosted, creditsPosted, debitsPending, creditsPending, nonce);
    }

    /** Returns an action that puts this account's mutable fields back as they are now. */
    Runnable memento() {
        AccountStatus s = status;
        UInt128 dp = debitsPosted, cp = creditsPosted, dn = debitsPending, cn = creditsPending;
        long n = nonce;
        return () -> {
            status = s;
            debitsPosted = dp;
            creditsPosted = cp;
            debitsPending = dn;
            creditsPending = cn;
            nonce = n;
        };
    }
}
