package dev.coffer.x402.protocol;

/**
 * The reason strings Coffer answers with. Those of the exact EVM scheme are the reference
 * facilitator's ({@code @x402/evm} 2.27.0), so a resource server that maps them keeps working;
 * the general ones are the x402 v2 specification's.
 */
public final class Reasons {

    private Reasons() {}

    // general (x402 v2 specification)
    public static final String INVALID_X402_VERSION = "invalid_x402_version";
    public static final String INVALID_PAYLOAD = "invalid_payload";
    public static final String INVALID_PAYMENT_REQUIREMENTS = "invalid_payment_requirements";
    public static final String UNSUPPORTED_SCHEME = "unsupported_scheme";
    public static final String INVALID_NETWORK = "invalid_network";
    public static final String UNEXPECTED_VERIFY_ERROR = "unexpected_verify_error";
    public static final String UNEXPECTED_SETTLE_ERROR = "unexpected_settle_error";

    // the exact scheme on EVM (@x402/evm)
    public static final String SCHEME = "invalid_exact_evm_scheme";
    public static final String NETWORK_MISMATCH = "invalid_exact_evm_network_mismatch";
    public static final String MISSING_EIP712_DOMAIN = "invalid_exact_evm_missing_eip712_domain";
    public static final String RECIPIENT_MISMATCH = "invalid_exact_evm_recipient_mismatch";
    public static final String SIGNATURE = "invalid_exact_evm_signature";
    public static final String VALID_BEFORE = "invalid_exact_evm_payload_authorization_valid_before";
    public static final String VALID_AFTER = "invalid_exact_evm_payload_authorization_valid_after";
    public static final String VALUE_MISMATCH = "invalid_exact_evm_payload_authorization_value_mismatch";
    public static final String TRANSACTION_FAILED = "invalid_exact_evm_transaction_failed";
    public static final String TOKEN_NAME_MISMATCH = "invalid_exact_evm_token_name_mismatch";
    public static final String TOKEN_VERSION_MISMATCH = "invalid_exact_evm_token_version_mismatch";
    public static final String EIP3009_NOT_SUPPORTED = "invalid_exact_evm_eip3009_not_supported";
    public static final String NONCE_ALREADY_USED = "invalid_exact_evm_nonce_already_used";
    public static final String INSUFFICIENT_BALANCE = "invalid_exact_evm_insufficient_balance";
    public static final String SIMULATION_FAILED = "invalid_exact_evm_transaction_simulation_failed";
    public static final String ASSET_NOT_DEPLOYED = "asset_not_deployed_contract";
    public static final String SETTLEMENT_PENDING = "settlement_pending";
    public static final String INVALID_TRANSACTION_STATE = "invalid_transaction_state";
}
