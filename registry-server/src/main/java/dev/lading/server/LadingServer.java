package dev.lading.server;

import dev.lading.core.layout.StoreFormat;
import dev.lading.core.registry.PullLog;
import dev.lading.core.registry.PullRecorder;
import dev.lading.core.registry.Registry;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.events.EventQueues;
import dev.lading.events.Events;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcOptions;
import dev.lading.gc.OnlineCollector;
import dev.lading.server.admin.EventsAdminHandler;
import dev.lading.server.admin.GcAdminHandler;
import dev.lading.server.admin.QuotaAdminHandler;
import dev.lading.server.auth.TokenAuth;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.http.ConnectionCeiling;
import dev.lading.server.http.HealthHandler;
import dev.lading.server.http.InFlightRequests;
import dev.lading.server.http.PolicyGuard;
import dev.lading.server.http.RegistryChannelInitializer;
import dev.lading.server.http.RegistryHandlers;
import dev.lading.server.http.RequestAuthorizer;
import dev.lading.server.http.RequestDispatcher;
import dev.lading.server.http.ResourceHandler;
import dev.lading.server.http.ShutdownCut;
import dev.lading.server.http.WireBytes;
import dev.lading.server.metrics.LadingMetrics;
import dev.lading.server.metrics.MeteredObjectStore;
import dev.lading.server.metrics.MetricsHandler;
import dev.lading.server.metrics.MetricsServer;
import dev.lading.server.tls.ServerTls;
import dev.lading.storage.s3.S3Store;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running registry: the Netty server, its registry and its store. {@link #start} binds and
 * returns once the socket listens; {@link #close} stops accepting, lets requests in flight finish
 * (up to {@code http.shutdown_timeout_seconds}), then closes connections and the store. Tests and
 * benchmarks start one on port 0 and ask {@link #port()}.
 */
public final class LadingServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LadingServer.class);

  /** How long requests cut at the shutdown deadline may take to save what they received. */
  private static final Duration AFTER_CUT = Duration.ofSeconds(5);

  private final LadingConfig config;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel serverChannel;
  private final ChannelGroup channels;
  private final InFlightRequests inFlight;
  private final ExecutorService requestThreads;
  private final AutoCloseable ownedStore;
  private volatile OnlineCollector gc;

  /** Closed after the requests in flight, so their events are queued, and before the store. */
  private volatile Events events = Events.off();

  private volatile TokenAuth auth;
  private volatile PullLogFlusher pulls;

  /** The registry and override guard of a server started on its own store (for reloads). */
  private volatile StoreRegistry registry;

  private volatile QuotaScanner quotaScanner;

  private volatile PolicyGuard policyGuard;

  /** The listener's certificate and its reloader; null for plain HTTP. */
  private final ServerTls tls;

  private final LadingMetrics metrics;

  /** The listener of {@code metrics.port}; null when {@code /metrics} is on the registry's port. */
  private volatile MetricsServer metricsServer;

  /** Set when {@link #close} begins: readiness turns 503 while requests in flight finish. */
  private final AtomicBoolean draining;

  private boolean closed;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private LadingServer(
      LadingConfig config,
      EventLoopGroup boss,
      EventLoopGroup workers,
      Channel serverChannel,
      ChannelGroup channels,
      InFlightRequests inFlight,
      ExecutorService requestThreads,
      AutoCloseable ownedStore,
      LadingMetrics metrics,
      AtomicBoolean draining,
      ServerTls tls) {
    this.tls = tls;
    this.draining = draining;
    this.config = config;
    this.metrics = metrics;
    this.boss = boss;
    this.workers = workers;
    this.serverChannel = serverChannel;
    this.channels = channels;
    this.inFlight = inFlight;
    this.requestThreads = requestThreads;
    this.ownedStore = ownedStore;
  }

  /** Starts a registry on the store the configuration names. */
  public static LadingServer start(LadingConfig config) {
    return start(config, Clock.systemUTC());
  }

  /**
   * As {@link #start(LadingConfig)}, with the clock token auth reads (token times, login back-off),
   * so tests can move time instead of sleeping through a back-off.
   */
  public static LadingServer start(LadingConfig config, Clock authClock) {
    LadingMetrics metrics = new LadingMetrics(Clock.systemUTC());
    // Everything the server does with its store (registry, GC, keys, readiness) goes through
    // the one metering wrapper, so store calls are counted whoever makes them.
    ObjectStore store = new MeteredObjectStore(openStore(config), metrics.registry());
    StoreFormat.Checked format;
    try {
      // A read-only server may run on credentials that cannot write: it checks, and marks nothing.
      format = checkStoreFormat(store, !config.readOnly());
    } catch (RuntimeException e) {
      metrics.close();
      closeQuietly(store);
      throw e;
    }
    StoreRegistry registry =
        new StoreRegistry(
            store,
            RegistryOptions.defaults()
                .withMaxManifestBytes(config.limits().manifestBytes())
                .withAllowSparseIndex(config.limits().allowSparseIndex())
                .withAllowBlake3(config.limits().allowBlake3())
                .withStoreLayout(format.version())
                .withUploadExpiry(config.gc().uploadExpiry()));
    metrics.bindCaches(registry::cacheStats);
    registry.immutableTags(config.policies().immutableTags());
    registry.quotas(config.policies().quotas());
    metrics.bindQuotas(registry::quotaUsage);
    PolicyGuard policyGuard = new PolicyGuard(config.policies().immutableTagsOverride(), metrics);
    PullLogFlusher pulls =
        recordsPulls(config, config.policies()) ? startPullLog(store, registry, config) : null;
    GarbageCollector collector = new GarbageCollector(store, Clock.systemUTC());
    OnlineCollector gc = new OnlineCollector(collector, gcOptions(config), Clock.systemUTC());
    metrics.bindGc(gc, collector);
    EventsAdminHandler eventsAdmin =
        new EventsAdminHandler(
            new EventQueues(store, config.events(), Clock.systemUTC()), Clock.systemUTC());
    Map<String, ResourceHandler> admin =
        Map.of(
            GcAdminHandler.PATH,
            new GcAdminHandler(gc),
            QuotaAdminHandler.PATH,
            new QuotaAdminHandler(registry::quotaUsage),
            EventsAdminHandler.PATH,
            eventsAdmin,
            EventsAdminHandler.UNDER,
            eventsAdmin);
    // A read-only server may run on credentials that cannot write the events' queue: no events.
    Events events =
        config.readOnly() ? Events.off() : Events.start(store, config.events(), Clock.systemUTC());
    metrics.bindEvents(events.stats(), config.events());
    gc.addListener(GcEvents.publishingTo(events));
    try {
      LadingServer server;
      if (config.auth().enabled()) {
        TokenAuth auth = TokenAuth.from(config, authClock, Optional.of(store));
        try {
          server =
              start(
                  config,
                  registry,
                  auth.authorizer(),
                  auth.endpoints(),
                  admin,
                  metrics,
                  store,
                  policyGuard,
                  events);
        } catch (RuntimeException e) {
          auth.close();
          throw e;
        }
        server.auth = auth;
      } else {
        server =
            start(
                config,
                registry,
                RequestAuthorizer.allowAll(),
                Map.of(),
                admin,
                metrics,
                store,
                policyGuard,
                events);
      }
      server.gc = gc;
      server.events = events;
      server.registry = registry;
      server.policyGuard = policyGuard;
      server.pulls = pulls;
      server.quotaScanner =
          new QuotaScanner(registry, Duration.ofSeconds(config.policies().quotasScanSeconds()));
      if (config.gc().interval().isPositive()) {
        gc.schedule(config.gc().interval());
      }
      return server;
    } catch (RuntimeException e) {
      gc.close();
      events.close();
      if (pulls != null) {
        pulls.close();
      }
      metrics.close();
      closeQuietly(store);
      throw e;
    }
  }

  /** GC policy, fence delay and retention policies from the configuration. */
  public static GcOptions gcOptions(LadingConfig config) {
    return gcOptions(config.gc())
        .withRetention(config.policies().retention())
        .withImmutableTags(config.policies().immutableTags());
  }

  /** GC policy and fence delay from the configuration. */
  public static GcOptions gcOptions(LadingConfig.Gc gc) {
    return GcOptions.defaults()
        .withFenceDelay(gc.fenceDelay())
        .withGrace(gc.grace())
        .withUploadExpiry(gc.uploadExpiry())
        .withDeleteUntagged(gc.deleteUntagged())
        .withDryRun(gc.dryRun());
  }

  /** The online collector of a server started on its own store (empty for a given registry). */
  public Optional<OnlineCollector> gc() {
    return Optional.ofNullable(gc);
  }

  /** What a store of {@code version} older than the current layout does the slower way. */
  private static String heldBack(int version) {
    List<String> slower = new ArrayList<>();
    if (!StoreFormat.inlinesSmallBlobs(version)) {
      slower.add("small blobs are written as two objects");
    }
    if (!StoreFormat.signsUploadIds(version)) {
      slower.add("upload sessions are stored from their start");
    }
    if (!StoreFormat.recordsClosesByLink(version)) {
      slower.add("an upload's close stores its whole state durably");
    }
    if (!StoreFormat.linksManifestsByOwnType(version)) {
      slower.add("a manifest's link records its media type");
    }
    if (!StoreFormat.indexesSmallObjects(version)) {
      slower.add("a filesystem store keeps each small object in a file of its own");
    }
    if (!StoreFormat.keepsLinkEpoch(version)) {
      slower.add("an S3 store's links are read from the bucket on every check");
    }
    return String.join(", ", slower);
  }

  /**
   * Stops the start unless {@code store} holds the storage layout this Lading reads ({@link
   * StoreFormat}); when {@code mark}, a store without the record (new, or written before it
   * existed) gets it. Instances starting together on one bucket may all do this.
   */
  public static StoreFormat.Checked checkStoreFormat(ObjectStore store, boolean mark) {
    try {
      StoreFormat.Checked checked = StoreFormat.check(store, mark);
      if (checked.recorded()) {
        log.info("store: recorded storage layout version {}", checked.version());
      }
      if (checked.version() < StoreFormat.CURRENT) {
        log.info(
            "store: storage layout version {}; {} until 'lading format --upgrade' records version"
                + " {} (run it once no older Lading serves this store)",
            checked.version(),
            heldBack(checked.version()),
            StoreFormat.CURRENT);
      }
      return checked;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the store's storage layout version", e);
    }
  }

  /**
   * Opens the store the configuration names (the {@code gc} command uses it offline, after {@link
   * #checkStoreFormat}).
   */
  public static ObjectStore openConfiguredStore(LadingConfig config) {
    return openStore(config);
  }

  /** Starts a server in front of a given registry (which the caller closes). */
  public static LadingServer start(
      LadingConfig config, Registry registry, RequestAuthorizer authorizer) {
    return start(
        config,
        registry,
        authorizer,
        Map.of(),
        Map.of(),
        new LadingMetrics(Clock.systemUTC()),
        null,
        PolicyGuard.none(),
        Events.off());
  }

  private static LadingServer start(
      LadingConfig config,
      Registry registry,
      RequestAuthorizer authorizer,
      Map<String, ResourceHandler> endpoints,
      Map<String, ResourceHandler> adminRoutes,
      LadingMetrics metrics,
      AutoCloseable ownedStore,
      PolicyGuard policyGuard,
      Events events) {
    // Read first: a missing or broken pair stops the start before anything else is set up.
    ServerTls tls = config.http().tls().map(ServerTls::start).orElse(null);
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, io);
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, io);
    ExecutorService requestThreads =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("lading-request-", 0).factory());
    ChannelGroup channels = new DefaultChannelGroup("lading", GlobalEventExecutor.INSTANCE);
    InFlightRequests inFlight = new InFlightRequests();
    ConnectionCeiling ceiling = new ConnectionCeiling(config.http().maxConnections(), metrics);
    metrics.bindOpenConnections(ceiling::open);
    metrics.bindRequestsInFlight(inFlight::count);
    WireBytes wireBytes = new WireBytes();
    metrics.bindWireBytes(wireBytes::received, wireBytes::sent);
    Map<String, ResourceHandler> plainRoutes = new HashMap<>(endpoints);
    if (config.telemetry().metricsPort().isEmpty()) {
      plainRoutes.put(MetricsHandler.PATH, new MetricsHandler(metrics));
    }
    AtomicBoolean draining = new AtomicBoolean();
    // Readiness looks through the metering wrapper at the filesystem store itself.
    HealthHandler.StoreCheck storeCheck =
        ownedStore instanceof ObjectStore owned
                && ForwardingObjectStore.innermost(owned) instanceof FilesystemStore fs
            ? HealthHandler.directoryCheck(fs.root())
            : HealthHandler.StoreCheck.NONE;
    plainRoutes.putAll(
        new HealthHandler(registry, draining::get, Clock.systemUTC(), storeCheck).routes());
    Optional<Duration> blobRedirect =
        config.storage().s3().filter(LadingConfig.S3::redirect).map(LadingConfig.S3::redirectTtl);
    RequestDispatcher dispatcher =
        new RequestDispatcher(
            ownedStore instanceof ObjectStore store
                ? RegistryHandlers.of(
                    registry,
                    config.limits().manifestBytes(),
                    blobRedirect,
                    config.limits().maxRanges(),
                    store,
                    config.readOnly(),
                    policyGuard)
                : RegistryHandlers.of(
                    registry,
                    config.limits().manifestBytes(),
                    blobRedirect,
                    config.limits().maxRanges()),
            plainRoutes,
            adminRoutes,
            metrics,
            authorizer,
            config.readOnly(),
            requestThreads,
            events);
    try {
      Channel serverChannel =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(channelType)
              .option(ChannelOption.SO_BACKLOG, 1024)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(256 << 10, 1 << 20))
              .childHandler(
                  new RegistryChannelInitializer(
                      dispatcher,
                      inFlight,
                      channels,
                      config.http(),
                      tls,
                      ceiling,
                      metrics,
                      wireBytes))
              .bind(config.http().host(), config.http().port())
              .syncUninterruptibly()
              .channel();
      InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
      MetricsServer metricsServer = null;
      try {
        if (config.telemetry().metricsPort().isPresent()) {
          metricsServer =
              MetricsServer.start(
                  config.http().host(), config.telemetry().metricsPort().getAsInt(), metrics);
        }
      } catch (RuntimeException e) {
        serverChannel.close().syncUninterruptibly();
        throw e;
      }
      StartupReport.log(
          config,
          bound,
          (tls != null ? "https, " : "") + (epoll ? "epoll" : "nio"),
          Optional.ofNullable(metricsServer).map(MetricsServer::address));
      LadingServer server =
          new LadingServer(
              config,
              boss,
              workers,
              serverChannel,
              channels,
              inFlight,
              requestThreads,
              ownedStore,
              metrics,
              draining,
              tls);
      server.metricsServer = metricsServer;
      return server;
    } catch (RuntimeException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      requestThreads.shutdownNow();
      if (tls != null) {
        tls.close();
      }
      throw e;
    }
  }

  /**
   * Puts reloaded policies in force: the immutable tag rules for every later push and delete, who
   * may override them, the quotas (recounted at once), and the retention policies for the next GC
   * run (with the pull recording they need). Nothing to do for a server started in front of a given
   * registry.
   */
  public void applyPolicies(LadingConfig.Policies policies) {
    if (registry != null) {
      registry.immutableTags(policies.immutableTags());
      registry.quotas(policies.quotas());
      metrics.bindQuotas(registry::quotaUsage);
    }
    if (quotaScanner != null) {
      quotaScanner.rescan(Duration.ofSeconds(policies.quotasScanSeconds()));
    }
    if (gc != null) {
      // The next run applies the new retention, keeping every tag the new rules protect.
      gc.policies(policies.retention(), policies.immutableTags());
    }
    recordPulls(policies);
    if (policyGuard != null) {
      policyGuard.overrideSubjects(policies.immutableTagsOverride());
    }
  }

  /** Pulls are recorded only while a retention policy keeps tags by them, and never read-only. */
  private static boolean recordsPulls(LadingConfig config, LadingConfig.Policies policies) {
    return !config.readOnly()
        && policies.retention().stream().anyMatch(p -> p.keepPulledWithin().isPresent());
  }

  private static PullLogFlusher startPullLog(
      ObjectStore store, StoreRegistry registry, LadingConfig config) {
    PullLog log = new PullLog(store, Clock.systemUTC());
    registry.recordPulls(log);
    return new PullLogFlusher(log, config.policies().pullsFlush());
  }

  /**
   * Starts recording pulls when reloaded retention keeps tags by them and nothing recorded so far
   * (pulls before this moment are unknown, as after a start), and stops when no policy needs them
   * any more (what was recorded is written first, so a policy put back soon finds it).
   */
  private synchronized void recordPulls(LadingConfig.Policies policies) {
    if (registry == null || !(ownedStore instanceof ObjectStore store)) {
      return;
    }
    boolean wanted = recordsPulls(config, policies);
    if (wanted && pulls == null) {
      pulls = startPullLog(store, registry, config);
    } else if (!wanted && pulls != null) {
      registry.recordPulls(PullRecorder.NONE);
      pulls.close();
      pulls = null;
    }
  }

  /** Token auth of a server started from its configuration with {@code auth.mode: token}. */
  public Optional<TokenAuth> auth() {
    return Optional.ofNullable(auth);
  }

  /** The server's meters ({@code GET /metrics}). */
  public LadingMetrics metrics() {
    return metrics;
  }

  /** Where {@code /metrics} is served on its own port ({@code metrics.port}), if it is. */
  public Optional<InetSocketAddress> metricsAddress() {
    return Optional.ofNullable(metricsServer).map(MetricsServer::address);
  }

  /** The configuration this server runs with. */
  public LadingConfig config() {
    return config;
  }

  public int port() {
    return address().getPort();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Requests between their first byte and their response's last. */
  public int requestsInFlight() {
    return inFlight.count();
  }

  /**
   * Blocks until {@link #close()} has finished (the {@code serve} command waits here, then flushes
   * the logs, so everything the shutdown logged is written out).
   */
  public void awaitClosed() throws InterruptedException {
    stopped.await();
  }

  /**
   * A graceful stop as an orchestrator asks for it (SIGTERM): readiness answers 503 at once, while
   * the listener keeps accepting and serving as usual for {@code http.drain_delay_seconds} (load
   * balancers and Kubernetes endpoints take a few probe periods to stop sending new connections;
   * closing the socket before then refuses clients that were still routed here); then {@link
   * #close()}: stop accepting, let requests in flight finish, exit.
   */
  public void drainAndClose() {
    if (draining.compareAndSet(false, true)) {
      Duration delay = config.http().drainDelay();
      log.info(
          "draining: /readyz answers 503; serving on for {} s before the listener closes, then up to {} s"
              + " for requests in flight",
          delay.toSeconds(),
          config.http().shutdownTimeout().toSeconds());
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    close();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      drainAndStop();
    } finally {
      stopped.countDown();
    }
  }

  private void drainAndStop() {
    draining.set(true);
    Duration grace = config.http().shutdownTimeout();
    serverChannel.close().syncUninterruptibly();
    log.info(
        "listener closed; waiting up to {} s for {} requests in flight",
        grace.toSeconds(),
        inFlight.count());
    if (gc != null) {
      gc.close();
    }
    if (quotaScanner != null) {
      quotaScanner.close();
    }
    if (auth != null) {
      auth.close();
    }
    if (tls != null) {
      tls.close();
    }
    try {
      if (!inFlight.awaitIdle(grace)) {
        log.warn(
            "{} requests still in flight after {}s; closing their connections (uploads keep the"
                + " bytes received and resume after the restart)",
            inFlight.count(),
            grace.toSeconds());
        channels.forEach(ShutdownCut::mark);
        channels.close().awaitUninterruptibly();
        // The cut requests' handlers now save their upload sessions (a broken body keeps what
        // arrived); give them a moment before their threads are interrupted and the store closes.
        if (!inFlight.awaitIdle(AFTER_CUT)) {
          log.warn(
              "{} requests still busy {} s after their connections closed",
              inFlight.count(),
              AFTER_CUT.toSeconds());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channels.close().awaitUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    requestThreads.shutdownNow();
    events.close();
    if (pulls != null) {
      pulls.close(); // the last pulls, before the store closes
    }
    if (ownedStore != null) {
      closeQuietly(ownedStore);
    }
    // Last, so a scrape during the drain still sees the requests finishing.
    if (metricsServer != null) {
      metricsServer.close();
    }
    metrics.close();
    log.info("stopped");
  }

  /**
   * The filesystem store at {@code root}, with its index of small objects when its layout keeps
   * them there (a new store's does: it is marked {@link StoreFormat#CURRENT} on its first start).
   * The layout's marker is a file at the root, read before the index is opened; a marker this code
   * does not read leaves the store as it is, for {@link #checkStoreFormat} to refuse.
   */
  private static ObjectStore openFilesystem(Path root, boolean directIo) throws IOException {
    FilesystemStore files = new FilesystemStore(root, directIo);
    int version;
    try {
      version = StoreFormat.check(files, false).version();
    } catch (StoreFormat.UnsupportedFormatException e) {
      return files;
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
    if (!StoreFormat.indexesSmallObjects(version)) {
      return files;
    }
    files.close();
    return new FilesystemStore(root, directIo, true);
  }

  private static ObjectStore openStore(LadingConfig config) {
    return switch (config.storage().type()) {
      case FILESYSTEM -> {
        try {
          yield openFilesystem(
              config.storage().filesystem().root(), config.storage().filesystem().directIo());
        } catch (IOException e) {
          throw new UncheckedIOException(
              "cannot open the filesystem store at " + config.storage().filesystem().root(), e);
        }
      }
      case S3 -> {
        LadingConfig.S3 s3 = config.storage().s3().orElseThrow();
        S3Store store = S3Store.create(s3.store());
        try {
          store.checkBucket();
        } catch (IOException e) {
          store.close();
          throw new ConfigException("storage.s3.bucket: " + e.getMessage());
        }
        yield store;
      }
    };
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing the store failed", e);
    }
  }
}
