package dev.coffer.bench;

import java.util.Map;

/** Writes a flat map of figures as a JSON object (numbers, strings, booleans). */
public final class Json {

    private Json() {}

    public static String object(Map<String, Object> figures) {
        StringBuilder b = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : figures.entrySet()) {
            b.append("  ").append(quote(e.getKey())).append(": ");
            Object v = e.getValue();
            if (v instanceof Number || v instanceof Boolean) b.append(v);
            else b.append(quote(String.valueOf(v)));
            b.append(++i < figures.size() ? ",\n" : "\n");
        }
        return b.append("}\n").toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
