package dev.coffer.ledger.state;

/** A currency or token: a code such as {@code USD} and its number of minor-unit digits. */
public record Asset(String code, int scale, String operatorAccountId) {

    public static final String OPERATOR_PREFIX = "$operator:";

    public static String operatorAccountId(String code) {
        return OPERATOR_PREFIX + code;
    }
}
