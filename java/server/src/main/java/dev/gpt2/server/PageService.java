// Static pages from the jar (no CDN): GET / (greeting + playground), GET /docs (offline API docs rendering
// /openapi), GET /openapi (the hand-written OpenAPI 3 document), GET /static/{file}.
package dev.gpt2.server;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.yaml.snakeyaml.Yaml;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Pages and documents.
 * <pre>
 * curl -s localhost:8080/openapi
 * </pre>
 */
final class PageService implements HttpService {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "yaml", "application/yaml; charset=utf-8",
            "svg", "image/svg+xml");

    /** The YAML document converted once; served to the docs page. */
    private static final JsonNode OPENAPI_JSON = JsonBody.MAPPER.valueToTree(
            new Yaml().load(new String(Responses.resource("/web/openapi.yaml"), StandardCharsets.UTF_8)));

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::index)
                .get("/docs", this::docs)
                .get("/openapi", this::openapi)
                .get("/openapi.json", this::openapiJson)
                .get("/static/{file}", this::asset);
    }

    private void index(ServerRequest req, ServerResponse res) {
        send(res, "/web/index.html");
    }

    private void docs(ServerRequest req, ServerResponse res) {
        send(res, "/web/docs.html");
    }

    private void openapi(ServerRequest req, ServerResponse res) {
        send(res, "/web/openapi.yaml");
    }

    private void openapiJson(ServerRequest req, ServerResponse res) {
        Responses.sendJson(res, OPENAPI_JSON);
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
