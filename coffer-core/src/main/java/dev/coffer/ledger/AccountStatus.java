package dev.coffer.ledger;

/** Lifecycle of an account. Frozen accounts take no debits or credits; closed ones are final. */
public enum AccountStatus {
    ACTIVE, FROZEN, CLOSED;

    private static final AccountStatus[] VALUES = values();

    public static AccountStatus ofCode(int code) {
        if (code < 0 || code >= VALUES.length) throw new IllegalArgumentException("unknown status code " + code);
        return VALUES[code];
    }
}
