package dev.coffer.ledger;

import java.math.BigInteger;
import java.util.Map;

/**
 * A consistent copy of one account as of the batch that read it. {@link #available()} is what
 * the owner can spend: posted credits minus posted debits minus pending debits.
 */
public record AccountView(String id, String asset, String owner, AccountStatus status, int flags,
                          Map<String, String> metadata,
                          UInt128 debitsPosted, UInt128 creditsPosted,
                          UInt128 debitsPending, UInt128 creditsPending, long nonce) {

    /** Flag: the account may go negative. Only operator accounts have it. */
    public static final int FLAG_ALLOW_NEGATIVE = 1;

    /** Posted balance: credits minus debits (negative only for operator accounts). */
    public BigInteger balance() {
        if (fitsInLong(creditsPosted) && fitsInLong(debitsPosted)) return BigInteger.valueOf(creditsPosted.lo() - debitsPosted.lo());
        return creditsPosted.toBigInteger().subtract(debitsPosted.toBigInteger());
    }

    public BigInteger available() {
        if (fitsInLong(creditsPosted) && fitsInLong(debitsPosted) && fitsInLong(debitsPending)) {
            long balance = creditsPosted.lo() - debitsPosted.lo(); // both in [0, 2^63): cannot overflow
            long available = balance - debitsPending.lo();
            // Overflow only when balance < 0 and the pending debits are huge; BigInteger then.
            if (((balance ^ debitsPending.lo()) & (balance ^ available)) >= 0) return BigInteger.valueOf(available);
        }
        return balance().subtract(debitsPending.toBigInteger());
    }

    private static boolean fitsInLong(UInt128 v) {
        return v.hi() == 0 && v.lo() >= 0;
    }
}
