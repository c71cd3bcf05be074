package dev.lading.auth;

/**
 * A token that does not verify. The message is for the server's debug log and the audit line;
 * clients are told only that authentication is required.
 */
public final class TokenRejectedException extends Exception {
  public TokenRejectedException(String message) {
    super(message, null, false, false);
  }
}
