package dev.lading.server.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail on its own logger, {@code lading.audit}: one line per push (blob commit, mount,
 * manifest put), tag move, delete and refused request, as {@code key=value} pairs so a log shipper
 * can parse it. Who (principal and kind), from where, what (action, repository, digest, tag) and
 * the outcome (HTTP status). {@code remote} is the TCP peer, {@code client} the client's address as
 * the server trusts it (the peer, or what a trusted proxy forwarded). Never a header, token, secret
 * or body; every value is escaped like the access log so a name cannot forge a line.
 *
 * <p>The same facts go with each line as key-value pairs, which the JSON log format writes as
 * fields: {@code event}, {@code status}, {@code principal}, {@code principal_kind}, {@code client},
 * {@code repository}, {@code digest}, {@code tag}, {@code previous}, {@code request_id} (and {@code
 * needed} for a refusal, {@code dry_run} for GC).
 *
 * <p>A refusal is audited only when the request presented credentials: a request without any is a
 * client's normal first step (it is challenged, fetches a token and comes back), not a denial.
 */
final class AuditLog {
  private static final Logger log = LoggerFactory.getLogger("lading.audit");

  private AuditLog() {}

  /**
   * As a handler's answer is about to leave (status and digest known, nothing sent yet): audits the
   * request when it is one of the audited kinds. Writing before the response means a client never
   * sees a push acknowledged that the trail does not hold.
   */
  static void afterHandler(Exchange exchange) {
    if (!log.isInfoEnabled()) {
      return;
    }
    AuditedAction.of(exchange)
        .ifPresent(
            a -> {
              line(exchange, a.action(), a.digest(), a.tag(), null);
              if (a.movedTag()) {
                line(exchange, "tag-move", a.digest(), a.tag(), a.previous());
              }
            });
  }

  /**
   * An admin request that was allowed and answered, other than a read: a GC trigger, or what its
   * handler noted ({@link Exchange#noteAdminAction}: an event replay).
   */
  static void admin(Exchange exchange) {
    if (!log.isInfoEnabled() || HttpMethod.GET.equals(exchange.method())) {
      return;
    }
    RequestAuthorizer.Caller caller = exchange.caller();
    if (exchange.adminAction() != null) {
      StringBuilder message =
          new StringBuilder("action={} outcome={} who={} kind={} remote={} client={}");
      var line =
          log.atInfo()
              .addArgument(exchange.adminAction())
              .addArgument(exchange.status())
              .addArgument(AccessLog.printable(caller.name()))
              .addArgument(caller.kind())
              .addArgument(exchange.remote())
              .addArgument(client(exchange))
              .addKeyValue("event", exchange.adminAction())
              .addKeyValue("status", exchange.status())
              .addKeyValue("principal", AccessLog.printable(caller.name()))
              .addKeyValue("principal_kind", caller.kind())
              .addKeyValue("client", client(exchange));
      for (Map.Entry<String, Object> fact : exchange.adminFacts().entrySet()) {
        // Numbers stay numbers (the JSON format writes them so); anything else is escaped text.
        Object value =
            fact.getValue() instanceof Number n
                ? n
                : AccessLog.printable(String.valueOf(fact.getValue()));
        message.append(' ').append(fact.getKey()).append("={}");
        line = line.addArgument(value).addKeyValue(fact.getKey(), value);
      }
      line.setMessage(message.toString()).addKeyValue("request_id", exchange.requestId()).log();
      return;
    }
    String dryRun = AccessLog.printable(exchange.query("dry_run").orElse("false"));
    log.atInfo()
        .setMessage("action=gc outcome={} who={} kind={} remote={} client={} dry_run={}")
        .addArgument(exchange.status())
        .addArgument(AccessLog.printable(caller.name()))
        .addArgument(caller.kind())
        .addArgument(exchange.remote())
        .addArgument(client(exchange))
        .addArgument(dryRun)
        .addKeyValue("event", "gc")
        .addKeyValue("status", exchange.status())
        .addKeyValue("principal", AccessLog.printable(caller.name()))
        .addKeyValue("principal_kind", caller.kind())
        .addKeyValue("client", client(exchange))
        .addKeyValue("dry_run", dryRun)
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  /**
   * A request the authorizer refused, when it presented credentials. Without an {@code
   * Authorization} header the refusal is the challenge every client gets first, and the access log
   * has it.
   */
  static void refused(Exchange exchange, String who, String kind, String needed) {
    if (!log.isInfoEnabled() || exchange.header("Authorization") == null) {
      return;
    }
    String repository =
        exchange.match() == null
            ? "-"
            : exchange.match().repository().map(Object::toString).orElse("-");
    log.atInfo()
        .setMessage(
            "action=denied outcome={} who={} kind={} remote={} client={} method={} repository={} needed={}")
        .addArgument(exchange.status())
        .addArgument(AccessLog.printable(who))
        .addArgument(kind)
        .addArgument(exchange.remote())
        .addArgument(client(exchange))
        .addArgument(exchange.method().name())
        .addArgument(repository)
        .addArgument(needed)
        .addKeyValue("event", "denied")
        .addKeyValue("status", exchange.status())
        .addKeyValue("principal", AccessLog.printable(who))
        .addKeyValue("principal_kind", kind)
        .addKeyValue("client", client(exchange))
        .addKeyValue("method", exchange.method().name())
        .addKeyValue("repository", repository)
        .addKeyValue("needed", needed)
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  /**
   * An immutable tag event: {@code immutable-refused} (a push or delete the rules refused), {@code
   * immutable-override} (a tag moved or deleted under a granted override), {@code
   * immutable-override-refused} (an override asked for by someone not allowed to). {@code rule}
   * names the rule ({@code policies.immutable_tags[0]: ml/** v*}), {@code previous} the digest the
   * tag named, {@code digest} where it moves (none for a delete). Always written, credentials or
   * not: these are decisions about content, not challenges.
   */
  static void immutableTags(
      Exchange exchange,
      String event,
      String tag,
      String digest,
      String previous,
      String rule,
      String reason) {
    if (!log.isInfoEnabled()) {
      return;
    }
    RequestAuthorizer.Caller caller = exchange.caller();
    String repository =
        exchange.match() == null
            ? "-"
            : exchange.match().repository().map(Object::toString).orElse("-");
    String shownTag = tag == null ? "-" : AccessLog.printable(tag);
    String shownDigest = digest == null ? "-" : AccessLog.printable(digest);
    String shownPrevious = previous == null ? "-" : AccessLog.printable(previous);
    String shownRule = rule == null ? "-" : AccessLog.printable(rule);
    String shownReason = AccessLog.printable(reason);
    log.atInfo()
        .setMessage(
            "action={} who={} kind={} remote={} client={} method={} repository={} tag={} digest={}"
                + " previous={} rule=\"{}\" reason=\"{}\"")
        .addArgument(event)
        .addArgument(AccessLog.printable(caller.name()))
        .addArgument(caller.kind())
        .addArgument(exchange.remote())
        .addArgument(client(exchange))
        .addArgument(exchange.method().name())
        .addArgument(repository)
        .addArgument(shownTag)
        .addArgument(shownDigest)
        .addArgument(shownPrevious)
        .addArgument(shownRule)
        .addArgument(shownReason)
        .addKeyValue("event", event)
        .addKeyValue("principal", AccessLog.printable(caller.name()))
        .addKeyValue("principal_kind", caller.kind())
        .addKeyValue("client", client(exchange))
        .addKeyValue("method", exchange.method().name())
        .addKeyValue("repository", repository)
        .addKeyValue("tag", tag == null ? null : shownTag)
        .addKeyValue("digest", digest == null ? null : shownDigest)
        .addKeyValue("previous", previous == null ? null : shownPrevious)
        .addKeyValue("rule", rule == null ? null : shownRule)
        .addKeyValue("reason", shownReason)
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  /**
   * {@code quota-refused}: a manifest push a quota refused, with the quota ({@code
   * policies.quotas[0] (ml/**)}), its usage and limit and what the push would have added, in bytes.
   * Always written, like the immutable tag lines.
   */
  static void quotaRefused(
      Exchange exchange, String quota, String used, String limit, String added, String reason) {
    if (!log.isInfoEnabled()) {
      return;
    }
    RequestAuthorizer.Caller caller = exchange.caller();
    String repository =
        exchange.match() == null
            ? "-"
            : exchange.match().repository().map(Object::toString).orElse("-");
    String shownQuota = AccessLog.printable(quota);
    log.atInfo()
        .setMessage(
            "action=quota-refused who={} kind={} remote={} client={} method={} repository={}"
                + " quota=\"{}\" used={} limit={} added={}")
        .addArgument(AccessLog.printable(caller.name()))
        .addArgument(caller.kind())
        .addArgument(exchange.remote())
        .addArgument(client(exchange))
        .addArgument(exchange.method().name())
        .addArgument(repository)
        .addArgument(shownQuota)
        .addArgument(used)
        .addArgument(limit)
        .addArgument(added)
        .addKeyValue("event", "quota-refused")
        .addKeyValue("principal", AccessLog.printable(caller.name()))
        .addKeyValue("principal_kind", caller.kind())
        .addKeyValue("client", client(exchange))
        .addKeyValue("method", exchange.method().name())
        .addKeyValue("repository", repository)
        .addKeyValue("quota", shownQuota)
        .addKeyValue("used_bytes", used)
        .addKeyValue("limit_bytes", limit)
        .addKeyValue("added_bytes", added)
        .addKeyValue("reason", AccessLog.printable(reason))
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  private static void line(
      Exchange exchange, String action, String digest, String tag, String previous) {
    RequestAuthorizer.Caller caller = exchange.caller();
    String repository = exchange.match().repository().map(Object::toString).orElse("-");
    String shownDigest = digest == null ? "-" : AccessLog.printable(digest);
    String shownTag = tag == null ? "-" : AccessLog.printable(tag);
    log.atInfo()
        .setMessage(
            "action={} outcome={} who={} kind={} remote={} client={} repository={} digest={} tag={}{}")
        .addArgument(action)
        .addArgument(exchange.status())
        .addArgument(AccessLog.printable(caller.name()))
        .addArgument(caller.kind())
        .addArgument(exchange.remote())
        .addArgument(client(exchange))
        .addArgument(repository)
        .addArgument(shownDigest)
        .addArgument(shownTag)
        .addArgument(previous == null ? "" : " previous=" + AccessLog.printable(previous))
        .addKeyValue("event", action)
        .addKeyValue("status", exchange.status())
        .addKeyValue("principal", AccessLog.printable(caller.name()))
        .addKeyValue("principal_kind", caller.kind())
        .addKeyValue("client", client(exchange))
        .addKeyValue("repository", repository)
        .addKeyValue("digest", digest == null ? null : shownDigest)
        .addKeyValue("tag", tag == null ? null : shownTag)
        .addKeyValue("previous", previous == null ? null : AccessLog.printable(previous))
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  private static String client(Exchange exchange) {
    return exchange.forwarded().client().getHostAddress();
  }
}
