package dev.lading.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** A signed token and what the token endpoint tells the client about it. */
public record IssuedToken(String token, Instant issuedAt, Duration expiresIn, List<Scope> access) {
  public IssuedToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresIn, "expiresIn");
    access = List.copyOf(access);
  }

  @Override
  public String toString() {
    return "IssuedToken[********, " + issuedAt + ", " + expiresIn + ", " + access + "]";
  }
}
