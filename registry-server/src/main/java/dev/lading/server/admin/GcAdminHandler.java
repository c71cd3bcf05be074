package dev.lading.server.admin;

import dev.lading.core.error.ErrorCode;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcStats;
import dev.lading.gc.OnlineCollector;
import dev.lading.gc.RetentionAction;
import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /admin/gc}: {@code POST} starts a run of this instance's online collector in the
 * background ({@code ?dry_run=true} for a dry run) and answers {@code 202}, or {@code 409
 * GC_RUNNING} when this instance runs one already; {@code GET} answers the status and the last
 * run's counters as JSON. The dispatcher has checked the GC permission first.
 */
public final class GcAdminHandler implements ResourceHandler {
  public static final String PATH = "/admin/gc";

  /** A dry run's report lists at most this many items; the counters cover all of them. */
  static final int MAX_ITEMS_SHOWN = 1000;

  private final OnlineCollector gc;

  public GcAdminHandler(OnlineCollector gc) {
    this.gc = gc;
  }

  @Override
  public void handle(Exchange exchange) {
    if (HttpMethod.POST.equals(exchange.method())) {
      boolean dryRun = dryRun(exchange);
      if (!gc.trigger(dryRun)) {
        throw ErrorCode.GC_RUNNING.exception();
      }
      var headers = Exchange.headers();
      headers.set(HttpHeaderNames.LOCATION, PATH);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("started", true);
      body.put("dryRun", dryRun);
      exchange.respondJson(HttpResponseStatus.ACCEPTED, headers, body);
    } else if (HttpMethod.GET.equals(exchange.method())
        || HttpMethod.HEAD.equals(exchange.method())) {
      exchange.respondJson(
          HttpResponseStatus.OK, Exchange.headers(), status(gc.status(), gc.current()));
    } else {
      throw Exchange.methodNotAllowed(exchange.method(), "GET, HEAD, POST");
    }
  }

  private static boolean dryRun(Exchange exchange) {
    Optional<String> value = exchange.query("dry_run");
    if (value.isEmpty() || value.get().equals("false")) {
      return false;
    }
    if (value.get().equals("true") || value.get().isEmpty()) {
      return true;
    }
    throw ErrorCode.BAD_REQUEST.exception("dry_run must be true or false");
  }

  /**
   * The status, and while a run goes on its progress under {@code current}: the phase it reached
   * ({@code waiting_for_fence} until it may mark, then {@code announced}, {@code listed}, {@code
   * retention}, {@code marked}, {@code intents_written}, {@code swept}, {@code done}) and what each
   * phase found so far (retention: {@code tagsExamined} and {@code tagsRemoved}, growing while it
   * goes through the repositories). {@code last} stays the previous run's result until this one
   * ends.
   */
  static Map<String, Object> status(
      OnlineCollector.Status s, Optional<OnlineCollector.RunProgress> current) {
    Map<String, Object> out = status(s);
    out.put("current", current.map(GcAdminHandler::progress).orElse(null));
    return out;
  }

  private static Map<String, Object> progress(OnlineCollector.RunProgress p) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("started", p.started().toString());
    out.put("dryRun", p.dryRun());
    out.put("phase", p.phase().map(GcPhases::wire).orElse(GcPhases.WAITING));
    Map<String, Object> counts = new LinkedHashMap<>();
    for (GarbageCollector.Phase phase : GarbageCollector.Phase.values()) {
      Long n = p.counts().get(phase);
      if (n != null) {
        if (phase == GarbageCollector.Phase.RETENTION) {
          counts.put(GcPhases.TAGS_EXAMINED, p.tagsExamined());
        }
        counts.put(GcPhases.countName(phase), n);
      }
    }
    out.put("counts", counts);
    return out;
  }

  static Map<String, Object> status(OnlineCollector.Status s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("running", s.running());
    out.put("runs", s.runs());
    out.put("lastStarted", s.lastStarted().map(Instant::toString).orElse(null));
    out.put("lastFinished", s.lastFinished().map(Instant::toString).orElse(null));
    out.put("lastError", s.lastError().orElse(null));
    out.put("last", s.last().map(GcAdminHandler::stats).orElse(null));
    return out;
  }

  private static Map<String, Object> stats(GcStats st) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("dryRun", st.dryRun());
    out.put("summary", st.summary());
    out.put("repositories", st.repositories());
    out.put("manifestsKept", st.manifestsKept());
    out.put("manifestsSwept", st.manifestsSwept());
    out.put("referrerEntriesSwept", st.referrerEntriesSwept());
    out.put("layerLinksSwept", st.layerLinksSwept());
    out.put("blobsSwept", st.blobsSwept());
    out.put("bytesFreed", st.bytesFreed());
    out.put("strayDataSwept", st.strayDataSwept());
    out.put("uploadsExpired", st.uploadsExpired());
    out.put("abandonedWrites", st.abandonedWrites());
    out.put("protectedByFence", st.protectedByFence());
    out.put("markMillis", st.markMillis());
    out.put("sweepMillis", st.sweepMillis());
    out.put("itemCount", st.items().size());
    List<Map<String, Object>> items =
        st.items().stream()
            .limit(MAX_ITEMS_SHOWN)
            .map(
                i -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("kind", i.kind().name());
                  m.put("what", i.what());
                  m.put("bytes", i.bytes());
                  return m;
                })
            .toList();
    out.put("items", items);
    out.put("tagsUntagged", st.tagsUntagged());
    out.put("manifestsExpired", st.manifestsExpired());
    out.put(
        "retention",
        st.retention().stream()
            .limit(MAX_ITEMS_SHOWN)
            .map(
                a -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("action", a.kind() == RetentionAction.Kind.UNTAG ? "untag" : "delete");
                  m.put("repository", a.repository().value());
                  m.put("tag", a.tag().orElse(null));
                  m.put("digest", a.digest().toString());
                  m.put("policy", a.policy());
                  m.put("reason", a.reason());
                  m.put("bytes", a.bytes());
                  return m;
                })
            .toList());
    return out;
  }
}
