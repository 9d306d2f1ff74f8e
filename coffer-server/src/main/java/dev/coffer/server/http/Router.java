package dev.coffer.server.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Matches a method and path against the route table. Templates are literal segments and
 * {@code {name}} parameters (one whole segment each); a last segment {@code {name*}} takes the rest
 * of the path, one segment or more, slashes included (the log's tile paths). Linear over the table: it has ~30 routes
 * and a match is a few string comparisons.
 */
final class Router {

    /** A matched route and its path parameters (still percent-decoded by the HTTP layer). */
    record Match(Route route, Map<String, String> params) {}

    private record Compiled(Route route, String[] segments) {}

    private final List<Compiled> routes = new ArrayList<>();

    Router(List<Route> table) {
        for (Route r : table) routes.add(new Compiled(r, r.segments()));
    }

    /** The route for this request; {@link ApiException} 404 when no path matches, 405 when only the method differs. */
    Match match(String method, String path) {
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        String[] parts = path.startsWith("/") ? path.substring(1).split("/", -1) : new String[]{path};
        boolean pathMatched = false;
        List<String> allowed = null;
        for (Compiled c : routes) {
            Map<String, String> params = params(c.segments(), parts);
            if (params == null) continue;
            if (c.route().method().equals(method)) return new Match(c.route(), params);
            pathMatched = true;
            if (allowed == null) allowed = new ArrayList<>();
            allowed.add(c.route().method());
        }
        if (pathMatched) {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on " + path + " (allowed: " + String.join(", ", allowed) + ")");
        }
        throw new ApiException(404, "route_not_found", "no such endpoint: " + path);
    }

    private static Map<String, String> params(String[] template, String[] parts) {
        boolean rest = template[template.length - 1].endsWith("*}");
        if (rest ? parts.length < template.length : template.length != parts.length) return null;
        Map<String, String> params = null;
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (rest && i == template.length - 1) {
                String joined = String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length));
                if (joined.isEmpty()) return null;
                if (params == null) params = new java.util.HashMap<>(4);
                params.put(t.substring(1, t.length() - 2), joined);
            } else if (t.startsWith("{")) {
                if (parts[i].isEmpty()) return null;
                if (params == null) params = new java.util.HashMap<>(4);
                params.put(t.substring(1, t.length() - 1), parts[i]);
            } else if (!t.equals(parts[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }
}
