// Notices that the client of a generation request closed its connection while the answer is being computed, so
// that the generation is cancelled at the engine's next step instead of holding its slot (or its queue place) to
// the end (issue #8 item 6). A failed write notices a gone client only when there is something to write: never
// for a blocking request before its end, and not for a stream while it waits in the queue or prefills. Helidon
// neither reads the socket while a handler runs nor offers a "client gone" event, so a watcher thread reads the
// connection: end of stream or a reset means gone.
//
// The price: a read blocked on a socket ends only with the socket, and Helidon must not find a second reader on it
// when it reads the next request. So a watched response (every generation) says "Connection: close" and the
// connection is closed once the response is sent (what HTTP/1.1 allows; clients open a new connection, a few tens of microseconds on
// loopback against the milliseconds to seconds a generation takes). Bytes a client pipelines behind the request
// end the watch (they are left in Helidon's buffer), and are dropped with the connection, which a client of
// Connection: close retries.
package dev.gpt2.server;

import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerResponse;

/** One watched generation request: {@link #start} after its body was read, before it waits for the engine. */
final class ClientWatch {
    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());

    private final ConnectionContext connection;
    private final Runnable onGone;
    private final Thread watcher;
    private volatile boolean ending;

    private ClientWatch(ConnectionContext connection, Runnable onGone) {
        this.connection = connection;
        this.onGone = onGone;
        this.watcher = Thread.ofVirtual().name("gpt2-client-watch").unstarted(this::watch);
    }

    /**
     * Watches the connection of the request handled on this thread, calling ON_GONE (on the watcher thread) if the
     * client leaves before RES is sent. Without {@link CurrentConnection}'s listener (a server built otherwise)
     * nothing is watched and the request timeout still bounds the work.
     */
    static void start(ServerResponse res, Runnable onGone) {
        ConnectionContext ctx = CurrentConnection.get();
        if (ctx == null) {
            return;
        }
        ClientWatch watch = new ClientWatch(ctx, onGone);
        res.header(HeaderValues.CONNECTION_CLOSE);
        res.whenSent(watch::end);
        watch.watcher.start();
    }

    private void watch() {
        DataReader reader = connection.dataReader();
        while (!ending) {
            try {
                reader.pullData();
                return;                      // the client sent more (pipelining): not gone; Helidon keeps the bytes
            } catch (DataReader.InsufficientDataAvailableException e) {
                gone("closed the connection");
                return;
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof SocketTimeoutException) {
                    continue;                // the server's read timeout: a silent client is still a client
                }
                if (!ending) {
                    gone(String.valueOf(e.getCause()));
                }
                return;
            } catch (RuntimeException e) {
                if (!ending) {
                    LOG.log(Level.DEBUG, "client watch ended", e);
                }
                return;
            }
        }
    }

    private void gone(String how) {
        LOG.log(Level.DEBUG, "client {0} {1}: cancelling its generation", connection.remotePeer(), how);
        onGone.run();
    }

    /** After the response was written: end the blocked read with the connection (announced by the header). */
    private void end() {
        ending = true;
        if (watcher.isAlive()) {
            try {
                connection.serverSocket().close();
                watcher.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "closing a watched connection failed", e);
            }
        }
    }
}
