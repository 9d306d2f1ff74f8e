package dev.coffer.ledger.tlog;

/**
 * A tile's name in the C2SP {@code tlog-tiles} layout: {@code tile/<L>/<N>} for a full tile of
 * level L (the hashes at tree level 8·L) and {@code tile/entries/<N>} for a full entry bundle,
 * with {@code .p/<W>} appended for a partial one of width W (1..255). N is written in groups of
 * three decimal digits, every group but the last prefixed with {@code x}: 1234067 is
 * {@code x001/x234/067}.
 *
 * @param level {@link #ENTRIES} for an entry bundle, else 0..{@link #MAX_LEVEL}
 * @param index the tile's index within its level
 * @param width hashes (or entries) in it: {@link #WIDTH} for a full tile
 */
public record TilePath(int level, long index, int width) {

    /** Tile height: each tile covers 8 levels of the tree. */
    public static final int HEIGHT = 8;
    /** Hashes (or entries) in a full tile. */
    public static final int WIDTH = 1 << HEIGHT;
    /** The level of entry bundles. */
    public static final int ENTRIES = -1;
    /** Highest tile level: 8·8 = 64 tree levels cover every 64-bit tree size. */
    public static final int MAX_LEVEL = 7;
    /** Longest tile path accepted (the longest index has seven groups). */
    public static final int MAX_PATH_CHARS = 64;

    public TilePath {
        if (level < ENTRIES || level > MAX_LEVEL) throw new IllegalArgumentException("tile level " + level + " is not -1.." + MAX_LEVEL);
        if (index < 0) throw new IllegalArgumentException("tile index " + index + " is negative");
        if (width < 1 || width > WIDTH) throw new IllegalArgumentException("tile width " + width + " is not 1.." + WIDTH);
    }

    public boolean full() { return width == WIDTH; }

    public boolean entries() { return level == ENTRIES; }

    /** The path, e.g. {@code tile/0/x001/234.p/17}. */
    public String path() {
        StringBuilder b = new StringBuilder("tile/").append(entries() ? "entries" : Integer.toString(level)).append('/');
        appendIndex(b, index);
        if (!full()) b.append(".p/").append(width);
        return b.toString();
    }

    static void appendIndex(StringBuilder b, long n) {
        String digits = Long.toString(n);
        int pad = (3 - digits.length() % 3) % 3;
        digits = "0".repeat(pad) + digits;
        for (int i = 0; i < digits.length(); i += 3) {
            if (i > 0) b.append('/');
            if (i + 3 < digits.length()) b.append('x');
            b.append(digits, i, i + 3);
        }
    }

    /**
     * Parses a path as {@link #path()} writes it, strictly: only the canonical spelling of each
     * index is accepted (no missing zeros, no surplus groups), as a static file server would.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static TilePath parse(String path) {
        if (path == null || path.length() > MAX_PATH_CHARS) throw new IllegalArgumentException("a tile path has at most " + MAX_PATH_CHARS + " characters");
        if (!path.startsWith("tile/")) throw new IllegalArgumentException("a tile path starts with tile/");
        String rest = path.substring(5);
        int slash = rest.indexOf('/');
        if (slash < 0) throw new IllegalArgumentException("a tile path is tile/<L>/<N>");
        String levelPart = rest.substring(0, slash);
        int level;
        if (levelPart.equals("entries")) {
            level = ENTRIES;
        } else if (levelPart.length() == 1 && levelPart.charAt(0) >= '0' && levelPart.charAt(0) <= '0' + MAX_LEVEL) {
            level = levelPart.charAt(0) - '0';
        } else {
            throw new IllegalArgumentException("tile level '" + levelPart + "' is not entries or 0.." + MAX_LEVEL);
        }
        String indexPart = rest.substring(slash + 1);
        int width = WIDTH;
        int p = indexPart.indexOf(".p/");
        if (p >= 0) {
            String w = indexPart.substring(p + 3);
            indexPart = indexPart.substring(0, p);
            if (w.isEmpty() || w.length() > 3 || !w.chars().allMatch(c -> c >= '0' && c <= '9') || w.charAt(0) == '0') {
                throw new IllegalArgumentException("partial tile width '" + w + "' is not 1..255");
            }
            width = Integer.parseInt(w);
            if (width >= WIDTH) throw new IllegalArgumentException("partial tile width " + width + " is not 1..255");
        }
        String[] groups = indexPart.split("/", -1);
        long index = 0;
        for (int i = 0; i < groups.length; i++) {
            String g = groups[i];
            boolean last = i == groups.length - 1;
            if (!last) {
                if (g.length() != 4 || g.charAt(0) != 'x') throw new IllegalArgumentException("tile index group '" + g + "' is not xNNN");
                g = g.substring(1);
            }
            if (g.length() != 3 || !g.chars().allMatch(c -> c >= '0' && c <= '9')) throw new IllegalArgumentException("tile index group '" + g + "' is not three digits");
            if (i == 0 && !last && g.equals("000")) throw new IllegalArgumentException("tile index has a leading zero group");
            if (index > (Long.MAX_VALUE - 999) / 1000) throw new IllegalArgumentException("tile index is too large");
            index = index * 1000 + Integer.parseInt(g);
        }
        return new TilePath(level, index, width);
    }
}
