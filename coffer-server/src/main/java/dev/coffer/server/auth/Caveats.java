package dev.coffer.server.auth;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.UInt128;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a capability token allows: the conjunction of its caveats (docs/SECURITY.md, "Capability
 * tokens"). Each caveat is one line {@code name = value}; every caveat must hold for a request, so
 * adding one can only take away — an attenuated token never grants more than its parent. A caveat
 * this version does not know makes the token invalid (fail closed).
 *
 * <ul>
 *   <li>{@code scope = read|write|admin|x402} — the routes' scope, as for API keys;</li>
 *   <li>{@code account = ID} or {@code account = PREFIX*} — the one account an operation acts on
 *       (the debited account of a transfer, withdrawal or hold; the credited one of a deposit; the
 *       account created, changed or read) must be this one, or start with the prefix; a token with
 *       an account caveat reaches only the routes that name such an account;</li>
 *   <li>{@code op = deposit,withdrawal,transfer,…} — the types of writes allowed;</li>
 *   <li>{@code max_amount = N} — no operation moves more than N minor units;</li>
 *   <li>{@code tenant = a,b} — the event streams and schemas of these tenants only, as a
 *       tenant-limited key;</li>
 *   <li>{@code expires = 2026-12-31T00:00:00Z} (or Unix seconds) — refused from then on.</li>
 * </ul>
 */
public final class Caveats {

    /** Longest caveat line, and most caveats in one token. */
    public static final int MAX_CAVEAT_CHARS = 512;
    public static final int MAX_CAVEATS = 32;

    static final Set<String> OPERATIONS = Set.of("create_account", "set_account_status", "deposit", "withdrawal", "transfer", "hold", "capture", "void",
            "reversal", "create_asset");

    private final List<String> lines;
    private final List<Scope> scopes = new ArrayList<>();
    /** Each account caveat: the accounts or prefixes it allows (one of them must match). */
    private final List<String> accounts = new ArrayList<>();
    private final List<Set<String>> operations = new ArrayList<>();
    private BigInteger maxAmount;
    private Set<String> tenants;
    private long expiresAt = Long.MAX_VALUE;

    private Caveats(List<String> lines) {
        this.lines = List.copyOf(lines);
    }

    /** Parses caveat lines; an unknown or malformed one is an {@link IllegalArgumentException}. */
    public static Caveats parse(List<String> lines) {
        if (lines.size() > MAX_CAVEATS) throw new IllegalArgumentException("a token has at most " + MAX_CAVEATS + " caveats");
        Caveats c = new Caveats(lines);
        for (String line : lines) c.add(line);
        return c;
    }

    private void add(String line) {
        if (line.length() > MAX_CAVEAT_CHARS) throw new IllegalArgumentException("caveat longer than " + MAX_CAVEAT_CHARS + " characters");
        int eq = line.indexOf('=');
        if (eq < 0) throw new IllegalArgumentException("caveat '" + line + "' is not 'name = value'");
        String name = line.substring(0, eq).strip();
        String value = line.substring(eq + 1).strip();
        if (value.isEmpty()) throw new IllegalArgumentException("caveat '" + name + "' has no value");
        switch (name) {
            case "scope" -> scopes.add(Scope.parse(value));
            case "account" -> {
                if (value.indexOf('*') >= 0 && value.indexOf('*') != value.length() - 1) throw new IllegalArgumentException("account caveat: '*' only at the end");
                accounts.add(value);
            }
            case "op" -> {
                Set<String> ops = new LinkedHashSet<>();
                for (String op : value.split(",")) {
                    String o = op.strip();
                    if (!OPERATIONS.contains(o)) throw new IllegalArgumentException("op caveat: unknown operation '" + o + "' (known: " + new java.util.TreeSet<>(OPERATIONS) + ")");
                    ops.add(o);
                }
                operations.add(ops);
            }
            case "max_amount" -> {
                BigInteger n = UInt128.parse(value).value().toBigInteger();
                maxAmount = maxAmount == null ? n : maxAmount.min(n);
            }
            case "tenant" -> {
                Set<String> t = new HashSet<>(Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
                if (t.isEmpty()) throw new IllegalArgumentException("tenant caveat names no tenant");
                if (tenants == null) tenants = t;
                else tenants.retainAll(t);
            }
            case "expires" -> expiresAt = Math.min(expiresAt, epochSeconds(value));
            default -> throw new IllegalArgumentException("unknown caveat '" + name + "'");
        }
    }

    static long epochSeconds(String value) {
        if (value.chars().allMatch(Character::isDigit)) return Long.parseLong(value);
        try {
            return Instant.parse(value).getEpochSecond();
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("expires caveat: '" + value + "' is neither Unix seconds nor an ISO-8601 instant");
        }
    }

    public List<String> lines() { return lines; }

    /** Whether every scope caveat covers {@code needed}; a token without any allows nothing. */
    public boolean allowsScope(Scope needed) {
        if (scopes.isEmpty()) return false;
        for (Scope s : scopes) if (!s.covers(needed)) return false;
        return true;
    }

    /** The scope every scope caveat covers (the one a stand-in key is given), or null when none is. */
    public Scope scope() {
        for (Scope s : scopes) {
            if (allowsScope(s)) return s;
        }
        return null;
    }

    /** The tenants the token is limited to, or an empty set when it is not. */
    public Set<String> tenants() {
        return tenants == null ? Set.of() : Set.copyOf(tenants);
    }

    /** Whether a tenant caveat leaves no tenant at all (the token then allows no tenant route). */
    public boolean noTenantLeft() {
        return tenants != null && tenants.isEmpty();
    }

    public boolean expired(long nowSeconds) {
        return nowSeconds >= expiresAt;
    }

    public long expiresAt() { return expiresAt; }

    /** Whether operation or amount caveats limit the token's writes. */
    public boolean writeLimited() {
        return !operations.isEmpty() || maxAmount != null;
    }

    /** Whether an account caveat limits the token. */
    public boolean accountLimited() {
        return !accounts.isEmpty();
    }

    /** Why {@code accountId} is not allowed, or null when every account caveat allows it. */
    public String refuseAccount(String accountId) {
        for (String a : accounts) {
            boolean ok = a.endsWith("*") ? accountId != null && accountId.startsWith(a.substring(0, a.length() - 1)) : a.equals(accountId);
            if (!ok) return "this token is limited to account " + a;
        }
        return null;
    }

    /**
     * Why the write {@code c} of type {@code type} is not allowed, or null when every caveat allows
     * it: its type, its amount, and the one account it acts on.
     */
    public String refuse(String type, Command c) {
        for (Set<String> ops : operations) if (!ops.contains(type)) return "this token does not allow " + type + " (op = " + String.join(",", ops) + ")";
        UInt128 amount = amountOf(c);
        if (maxAmount != null && amount != null && amount.toBigInteger().compareTo(maxAmount) > 0) {
            return "this token allows at most " + maxAmount + " per operation";
        }
        if (accountLimited()) {
            String account = accountOf(c);
            if (account == null) return "this token is limited to accounts, and a " + type + " names none";
            return refuseAccount(account);
        }
        return null;
    }

    static UInt128 amountOf(Command c) {
        return switch (c) {
            case Command.Deposit d -> d.amount();
            case Command.Withdraw w -> w.amount();
            case Command.Transfer t -> t.amount();
            case Command.Hold h -> h.amount();
            case Command.Capture k -> k.amount();
            case Command.Reverse r -> r.amount();
            default -> null;
        };
    }

    /** The account an operation acts on (the debited one of a movement), or null when it names none. */
    static String accountOf(Command c) {
        return switch (c) {
            case Command.CreateAccount a -> a.accountId();
            case Command.SetAccountStatus s -> s.accountId();
            case Command.Deposit d -> d.accountId();
            case Command.Withdraw w -> w.accountId();
            case Command.Transfer t -> t.from();
            case Command.Hold h -> h.from();
            default -> null;
        };
    }
}
