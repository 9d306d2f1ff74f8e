package dev.coffer.server;

import dev.coffer.server.config.CofferConfig;
import dev.coffer.server.ops.JsonLog;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;

/**
 * A service in a child JVM, for tests that SIGKILL it: {@code ServiceProcess KEY=VALUE...} (config
 * overrides). Its JSON log goes to standard output, then {@code READY <url> <first admin key or ->}
 * once it takes requests.
 */
public final class ServiceProcess {

    private ServiceProcess() {}

    public static void main(String[] args) throws Exception {
        Map<String, Object> o = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            o.put(a.substring(0, eq), a.substring(eq + 1));
        }
        o.putIfAbsent("server.port", 0);
        o.putIfAbsent("log.requests", false);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        JsonLog log = new JsonLog(out, "info");
        Service service = Service.start(CofferConfig.load(null, Map.of(), o), log);
        out.println("READY " + service.url() + " " + (service.firstKey() == null ? "-" : service.firstKey().token()));
        Thread.currentThread().join(); // until killed
    }
}
