package dev.coffer.ledger.state;

import dev.coffer.ledger.UInt128;

/**
 * A pending transfer (authorization). Stays in the ledger while pending; once resolved it is
 * kept as long as its operation id is in the idempotency window, so late captures get
 * {@code HOLD_NOT_PENDING} or {@code HOLD_EXPIRED} rather than {@code HOLD_NOT_FOUND}.
 */
final class PendingHold {

    /** A hold's state; each has an explicit code written to snapshots, never reused or renumbered. */
    enum State {
        PENDING(0), CAPTURED(1), VOIDED(2), EXPIRED(3);

        final int code;

        State(int code) {
            this.code = code;
        }

        static State ofCode(int code) {
            for (State s : values()) if (s.code == code) return s;
            throw new IllegalArgumentException("unknown hold state code " + code);
        }
    }

    final String id;
    /** Account indexes (see {@link AccountTable}). */
    final int from;
    final int to;
    final UInt128 amount;
    final long seq;
    /** Batch time (µs) at which it expires; 0 = never. */
    final long expiresAt;
    State state = State.PENDING;
    /** What a capture posted; reversals of the capture are bounded by it. */
    UInt128 captured = UInt128.ZERO;

    PendingHold(String id, int from, int to, UInt128 amount, long seq, long expiresAt) {
        this.id = id;
        this.from = from;
        this.to = to;
        this.amount = amount;
        this.seq = seq;
        this.expiresAt = expiresAt;
    }

    /**
     * Moves a pending hold to its final state. A hold is resolved once: a second resolution, or a
     * "resolution" back to pending, is a bug in the state machine (the rules check
     * {@code HOLD_NOT_PENDING} first), so it throws.
     */
    void resolve(State to) {
        if (state != State.PENDING || to == State.PENDING) {
            throw new IllegalStateException("hold " + id + ": illegal transition " + state + " -> " + to);
        }
        state = to;
    }

    Runnable memento() {
        State s = state;
        UInt128 c = captured;
        return () -> {
            state = s;
            captured = c;
        };
    }
}
