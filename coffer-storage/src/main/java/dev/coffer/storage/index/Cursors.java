package dev.coffer.storage.index;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque page cursors queries hand out: base64url of a versioned text, so that a cursor of
 * one kind (or from elsewhere) is refused with {@code cursor_invalid} instead of misread.
 * History: {@code h1:<seq>:<leg>} of the last entry given; accounts: {@code a1:<id>} of the last
 * account given.
 */
final class Cursors {

    private static final String HISTORY = "h1:";
    private static final String ACCOUNTS = "a1:";

    private Cursors() {}

    static String history(long seq, int leg) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((HISTORY + seq + ":" + leg).getBytes(StandardCharsets.US_ASCII));
    }

    /** {seq, leg} of a history cursor. */
    static long[] parseHistory(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
            if (!s.startsWith(HISTORY)) throw new IllegalArgumentException();
            String[] f = s.substring(HISTORY.length()).split(":");
            if (f.length != 2) throw new IllegalArgumentException();
            long seq = Long.parseLong(f[0]);
            int leg = Integer.parseInt(f[1]);
            if (seq < 1 || leg < 0 || leg > 1) throw new IllegalArgumentException();
            return new long[]{seq, leg};
        } catch (IllegalArgumentException e) {
            throw new QueryRejectedException("cursor_invalid", "cursor is not one this index issued for history");
        }
    }

    static String accounts(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((ACCOUNTS + lastId).getBytes(StandardCharsets.UTF_8));
    }

    static String parseAccounts(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!s.startsWith(ACCOUNTS)) throw new IllegalArgumentException();
            return s.substring(ACCOUNTS.length());
        } catch (IllegalArgumentException e) {
            throw new QueryRejectedException("cursor_invalid", "cursor is not one this index issued for accounts");
        }
    }
}
