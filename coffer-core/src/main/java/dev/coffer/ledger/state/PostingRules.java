package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.ResultCode;
import dev.coffer.ledger.UInt128;

/**
 * The posting rules, stated once: for each command that moves money, which account it debits,
 * which it credits, by how much, and on which side (posted or pending). The ledger applies the
 * movement to its balances after its own checks ({@link LedgerState}); the query index derives
 * its entries and each balance after them from the same movement (coffer-storage's
 * {@code Projection}), so a change to a rule changes both.
 *
 * <ul>
 *   <li>transfer: {@code from} → {@code to}, posted;</li>
 *   <li>deposit: the asset's operator → the account, posted; withdraw: the account → the operator;</li>
 *   <li>hold: {@code from} → {@code to}, pending;</li>
 *   <li>capture: the hold's pending amount released from both sides, then {@code from} → {@code to}
 *       posted, for the amount asked or else the whole hold;</li>
 *   <li>void and expiry: the hold's pending amount released;</li>
 *   <li>reverse: the original movement backwards, posted, for the amount asked or else all that is
 *       left to reverse. Transfers, deposits, withdrawals and captures can be reversed.</li>
 * </ul>
 *
 * <p>Accounts are the caller's int handles ({@link Book}); a {@link Movement} is filled in place,
 * so applying a rule allocates nothing.
 */
public final class PostingRules {

    private PostingRules() {}

    /** How a movement touches its two accounts. */
    public enum Side {
        /** {@code amount} debited from and credited to the posted balances. */
        POSTED,
        /** {@code amount} added to the debit's and the credit's pending sides. */
        PENDING,
        /** {@code held} taken off both pending sides, then {@code amount} posted. */
        CAPTURE,
        /** {@code held} taken off both pending sides. */
        RELEASE
    }

    /** What the rules ask of whoever applies them. */
    public interface Book {
        /** The handle of account {@code id}, or -1 when there is none. */
        int account(String id);

        /** The operator account of {@code account}'s asset. */
        int operatorOf(int account);

        /** Fills {@code out}'s debit, credit and held amount from pending hold {@code holdId}; false when there is none. */
        boolean pendingHold(String holdId, Movement out);

        /**
         * Fills {@code out}'s debit, credit and amount with the posted movement operation
         * {@code id} made, and {@code out.reversedBefore} with what is reversed of it so far.
         * Returns null, or why it cannot be reversed ({@link ResultCode#TRANSFER_NOT_FOUND},
         * {@link ResultCode#TRANSFER_NOT_REVERSIBLE}).
         */
        ResultCode original(String id, Movement out);
    }

    /** One command's movement; reused by its owner. */
    public static final class Movement {
        public Side side;
        public int debit;
        public int credit;
        /** Posted or pending amount; null for {@link Side#RELEASE}. */
        public UInt128 amount;
        /** The hold's pending amount, for {@link Side#CAPTURE} and {@link Side#RELEASE}. */
        public UInt128 held;
        /** For a reversal: the original's amount and what was reversed of it before this one. */
        public UInt128 reversible;
        public UInt128 reversedBefore;

        void clear() {
            side = null;
            debit = credit = -1;
            amount = held = reversible = reversedBefore = null;
        }

        /** For a reversal: whether it leaves nothing of the original to reverse. */
        public boolean reversesAll() {
            return reversedBefore.plus(amount).equals(reversible);
        }
    }

    /** Whether an operation of this kind can be reversed. */
    public static boolean reversible(Command original) {
        return original instanceof Command.Transfer || original instanceof Command.Deposit || original instanceof Command.Withdraw
                || original instanceof Command.Capture;
    }

    /**
     * Fills {@code out} with the movement {@code command} makes. Returns null, or why the book
     * cannot name it ({@code ACCOUNT_NOT_FOUND}, {@code HOLD_NOT_FOUND}, {@code TRANSFER_NOT_FOUND},
     * {@code TRANSFER_NOT_REVERSIBLE}). Checks nothing else: balances, statuses, assets and
     * amounts are the ledger's to check.
     */
    public static ResultCode movement(Command command, Book book, Movement out) {
        out.clear();
        switch (command) {
            case Command.Transfer t -> {
                out.side = Side.POSTED;
                out.debit = book.account(t.from());
                out.credit = book.account(t.to());
                out.amount = t.amount();
            }
            case Command.Deposit d -> {
                out.side = Side.POSTED;
                out.credit = book.account(d.accountId());
                if (out.credit < 0) return ResultCode.ACCOUNT_NOT_FOUND;
                out.debit = book.operatorOf(out.credit);
                out.amount = d.amount();
            }
            case Command.Withdraw w -> {
                out.side = Side.POSTED;
                out.debit = book.account(w.accountId());
                if (out.debit < 0) return ResultCode.ACCOUNT_NOT_FOUND;
                out.credit = book.operatorOf(out.debit);
                out.amount = w.amount();
            }
            case Command.Hold h -> {
                out.side = Side.PENDING;
                out.debit = book.account(h.from());
                out.credit = book.account(h.to());
                out.amount = h.amount();
            }
            case Command.Capture c -> {
                if (!book.pendingHold(c.holdId(), out)) return ResultCode.HOLD_NOT_FOUND;
                out.side = Side.CAPTURE;
                out.amount = c.amount() == null ? out.held : c.amount();
            }
            case Command.VoidHold v -> {
                if (!book.pendingHold(v.holdId(), out)) return ResultCode.HOLD_NOT_FOUND;
                out.side = Side.RELEASE;
            }
            case Command.ExpireHold x -> {
                if (!book.pendingHold(x.id(), out)) return ResultCode.HOLD_NOT_FOUND;
                out.side = Side.RELEASE;
            }
            case Command.Reverse r -> {
                ResultCode refused = book.original(r.transferId(), out);
                if (refused != null) return refused;
                int originalDebit = out.debit;
                out.debit = out.credit;
                out.credit = originalDebit;
                out.reversible = out.amount;
                if (out.reversedBefore == null) out.reversedBefore = UInt128.ZERO;
                out.amount = r.amount() == null ? out.reversible.minus(out.reversedBefore) : r.amount();
                out.side = Side.POSTED;
            }
            default -> throw new IllegalArgumentException("no posting rule for " + command.getClass().getSimpleName());
        }
        return out.debit < 0 || out.credit < 0 ? ResultCode.ACCOUNT_NOT_FOUND : null;
    }
}
