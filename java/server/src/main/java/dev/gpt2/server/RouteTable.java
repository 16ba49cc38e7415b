// The route table, built from what the services register (RoutedService.routes(), under their paths) and the
// routes the features serve (OpenAPI, observe): metric labels for known paths, and JSON 404 / 405 (with Allow)
// for the rest, in the dialect of the path (/v1/* OpenAI, else TGI).
package dev.gpt2.server;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.helidon.common.Weighted;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpFeature;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

final class RouteTable {
    /** Exact path -> methods; path prefix (of a {param} route or a served subtree) -> methods. */
    private final Map<String, Set<String>> exact = new TreeMap<>();
    private final Map<String, Set<String>> prefixes = new TreeMap<>();
    private final Set<String> api = new TreeSet<>();

    /** Records SERVICE's routes under PREFIX ("/" or "/v1"); returns the service, to register it. */
    <S extends RoutedService> S add(String prefix, S service) {
        for (RoutedService.Route r : service.routes()) {
            String path = join(prefix, r.path());
            add(r.method().text(), path, r.api());
        }
        return service;
    }

    /** Records one route (a feature's, or a {param} pattern whose literal prefix labels it). */
    void add(String method, String path, boolean isApi) {
        int param = path.indexOf('{');
        if (param >= 0) {
            String prefix = path.substring(0, param);
            prefixes.computeIfAbsent(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix,
                    k -> new TreeSet<>()).add(method);
        } else {
            exact.computeIfAbsent(path, k -> new TreeSet<>()).add(method);
        }
        if (isApi) {
            api.add(path);
        }
    }

    /** A subtree served as a whole (static content): labelled by its root. */
    void addSubtree(String root, String method) {
        prefixes.computeIfAbsent(root, k -> new TreeSet<>()).add(method);
    }

    /** The API paths (those the OpenAPI document must list). */
    Set<String> apiPaths() {
        return Collections.unmodifiableSet(api);
    }

    /** Bounded metric label: the route, the prefix of a {param} route or subtree, "other" for anything unknown. */
    String label(String path) {
        if (exact.containsKey(path)) {
            return path;
        }
        String prefix = prefixOf(path);
        return prefix != null ? prefix : "other";
    }

    /** Last handler: 405 for a known path (or subtree) with a method it does not take, else 404. */
    void fallback(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        Set<String> methods = exact.get(path);
        if (methods == null) {
            String prefix = prefixOf(path);
            methods = prefix == null ? null : prefixes.get(prefix);
        }
        ErrorDialect dialect = ErrorDialect.forPath(path);
        // a known path asked with a method it does not take: 405; with one it takes, nothing is there: 404
        if (methods != null && !methods.contains(req.prologue().method().text())) {
            String allowed = String.join(", ", methods);
            res.header(HeaderValues.create(HeaderNames.ALLOW, allowed));
            dialect.send(res, new ApiException(405, null, "method " + req.prologue().method().text()
                    + " is not allowed on " + path + "; use " + allowed, "method_not_allowed"));
            return;
        }
        dialect.send(res, new ApiException(404, null, "no route for " + req.prologue().method().text() + " "
                + path, "not_found"));
    }

    /** The fallback as a feature of the lowest weight (see {@link Fallback}). */
    HttpFeature fallbackFeature() {
        return new Fallback(this);
    }

    private String prefixOf(String path) {
        for (String p : prefixes.keySet()) {
            if (path.startsWith(p + "/")) {
                return p;
            }
        }
        return null;
    }

    private static String join(String prefix, String path) {
        if (prefix.equals("/")) {
            return path;
        }
        return path.equals("/") ? prefix : prefix + path;
    }

    /**
     * The fallback as a feature of the lowest weight: Helidon sets up the application's own handlers (weight 100)
     * and then the features by falling weight (OpenAPI 90, observe 80), so a plain {@code any()} would answer
     * their paths before they could.
     */
    private record Fallback(RouteTable table) implements HttpFeature, Weighted {
        @Override
        public void setup(HttpRouting.Builder routing) {
            routing.any(table::fallback);
        }

        @Override
        public double weight() {
            return 1;
        }
    }

    /** For tests: every recorded exact path and its methods. */
    Map<String, List<String>> routes() {
        Map<String, List<String>> out = new TreeMap<>();
        exact.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }
}
