package dev.coffer.storage.index;

/** The SQL differences between the two index databases: amount columns only. */
public enum IndexDialect {
    /** Embedded (SQLite): amounts are decimal TEXT. */
    SQLITE("?"),
    /** PostgreSQL: amounts are NUMERIC. */
    POSTGRES("CAST(? AS NUMERIC)");

    private final String amountParam;

    IndexDialect(String amountParam) {
        this.amountParam = amountParam;
    }

    /** The placeholder for an amount parameter, bound as a decimal string. */
    String amount() { return amountParam; }
}
