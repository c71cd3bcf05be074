package dev.lading.server.auth;

import dev.lading.auth.AccessGrant;
import dev.lading.auth.AccessRules;
import dev.lading.auth.Account;
import dev.lading.auth.Authenticator;
import dev.lading.auth.IssuedToken;
import dev.lading.auth.LoginRefusedException;
import dev.lading.auth.Principal;
import dev.lading.auth.Scope;
import dev.lading.auth.TokenIssuer;
import dev.lading.auth.TokenRejectedException;
import dev.lading.auth.TokenVerifier;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token endpoint ({@code /auth/token}) as docker, podman, skopeo and ORAS use it:
 *
 * <ul>
 *   <li>{@code GET} with Basic credentials, or none for anonymous, and {@code service}, repeated
 *       {@code scope}, {@code account}, {@code offline_token=true} (adds a refresh token);
 *   <li>{@code POST} of the OAuth2 form (distribution's {@code oauth.md}): {@code grant_type} =
 *       {@code password} ({@code username}, {@code password}; answers a refresh token too, which
 *       docker keeps as its identity token) or {@code refresh_token} ({@code refresh_token});
 *       {@code service}, space-separated {@code scope}.
 * </ul>
 *
 * The token holds the intersection of the asked scopes and the rules; an empty intersection is not
 * an error here (the registry refuses the request later). Bad credentials are {@code 401}; a login
 * the {@link dev.lading.auth.LoginLimiter} holds back (the account failed from this client's
 * address, or many accounts failed from it) is {@code 429 TOOMANYREQUESTS} with {@code Retry-After}
 * (clients show it, and it tells an operator why a right password fails). The client's address is
 * the request's ({@link Exchange#forwarded()}): the peer, or what a trusted proxy forwarded.
 */
public final class TokenEndpoint implements ResourceHandler {
  public static final String PATH = "/auth/token";
  private static final Logger audit = LoggerFactory.getLogger("lading.audit");
  private static final int MAX_FORM_BYTES = 16 * 1024;
  private static final int MAX_SCOPES = 64;

  private final Authenticator authenticator;
  private final AccessRules rules;
  private final TokenIssuer issuer;
  private final TokenVerifier verifier;

  public TokenEndpoint(
      Authenticator authenticator, AccessRules rules, TokenIssuer issuer, TokenVerifier verifier) {
    this.authenticator = authenticator;
    this.rules = rules;
    this.issuer = issuer;
    this.verifier = verifier;
  }

  @Override
  public void handle(Exchange exchange) throws Exception {
    switch (exchange.method().name()) {
      case "GET" -> get(exchange);
      case "POST" -> post(exchange);
      default -> throw Exchange.methodNotAllowed(exchange.method(), "GET, POST");
    }
  }

  /** ollama's key signature: {@code <base64 public key>:<base64 signature>}, without a scheme. */
  private static final Pattern OLLAMA_KEY_SIGNATURE =
      Pattern.compile("[A-Za-z0-9+/]{16,}={0,2}:[A-Za-z0-9+/]{16,}={0,2}");

  private void get(Exchange exchange) {
    checkService(exchange.query("service"));
    List<Scope> scopes = scopes(exchange.queryAll("scope"));
    String authorization = exchange.header(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      exchangeBearer(exchange, authorization.substring(7).strip(), scopes);
      return;
    }
    if (authorization != null && OLLAMA_KEY_SIGNATURE.matcher(authorization).matches()) {
      // ollama signs every token request with its own ed25519 key ("<public key>:<signature>",
      // no scheme; ollama server/auth.go getAuthorizationToken) and has no way to send Basic
      // credentials to another registry. The signature proves nothing here: it is read as no
      // credentials at all, so ollama gets what anonymous may (instead of a 401 it cannot answer).
      authorization = null;
    }
    Principal principal = login(exchange, basic(authorization));
    boolean offline = exchange.query("offline_token").map("true"::equalsIgnoreCase).orElse(false);
    answer(
        exchange,
        principal,
        scopes,
        offline && !principal.anonymous(),
        false,
        principal.anonymous() ? "anonymous" : "basic");
  }

  private void post(Exchange exchange) throws IOException {
    byte[] body = exchange.body().readNBytes(MAX_FORM_BYTES + 1);
    if (body.length > MAX_FORM_BYTES) {
      throw ErrorCode.BAD_REQUEST.exception("form too large");
    }
    Map<String, List<String>> form =
        new QueryStringDecoder(
                new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false)
            .parameters();
    checkService(first(form, "service"));
    List<Scope> scopes = new ArrayList<>();
    for (String s : form.getOrDefault("scope", List.of())) {
      scopes.addAll(parseScopes(s));
    }
    String grantType = first(form, "grant_type").orElse("");
    switch (grantType) {
      case "password" -> {
        String user = first(form, "username").orElse("");
        char[] password = first(form, "password").orElse("").toCharArray();
        try {
          Principal principal = login(exchange, Optional.of(new Credentials(user, password)));
          answer(exchange, principal, scopes, true, true, "password");
        } finally {
          Arrays.fill(password, '\0');
        }
      }
      case "refresh_token" -> {
        AccessGrant refresh;
        try {
          refresh = verifier.verifyRefresh(first(form, "refresh_token").orElse(""));
        } catch (TokenRejectedException e) {
          auditLogin(exchange, "-", 401, "refresh-token-rejected");
          throw unauthorized();
        }
        // The account must still exist as the same kind: removing it revokes its refresh tokens.
        Optional<Account> account =
            authenticator
                .account(refresh.subject())
                .filter(a -> a.principal().kind() == refresh.kind());
        if (account.isEmpty()) {
          auditLogin(exchange, refresh.subject(), 401, "account-gone");
          throw unauthorized();
        }
        answer(exchange, account.get().principal(), scopes, false, true, "refresh_token");
      }
      default ->
          throw ErrorCode.BAD_REQUEST.exception("grant_type must be password or refresh_token");
    }
  }

  /**
   * Some clients present their current access token instead of Basic credentials. The ORAS Java SDK
   * (0.7) does: it caches tokens by the scope set they were asked for, and when a request with that
   * same scope set is challenged again (it sends the next blob's POST without the token), it asks
   * the token endpoint again with the cached token as its bearer. When its scope GROWS (pull, then
   * pull and push) the cache misses and it sends Basic credentials.
   *
   * <p>So a presented token is honoured only as itself: the new token holds what was asked AND what
   * the presented token already holds AND what the rules allow today, and it expires no later than
   * the presented one. A leaked pull-only token (say from a cluster node) buys at most another
   * pull-only token that dies with it; widening a grant always takes the secret again.
   */
  private void exchangeBearer(Exchange exchange, String bearer, List<Scope> scopes) {
    AccessGrant presented;
    try {
      presented = verifier.verify(bearer);
    } catch (TokenRejectedException e) {
      auditLogin(exchange, "-", 401, "bearer-token-rejected");
      throw unauthorized();
    }
    Principal principal;
    if (presented.kind() == Principal.Kind.ANONYMOUS) {
      principal = Principal.ANONYMOUS;
    } else {
      principal =
          authenticator
              .account(presented.subject())
              .filter(a -> a.principal().kind() == presented.kind())
              .map(Account::principal)
              .orElseThrow(
                  () -> {
                    auditLogin(exchange, presented.subject(), 401, "account-gone");
                    return unauthorized();
                  });
    }
    List<Scope> granted = presented.retain(rules.grant(principal, scopes));
    respond(exchange, principal, granted, false, false, presented.expiresAt(), "bearer");
  }

  private void answer(
      Exchange exchange,
      Principal principal,
      List<Scope> asked,
      boolean withRefresh,
      boolean oauth,
      String via) {
    respond(
        exchange, principal, rules.grant(principal, asked), withRefresh, oauth, Instant.MAX, via);
  }

  /**
   * @param via how the caller proved who it is: {@code basic}, {@code password}, {@code
   *     refresh_token}, {@code bearer}, {@code anonymous}
   */
  private void respond(
      Exchange exchange,
      Principal principal,
      List<Scope> granted,
      boolean withRefresh,
      boolean oauth,
      Instant notAfter,
      String via) {
    IssuedToken token;
    try {
      token = issuer.issue(principal, granted, notAfter);
    } catch (IllegalArgumentException expired) {
      throw unauthorized();
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("token", token.token());
    json.put("access_token", token.token());
    json.put("expires_in", token.expiresIn().toSeconds());
    json.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(token.issuedAt()));
    if (oauth) {
      json.put("scope", granted.stream().map(Scope::toString).collect(Collectors.joining(" ")));
    }
    if (withRefresh) {
      json.put("refresh_token", issuer.issueRefresh(principal).token());
    }
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    auditIssued(exchange, principal, granted, withRefresh, via);
    exchange.respondJson(HttpResponseStatus.OK, headers, json);
  }

  private Principal login(Exchange exchange, Optional<Credentials> credentials) {
    if (credentials.isEmpty()) {
      return Principal.ANONYMOUS;
    }
    Credentials c = credentials.get();
    try {
      return authenticator.authenticate(c.user, c.secret, exchange.forwarded().client());
    } catch (LoginRefusedException e) {
      if (e.rateLimited()) {
        long seconds = retryAfterSeconds(e.retryAfter().orElseThrow());
        auditLogin(exchange, c.user, 429, e.getMessage() + " retry_after=" + seconds);
        throw ErrorCode.TOOMANYREQUESTS
            .exception("too many failed logins; retry later")
            .withHeader(HttpHeaderNames.RETRY_AFTER.toString(), Long.toString(seconds));
      }
      auditLogin(exchange, c.user, 401, "invalid-credentials");
      throw unauthorized();
    }
  }

  /**
   * Whole seconds, rounded up (a client retrying at the advertised second must not be early), at
   * least 1.
   */
  static long retryAfterSeconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
  }

  private RegistryException unauthorized() {
    return ErrorCode.UNAUTHORIZED
        .exception("invalid credentials")
        .withHeader("WWW-Authenticate", basicChallenge());
  }

  private void checkService(Optional<String> service) {
    if (service.isPresent()
        && !service.get().isEmpty()
        && !service.get().equals(issuer.service())) {
      throw ErrorCode.BAD_REQUEST
          .exception("this token endpoint serves another service")
          .withDetail(issuer.service());
    }
  }

  private static List<Scope> scopes(List<String> values) {
    List<Scope> out = new ArrayList<>();
    for (String v : values) {
      out.addAll(parseScopes(v));
    }
    return out;
  }

  private static List<Scope> parseScopes(String spaceSeparated) {
    try {
      List<Scope> parsed = Scope.parseAll(spaceSeparated);
      if (parsed.size() > MAX_SCOPES) {
        throw new IllegalArgumentException("too many scopes");
      }
      return parsed;
    } catch (IllegalArgumentException e) {
      throw ErrorCode.BAD_REQUEST.exception("invalid scope: " + e.getMessage());
    }
  }

  private record Credentials(String user, char[] secret) {}

  private Optional<Credentials> basic(String header) {
    if (header == null) {
      return Optional.empty();
    }
    if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
      throw unreadableCredentials("the token endpoint takes Basic credentials");
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw unreadableCredentials("malformed Basic credentials");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw unreadableCredentials("malformed Basic credentials");
    }
    return Optional.of(
        new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1).toCharArray()));
  }

  /** Credentials that cannot be read at all: a challenge for Basic ones. */
  private RegistryException unreadableCredentials(String why) {
    return ErrorCode.UNAUTHORIZED.exception(why).withHeader("WWW-Authenticate", basicChallenge());
  }

  /**
   * One Basic realm for every refusal of this endpoint: the service, as the wrong-password case
   * says.
   */
  private String basicChallenge() {
    return "Basic realm=\"" + issuer.service() + "\"";
  }

  private static Optional<String> first(Map<String, List<String>> form, String name) {
    List<String> v = form.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  /**
   * One line per refused login ({@code why} is this class's own tokens, never client text): the
   * name tried, the TCP peer ({@code remote}, as every audit line has it) and the client as the
   * server trusts it ({@code client}: the peer, or what a trusted proxy forwarded), never the
   * secret.
   */
  private void auditLogin(Exchange exchange, String who, int status, String why) {
    String client = exchange.forwarded().client().getHostAddress();
    audit
        .atInfo()
        .setMessage("action=login outcome={} who={} remote={} client={} reason={}")
        .addArgument(status)
        .addArgument(printable(who))
        .addArgument(exchange.remote())
        .addArgument(client)
        .addArgument(why)
        .addKeyValue("event", "login")
        .addKeyValue("status", status)
        .addKeyValue("principal", printable(who))
        .addKeyValue("client", client)
        .addKeyValue("reason", why)
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  /**
   * One line per token issued (a successful login, or a token renewed from a refresh or access
   * token): who, how they proved it, from where, and the scopes granted; never the token. Written
   * before the token leaves, so no token exists that the trail does not show.
   */
  private void auditIssued(
      Exchange exchange,
      Principal principal,
      List<Scope> granted,
      boolean withRefresh,
      String via) {
    if (!audit.isInfoEnabled()) {
      return;
    }
    String who = principal.anonymous() ? Principal.ANONYMOUS_NAME : printable(principal.name());
    String kind = principal.kind().wire();
    String client = exchange.forwarded().client().getHostAddress();
    String scopes =
        granted.stream()
            .map(Scope::toString)
            .map(TokenEndpoint::printable)
            .collect(Collectors.joining(" "));
    audit
        .atInfo()
        .setMessage(
            "action=token outcome=200 who={} kind={} remote={} client={} via={} refresh={} scopes=[{}]")
        .addArgument(who)
        .addArgument(kind)
        .addArgument(exchange.remote())
        .addArgument(client)
        .addArgument(via)
        .addArgument(withRefresh)
        .addArgument(scopes)
        .addKeyValue("event", "token")
        .addKeyValue("status", 200)
        .addKeyValue("principal", who)
        .addKeyValue("principal_kind", kind)
        .addKeyValue("client", client)
        .addKeyValue("via", via)
        .addKeyValue("refresh_token_issued", withRefresh)
        .addKeyValue(
            "scopes", granted.stream().map(Scope::toString).map(TokenEndpoint::printable).toList())
        .addKeyValue("request_id", exchange.requestId())
        .log();
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 128; i++) {
      char c = s.charAt(i);
      b.append(c < 0x21 || c > 0x7e ? '?' : c);
    }
    return b.isEmpty() ? "-" : b.toString();
  }
}
