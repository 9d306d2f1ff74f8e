package dev.coffer.ledger;

/**
 * Lifecycle of an account. Frozen accounts take no debits or credits; closed ones are final.
 *
 * <p>Each value has an explicit code, written to the journal and to snapshots: codes are never
 * reused or renumbered, and a new status gets the next free code (declaration order does not
 * matter).
 */
public enum AccountStatus {
    ACTIVE(0), FROZEN(1), CLOSED(2);

    private final int code;

    AccountStatus(int code) {
        this.code = code;
    }

    /** The persisted code. */
    public int code() {
        return code;
    }

    public static AccountStatus ofCode(int code) {
        for (AccountStatus s : values()) if (s.code == code) return s;
        throw new IllegalArgumentException("unknown status code " + code);
    }
}
