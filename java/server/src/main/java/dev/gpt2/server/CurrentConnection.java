// The connection of the request being handled, for the two things Helidon 4.5's request API cannot do: watch a
// blocking request's client (ClientWatch) and honour a client's "Connection: close" (Helidon answers with the
// header but keeps the connection open, helidon-io/helidon#12324). Helidon runs a request's handler on the thread
// that read its headers, and passes the connection to HTTP/1 receive listeners as it reads them.
package dev.gpt2.server;

import java.lang.System.Logger.Level;

import io.helidon.config.Config;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;

/** A thread-local of the current request's ConnectionContext, set by an HTTP/1 receive listener. */
final class CurrentConnection {
    private static final System.Logger LOG = System.getLogger(CurrentConnection.class.getName());
    private static final ThreadLocal<ConnectionContext> CONNECTION = new ThreadLocal<>();
    private static final Http1ConnectionListener REMEMBER = new Http1ConnectionListener() {
        @Override
        public void headers(ConnectionContext ctx, Headers headers) {
            CONNECTION.set(ctx);
        }
    };

    private CurrentConnection() {
    }

    /** The HTTP/1 protocol settings of CONFIG (server.protocols.http1) with the listener that fills this in. */
    static Http1Config http1(Config config) {
        return Http1Config.builder().config(config).addReceiveListener(REMEMBER).build();
    }

    /** The connection whose request this thread is handling; null on a server built without {@link #http1}. */
    static ConnectionContext get() {
        return CONNECTION.get();
    }

    /** Closes the connection once RES is sent when the request asked for it (RFC 9112 section 9.6). */
    static final Filter HONOUR_CONNECTION_CLOSE = (chain, req, res) -> {
        if (req.headers().containsToken(HeaderValues.CONNECTION_CLOSE)) {
            closeWhenSent(res);
        }
        chain.proceed();
    };

    /** After RES has been written, closes this request's connection (RES must announce Connection: close). */
    static void closeWhenSent(ServerResponse res) {
        ConnectionContext ctx = CONNECTION.get();
        if (ctx != null) {
            res.whenSent(() -> {
                try {
                    ctx.serverSocket().close();
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "closing a connection after its last response failed", e);
                }
            });
        }
    }
}
