// Static pages from the jar (no CDN): GET / (greeting + playground), GET /static/{file}. The API docs and the
// OpenAPI document are ApiDocs'.
package dev.gpt2.server;

import java.util.List;

import java.util.Map;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The playground page and its assets.
 * <pre>
 * curl -s localhost:8080/
 * </pre>
 */
final class PageService implements RoutedService {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/", this::index), Route.asset("/static/{file}", this::asset));
    }

    private void index(ServerRequest req, ServerResponse res) {
        send(res, "/web/index.html");
    }

    private void asset(ServerRequest req, ServerResponse res) {
        String file = req.path().pathParameters().get("file");
        if (!file.matches("[A-Za-z0-9_-]+\\.[a-z]+")) {
            ErrorDialect.TGI.send(res, new ApiException(404, null, "no such asset", "not_found"));
            return;
        }
        send(res, "/web/" + file);
    }

    private static void send(ServerResponse res, String resource) {
        byte[] bytes = Responses.resource(resource);
        if (bytes == null) {
            ErrorDialect.TGI.send(res, new ApiException(404, null, "no such asset", "not_found"));
            return;
        }
        String ext = resource.substring(resource.lastIndexOf('.') + 1);
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, TYPES.getOrDefault(ext, "application/octet-stream")));
        res.header(HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-cache"));
        res.send(bytes);
    }
}
