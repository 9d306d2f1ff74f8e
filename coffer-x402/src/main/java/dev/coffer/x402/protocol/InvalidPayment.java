package dev.coffer.x402.protocol;

/** A request that cannot be read as an x402 payment: its reason ({@link Reasons}) and what is wrong. */
public final class InvalidPayment extends Exception {

    private final String reason;

    public InvalidPayment(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() { return reason; }
}
