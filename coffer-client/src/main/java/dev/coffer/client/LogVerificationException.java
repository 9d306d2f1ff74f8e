package dev.coffer.client;

/** A proof from the log that does not verify: a wrong signature, a proof that does not hold, or a fork. */
public final class LogVerificationException extends RuntimeException {
    public LogVerificationException(String message) {
        super(message);
    }
}
