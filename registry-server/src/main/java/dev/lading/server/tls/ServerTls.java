package dev.lading.server.tls;

import dev.lading.server.config.ConfigException;
import dev.lading.server.config.LadingConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS: an {@link SslContext} built from the configured PEM pair, and a poller that
 * re-reads both files every {@link LadingConfig.Tls#reloadInterval()} and swaps in a new context
 * when their content changed. New connections get the new certificate; connections already open
 * keep the one they shook hands with.
 *
 * <p>Why polling the content rather than watching the files: cert-manager and Kubernetes Secret
 * volumes publish a new pair by swapping a {@code ..data} symbolic link one directory up, which an
 * inotify watch on the file itself never sees, and some writers keep the mtime. Reading two small
 * files every few seconds costs nothing and sees every way of replacing them.
 *
 * <p>A new pair that does not parse, or whose key does not belong to its certificate (also the
 * moment between a writer replacing one file and then the other), is logged once and the pair in
 * use is kept; the next change is tried again. All of it runs on its own thread, never on an event
 * loop.
 */
public final class ServerTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /** TLS 1.2 and 1.3 only: every registry client of the last decade speaks 1.2. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final LadingConfig.Tls files;
  private final ScheduledExecutorService poller;
  private volatile Loaded current;

  /**
   * The fingerprint of the last content refused, so a broken pair is logged once, not every poll.
   */
  private byte[] lastRefused;

  private String lastReadProblem;

  private record Loaded(CertificatePair pair, SslContext context) {}

  private ServerTls(LadingConfig.Tls files, Loaded first) {
    this.files = files;
    this.current = first;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lading-tls-reload").factory());
  }

  /**
   * Reads the pair and starts watching it.
   *
   * @throws ConfigException naming the key of a file that is missing, unreadable or unusable
   */
  public static ServerTls start(LadingConfig.Tls files) {
    Objects.requireNonNull(files, "files");
    Loaded first;
    try {
      first = build(CertificatePair.load(files));
    } catch (TlsFileException e) {
      throw new ConfigException(e.getMessage());
    }
    ServerTls tls = new ServerTls(files, first);
    log.info(
        "TLS on: {} (re-read every {} s)",
        first.pair().describe(),
        files.reloadInterval().toSeconds());
    warnIfExpired(first.pair());
    long every = files.reloadInterval().toMillis();
    tls.poller.scheduleWithFixedDelay(tls::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
    return tls;
  }

  /** A handler for a new connection, with the certificate current at this moment. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    return current.context().newHandler(alloc);
  }

  /** The certificate new connections are given. */
  public X509Certificate certificate() {
    return current.pair().leaf();
  }

  /** One poll: swaps in the files' pair when their content changed and is usable. */
  synchronized void reloadIfChanged() {
    try {
      CertificatePair.PairBytes bytes;
      try {
        bytes = CertificatePair.readFiles(files);
      } catch (TlsFileException e) {
        if (!e.getMessage().equals(lastReadProblem)) {
          lastReadProblem = e.getMessage();
          log.warn(
              "TLS files unreadable, keeping the certificate in use ({}): {}",
              current.pair().describe(),
              e.getMessage());
        }
        return;
      }
      lastReadProblem = null;
      byte[] fingerprint = bytes.fingerprint();
      if (Arrays.equals(fingerprint, current.pair().fingerprint())
          || Arrays.equals(fingerprint, lastRefused)) {
        return;
      }
      Loaded next;
      try {
        next = build(CertificatePair.parse(bytes, files));
      } catch (TlsFileException e) {
        lastRefused = fingerprint;
        log.warn(
            "new TLS files refused, keeping the certificate in use ({}): {}",
            current.pair().describe(),
            e.getMessage());
        return;
      }
      current = next;
      lastRefused = null;
      log.info("TLS certificate reloaded: {}", next.pair().describe());
      warnIfExpired(next.pair());
    } catch (RuntimeException e) {
      // An escaping exception would cancel the schedule and stop every later reload.
      log.warn("TLS reload failed, keeping the certificate in use", e);
    }
  }

  private static Loaded build(CertificatePair pair) {
    try {
      SslContext context =
          SslContextBuilder.forServer(pair.key(), pair.chain().toArray(X509Certificate[]::new))
              .sslProvider(SslProvider.JDK)
              .protocols(PROTOCOLS)
              .build();
      return new Loaded(pair, context);
    } catch (SSLException | IllegalArgumentException e) {
      throw new TlsFileException(
          CertificatePair.KEY_KEY, "the JDK refused the pair: " + e.getMessage());
    }
  }

  private static void warnIfExpired(CertificatePair pair) {
    if (pair.leaf().getNotAfter().toInstant().isBefore(Instant.now())) {
      log.warn(
          "the TLS certificate expired at {}: clients will refuse it",
          pair.leaf().getNotAfter().toInstant());
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
