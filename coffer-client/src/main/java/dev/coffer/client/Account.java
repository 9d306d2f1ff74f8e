package dev.coffer.client;

import java.math.BigInteger;
import java.util.Map;

/** An account and its balances (minor units). {@code balance} is negative only for operator accounts. */
public record Account(String id, String asset, String owner, String status, Map<String, String> metadata,
                      BigInteger balance, BigInteger available, BigInteger debitsPending, BigInteger creditsPending, long nonce) {}
