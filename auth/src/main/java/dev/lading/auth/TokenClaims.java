package dev.lading.auth;

/** Claim names and values shared by issuer and verifier. */
final class TokenClaims {
  static final String ACCESS = "access";
  static final String KIND = "kind";

  /** Present only in refresh tokens, so one can never pass for the other. */
  static final String TOKEN_USE = "token_use";

  static final String REFRESH = "refresh";

  private TokenClaims() {}
}
