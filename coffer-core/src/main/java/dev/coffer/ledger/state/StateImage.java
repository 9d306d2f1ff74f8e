package dev.coffer.ledger.state;

import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;

/**
 * An immutable copy of the ledger state at {@code lastSeq}: what a snapshot file holds. Lists
 * are sorted by id after {@link #sorted()}, so two sorted images of the same state are equal.
 *
 * @param windowStartSeq sequence of the oldest operation in the idempotency window at the time;
 *                       recovery re-reads the journal from there to rebuild the window
 */
public record StateImage(long lastSeq, long lastTimestamp, long windowStartSeq,
                         List<AssetImage> assets, List<AccountView> accounts, List<HoldImage> holds,
                         SortedMap<String, UInt128> reversed) {

    /** The same image with every list sorted by id: the canonical form that snapshots store and tests compare. */
    public StateImage sorted() {
        List<AssetImage> a = new ArrayList<>(assets);
        a.sort(Comparator.comparing(AssetImage::code));
        List<AccountView> acc = new ArrayList<>(accounts);
        acc.sort(Comparator.comparing(AccountView::id));
        List<HoldImage> h = new ArrayList<>(holds);
        h.sort(Comparator.comparing(HoldImage::id));
        return new StateImage(lastSeq, lastTimestamp, windowStartSeq, List.copyOf(a), List.copyOf(acc), List.copyOf(h), reversed);
    }

    public record AssetImage(String code, int scale) {}

    public record HoldImage(String id, String from, String to, UInt128 amount, long seq, long expiresAt,
                            int state, UInt128 captured) {}
}
