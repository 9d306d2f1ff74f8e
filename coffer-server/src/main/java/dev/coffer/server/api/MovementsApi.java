package dev.coffer.server.api;

import dev.coffer.server.http.Exchange;
import dev.coffer.server.http.Reply;

/** Money movements: {@code /v1/deposits}, {@code /v1/withdrawals}, {@code /v1/transfers}, {@code /v1/reversals}. */
final class MovementsApi {

    private final LedgerCalls calls;

    MovementsApi(LedgerCalls calls) {
        this.calls = calls;
    }

    Reply deposit(Exchange ex) {
        return calls.write(ex, Operations.Type.DEPOSIT);
    }

    Reply withdrawal(Exchange ex) {
        return calls.write(ex, Operations.Type.WITHDRAWAL);
    }

    Reply transfer(Exchange ex) {
        return calls.write(ex, Operations.Type.TRANSFER);
    }

    Reply reversal(Exchange ex) {
        return calls.write(ex, Operations.Type.REVERSAL);
    }
}
