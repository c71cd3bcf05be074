package dev.lading.server.http;

/**
 * Serves one API resource. Runs on the request's virtual thread, so it may block; it sends exactly
 * one response through the {@link Exchange} or throws, and the dispatcher answers the exception
 * through {@link ErrorResponses}.
 */
@FunctionalInterface
public interface ResourceHandler {
  void handle(Exchange exchange) throws Exception;
}
